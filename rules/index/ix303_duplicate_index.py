"""IX303: two indexes with the same definition, implicit PK/UNIQUE indexes included."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Index
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.index._common import (
    creation_key,
    describe,
    drop_sql,
    index_kind,
    indexes_sorted,
    key_signatures,
)

Signature = tuple[object, ...]


@register
class DuplicateIndexRule(Rule):
    """Two indexes on the same table have the same definition.

    What it does:
        Groups indexes by table, access method, keys (column or expression,
        operator class, collation, direction, NULLS order), INCLUDE columns and
        partial predicate, counting the indexes PostgreSQL creates behind
        PRIMARY KEY and UNIQUE constraints. In each group the index to keep is
        the one behind a constraint, else a unique one, else the first created;
        every other one is reported.

    Why it matters:
        A duplicate index answers no query the other cannot; it only costs: it
        is written on every INSERT and on every UPDATE of its columns, takes
        disk and cache, and lengthens VACUUM. Duplicates usually appear when an
        explicit index is added on a column that a constraint already indexes.

    Example:
        CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
        CREATE INDEX account_email_idx ON account (email);

    Use instead:
        CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);

    References:
        https://www.postgresql.org/docs/current/indexes-unique.html
        https://wiki.postgresql.org/wiki/Index_Maintenance#Duplicate_indexes
    """

    meta = RuleMeta("IX303", "duplicate-index", Severity.WARNING, "duplicate index")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        groups: dict[Signature, list[Index]] = {}
        for index in indexes_sorted(context.catalog):
            groups.setdefault(_signature(index), []).append(index)
        for members in groups.values():
            if len(members) < 2:
                continue
            keeper = min(members, key=_keep_order)
            for index in members:
                if index is keeper or _distinct_uniqueness(index, keeper):
                    continue
                table = context.catalog.tables.get(index.table)
                yield self.finding(
                    f"{_subject(index)} duplicates "
                    f"{describe(keeper)}{_owner(keeper)}: same keys on {index.table[1]}, so "
                    "every write maintains both while queries use one",
                    [
                        Location.of(index.origin, f"duplicate {index.name}"),
                        Location.of(keeper.origin, f"kept {keeper.name}"),
                    ],
                    objects=[index.name, keeper.name],
                    fix=Fix(f"drop {index.name}", statements=(drop_sql(index, table),)),
                )


def _signature(index: Index) -> Signature:
    return (
        index.table,
        index.method,
        key_signatures(index),
        tuple(sorted(index.include)),
        index.predicate,
    )


def _subject(index: Index) -> str:
    """The duplicate, each name once: a constraint's index usually bears its name."""
    if index.constraint is not None and index.constraint == index.name:
        return f"The index of constraint {index.name}"
    return f"{index_kind(index).capitalize()} {index.name}"


def _owner(index: Index) -> str:
    if index.constraint is None:
        return ""
    if index.constraint == index.name:
        return ", the index behind the constraint of that name"
    return f", the index behind constraint {index.constraint}"


def _keep_order(index: Index) -> tuple[int, int, tuple[int, int, str], str]:
    return (
        0 if index.constraint is not None else 1,
        0 if index.unique else 1,
        creation_key(index.origin),
        index.name,
    )


def _distinct_uniqueness(index: Index, keeper: Index) -> bool:
    """Two unique indexes that treat NULLs differently enforce different rules."""
    return index.unique and keeper.unique and index.nulls_not_distinct != keeper.nulls_not_distinct
