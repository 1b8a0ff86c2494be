"""FK201: ON DELETE SET NULL (or SET DEFAULT to NULL) on a column that cannot be NULL."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import (
    Constraint,
    FkAction,
    ForeignKeyDetails,
    Table,
    display_name,
    quote,
    relation_sql,
)
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    action_sql,
    columns_sql,
    fk_clause,
    foreign_keys,
    non_nullable_written,
)

_NULLING = (FkAction.SET_NULL, FkAction.SET_DEFAULT)


@register
class SetNullOnNotNullRule(Rule):
    """A foreign key sets a column to NULL that cannot hold NULL.

    What it does:
        Reports foreign keys whose ON DELETE (or ON UPDATE) action is SET NULL,
        or SET DEFAULT on a column without a default, when a column the action
        writes is NOT NULL or part of the primary key (a composite foreign key
        that shares columns with the key).

    Why it matters:
        PostgreSQL accepts the definition, but the action runs only when a
        referenced row is deleted: then the UPDATE it makes violates the
        NOT NULL constraint and the whole DELETE fails with SQLSTATE 23502.
        The intent ("keep the child, forget the parent") silently became
        "the parent can never be deleted while it has children".

    Example:
        CREATE TABLE team (id text PRIMARY KEY);
        CREATE TABLE member (
            id text PRIMARY KEY,
            team_id text NOT NULL REFERENCES team (id) ON DELETE SET NULL
        );

    Use instead:
        CREATE TABLE team (id text PRIMARY KEY);
        CREATE TABLE member (
            id text PRIMARY KEY,
            team_id text REFERENCES team (id) ON DELETE SET NULL
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/sql-createtable.html
    """

    meta = RuleMeta(
        "FK201", "set-null-on-not-null", Severity.ERROR, "SET NULL on a column that cannot be NULL"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, constraint, details in foreign_keys(context.catalog):
            for event, action in (("delete", details.on_delete), ("update", details.on_update)):
                if action not in _NULLING:
                    continue
                blocked = non_nullable_written(table, constraint, details, action, event)
                if blocked:
                    yield self._finding(table, constraint, details, action, event, blocked)

    def _finding(
        self,
        table: Table,
        constraint: Constraint,
        details: ForeignKeyDetails,
        action: FkAction,
        event: str,
        blocked: list[tuple[str, str]],
    ) -> Finding:
        child = display_name(table.qualified)
        parent = display_name(details.ref_table)
        names = ", ".join(f"{child}.{column} ({why})" for column, why in blocked)
        verb = "deleting" if event == "delete" else "changing the key of"
        message = (
            f"{constraint.name}: ON {event.upper()} {action_sql(action)} writes NULL into "
            f"{names}: {verb} a referenced {parent} row fails with a not-null violation "
            f"(23502) while {child} rows reference it"
        )
        fix: Fix
        if event == "update":
            clause = fk_clause(table, constraint, details, details.on_delete, FkAction.CASCADE)
            fix = Fix(f"carry key changes over to the {child} rows", statements=(clause,))
        elif any(why == "part of the primary key" for _, why in blocked):
            clause = fk_clause(table, constraint, details, FkAction.CASCADE)
            fix = Fix(f"delete the {child} rows with their {parent}", statements=(clause,))
        else:
            drops = ", ".join(f"ALTER COLUMN {quote(c)} DROP NOT NULL" for c, _ in blocked)
            cascade = fk_clause(table, constraint, details, FkAction.CASCADE)
            fix = Fix(
                f"let the columns be NULL (or, to delete the {child} rows with their parent: "
                f"{cascade})",
                statements=(f"ALTER TABLE {relation_sql(table.qualified)} {drops};",),
            )
        where: list[Location] = [Location.of(constraint.origin)]
        for column_name, _ in blocked:
            column = table.column(column_name)
            if column is not None and column.origin.file:
                where.append(Location.of(column.origin, f"{column_name} declared here"))
        return self.finding(
            message,
            where,
            objects=[f"{child}.{constraint.name}", *(f"{child}.{c}" for c, _ in blocked)],
            fix=fix,
            details=[f"columns written: ({columns_sql(c for c, _ in blocked)})"],
        )
