"""JUnit XML, GitHub annotations and the markdown summary, as a CI system reads them."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from reports_support import HOSTILE, SIM_PARLANT, cached_check, render

from checker.findings import Finding, Location, Severity
from checker.model import SourceFile
from checker.rule import registry
from reports.github_report import annotation, running_in_github_actions
from reports.markdown_report import render_markdown

_ANNOTATION = re.compile(
    r"^::(error|warning|notice) (file=[^,:]+,line=\d+(,endLine=\d+)?,col=\d+(,endColumn=\d+)?,)?"
    r"title=[A-Z]{2}\d{3}::[^\r\n]*$"
)


def test_junit_has_one_case_per_rule_and_file_with_failures_carrying_findings() -> None:
    result = cached_check(SIM_PARLANT)
    root = ElementTree.fromstring(render(result, "junit"))
    cases = root.findall("./testsuite/testcase")
    failing_pairs = {
        (f.code, f.primary.file)
        for f in result.findings
        if f.primary and f.severity.at_least(result.settings.fail_on)
    }
    failures = [case for case in cases if case.find("failure") is not None]
    assert len(failures) == len({(code, file) for code, file in failing_pairs})
    assert int(root.get("failures", "-1")) == len(failures)
    assert int(root.get("tests", "-1")) == len(cases)
    ran = set(result.rules_run)
    names = {case.get("classname", "").removeprefix("schema-check.") for case in cases}
    assert ran <= names, "every rule that ran is a test case, passing or not"
    for case in failures:
        failure = case.find("failure")
        assert failure is not None and failure.text and case.get("file") and case.get("line")
        assert case.get("file", "") in failure.text


def test_github_annotations_are_well_formed_and_errors_come_first() -> None:
    lines = render(cached_check(SIM_PARLANT), "github").splitlines()
    assert lines
    assert all(_ANNOTATION.match(line) for line in lines), next(
        line for line in lines if not _ANNOTATION.match(line)
    )
    kinds = [line.split(" ", 1)[0] for line in lines]
    order = {"::error": 0, "::warning": 1, "::notice": 2}
    assert [order[k] for k in kinds] == sorted(order[k] for k in kinds)


def test_github_annotation_escapes_properties_and_newlines() -> None:
    source = SourceFile.of("dir,with:odd/file.sql", "SELECT 1;\nSELECT 2;\n")
    finding = Finding(
        "PS001",
        Severity.ERROR,
        "100% broken\nsecond line",
        (Location("dir,with:odd/file.sql", 10, 18),),
        fix="do this",
    )
    line = annotation(finding, {source.path: source})
    assert line == (
        "::error file=dir%2Cwith%3Aodd/file.sql,line=2,col=1,endColumn=9,title=PS001"
        "::100%25 broken%0Asecond line%0Afix: do this"
    )


def test_github_actions_detection() -> None:
    assert running_in_github_actions({"GITHUB_ACTIONS": "true"})
    assert not running_in_github_actions({})


def test_markdown_answers_the_claims_and_escapes_hostile_identifiers() -> None:
    sim = render(cached_check(SIM_PARLANT), "markdown")
    assert sim.startswith("## schema-check: ❌ Not compatible as designed")
    assert "| fully compatible | ❌ No |" in sim
    hostile = render(cached_check(HOSTILE), "markdown")
    assert "<img" not in hostile and "<svg" not in hostile and "<script" not in hostile
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile


def test_markdown_is_cut_below_the_limit_between_findings() -> None:
    result = cached_check(SIM_PARLANT)
    metas = {code: rule.meta for code, rule in registry().items()}
    whole = render_markdown(result.findings, result.files, metas)
    text = render_markdown(result.findings, result.files, metas, max_chars=4000)
    assert len(text.encode("utf-8")) < 4200
    rows = [line for line in text.splitlines() if line.startswith(("| 🔴", "| 🟠"))]
    assert rows and all(row in whole.splitlines() for row in rows)  # no row cut in half
    left_out = len([line for line in whole.splitlines() if line.startswith("| ")]) - len(
        [line for line in text.splitlines() if line.startswith("| ")]
    )
    assert f"{left_out} more findings left out" in text
