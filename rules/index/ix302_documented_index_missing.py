"""IX302: an index the documentation names does not exist, or cannot serve its query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.index._common import (
    describe,
    find_index,
    matrix,
    query_details,
    query_label,
    query_places,
    table_origin,
)

if TYPE_CHECKING:
    from checker.coverage import IndexUse, QueryCoverage


@register
class DocumentedIndexMissingRule(Rule):
    """An index named by the documentation does not exist, or exists on other columns.

    What it does:
        For every contract query with an ``expect_index``, looks the index up
        in the composed schema. It reports an index that no migration creates
        (error), one on a table the query does not read (error), and one that
        exists but cannot serve the query at all because its keys are others
        (warning), saying which index, if any, serves the query instead.

    Why it matters:
        Design documents and reviews reason from the index names they list.
        When the name is not in the schema (a renamed index, a migration that
        was never written, a different column list), the performance claim
        built on it is unfounded and nobody notices until the query is slow.

    Example:
        CREATE TABLE ticket (id bigint PRIMARY KEY, queue_id bigint, opened_at timestamp);
        CREATE INDEX ticket_queue_idx ON ticket (opened_at, queue_id);

    Use instead:
        CREATE TABLE ticket (id bigint PRIMARY KEY, queue_id bigint, opened_at timestamp);
        CREATE INDEX ticket_queue_idx ON ticket (queue_id, opened_at);

    References:
        https://www.postgresql.org/docs/current/indexes-multicolumn.html
    """

    meta = RuleMeta(
        "IX302",
        "documented-index-missing",
        Severity.ERROR,
        "documented index missing or on other columns",
    )
    doc_contract = """
    [[query]]
    name = "tickets of a queue"
    sql = "SELECT id FROM ticket WHERE queue_id = ?"
    expect_index = "ticket_queue_idx"
    """

    def check(self, context: RuleContext) -> Iterator[Finding]:
        coverage = matrix(context)
        if coverage is None:
            return
        for query in coverage.queries:
            if query.query.expect_index and query.shape is not None:
                yield from self._query(context, query, query.query.expect_index)

    def _query(
        self, context: RuleContext, query: QueryCoverage, expected: str
    ) -> Iterator[Finding]:
        from checker.coverage import Verdict  # only with documented queries

        catalog = context.catalog
        label = query_label(query.query)
        details = list(query_details(query.query))
        index = find_index(catalog, expected)
        tables = [t for t in query.tables if t.needs_index] or list(query.tables)
        best = query.best
        instead = (
            f"; {best.index[1]} serves it instead ({best.verdict.value})"
            if best is not None
            and best.verdict is not Verdict.NOT_SERVED
            and (index is None or best.index != index.qualified)
            else ""
        )
        if index is None:
            origin = table_origin(catalog, tables[0].table) if tables else None
            yield self.finding(
                f"{label} names index {expected}, which no statement creates{instead}",
                [
                    *query_places(query.query),
                    *([Location.of(origin, "table the query reads")] if origin else []),
                ],
                objects=[expected],
                fix=_rename_or_create(expected, best, tables[0].suggestion if tables else None),
                details=details,
            )
            return
        cell = next((c for t in query.tables for c in t.cells if c.index == index.qualified), None)
        if cell is None:
            read = ", ".join(display_name(t.table) for t in query.tables) or "no table"
            yield self.finding(
                f"{label} names index {expected}, but it is on {display_name(index.table)} "
                f"and the query reads {read}",
                [*query_places(query.query), Location.of(index.origin, f"index {index.name}")],
                objects=[expected],
                details=details,
            )
            return
        if cell.verdict is Verdict.NOT_SERVED or not (cell.conditions or cell.provides_order):
            reason = cell.reason or (
                f"its leading key {index.keys[0].render()} is not constrained by the query, "
                "so it could only be read in full"
            )
            yield self.finding(
                f"{label} names index {describe(index)}, which cannot serve it: {reason}{instead}",
                [*query_places(query.query), Location.of(index.origin, f"index {index.name}")],
                severity=Severity.WARNING,
                objects=[expected],
                fix=tables[0].suggestion if tables else None,
                details=details,
            )


def _rename_or_create(expected: str, best: IndexUse | None, suggestion: str | None) -> str | None:
    from checker.coverage import Verdict  # only with documented queries

    if best is not None and best.verdict is Verdict.SERVED:
        return (
            f'ALTER INDEX "{best.index[1]}" RENAME TO "{expected}";  '
            "-- or correct the documentation"
        )
    return suggestion
