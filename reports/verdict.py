"""The verdict: the design's claims, each answered from the findings of its rule family.

Shared by the HTML and markdown reports. It only counts findings; which
finding belongs to which claim is decided by the rule family alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checker.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Claim:
    key: str
    claim: str  # what a design document typically asserts, in a few words
    question: str  # what schema-check actually checked
    families: tuple[str, ...]  # rule families whose findings answer it; () = every family


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "compatible",
        "fully compatible",
        "Does the extension apply on the base with no errors?",
        (),
    ),
    Claim(
        "naming",
        "no naming conflicts (tables, indexes, enums)",
        "Do the extension's names collide with the base, or break PostgreSQL's naming limits?",
        ("NC",),
    ),
    Claim(
        "foreign-keys",
        "foreign keys point at stable entities, cascades as intended",
        "Do the foreign keys and ON DELETE actions do what the contract says?",
        ("FK",),
    ),
    Claim(
        "indexing",
        "proper indexing for the expected query patterns",
        "Is every documented query served by an index, without redundant ones?",
        ("IX",),
    ),
    Claim(
        "migrations",
        "zero breaking changes; migration safe",
        "Are the migrations additive, ordered, journaled and safe to run?",
        ("MG",),
    ),
    Claim(
        "live",
        "works on a real server",
        "Do the statements run on a live PostgreSQL + pgvector, as the static model predicts?",
        ("LV",),
    ),
    Claim(
        "analysis",
        "(schema-check's own coverage)",
        "Did schema-check parse and analyse every statement?",
        ("PS",),
    ),
)


@dataclass(frozen=True, slots=True)
class ClaimAnswer:
    claim: Claim
    answer: str  # "No" | "Partly" | "Yes" | "Not verified"
    status: str  # fail | warn | pass | unknown (a CSS class)
    errors: int
    warnings: int
    infos: int
    codes: tuple[str, ...]  # codes found, most frequent first

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos

    def counts_text(self) -> str:
        parts = [
            _plural(self.errors, "error"),
            _plural(self.warnings, "warning"),
            _plural(self.infos, "note"),
        ]
        return ", ".join(part for part in parts if not part.startswith("0 ")) or "no findings"


@dataclass(frozen=True, slots=True)
class Verdict:
    headline: str
    status: str  # fail | warn | pass
    answers: tuple[ClaimAnswer, ...]
    errors: int
    warnings: int
    infos: int


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def answer_claims(
    findings: Sequence[Finding],
    *,
    live_ran: bool,
    queries_given: bool = True,
    extension: bool = True,
) -> Verdict:
    """Answer every claim from the findings, and only what was checked: live claims are
    "Not verified" without a live run, the indexing claim without documented queries,
    and without an extension the headline speaks of the schema, not of compatibility."""
    answers = []
    for claim in CLAIMS:
        mine = [f for f in findings if not claim.families or f.family in claim.families]
        errors = sum(1 for f in mine if f.severity is Severity.ERROR)
        warnings = sum(1 for f in mine if f.severity is Severity.WARNING)
        infos = len(mine) - errors - warnings
        frequency: dict[str, int] = {}
        for finding in mine:
            frequency[finding.code] = frequency.get(finding.code, 0) + 1
        codes = tuple(sorted(frequency, key=lambda c: (-frequency[c], c)))
        if claim.key == "live" and not live_ran and not mine:
            answer, status = "Not verified", "unknown"
        elif claim.key == "indexing" and not queries_given and not errors:
            answer, status = "Not checked: no documented queries", "unknown"
        elif errors:
            answer, status = "No", "fail"
        elif warnings:
            answer, status = "Partly", "warn"
        else:
            answer, status = "Yes", "pass"
        answers.append(ClaimAnswer(claim, answer, status, errors, warnings, infos, codes))
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    infos = len(findings) - errors - warnings
    counts = ", ".join(
        [_plural(errors, "error"), _plural(warnings, "warning"), _plural(infos, "note")]
    )
    if not extension:
        if errors:
            headline, status = f"Errors found: {counts}", "fail"
        elif warnings:
            headline, status = f"No errors, with warnings: {counts}", "warn"
        else:
            headline, status = f"Clean: {counts}", "pass"
    elif errors:
        headline, status = f"Not compatible as designed: {counts}", "fail"
    elif warnings:
        headline, status = f"Compatible, with reservations: {counts}", "warn"
    else:
        headline, status = f"Compatible: {counts}", "pass"
    return Verdict(headline, status, tuple(answers), errors, warnings, infos)
