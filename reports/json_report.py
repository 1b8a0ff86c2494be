"""Versioned JSON output (schema documented in docs/json-format.md); deterministic."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from checker import __version__
from checker.drift_table import DriftTable
from checker.findings import Finding, Location, Severity
from checker.model import SourceFile
from checker.rule import RuleMeta
from reports.common import span

if TYPE_CHECKING:
    from typing import TextIO

    from reports.output import Report

JSON_SCHEMA_VERSION = 2


def _location(location: Location, files: Mapping[str, SourceFile], cwd: str) -> dict[str, Any]:
    path, line, column, end_line, end_column = span(location, files, cwd)
    data: dict[str, Any] = {
        "file": path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
    }
    if location.layer is not None:
        data["layer"] = location.layer.value
    if location.label:
        data["label"] = location.label
    return data


def finding_to_dict(
    finding: Finding,
    files: Mapping[str, SourceFile],
    metas: Mapping[str, RuleMeta],
    cwd: str | None = None,
) -> dict[str, Any]:
    cwd = os.getcwd() if cwd is None else cwd
    meta = metas.get(finding.code)
    return {
        "code": finding.code,
        "name": meta.name if meta else None,
        "family": finding.family,
        "severity": finding.severity.value,
        "introduced": finding.introduced,
        "message": finding.message,
        "location": _location(finding.primary, files, cwd) if finding.primary else None,
        "related": [_location(loc, files, cwd) for loc in finding.locations[1:]],
        "objects": list(finding.objects),
        "fix": str(finding.fix) if finding.fix else None,
        **(_fix_parts(finding, files, cwd) if finding.fix and finding.fix.structured else {}),
        "details": list(finding.details),
    }


def _fix_parts(finding: Finding, files: Mapping[str, SourceFile], cwd: str) -> dict[str, Any]:
    """A structured fix: its title, its statements, and its edits as line:column spans."""
    assert finding.fix is not None
    edits = []
    for edit in finding.fix.edits:
        path, line, column, _, _ = span(Location(edit.file, edit.start, edit.start), files, cwd)
        _, end_line, end_column, _, _ = span(Location(edit.file, edit.end, edit.end), files, cwd)
        edits.append(
            {
                "file": path,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "text": edit.text,
            }
        )
    return {
        "fix_title": finding.fix.title,
        "fix_statements": list(finding.fix.statements),
        "fix_edits": edits,
    }


def drift_to_dict(drift: DriftTable) -> dict[str, Any]:
    """The drift section: the sources compared, then one row per drifted object."""
    return {
        "sources": list(drift.sources),
        "rows": [
            {
                "aspect": row.aspect.value,
                "subject": row.subject,
                "objects": list(row.objects),
                "states": dict(zip(drift.sources, row.states, strict=True)),
            }
            for row in drift.rows
        ],
    }


def render_json(
    findings: Sequence[Finding],
    files: Mapping[str, SourceFile],
    metas: Mapping[str, RuleMeta],
    *,
    counts: Mapping[str, int] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    cwd = os.getcwd()  # once: every location is shown relative to it
    summary: dict[str, int] = {severity.value: 0 for severity in Severity}
    for finding in findings:
        summary[finding.severity.value] += 1
    if any(f.introduced is not None for f in findings):
        summary["introduced"] = sum(1 for f in findings if f.introduced)
        summary["pre_existing"] = sum(1 for f in findings if f.introduced is False)
    document: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "schema-check", "version": __version__},
        "summary": {"total": len(findings), **summary},
        "findings": [finding_to_dict(f, files, metas, cwd) for f in findings],
    }
    if counts is not None:
        document["catalog"] = dict(counts)
    if extra:
        document.update(extra)
    return _layout(document)


def _layout(document: Mapping[str, Any]) -> str:
    """The document with one key per line and one finding (or drift row, or any other
    object in a list) per line: readable, greppable, line-diffable, and written by the
    json module's C encoder (an indented dump goes through its pure-Python encoder,
    which took most of a warm run's rendering time on a history's thousand findings)."""
    return _expanded(document, "") + "\n"


def _expanded(value: object, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        items = ",\n".join(inner + _compact(item) for item in value)
        return f"[\n{items}\n{indent}]"
    if isinstance(value, dict) and (
        not indent or any(isinstance(v, list) and v for v in value.values())
    ):
        keys = ",\n".join(
            f"{inner}{_ENCODER.encode(key)}: {_expanded(item, inner)}"
            for key, item in value.items()
        )
        return f"{{\n{keys}\n{indent}}}"
    return _compact(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps builds one per call


def _compact(value: object) -> str:
    return _ENCODER.encode(value)


def write(report: Report, stream: TextIO) -> None:
    """The JSON document (format 2): findings with ``introduced``, the live run, the
    change, the baseline and the drift table when the run had them."""
    from reports.common import display_path

    result = report.result
    extra: dict[str, Any] = {}
    from checker.engine import LiveUnavailable

    live = result.live
    if isinstance(live, LiveUnavailable):
        extra["live"] = {"error": live.error, "backend": live.backend}
    elif live is not None:
        from checker.live.verify import describe

        extra["live"] = describe(live)
    if result.change is not None:
        change = result.change
        extra["change"] = {
            "form": change.form,
            "description": change.description,
            "files": [display_path(path) for path in change.files],
            "introduced": change.introduced,
            "pre_existing": change.pre_existing,
            "resolved": change.resolved,
        }
    if "baseline" in result.extra:
        extra["baseline"] = result.extra["baseline"]
    drift = result.drift()
    if drift is not None:
        extra["drift"] = drift_to_dict(drift)
    stream.write(
        render_json(
            report.findings, report.files, report.metas, counts=result.catalog_counts(), extra=extra
        )
    )
