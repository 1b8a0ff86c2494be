"""Terminal output: findings grouped by file with a source excerpt and a caret.

Hidden characters (bidi controls, zero-width) are written as ``<U+XXXX>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from checker.drift_table import DriftTable
from checker.findings import Finding, Severity
from checker.invisible import reveal
from checker.model import SourceFile
from reports.common import display_path, position

if TYPE_CHECKING:
    from typing import TextIO

    from reports.output import Report

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render_text(
    findings: Sequence[Finding],
    files: Mapping[str, SourceFile],
    *,
    colour: bool = False,
    statements: int | None = None,
    suppressed: int = 0,
) -> str:
    lines: list[str] = []
    current_file: str | None = None
    for finding in findings:
        primary = finding.primary
        file = primary.file if primary else ""
        if file != current_file:
            if current_file is not None:
                lines.append("")
            lines.append(_paint(display_path(file) or "(no file)", "1;4", colour))
            current_file = file
        if primary is None:
            head = f"{finding.code} {finding.severity.value} {reveal(finding.message)}"
            lines.append(_paint(finding.code, _COLOURS[finding.severity], colour) + head[5:])
            continue
        pos = position(primary, files)
        severity = _paint(finding.severity.value, _COLOURS[finding.severity], colour)
        lines.append(
            f"{reveal(pos.path)}:{pos.line}:{pos.column} {finding.code} {severity} "
            f"{reveal(finding.message)}"
        )
        source = files.get(primary.file)
        if source is not None:
            raw = source.line_text(pos.line)
            # Hidden characters are written out (<U+202E>) so no line reorders the next.
            excerpt = reveal(raw, keep="\t")
            if excerpt.strip():
                gutter = f"{pos.line:>5} | "
                lines.append(gutter + excerpt)
                offset = len(reveal(raw[: pos.column - 1], keep="\t"))
                width = pos.end_column - pos.column if pos.end_line == pos.line else 1
                caret = " " * (len(gutter) - 2) + "| " + " " * offset
                lines.append(
                    caret + _paint("^" * max(1, min(width, 80)), _COLOURS[finding.severity], colour)
                )
        for detail in finding.details:
            if detail not in finding.message:  # already read once in the message line
                lines.append(f"      {reveal(detail)}")
        for related in finding.locations[1:]:
            rel = position(related, files)
            label = f" ({related.label})" if related.label else ""
            lines.append(f"      see {reveal(rel.place)}{reveal(label)}")
        if finding.fix:
            lines.append(_paint(f"      help: {reveal(str(finding.fix))}", "2", colour))
    if findings:
        lines.append("")
    lines.append(summary_line(findings, statements=statements, suppressed=suppressed))
    return "\n".join(lines) + "\n"


def summary_line(
    findings: Sequence[Finding], *, statements: int | None = None, suppressed: int = 0
) -> str:
    counts = {severity: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity] += 1
    parts = [f"{counts[s]} {s.value}{'' if counts[s] == 1 else 's'}" for s in Severity]
    text = f"{len(findings)} finding{'' if len(findings) == 1 else 's'} ({', '.join(parts)})"
    if statements is not None:
        text += f" in {statements} statements"
    if suppressed:
        text += f"; {suppressed} suppressed"
    return text


_CELL = 40  # a long default or check expression is cut here; the finding has it whole


def _cell(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def render_drift(drift: DriftTable) -> str:
    """The drift section: one row per drifted object, its state in each source."""
    count = len(drift.rows)
    sources = " | ".join(drift.sources)
    lines = [f"drift: {count} object{' differs' if count == 1 else 's differ'} ({sources})"]
    table = [["object", *drift.sources]]
    table += [[row.subject, *map(_cell, row.states)] for row in drift.rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines) + "\n"


def write(report: Report, stream: TextIO) -> None:
    """The terminal report: findings, drift, the live run, the folded base, the change's
    headline, the baseline's counts and, with --statistics, the count per rule."""
    from reports.output import live_summary

    result = report.result
    stream.write(
        render_text(
            report.shown,
            report.files,
            colour=report.colour,
            statements=result.statement_count(),
            suppressed=result.suppressed,
        )
    )
    drift = result.drift()
    if drift is not None and drift.rows:
        stream.write(render_drift(drift))
    if report.live is not None:
        stream.write(live_summary(report.live))
    if report.collapsed:
        stream.write(report.collapsed + "\n")
    if report.headline:
        stream.write(report.headline + "\n")
    if report.baselined or report.fixed:
        stream.write(
            f"baseline: {report.baselined} findings accepted, {len(report.fixed)} no longer occur\n"
        )
    if report.statistics:
        counts: dict[str, int] = {}
        for finding in report.findings:
            counts[finding.code] = counts.get(finding.code, 0) + 1
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            meta = report.metas.get(code)
            stream.write(f"{count:>6}  {code}  {meta.name if meta else ''}\n")
