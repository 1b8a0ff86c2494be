"""PS002: a statement or body the simulator cannot analyse."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind


@register
class NotAnalysedRule(Rule):
    """A statement, or part of one, was not analysed.

    What it does:
        Reports what the simulator could not model: SQL built at run time
        (``format()``, concatenation) and run with EXECUTE (a constant string
        is analysed like any statement), function and procedure bodies, and statement
        kinds it does not know. Nothing is skipped silently. It also says what
        the simulator assumed: when a DO block's EXECUTE drops a constraint
        whose name it reads at run time (``'ALTER TABLE t DROP CONSTRAINT ' ||
        name``) and a later statement of the same file adds a key that would
        clash with one of that table's constraints, the built DROP is taken to
        have removed it (the finding points at both places).

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

    meta = RuleMeta(
        "PS002", "not-analysed", Severity.INFO, "statement not analysed", resumable=True
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for event in context.events:
            if event.kind is EventKind.NOT_ANALYSED:
                detail = f": {event.detail}" if event.detail else ""
                where: list[Origin | Location] = [event.origin]
                if event.previous is not None:
                    # what the assumption is about: the SQL built at run time
                    where.append(Location.of(event.previous, "SQL built at run time here"))
                yield self.finding(f"not analysed{detail}", where, objects=[event.name])
