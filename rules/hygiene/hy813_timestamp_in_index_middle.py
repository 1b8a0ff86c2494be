"""HY813 (opt-in): a timestamp column before the last key of a multi-column index."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import TIMESTAMP, TIMESTAMPTZ, base_type


@register
class TimestampInIndexMiddleRule(Rule):
    """A multi-column B-tree index has a timestamp column before its last key.

    What it does:
        Reports a non-unique B-tree index of two or more keys where a key
        other than the last is a ``timestamp`` or ``timestamptz`` column.
        Opt-in (group ``hygiene-preferences``): it is a heuristic. An index
        such as (chat_id, created_at, id) for keyset pagination, where the
        columns after the timestamp only break ties in an ORDER BY, is right
        as it is.

    Why it matters:
        Timestamps are nearly unique and are usually searched by range. A
        B-tree can seek on the keys up to the first range condition; keys
        after a range-searched timestamp are only filters applied while
        scanning every entry of the range. Equality columns first, then sort
        columns, then the range column (the equality-sort-range order) lets
        every key narrow the scan.

    Example:
        CREATE TABLE event (id bigint PRIMARY KEY, created_at timestamptz, kind text);
        CREATE INDEX event_created_kind_idx ON event (created_at, kind);

    Use instead:
        CREATE TABLE event (id bigint PRIMARY KEY, created_at timestamptz, kind text);
        CREATE INDEX event_kind_created_idx ON event (kind, created_at);

    References:
        https://www.postgresql.org/docs/current/indexes-multicolumn.html
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/indexes_with_timestamp_in_the_middle.md
    """

    meta = RuleMeta(
        "HY813",
        "timestamp-in-index-middle",
        Severity.INFO,
        "timestamp column before the last key of an index",
        group="hygiene-preferences",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for key in sorted(catalog.indexes):
            index = catalog.indexes[key]
            table = catalog.tables.get(index.table)
            if table is None or index.method != "btree" or index.unique or len(index.keys) < 2:
                continue
            middle = []
            for index_key in index.keys[:-1]:
                column = table.column(index_key.column) if index_key.column else None
                if column is None:
                    continue
                if base_type(catalog, column.type).name in (TIMESTAMP, TIMESTAMPTZ):
                    middle.append(column.name)
            if not middle:
                continue
            keys = ", ".join(k.render() for k in index.keys)
            yield self.finding(
                f"Index {index.name} ({keys}) has timestamp {', '.join(middle)} before its "
                f"last key: keys after a range-searched timestamp cannot narrow the scan; "
                f"put equality columns first and the timestamp last",
                index.origin,
                objects=[index.name],
            )
