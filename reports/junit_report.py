"""JUnit XML for CI test dashboards: one test suite per rule family.

Every rule that ran is a test case: a passing one when it found nothing, and
one failing case per file it found something in (attributes ``file`` and
``line`` point at the first finding, which annotation actions read).
Findings below ``fail_on`` do not fail a case; they are listed in its
``system-out``. No timestamps or durations, so equal input gives equal XML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from checker.findings import Finding, Severity
from checker.model import SourceFile
from checker.rule import FAMILIES, RuleMeta
from reports.common import position

if TYPE_CHECKING:
    from typing import TextIO

    from reports.output import Report


def _describe(finding: Finding, files: Mapping[str, SourceFile]) -> str:
    where = "(no location)"
    if finding.primary is not None:
        pos = position(finding.primary, files)
        where = pos.place
    lines = [f"{where}: {finding.severity.value}: {finding.message}"]
    lines += [f"    {detail}" for detail in finding.details]
    for related in finding.locations[1:]:
        rel = position(related, files)
        label = f" ({related.label})" if related.label else ""
        lines.append(f"    see {rel.place}{label}")
    if finding.fix:
        lines.append(f"    fix: {finding.fix}")
    return "\n".join(lines)


def render_junit(
    findings: Sequence[Finding],
    files: Mapping[str, SourceFile],
    metas: Mapping[str, RuleMeta],
    *,
    rules_run: Sequence[str] = (),
    fail_on: Severity = Severity.ERROR,
) -> str:
    """The JUnit XML of one run. ``rules_run`` lists the codes that ran (CheckResult.rules_run)."""
    by_rule: dict[str, dict[str, list[Finding]]] = {}
    for finding in findings:
        path = position(finding.primary, files).path if finding.primary else ""
        by_rule.setdefault(finding.code, {}).setdefault(path, []).append(finding)
    codes = sorted(set(rules_run) | set(by_rule))
    root = ElementTree.Element("testsuites", name="schema-check")
    total_tests = total_failures = 0
    for family in sorted({code[:2] for code in codes}):
        suite = ElementTree.SubElement(
            root, "testsuite", name=f"{family}: {FAMILIES.get(family, family)}"
        )
        tests = failures = 0
        for code in (c for c in codes if c[:2] == family):
            meta = metas.get(code)
            title = f"{code} {meta.name}" if meta else code
            per_file = by_rule.get(code, {})
            if not per_file:
                ElementTree.SubElement(
                    suite, "testcase", name=title, classname=f"schema-check.{code}"
                )
                tests += 1
                continue
            for path in sorted(per_file):
                group = per_file[path]
                case = ElementTree.SubElement(
                    suite,
                    "testcase",
                    name=f"{title}: {path or '(no file)'}",
                    classname=f"schema-check.{code}",
                )
                first = group[0].primary
                if first is not None:
                    case.set("file", path)
                    case.set("line", str(position(first, files).line))
                tests += 1
                failing = [f for f in group if f.severity.at_least(fail_on) and f.counts_for_gate]
                text = "\n\n".join(_describe(f, files) for f in group)
                if failing:
                    failures += 1
                    count = len(failing)
                    failure = ElementTree.SubElement(
                        case,
                        "failure",
                        message=f"{count} finding{'' if count == 1 else 's'}: {failing[0].message}",
                        type=code,
                    )
                    failure.text = text
                else:
                    ElementTree.SubElement(case, "system-out").text = text
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def write(report: Report, stream: TextIO) -> None:
    result = report.result
    stream.write(
        render_junit(
            report.findings,
            report.files,
            report.metas,
            rules_run=result.rules_run,
            fail_on=result.settings.fail_on,
        )
    )
