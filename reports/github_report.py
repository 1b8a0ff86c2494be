"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding.

The runner turns each line into an annotation on the pull request diff. The
escaping follows the runner's rules: ``%``, CR and LF in the message, and
additionally ``:`` and ``,`` in property values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from checker.findings import Finding, Severity
from checker.invisible import reveal
from checker.model import SourceFile
from checker.rule import RuleMeta
from reports.common import position

if TYPE_CHECKING:
    from typing import TextIO

    from reports.output import Report

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def running_in_github_actions(environ: Mapping[str, str]) -> bool:
    """True inside a GitHub Actions job (the runner sets GITHUB_ACTIONS=true)."""
    return environ.get("GITHUB_ACTIONS", "").lower() == "true"


def escape_data(text: str) -> str:
    """Hidden characters written as ``<U+XXXX>`` (an annotation must not reorder itself),
    then the runner's own escapes."""
    return reveal(text, keep="\n\r\t").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, files: Mapping[str, SourceFile]) -> str:
    """The workflow command for one finding."""
    properties: list[tuple[str, str]] = []
    if finding.primary is not None:
        pos = position(finding.primary, files)
        properties += [("file", pos.path), ("line", str(pos.line))]
        if pos.end_line != pos.line:
            properties.append(("endLine", str(pos.end_line)))
        properties.append(("col", str(pos.column)))
        if pos.end_line == pos.line and pos.end_column > pos.column:
            properties.append(("endColumn", str(pos.end_column)))
    properties.append(("title", finding.code))
    lines = [finding.message, *finding.details]
    for related in finding.locations[1:]:
        rel = position(related, files)
        label = f" ({related.label})" if related.label else ""
        lines.append(f"see {rel.place}{label}")
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMANDS[finding.severity]} {props}::{escape_data(chr(10).join(lines))}"


def render_github(
    findings: Sequence[Finding],
    files: Mapping[str, SourceFile],
    metas: Mapping[str, RuleMeta] | None = None,
) -> str:
    """Annotations, the change's own first, most severe first: the runner shows only the
    first 10 of each level per step."""
    ordered = sorted(
        findings, key=lambda f: (f.introduced is False, -f.severity.rank, f.sort_key())
    )
    lines = [annotation(finding, files) for finding in ordered]
    return "".join(line + "\n" for line in lines)


def write(report: Report, stream: TextIO) -> None:
    """Annotations, the change's first, then one notice that sums up the run."""
    shown = report.shown
    stream.write(render_github(shown, report.files, report.metas))
    summary = " ".join(part for part in (report.headline, report.collapsed) if part)
    tally = ", ".join(
        f"{sum(1 for f in shown if f.severity is severity)} {severity.value}"
        for severity in Severity
    )
    stream.write(f"::notice title=schema-check::{escape_data(summary or tally)}\n")
