"""PS002: a statement or body the simulator cannot analyse."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind


@register
class NotAnalysedRule(Rule):
    """A statement, or part of one, was not analysed.

    What it does:
        Reports what the simulator could not model: SQL built at run time
        (``format()``, concatenation) and run with EXECUTE (a constant string
        is analysed like any statement), function and procedure bodies, and statement
        kinds it does not know. Nothing is skipped silently.

    Why it matters:
        The other rules only see what the simulator models. A foreign key or
        index created by dynamic SQL is invisible to them, so their silence
        about it proves nothing; the live verification still sees it.

    Example:
        DO $$ BEGIN EXECUTE format('CREATE INDEX %I ON t (a)', 't_a_idx'); END $$;

    Use instead:
        CREATE INDEX t_a_idx ON t (a);

    References:
        https://www.postgresql.org/docs/current/plpgsql-statements.html#PLPGSQL-STATEMENTS-EXECUTING-DYN
    """

    meta = RuleMeta("PS002", "not-analysed", Severity.INFO, "statement not analysed")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for event in context.events:
            if event.kind is EventKind.NOT_ANALYSED:
                detail = f": {event.detail}" if event.detail else ""
                yield self.finding(f"not analysed{detail}", event.origin, objects=[event.name])
