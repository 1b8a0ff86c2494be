"""SARIF 2.1.0 output for code-scanning tools (GitHub code scanning and the like).

Every registered rule is described in ``tool.driver.rules`` with its help from
its docstring; each result carries a ``partialFingerprints`` entry (the
baseline fingerprint, which survives line shifts). Deterministic: no
timestamps, no absolute paths below the working directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from checker import __version__
from checker.baseline import fingerprint
from checker.findings import Finding, Fix, Location, Severity
from checker.model import SourceFile
from checker.rule import DOC_SECTIONS, FAMILIES, Rule
from reports.common import position
from reports.rule_docs import rule_help_markdown

if TYPE_CHECKING:
    from typing import TextIO

    from reports.output import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "schemaCheck/v1"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def artifact_uri(path: str) -> str:
    """A SARIF URI: relative paths stay relative (POSIX separators), others become file: URIs;
    a database input's URL (its password already left out) stays the URL it is."""
    if _URL.match(path):
        return path
    if "\\" in path and PureWindowsPath(path).is_absolute():
        return PureWindowsPath(path).as_uri()
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return posix.as_uri()
    return "/".join(_quote(part) for part in posix.parts)


def _quote(part: str) -> str:
    from urllib.parse import quote

    return quote(part, safe="!$&'()*+,;=:@-._~")


def _help_text(rule: type[Rule]) -> str:
    docs = rule.docs()
    blocks = [docs.get("Summary", "").strip()]
    for section in DOC_SECTIONS:
        body = docs.get(section, "").strip()
        if body:
            blocks.append(f"{section}:\n{body}")
    return "\n\n".join(block for block in blocks if block)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip()


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    meta = rule.meta
    docs = rule.docs()
    what = " ".join(docs.get("What it does", "").split()) or meta.summary
    descriptor: dict[str, Any] = {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": what},
        "help": {"text": _help_text(rule), "markdown": rule_help_markdown(rule)},
        "defaultConfiguration": {"level": _LEVELS[meta.severity]},
        "properties": {
            "tags": ["postgresql", "schema", FAMILIES.get(meta.family, meta.family)],
            "family": meta.family,
            "since": meta.since,
        },
    }
    references = [
        line.strip()
        for line in docs.get("References", "").splitlines()
        if line.strip().startswith(("http://", "https://"))
    ]
    if references:
        descriptor["helpUri"] = references[0]
    return descriptor


def _physical(location: Location, files: Mapping[str, SourceFile]) -> dict[str, Any]:
    pos = position(location, files)
    region: dict[str, Any] = {"startLine": pos.line, "startColumn": pos.column}
    if (pos.end_line, pos.end_column) > (pos.line, pos.column):
        region["endLine"] = pos.end_line
        region["endColumn"] = pos.end_column
    return {
        "artifactLocation": {"uri": artifact_uri(pos.path), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }


def _fix(fix: Fix, files: Mapping[str, SourceFile]) -> dict[str, Any]:
    """A SARIF fix: each edit a replacement of a region (its start and end as line:column)."""
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        start = position(Location(edit.file, edit.start, edit.start), files)
        end = position(Location(edit.file, edit.end, edit.end), files)
        changes.setdefault(edit.file, []).append(
            {
                "deletedRegion": {
                    "startLine": start.line,
                    "startColumn": start.column,
                    "endLine": end.line,
                    "endColumn": end.column,
                },
                "insertedContent": {"text": edit.text},
            }
        )
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {
                "artifactLocation": {
                    "uri": artifact_uri(position(Location(path, 0, 0), files).path),
                    "uriBaseId": "%SRCROOT%",
                },
                "replacements": replacements,
            }
            for path, replacements in changes.items()
        ],
    }


def _result(
    finding: Finding,
    files: Mapping[str, SourceFile],
    rule_index: Mapping[str, int],
) -> dict[str, Any]:
    text = finding.message
    if finding.details:
        text += "\n" + "\n".join(finding.details)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
    }
    if finding.introduced is not None:  # judged against a base: new, or already there
        result["baselineState"] = "new" if finding.introduced else "unchanged"
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if finding.primary is not None:
        result["locations"] = [{"physicalLocation": _physical(finding.primary, files)}]
    related = []
    for number, location in enumerate(finding.locations[1:], start=1):
        entry: dict[str, Any] = {"id": number, "physicalLocation": _physical(location, files)}
        if location.label:
            entry["message"] = {"text": location.label}
        related.append(entry)
    if related:
        result["relatedLocations"] = related
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(finding, files)}
    properties: dict[str, Any] = {}
    if finding.objects:
        properties["objects"] = list(finding.objects)
    if finding.fix:
        properties["fix"] = str(finding.fix)
        if finding.fix.edits:
            result["fixes"] = [_fix(finding.fix, files)]
    if finding.primary is not None and finding.primary.layer is not None:
        properties["layer"] = finding.primary.layer.value
    if properties:
        result["properties"] = properties
    return result


def render_sarif(
    findings: Sequence[Finding],
    files: Mapping[str, SourceFile],
    rules: Mapping[str, type[Rule]],
) -> str:
    """The SARIF log of one run; ``rules`` is ``checker.rule.registry()``."""
    ordered_rules = sorted(rules.values(), key=lambda r: r.meta.code)
    rule_index = {rule.meta.code: index for index, rule in enumerate(ordered_rules)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "schema-check",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(rule) for rule in ordered_rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {
                    "%SRCROOT%": {"description": {"text": "The directory schema-check ran in."}}
                },
                "results": [_result(f, files, rule_index) for f in findings],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def write(report: Report, stream: TextIO) -> None:
    """SARIF 2.1.0 over every registered rule (the CLI loads them all first)."""
    from checker.rule import registry

    stream.write(render_sarif(report.findings, report.files, registry()))
