"""IX309: a single-column index on a boolean or a two-value enum column."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Catalog, Column, quote, relation_sql
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.index._common import indexes_sorted


@register
class LowSelectivityIndexRule(Rule):
    """A single-column index on a boolean or a two-value enum column.

    What it does:
        Reports a plain (not unique, not partial, not behind a constraint)
        index with one key on a ``boolean`` column or on an enum with at most
        two labels.

    Why it matters:
        Such a column splits the table into at most two (three with NULL)
        groups. For the common value the planner reads the table instead; for
        the rare value a partial index is smaller and faster. Either way the
        full index is maintained on every write for little or no use.

    Example:
        CREATE TABLE device (id bigint PRIMARY KEY, workspace_id text, active boolean NOT NULL);
        CREATE INDEX device_active_idx ON device (active);

    Use instead:
        CREATE TABLE device (id bigint PRIMARY KEY, workspace_id text, active boolean NOT NULL);
        CREATE INDEX device_workspace_active_idx ON device (workspace_id) WHERE active;

    References:
        https://www.postgresql.org/docs/current/indexes-partial.html
        https://www.postgresql.org/docs/current/indexes-examine.html
    """

    meta = RuleMeta(
        "IX309",
        "low-selectivity-index",
        Severity.INFO,
        "single-column index on a boolean or two-value column",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for index in indexes_sorted(catalog):
            if (
                len(index.keys) != 1
                or index.unique
                or index.predicate
                or index.constraint is not None
                or index.keys[0].column is None
            ):
                continue
            table = catalog.tables.get(index.table)
            column = table.column(index.keys[0].column) if table is not None else None
            if column is None:
                continue
            values = _values(catalog, column)
            if values is None:
                continue
            where = f"{index.table[1]}.{column.name}"
            yield self.finding(
                f"Index {index.name} is on {where} alone, which has {values}: it cannot "
                "narrow a lookup much, yet every write maintains it",
                index.origin,
                objects=[index.name, where],
                fix=(
                    f"CREATE INDEX ON {relation_sql(index.table)} (<column you filter by>) "
                    f"WHERE {quote(column.name)} = <the rare value>;  -- then drop {index.name}"
                ),
            )


def _values(catalog: Catalog, column: Column) -> str | None:
    type_ref = column.type
    if type_ref.is_array:
        return None
    if type_ref.name == "boolean":
        return "two values (true, false)"
    enum = catalog.enums.get((type_ref.schema or "public", type_ref.name))
    if enum is not None and len(enum.labels) <= 2:
        labels = ", ".join(enum.labels)
        return f"{len(enum.labels)} value{'s' if len(enum.labels) != 1 else ''} ({labels})"
    return None
