"""HY801: a table without a primary key."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Constraint, ConstraintKind, Table, display_name, quote, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import not_null_columns, tables


@register
class TableWithoutPrimaryKeyRule(Rule):
    """A table has no primary key.

    What it does:
        Reports every table of the final schema that has no PRIMARY KEY, at the
        CREATE TABLE. A partition is not reported: a primary key declared on
        its partitioned table reaches it. When the table already has a UNIQUE
        constraint on NOT NULL columns, the message names it: promoting it is
        the whole fix.

    Why it matters:
        Logical replication publishes UPDATE and DELETE of a table only when
        it has a replica identity, the primary key by default: without one
        those statements fail on the publisher once the table is published.
        pg_repack and similar tools refuse tables with no primary or unique
        key, and ORMs, admin tools and humans all need a way to name one row.

    Example:
        CREATE TABLE audit_event (occurred_at timestamptz NOT NULL, payload jsonb);

    Use instead:
        CREATE TABLE audit_event (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            occurred_at timestamptz NOT NULL,
            payload jsonb
        );

    References:
        https://www.postgresql.org/docs/current/logical-replication-publication.html
        https://www.postgresql.org/docs/current/sql-altertable.html
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/tables_without_primary_key.md
    """

    meta = RuleMeta(
        "HY801", "table-without-primary-key", Severity.WARNING, "table without a primary key"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table in tables(context.catalog):
            if table.primary_key is not None:
                continue
            name = display_name(table.qualified)
            candidate = _unique_not_null(table)
            relation = relation_sql(table.qualified)
            if candidate is not None:
                message = (
                    f"Table {name} has no primary key; its unique constraint {candidate.name} "
                    f"is on NOT NULL columns and can become one"
                )
                columns = ", ".join(quote(c) for c in candidate.columns)
                fix = Fix(
                    f"make {candidate.name} the primary key",
                    statements=(
                        f"ALTER TABLE {relation} DROP CONSTRAINT {quote(candidate.name)}, "
                        f"ADD PRIMARY KEY ({columns});",
                    ),
                )
            else:
                message = f"Table {name} has no primary key"
                column = "id" if table.column("id") is None else f"{table.name}_id"
                fix = Fix(
                    f"add an identity column {column} as the primary key",
                    statements=(
                        f"ALTER TABLE {relation} ADD COLUMN {quote(column)} bigint "
                        f"GENERATED ALWAYS AS IDENTITY PRIMARY KEY;",
                    ),
                )
            yield self.finding(message, table.origin, objects=[name], fix=fix)


def _unique_not_null(table: Table) -> Constraint | None:
    required = not_null_columns(table)
    for constraint in table.constraints:
        if (
            constraint.kind is ConstraintKind.UNIQUE
            and constraint.columns
            and set(constraint.columns) <= required
        ):
            return constraint
    return None
