"""IX301: a documented query that no index serves, or serves only with a sort or a filter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from checker.catalog import display_name
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.index._common import (
    drop_sql,
    indexes_sorted,
    is_high_volume,
    matrix,
    query_details,
    query_label,
    query_places,
    table_origin,
)

if TYPE_CHECKING:
    from checker.coverage import IndexUse, QueryCoverage, TableCoverage


@register
class QueryNotServedRule(Rule):
    """A documented query is not served by any index, or only with a sort or a filter.

    What it does:
        Matches every query of the contract (``[[contract.query]]``, and
        ``--queries FILE.sql``) against the indexes of the tables it reads, the
        way PostgreSQL's planner uses a B-tree: the leading keys must be pinned
        by the query's equalities (in any order), followed by one range key or
        by the ORDER BY keys in order, all in the declared direction or all
        reversed. A partial index counts only when the query implies its
        predicate. It reports a query no index serves (error), and one served
        only with an explicit sort or a row-by-row filter (a warning on
        high-volume tables, info elsewhere), with the index that would serve it.

    Why it matters:
        Without a usable index, PostgreSQL reads the whole table for each call;
        with a sort left over it must fetch every matching row before returning
        the first one, which is what LIMIT and "most recent first" pages are
        meant to avoid. Both grow with the table, so they show up in production,
        not in tests.

    Example:
        CREATE TABLE session_log (
            id bigint PRIMARY KEY,
            user_id text NOT NULL,
            started_at timestamp NOT NULL
        );

    Use instead:
        CREATE TABLE session_log (
            id bigint PRIMARY KEY,
            user_id text NOT NULL,
            started_at timestamp NOT NULL
        );
        CREATE INDEX session_log_user_started_idx ON session_log (user_id, started_at DESC);

    References:
        https://www.postgresql.org/docs/current/indexes-multicolumn.html
        https://www.postgresql.org/docs/current/indexes-ordering.html
        https://www.postgresql.org/docs/current/indexes-partial.html
    """

    meta = RuleMeta(
        "IX301", "query-not-served", Severity.ERROR, "documented query not served by an index"
    )
    doc_contract = """
    [[query]]
    name = "recent sessions of a user"
    sql = "SELECT * FROM session_log WHERE user_id = ? ORDER BY started_at DESC LIMIT 20"
    volume = "high"
    """

    def check(self, context: RuleContext) -> Iterator[Finding]:
        coverage = matrix(context)
        if coverage is None:
            return
        for query in coverage.queries:
            yield from self._query(context, query)

    def _query(self, context: RuleContext, query: QueryCoverage) -> Iterator[Finding]:
        from checker.coverage import Verdict  # only with documented queries

        label = query_label(query.query)
        details = list(query_details(query.query))
        if query.error is not None:
            yield self.finding(
                f"{label} cannot be checked: {query.error}",
                query_places(query.query),
                details=details,
            )
            return
        for missing in query.missing_tables:
            yield self.finding(
                f"{label} reads table {display_name(missing)}, which the schema does not have",
                query_places(query.query),
                objects=[display_name(missing)],
                details=details,
            )
        for table in query.tables:
            if not table.needs_index or table.verdict is Verdict.SERVED:
                continue
            yield self._table(context, query, table, label, details)

    def _table(
        self,
        context: RuleContext,
        query: QueryCoverage,
        table: TableCoverage,
        label: str,
        details: list[str],
    ) -> Finding:
        from checker.coverage import Verdict  # only with documented queries

        name = display_name(table.table)
        origin = table_origin(context.catalog, table.table)
        places = query_places(query.query)
        if origin:
            places.append(Location.of(origin, f"table {name}"))
        best = table.best
        if best is not None:
            index = context.catalog.indexes.get(best.index)
            if index is not None:
                places.append(Location.of(index.origin, f"best index {index.name}"))
        if table.verdict is Verdict.NOT_SERVED:
            message = (
                f"{label} is not served by any index of {name}: every call reads the whole "
                "table" + (" and sorts it" if table.access.order or table.access.distance else "")
            )
            severity = Severity.ERROR
        else:
            assert best is not None
            message = f"{label} is {table.verdict.value} on {name}: {_how(best)}"
            high = is_high_volume(context.settings, query.query, table.table)
            severity = Severity.WARNING if high else Severity.INFO
            if high:
                message += " (high-volume table)"
        reasons = [f"{c.index[1]}: {c.reason}" for c in table.cells if c.reason]
        return self.finding(
            message,
            places,
            severity=severity,
            objects=[name],
            fix=_create(context, table),
            details=[*details, *reasons],
        )


def _how(best: IndexUse) -> str:
    name = best.index[1]
    if best.sort and not best.conditions:
        return f"{name} is read in full and the rows are sorted afterwards"
    if best.sort:
        keys = ", ".join(best.conditions)
        return (
            f"{name} finds the rows by {keys}, but they come out in the wrong order, so every "
            "matching row is fetched and sorted before the first is returned"
        )
    if not best.conditions:
        return (
            f"{name} is read in full (nothing pins its leading key) and "
            f"{', '.join(best.filters)} is checked on every entry"
        )
    return (
        f"{name} narrows the scan by {', '.join(best.conditions)}; "
        f"{', '.join(best.filters)} is then checked row by row"
    )


def _create(context: RuleContext, table: TableCoverage) -> Fix | None:
    """The suggested index, and the drop of each plain index it makes a redundant prefix."""
    if not table.suggestion:
        return None
    statements = [table.suggestion]
    wide = table.suggested_columns
    for index in indexes_sorted(context.catalog):
        if (
            index.table != table.table
            or index.method != "btree"
            or index.unique
            or index.constraint is not None
            or index.predicate is not None
            or table.suggested_partial
            or not 0 < len(index.keys) < table.suggested_keys
            or len(index.keys) > len(wide)
        ):
            continue
        plain = all(
            k.column is not None and not k.descending and k.nulls_first is None and not k.opclass
            for k in index.keys
        )
        if plain and tuple(k.column for k in index.keys) == wide[: len(index.keys)]:
            statements.append(drop_sql(index, context.catalog.tables.get(index.table)))
    title = "create an index that serves it"
    if len(statements) > 1:
        title += " (and drop the narrower index it replaces)"
    return Fix(title, statements=tuple(statements))
