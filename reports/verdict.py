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
    extension_only: bool = False  # a claim about an extension: not asked without one
    base_question: str = ""  # the question without an extension, when it differs
    codes: frozenset[str] = frozenset()  # errors of these codes answer it too

    def asked(self, extension: bool) -> str:
        return self.question if extension or not self.base_question else self.base_question


# Errors that say the server rejects a statement (or would): whatever their family, a
# migration with one of them is not safe to run.
STATEMENT_FAILURES = frozenset(
    {
        "PS001",  # does not parse
        "NC101",  # relation already exists
        "NC102",  # type already exists
        "NC103",  # constraint name already taken
        "FK203",  # no unique constraint matching the referenced columns
        "IX305",  # functions in an index must be IMMUTABLE
        "IX306",  # unique key without the partition key
        "FN708",  # a trigger's function must return trigger
        "MG406",  # relation does not exist (yet)
        "MG407",  # cannot run inside a transaction block
        "MG411",  # NOT NULL column without a default on a table with rows
        "LV501",  # failed on the live server
        "LV507",  # fails once tables hold rows
        "LV508",  # the server lacks the extension
    }
)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "compatible",
        "fully compatible",
        "Does the extension apply on the base with no errors?",
        (),
        extension_only=True,
    ),
    Claim(
        "naming",
        "no naming conflicts (tables, indexes, enums)",
        "Do the extension's names collide with the base, or break PostgreSQL's naming limits?",
        ("NC",),
        base_question="Do the schema's names collide, hide characters, or break PostgreSQL's "
        "naming limits?",
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
        base_question="Are the migrations ordered, journaled and safe to run, every statement "
        "accepted by the server?",
        codes=STATEMENT_FAILURES,
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
    answer: str  # "No" | "Partly" | "Yes" | "Not checked…"
    status: str  # fail | warn | pass | unknown (a CSS class)
    errors: int
    warnings: int
    infos: int
    codes: tuple[str, ...]  # codes found, most frequent first
    question: str = ""  # what was asked in this run (the claim's question, or its base form)

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
    extension: bool = True  # the claims are a design's (an extension or a proposal was given)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def answer_claims(
    findings: Sequence[Finding],
    *,
    live_ran: bool,
    queries_given: bool = True,
    extension: bool = True,
) -> Verdict:
    """Answer each claim from what really ran: Yes / Partly / No from the findings,
    "Not checked" when the check behind it did not run (no live server, no documented
    query). Any statement the server rejects, statically predicted or seen live, answers
    "migration safe" No; a statement schema-check could not analyse makes its own
    coverage Partly. Without an extension (or a proposal) the claims about one are not
    asked, and the headline speaks of the schema, not of compatibility."""
    answers = []
    for claim in CLAIMS:
        if claim.extension_only and not extension:
            continue
        mine = [
            f
            for f in findings
            if not claim.families
            or f.family in claim.families
            or (f.code in claim.codes and f.severity is Severity.ERROR)
        ]
        errors = sum(1 for f in mine if f.severity is Severity.ERROR)
        warnings = sum(1 for f in mine if f.severity is Severity.WARNING)
        infos = len(mine) - errors - warnings
        frequency: dict[str, int] = {}
        for finding in mine:
            frequency[finding.code] = frequency.get(finding.code, 0) + 1
        codes = tuple(sorted(frequency, key=lambda c: (-frequency[c], c)))
        if claim.key == "live" and not live_ran and not mine:
            answer, status = "Not checked: no live run", "unknown"
        elif claim.key == "indexing" and not queries_given:
            answer, status = "Not checked: no documented queries", "unknown"
        elif errors:
            answer, status = "No", "fail"
        elif warnings or (claim.key == "analysis" and infos):
            answer, status = "Partly", "warn"
        else:
            answer, status = "Yes", "pass"
        answers.append(
            ClaimAnswer(
                claim, answer, status, errors, warnings, infos, codes, claim.asked(extension)
            )
        )
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
    return Verdict(headline, status, tuple(answers), errors, warnings, infos, extension)
