"""A markdown summary for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment.

Text from the schema (identifiers, messages) is escaped so it renders as
text: GitHub sanitises HTML, but a ``|`` or a ``<tag>`` would still break the
table or vanish. The output is capped below GitHub's comment size limit.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from checker.baseline import BaselineEntry
from checker.drift_table import DriftTable
from checker.findings import Finding, Severity
from checker.invisible import reveal
from checker.model import SourceFile
from checker.rule import FAMILIES, RuleMeta
from reports.common import position
from reports.verdict import answer_claims

if TYPE_CHECKING:
    from typing import TextIO

    from reports.output import Report

# GitHub keeps at most 1 MiB of a step's summary ($GITHUB_STEP_SUMMARY); stay clearly
# under it (counted in UTF-8 bytes), cutting between findings, never inside one.
MAX_CHARS = 1_000_000
_ICONS = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟠 warning", Severity.INFO: "🔵 info"}
_ANSWER_ICONS = {"fail": "❌", "warn": "⚠️", "pass": "✅", "unknown": "➖"}
_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "*": "\\*",
        "_": "\\_",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "\n": " ",
        "\r": " ",
    }
)


def escape(text: str) -> str:
    """Text safe inside a markdown table cell, hidden characters written as ``<U+XXXX>``."""
    return reveal(text, keep="\n\r\t").translate(_SPECIAL)


def _code_span(text: str) -> str:
    """An inline code span that survives backticks and pipes in the text."""
    text = reveal(text, keep="\n\r\t").replace("\n", " ").replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _html_code(text: str) -> str:
    """SQL as an HTML code element: readable, and no markdown or HTML inside it is live."""
    return "<code>" + html.escape(" ".join(reveal(text).split())).replace("|", "\\|") + "</code>"


def render_markdown(
    findings: Sequence[Finding],
    files: Mapping[str, SourceFile],
    metas: Mapping[str, RuleMeta],
    *,
    title: str = "schema-check",
    live_ran: bool = False,
    suppressed: int = 0,
    baselined: int = 0,
    fixed: Sequence[BaselineEntry] = (),
    max_chars: int = MAX_CHARS,
    queries_given: bool = True,
    extension: bool = True,
    drift: DriftTable | None = None,
) -> str:
    """The summary: verdict, claims, counts by family and severity, then the findings table.

    ``baselined``: findings the baseline accepted (already removed from
    ``findings``); ``fixed``: baseline entries that no longer occur.
    """
    verdict = answer_claims(
        findings, live_ran=live_ran, queries_given=queries_given, extension=extension
    )
    icon = _ANSWER_ICONS[verdict.status]
    out = [f"## {escape(title)}: {icon} {verdict.headline}", ""]
    notes = []
    if baselined:
        notes.append(f"{baselined} accepted by the baseline")
    if fixed:
        notes.append(f"{sum(e.count for e in fixed)} baseline entries no longer occur")
    if suppressed:
        notes.append(f"{suppressed} suppressed by comments")
    if notes:
        out += ["_" + "; ".join(notes) + "_", ""]
    out += [f"| {'claim' if extension else 'question'} | answer | findings |", "|---|---|---|"]
    for answer in verdict.answers:
        codes = ", ".join(answer.codes[:6]) + (" …" if len(answer.codes) > 6 else "")
        detail = answer.counts_text() + (f" ({codes})" if codes else "")
        asked = answer.claim.claim if extension else answer.question
        out.append(
            f"| {escape(asked)} | {_ANSWER_ICONS[answer.status]} {answer.answer} | {detail} |"
        )
    out.append("")
    if findings:
        out += _family_table(findings)
    if drift is not None and drift.rows:  # before the findings: the cap cuts those
        out += _drift_table(drift)
    out += _findings_table(findings, files, metas)
    if fixed:
        out += ["", "<details><summary>Baseline entries that no longer occur</summary>", ""]
        out += ["| code | file | message |", "|---|---|---|"]
        for entry in fixed:
            out.append(f"| {entry.code} | {escape(entry.file)} | {escape(entry.message)} |")
        out += ["", "</details>"]
    text = "\n".join(out) + "\n"
    return _cap(text, max_chars)


def _family_table(findings: Sequence[Finding]) -> list[str]:
    rows = ["| family | errors | warnings | info |", "|---|---:|---:|---:|"]
    for family in sorted({f.family for f in findings}):
        mine = [f for f in findings if f.family == family]
        counts = [sum(1 for f in mine if f.severity is s) for s in Severity]
        name = FAMILIES.get(family, family)
        rows.append(f"| {family} {escape(name)} | " + " | ".join(map(str, counts)) + " |")
    return [*rows, ""]


def _findings_table(
    findings: Sequence[Finding], files: Mapping[str, SourceFile], metas: Mapping[str, RuleMeta]
) -> list[str]:
    if not findings:
        return ["No findings."]
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.sort_key()))
    rows = [
        "<details open><summary>Findings</summary>",
        "",
        "| severity | rule | location | message |",
        "|---|---|---|---|",
    ]
    for finding in ordered:
        meta = metas.get(finding.code)
        rule = f"{finding.code} {meta.name}" if meta else finding.code
        where = ""
        if finding.primary is not None:
            pos = position(finding.primary, files)
            where = _code_span(pos.place)
        message = escape(finding.message)
        if finding.fix:
            message += "<br>fix: " + _html_code(str(finding.fix))
        rows.append(f"| {_ICONS[finding.severity]} | {rule} | {where} | {message} |")
    return [*rows, "", "</details>"]


def _drift_table(drift: DriftTable) -> list[str]:
    """One row per drifted object: its state in each source (ORM, snapshot, migrations, live)."""
    count = len(drift.rows)
    rows = [
        f"<details open><summary>Drift: {count} object{' differs' if count == 1 else 's differ'}"
        "</summary>",
        "",
        "| object | " + " | ".join(escape(source) for source in drift.sources) + " |",
        "|---|" + "---|" * len(drift.sources),
    ]
    for row in drift.rows:
        cells = [escape(row.subject), *(escape(state) for state in row.states)]
        rows.append("| " + " | ".join(cells) + " |")
    return [*rows, "", "</details>", ""]


def _cap(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    cut = encoded.rfind(b"\n", 0, max_bytes - 400)
    kept = encoded[: cut if cut > 0 else 0].decode("utf-8", "ignore")
    dropped = text[len(kept) :].count("\n| ")
    return (
        kept + f"\n\n_… {dropped} more findings left out to stay under GitHub's 1 MiB summary "
        "limit; see the full report (HTML, SARIF or JSON)._\n\n</details>\n"
    )


def write(report: Report, stream: TextIO) -> None:
    """The step summary: the change's headline, the verdict, its findings, the rest folded."""
    result = report.result
    layers = result.settings.layers
    text = render_markdown(
        report.shown,
        report.files,
        report.metas,
        live_ran=result.live_ran,
        suppressed=result.suppressed,
        baselined=report.baselined,
        fixed=report.fixed,
        queries_given=bool(result.settings.contract.queries),
        extension=bool(layers.extension or layers.proposal),
        drift=result.drift(),
    )
    headline, collapsed = report.headline, report.collapsed
    stream.write(f"**{headline}**\n\n" if headline else "")
    stream.write(text + (f"\n{collapsed}\n" if collapsed else ""))
