"""PS004: a suppression comment that silences nothing."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class UnusedSuppressionRule(Rule):
    """A ``-- schema-check: ignore[...]`` comment lists a code that reports nothing there.

    What it does:
        After every rule has run, the engine checks each suppression comment:
        a code (or family) it lists that silenced no finding in the
        statement (or file, for ``ignore-file``) it covers is reported at
        that code, and a bare ``ignore`` that silenced nothing is reported at
        the comment. A code is only judged when its rules ran: with
        ``--select`` or a config that leaves a rule out, its suppressions are
        left alone.

    Why it matters:
        A suppression outlives the finding it was written for: the statement
        is fixed, or the rule became more precise, and the comment stays,
        ready to hide the next real finding of that rule in the same
        statement without anyone deciding so. Reporting unused suppressions
        keeps every one of them a decision that still holds.

    Example:
        -- a comment whose rule reports nothing in its statement; the engine, not
        -- this rule's own check, reports it, so the example is not run alone:
        -- CREATE TABLE t (id int PRIMARY KEY); -- schema-check: ignore[FK204]

    Use instead:
        -- delete the comment, or the codes in it that no longer apply

    References:
        https://docs.astral.sh/ruff/rules/unused-noqa/
    """

    meta = RuleMeta(
        "PS004",
        "unused-suppression",
        Severity.WARNING,
        "a suppression comment silences no finding",
    )
    doc_example_is_sql = False  # it needs the other rules to run; tests/test_suppressions.py

    def check(self, context: RuleContext) -> Iterator[Finding]:
        # The engine reports unused suppressions: only it knows what each one silenced.
        return iter(())
