"""NC103: constraint names that clash, explicit or the ones PostgreSQL makes up."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Table, display_name
from checker.findings import Finding, Severity
from checker.model import Origin
from checker.names import not_null_constraint_name
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind, SimEvent
from rules.naming._common import (
    both_definitions,
    collisions,
    describe,
    kind_of,
    order_key,
    related,
    where,
)

NOT_NULL_NAMES_SINCE = 18  # PostgreSQL 18 stores NOT NULL as named pg_constraint rows


@register
class ConstraintNameClashRule(Rule):
    """A constraint name is already taken on its table, or by a relation.

    What it does:
        Constraint names are unique per table; a PRIMARY KEY, UNIQUE or
        EXCLUDE constraint also creates an index of the same name, which must
        not clash with any table, index, sequence or view of the schema.
        Reports explicit names that clash (error), a guarded ``DO`` block
        that swallows the clash while the kept constraint differs (warning),
        and explicit names that clash with the names PostgreSQL invents: from
        version 18 every NOT NULL column has a constraint
        ``<table>_<column>_not_null``, so adding a constraint of that name
        afterwards fails there (error when the target is 18, warning before).

    Why it matters:
        The failing ALTER rolls back the migration run. A clash hidden by an
        exception handler leaves the earlier constraint in place: the foreign
        key or check the migration wanted is silently not there. Names that
        only clash on 18 break fresh installs after a server upgrade.

    Example:
        CREATE TABLE agent (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE agent_tool (id bigint, agent_id bigint);
        ALTER TABLE agent_tool ADD CONSTRAINT agent_pkey PRIMARY KEY (id);

    Use instead:
        CREATE TABLE agent (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE agent_tool (id bigint, agent_id bigint);
        ALTER TABLE agent_tool ADD CONSTRAINT agent_tool_pkey PRIMARY KEY (id);

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html
        https://www.postgresql.org/docs/18/release-18.html (NOT NULL constraints in pg_constraint)
    """

    meta = RuleMeta(
        "NC103", "constraint-name-clash", Severity.ERROR, "constraint name already taken"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for event in collisions(context, self.meta.code):
            if event.kind is EventKind.DUPLICATE:
                yield self._duplicate(event)
            else:
                yield self._kept_different(event)
        yield from self._not_null_names(context)

    def _duplicate(self, event: SimEvent) -> Finding:
        taken_by = (
            f"{kind_of(event.kept)} {_label(event)}" if event.kept is not None else "another object"
        )
        short = event.name.rsplit(".", 1)[-1]
        return self.finding(
            f'constraint "{short}" cannot be created: the name is taken by {taken_by} '
            f"(created {where(event.previous)}); the statement fails",
            [event.origin, *related(event.previous, "name taken here")],
            objects=[event.name],
            fix="give the constraint a name of its own, e.g. <table>_<columns>_<kind suffix>",
            details=both_definitions(event.kept, event.skipped),
        )

    def _kept_different(self, event: SimEvent) -> Finding:
        return self.finding(
            f"constraint {event.name} already exists with another definition (created "
            f"{where(event.previous)}); the exception handler swallows the error, so this "
            "definition is never applied",
            [event.origin, *related(event.previous, "definition that is kept")],
            severity=Severity.WARNING,
            objects=[event.name],
            fix=(
                "DROP the old constraint first (ALTER TABLE ... DROP CONSTRAINT IF EXISTS), "
                "or rename one"
            ),
            details=both_definitions(event.kept, event.skipped),
        )

    def _not_null_names(self, context: RuleContext) -> Iterator[Finding]:
        version = context.settings.postgres
        set_not_null: dict[str, Origin] = {}
        for event in context.events:
            if event.kind is EventKind.ALTERED and event.action == "set not null":
                set_not_null.setdefault(event.name, event.origin)
        for table in context.catalog.tables.values():
            implicit = _implicit_not_null_names(table, set_not_null)
            for constraint in table.constraints:
                column_since = implicit.get(constraint.name)
                if column_since is None:
                    continue
                column, since = column_since
                if order_key(since) >= order_key(constraint.origin) or (
                    since.statement == constraint.origin.statement
                ):
                    continue  # PostgreSQL picks another implicit name when the name is taken first
                on_target = version >= NOT_NULL_NAMES_SINCE
                outcome = (
                    "fails" if on_target else f"works on {version} but fails on PostgreSQL 18+"
                )
                yield self.finding(
                    f"constraint {display_name(table.qualified)}.{constraint.name} {outcome}: "
                    f"PostgreSQL 18 already named the NOT NULL constraint of column {column} "
                    f'"{constraint.name}"',
                    [constraint.origin, *related(since, "column made NOT NULL here")],
                    severity=Severity.ERROR if on_target else Severity.WARNING,
                    objects=[f"{display_name(table.qualified)}.{constraint.name}"],
                    fix=f"rename the constraint, e.g. {_renamed(constraint.name)}",
                    details=[f"this constraint: {describe(constraint)}"],
                )


def _implicit_not_null_names(
    table: Table, set_not_null: dict[str, Origin]
) -> dict[str, tuple[str, Origin]]:
    owner = display_name(table.qualified)
    names: dict[str, tuple[str, Origin]] = {}
    for column in table.columns:
        if not column.not_null:
            continue
        since = set_not_null.get(f"{owner}.{column.name}", column.origin)
        names[not_null_constraint_name(table.name, column.name)] = (column.name, since)
    return names


def _label(event: SimEvent) -> str:
    name = getattr(event.kept, "name", event.name)
    table = getattr(event.kept, "table", None)
    return f"{name} (on {display_name(table)})" if isinstance(table, tuple) else str(name)


def _renamed(name: str) -> str:
    return name.removesuffix("_not_null") + "_check"
