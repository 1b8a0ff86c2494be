"""IX304: a non-unique B-tree index whose keys lead another B-tree index."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Index
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.index._common import describe, drop_sql, indexes_sorted, key_signatures


@register
class PrefixRedundantIndexRule(Rule):
    """A non-unique B-tree index is a leading prefix of another B-tree index.

    What it does:
        Reports a plain (not unique, not behind a constraint) B-tree index
        whose keys are the first keys of a longer B-tree index on the same
        table with the same partial predicate, in the same direction or all
        reversed, with the same operator classes and collations.

    Why it matters:
        A B-tree on (a, b) answers every lookup, range and ORDER BY on (a)
        that an index on (a) answers, including the lookups behind a foreign
        key on a. The shorter index only adds write cost, disk and cache.
        Unique indexes are never reported: they enforce a rule the longer
        index does not.

    Example:
        CREATE TABLE membership (id bigint PRIMARY KEY, user_id text, org_id text);
        CREATE INDEX membership_user_idx ON membership (user_id);
        CREATE INDEX membership_user_org_idx ON membership (user_id, org_id);

    Use instead:
        CREATE TABLE membership (id bigint PRIMARY KEY, user_id text, org_id text);
        CREATE INDEX membership_user_org_idx ON membership (user_id, org_id);

    References:
        https://www.postgresql.org/docs/current/indexes-multicolumn.html
        https://www.postgresql.org/docs/current/indexes-ordering.html
    """

    meta = RuleMeta(
        "IX304", "prefix-redundant-index", Severity.WARNING, "index is a prefix of another index"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        by_table: dict[tuple[str, str], list[Index]] = {}
        for index in indexes_sorted(context.catalog):
            if index.method == "btree":
                by_table.setdefault(index.table, []).append(index)
        for indexes in by_table.values():
            for index in indexes:
                if index.unique or index.constraint is not None or not index.keys:
                    continue
                wider = next((o for o in indexes if o is not index and _covers(o, index)), None)
                if wider is None:
                    continue
                table = context.catalog.tables.get(index.table)
                yield self.finding(
                    f"Index {describe(index)} is redundant: {describe(wider)} starts with the "
                    f"same keys and serves every lookup and order it serves",
                    [
                        Location.of(index.origin, f"redundant {index.name}"),
                        Location.of(wider.origin, f"covering {wider.name}"),
                    ],
                    objects=[index.name, wider.name],
                    fix=Fix(f"drop {index.name}", statements=(drop_sql(index, table),)),
                )


def _covers(wider: Index, narrow: Index) -> bool:
    """Whether ``wider`` has more keys and starts with ``narrow``'s (one direction)."""
    if len(wider.keys) <= len(narrow.keys) or wider.predicate != narrow.predicate:
        return False
    short = key_signatures(narrow)
    prefix = key_signatures(wider)[: len(short)]
    if prefix != short and prefix != tuple(k.reversed() for k in short):
        return False
    available = {k.column for k in wider.keys} | set(wider.include)
    return set(narrow.include) <= available
