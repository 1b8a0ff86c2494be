"""NC101: two relations (tables, indexes, sequences, views, composite types) with one name."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind, SimEvent
from rules.naming._common import (
    both_definitions,
    collisions,
    kind_of,
    name_of,
    related,
    where,
)


@register
class DuplicateRelationRule(Rule):
    """A relation name is defined twice in one schema.

    What it does:
        Tables, indexes, sequences, views and composite types share one
        namespace per schema (``pg_class``). Reports a CREATE whose name is
        already taken there, whatever the kind of the earlier object: an error
        when the server would fail, and a warning when ``IF NOT EXISTS``
        silently keeps an earlier, different definition. Both definitions are
        shown.

    Why it matters:
        A duplicate fails the migration, and with drizzle-kit's runner it
        rolls back every pending migration with it. ``IF NOT EXISTS`` is
        worse: the server only prints a NOTICE, so the columns, index keys or
        predicate the migration asked for never exist, and code written
        against them fails later, far from the cause.

    Example:
        CREATE TABLE agent_event (id bigint PRIMARY KEY, kind text);
        CREATE INDEX agent_event ON agent_event (kind);

    Use instead:
        CREATE TABLE agent_event (id bigint PRIMARY KEY, kind text);
        CREATE INDEX agent_event_kind_idx ON agent_event (kind);

    References:
        https://www.postgresql.org/docs/current/catalog-pg-class.html
        https://www.postgresql.org/docs/current/sql-createtable.html (IF NOT EXISTS)
    """

    meta = RuleMeta(
        "NC101", "duplicate-relation", Severity.ERROR, "relation name defined twice", resumable=True
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for event in collisions(context, self.meta.code):
            if event.kind is EventKind.DUPLICATE:
                yield self._duplicate(event)
            else:
                yield self._kept_different(event)

    def _duplicate(self, event: SimEvent) -> Finding:
        new_kind = kind_of(event.skipped) if event.skipped is not None else event.object_kind
        old = _existing(event)
        return self.finding(
            f'CREATE {new_kind.upper()} {event.name} fails: relation "{_short(event.name)}" '
            f"already exists ({old} created {where(event.previous)})",
            [event.origin, *related(event.previous, "first defined here")],
            objects=[event.name],
            fix=f"give the new {new_kind} another name, or DROP the existing one first",
            details=both_definitions(event.kept, event.skipped),
        )

    def _kept_different(self, event: SimEvent) -> Finding:
        new_kind = kind_of(event.skipped) if event.skipped is not None else event.object_kind
        old = _existing(event)
        if event.kept is not None and kind_of(event.kept) != new_kind:
            outcome = f"the {new_kind} is never created"
        else:
            outcome = "the existing definition stays and this one is ignored"
        return self.finding(
            f"{new_kind} {event.name} already exists as {old} created {where(event.previous)}: "
            f"IF NOT EXISTS skips this CREATE, so {outcome}",
            [event.origin, *related(event.previous, "definition that is kept")],
            severity=Severity.WARNING,
            objects=[event.name],
            fix=(
                f"make the two definitions agree, or ALTER the existing {new_kind} "
                "into the wanted shape instead of creating it again"
            ),
            details=both_definitions(event.kept, event.skipped),
        )


def _existing(event: SimEvent) -> str:
    if event.kept is None:
        return "a relation"
    return f"{kind_of(event.kept)} {name_of(event.kept)}"


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]
