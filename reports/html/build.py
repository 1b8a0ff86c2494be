"""Builds the HTML report's view model from a typed CheckResult: the findings, the
summary figures and settings; the sections come from ``graph``, ``panels`` and
``sections``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from checker import __version__
from checker.findings import Finding, Severity
from checker.model import Layer, Origin, SourceFile
from checker.rule import FAMILIES, RuleMeta, registry
from reports.common import position
from reports.html.graph import graph_view
from reports.html.model import (
    FindingGroup,
    FindingRow,
    ReportModel,
    RuleDoc,
    layer_order,
    shown_path,
)
from reports.html.panels import schema_objects, table_history, table_panels
from reports.html.sections import (
    closure_views,
    coverage_view,
    live_report,
    live_view,
    seconds_text,
    timeline_rows,
)
from reports.verdict import answer_claims

if TYPE_CHECKING:
    from checker.engine import CheckResult

_BREAKPOINT = re.compile(r"-->\s*statement-breakpoint.*$")
# Longer lists of findings open grouped by rule, each group collapsed but the errors.
GROUP_DEFAULT_ABOVE = 120
# The "Fix first" list at the top of the page: the change's errors, then its warnings.
FIX_FIRST_SHOWN = 15


def build_report_model(result: CheckResult, *, title: str = "", base_url: str = "") -> ReportModel:
    """Everything the HTML report shows, from one CheckResult. The parts a run may lack
    (no tables, no documented queries, no live run, no drift table) are None or empty."""
    findings = list(result.findings)
    files = dict(result.sources.files)
    metas = {code: rule.meta for code, rule in registry().items()}
    ran = live_report(result)
    known = set(findings)
    live_findings = ran.findings if ran is not None else ()
    all_findings = findings + [f for f in live_findings if f not in known]
    # Most severe first, then in file order: what a reader should look at first.
    all_findings.sort(key=lambda f: (-f.severity.rank, *f.sort_key()))
    # Judged against a base (--since, a baseline, or an extension on its base): the
    # change's findings are the list; the base's own are one line per rule below it.
    earlier = [f for f in all_findings if f.introduced is False]
    shown = [f for f in all_findings if f.introduced is not False]
    rows = _anchored(
        tuple(
            replace(_finding_row(f, files, metas), order=number) for number, f in enumerate(shown)
        )
    )
    if len(rows) > GROUP_DEFAULT_ABOVE:
        # Hundreds of notes would double the page: they keep their place and message,
        # their rule's documentation (linked) says what to do.
        rows = tuple(replace(r, compact=True) if r.severity == "info" else r for r in rows)
    urgent = [r for r in rows if r.severity in ("error", "warning")]
    earlier_rows = _anchored(tuple(_finding_row(f, files, metas) for f in earlier))
    coverage, coverage_note = coverage_view(result)
    live = live_view(result.live, files, result, all_findings)
    # where each table was created and last changed, and what the change did to it:
    # read once from the events, for the panels and the list of dropped tables
    history = table_history(result)
    panels = table_panels(result, files, rows + earlier_rows, history)
    layers = result.settings.layers
    verdict = answer_claims(
        all_findings,
        live_ran=ran is not None,
        queries_given=bool(result.settings.contract.queries),
        extension=bool(layers.extension or layers.proposal),
    )
    return ReportModel(
        title=title or "Schema compatibility report",
        version=__version__,
        subtitle=_subtitle(result),
        settings=_settings(result),
        verdict=verdict,
        family_counts=_family_counts(all_findings),
        catalog_counts=_catalog_counts(result),
        has_extension=bool(layers.extension or layers.proposal or result.change is not None),
        findings=rows,
        groups=_groups(rows),
        judged=any(f.introduced is not None for f in all_findings),
        pre_existing=_groups(earlier_rows),
        pre_existing_count=len(earlier_rows),
        grouped=len(rows) > GROUP_DEFAULT_ABOVE,
        filter_severities=tuple(
            (s.value, sum(1 for r in rows if r.severity == s.value)) for s in Severity
        ),
        filter_families=tuple(
            (fam, FAMILIES.get(fam, fam), sum(1 for r in rows if r.family == fam))
            for fam in sorted({r.family for r in rows})
        ),
        filter_layers=tuple(
            (layer, sum(1 for r in rows if r.layer == layer))
            for layer in sorted({r.layer for r in rows}, key=layer_order)
        ),
        graph=graph_view(result.graph, all_findings),
        closures=tuple(closure_views(result)),
        coverage=coverage,
        coverage_note=coverage_note,
        timeline=tuple(timeline_rows(result, all_findings)),
        live=live,
        timings=tuple((name, seconds_text(value)) for name, value in result.timings.items()),
        suppressed=result.suppressed,
        baseline=_baseline_facts(result.extra.get("baseline")),
        drift=result.drift(),
        provenance=_provenance(result),
        version_warning=version_warning(result.settings.postgres, live_server_version(result)),
        rule_docs=_rule_docs({f.code for f in all_findings}),
        tables=panels,
        objects=schema_objects(result),
        changed_tables=sum(1 for panel in panels if panel.changed),
        dropped_tables=tuple(dict.fromkeys(history.dropped.get("", ()))),
        common_folder=_common_folder(rows),
        base_url=base_url.rstrip("/"),
        fix_first=tuple(urgent[:FIX_FIRST_SHOWN]),
        fix_first_more=max(0, len(urgent) - FIX_FIRST_SHOWN),
    )


def _rule_docs(codes: Iterable[str]) -> tuple[RuleDoc, ...]:
    import textwrap

    from checker.rule import DOC_SECTIONS

    rules = registry()
    docs = []
    for code in sorted(codes):
        rule = rules.get(code)
        if rule is None:
            continue
        text = rule.docs()
        sections = tuple(
            (section, textwrap.dedent(text[section]).strip())
            for section in DOC_SECTIONS
            if text.get(section, "").strip()
        )
        meta = rule.meta
        docs.append(RuleDoc(code, meta.name, meta.severity.value, meta.summary, sections))
    return tuple(docs)


def _subtitle(result: CheckResult) -> str:
    layers = result.settings.layers
    parts = []
    for name, paths in (
        ("base", layers.base),
        ("extension", layers.extension),
        ("proposal", layers.proposal),
    ):
        if paths:
            shown = ", ".join(shown_path(str(p)) for p in paths)
            parts.append(f"{name}: {shown}")
    return " · ".join(parts)


def live_server_version(result: CheckResult) -> str:
    """The version of the server a live run really used ("" without one)."""
    ran = live_report(result)
    return ran.server_version if ran is not None else ""


def version_warning(target: int | str, server: str) -> str:
    """A sentence when the live server's major version is not the target's ("" if same)."""
    major = server.split(".")[0].split()[0] if server else ""
    if not major or major == str(target):
        return ""
    return (
        f"The live run used PostgreSQL {server}, not the target PostgreSQL {target}: what "
        f"the server accepted or planned may differ on {target}."
    )


def _settings(result: CheckResult) -> tuple[tuple[str, str], ...]:
    settings = result.settings
    contract = settings.contract
    server = live_server_version(result)
    items = [
        ("target PostgreSQL", f"{settings.postgres} (the static checks)"),
        ("server PostgreSQL", f"{server} (live run)" if server else "no live run"),
        ("runner", settings.runner.value if settings.runner else "from each folder's layout"),
        ("fail on", str(settings.fail_on.value)),
    ]
    if settings.path is not None:
        items.append(("config", shown_path(str(settings.path))))
    if contract.tenant_key:
        items.append(("tenant key", contract.tenant_key))
    if contract.prefix:
        items.append(("prefix", contract.prefix))
    items.append(("documented queries", str(len(contract.queries))))
    items.append(("delete intents", str(len(contract.deletes))))
    if result.rules_run:
        items.append(("rules run", str(len(result.rules_run))))
    return tuple(items)


def _family_counts(findings: Sequence[Finding]) -> tuple[tuple[str, str, int, int, int], ...]:
    rows = []
    for family, name in FAMILIES.items():
        mine = [f for f in findings if f.family == family]
        rows.append(
            (
                family,
                name,
                sum(1 for f in mine if f.severity is Severity.ERROR),
                sum(1 for f in mine if f.severity is Severity.WARNING),
                sum(1 for f in mine if f.severity is Severity.INFO),
            )
        )
    return tuple(rows)


def _catalog_counts(result: CheckResult) -> tuple[tuple[str, int, int], ...]:
    catalog = result.simulation.catalog

    def split(origins: Iterable[Origin]) -> tuple[int, int]:
        base = other = 0
        for origin in origins:
            if origin.file and origin.layer is not Layer.BASE:
                other += 1
            else:
                base += 1
        return base, other

    tables = list(catalog.tables.values())
    rows = [
        ("tables", *split(t.origin for t in tables)),
        ("columns", *split(c.origin for t in tables for c in t.columns)),
        ("foreign keys", *split(c.origin for t in tables for c in t.foreign_keys)),
        ("indexes", *split(i.origin for i in catalog.indexes.values())),
        ("enum types", *split(e.origin for e in catalog.enums.values())),
        ("statements", *_statement_split(result)),
    ]
    return tuple((name, base, other) for name, base, other in rows)


def _statement_split(result: CheckResult) -> tuple[int, int]:
    """``result.statement_count()`` (the count every output shows), by layer."""
    base = sum(1 for s in result.sources.statements if s.layer is Layer.BASE)
    return base, result.statement_count() - base


def _groups(rows: Sequence[FindingRow]) -> tuple[FindingGroup, ...]:
    """The findings by rule and severity (a rule's errors apart from its warnings):
    the most severe first, then the most frequent."""
    by_rule: dict[tuple[str, str], list[FindingRow]] = {}
    for row in rows:
        by_rule.setdefault((row.code, row.severity), []).append(row)
    ranks = {s.value: s.rank for s in Severity}
    groups = [
        FindingGroup(
            code=code,
            name=members[0].name,
            family=members[0].family,
            severity=severity,
            rows=tuple(members),
            example=members[0].message,
        )
        for (code, severity), members in by_rule.items()
    ]
    groups.sort(key=lambda g: (-ranks.get(g.severity, 0), -len(g.rows), g.code))
    return tuple(groups)


def _common_folder(rows: Sequence[FindingRow]) -> str:
    """The folder of most findings, when they are in more than one (else "": each row
    shows its folder)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.location:
            counts[row.folder] = counts.get(row.folder, 0) + 1
    if len(counts) < 2:
        return ""
    return max(sorted(counts), key=lambda folder: counts[folder])


def _anchored(rows: tuple[FindingRow, ...]) -> tuple[FindingRow, ...]:
    """Each row with a DOM id from its rule, place and message (not its position, so a
    link to a finding survives other findings coming and going); repeats are numbered."""
    seen: dict[str, int] = {}
    anchored = []
    for row in rows:
        key = "\x1f".join((row.code, row.location, row.message))
        anchor = "f-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        seen[anchor] = seen.get(anchor, 0) + 1
        if seen[anchor] > 1:
            anchor += f"-{seen[anchor]}"
        anchored.append(replace(row, anchor=anchor))
    return tuple(anchored)


def _finding_row(
    finding: Finding, files: Mapping[str, SourceFile], metas: Mapping[str, RuleMeta]
) -> FindingRow:
    meta = metas.get(finding.code)
    primary = finding.primary
    path, line, column, location, excerpt, file_name, folder = "", 0, 0, "", "", "", ""
    layer = "none"
    if primary is not None:
        pos = position(primary, files)
        path, line, column = pos.path, pos.line, pos.column
        location = pos.place
        folder, _, name = pos.path.replace("\\", "/").rpartition("/")
        file_name = f"{name}:{pos.line}:{pos.column}"
        folder = f"{folder}/" if folder else ""
        source = files.get(primary.file)
        if source is not None:
            excerpt = _BREAKPOINT.sub("", source.line_text(pos.line)).strip()[:240]
        if primary.layer is not None:
            layer = primary.layer.value
    related = []
    for loc in finding.locations[1:]:
        rel = position(loc, files)
        label = f" ({loc.label})" if loc.label else ""
        related.append(f"{rel.place}{label}")
    return FindingRow(
        code=finding.code,
        name=meta.name if meta else "",
        family=finding.family,
        family_name=FAMILIES.get(finding.family, finding.family),
        severity=finding.severity.value,
        layer=layer,
        path=path,
        line=line,
        column=column,
        location=location,
        file_name=file_name,
        folder=folder,
        excerpt=excerpt,
        message=finding.message,
        details=finding.details,
        fix=str(finding.fix) if finding.fix else "",
        related=tuple(related),
        objects=finding.objects,
        fix_title=finding.fix.title if finding.fix else "",
        fix_sql="\n".join(finding.fix.statements) if finding.fix else "",
    )


def _baseline_facts(baseline: object) -> tuple[tuple[str, str], ...]:
    """What the CLI's ``--baseline`` left in ``result.extra``: its path and the counts
    of findings it accepted, new ones and resolved ones."""
    if not isinstance(baseline, Mapping):
        return ()
    return tuple(
        (key, str(baseline[key]))
        for key in ("path", "accepted", "new", "resolved")
        if baseline.get(key) is not None
    )


def _provenance(result: CheckResult) -> str:
    from checker.engine import layer_inputs
    from checker.provenance import input_commit

    paths = [given for given, _layer in layer_inputs(result.settings) if isinstance(given, Path)]
    found = input_commit(paths)
    return found.describe() if found is not None else ""
