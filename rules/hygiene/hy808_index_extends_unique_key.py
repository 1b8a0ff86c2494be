"""HY808: an index that starts with the columns of a unique key and adds more."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Catalog, Index, QualifiedName, quote, relation_sql
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import index_columns


@register
class IndexExtendsUniqueKeyRule(Rule):
    """A B-tree index starts with the columns of a unique key and adds more after them.

    What it does:
        Reports a B-tree index whose leading columns are exactly the columns
        of a unique B-tree index or PRIMARY KEY / UNIQUE constraint of the
        same table (in any order), followed by more columns, when both have
        the same predicate (a partial index over the key's columns serves a
        chosen subset of rows and is left alone). It completes IX304,
        which reports a plain index that is a prefix of a wider one: here the
        shorter one is unique, so it is the wider one that is redundant. A
        wider UNIQUE constraint that a foreign key references is left alone
        (a foreign key needs a unique key on exactly its columns).

    Why it matters:
        An equality lookup on a unique key finds at most one row, so the
        columns after it never narrow a search, and an ORDER BY over the
        wider index sorts by the unique columns alone. The wider index is a
        second copy of the key that every write maintains. If it exists for
        index-only scans, INCLUDE the extra columns in the unique index.

    Example:
        CREATE TABLE member (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text);
        CREATE INDEX member_email_name_idx ON member (email, name);

    Use instead:
        CREATE TABLE member (id bigint PRIMARY KEY, email text NOT NULL, name text);
        CREATE UNIQUE INDEX member_email_key ON member (email) INCLUDE (name);

    References:
        https://www.postgresql.org/docs/current/indexes-multicolumn.html
        https://www.postgresql.org/docs/current/indexes-index-only-scans.html
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/intersected_indexes.md
    """

    meta = RuleMeta(
        "HY808",
        "index-extends-unique-key",
        Severity.WARNING,
        "index adds columns after a key that is already unique",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        by_table: dict[tuple[str, str], list[tuple[Index, tuple[str, ...]]]] = {}
        for key in sorted(catalog.indexes):
            index = catalog.indexes[key]
            columns = index_columns(index)
            if index.method == "btree" and columns:
                by_table.setdefault(index.table, []).append((index, columns))
        referenced = _referenced_keys(catalog)
        for indexes in by_table.values():
            for wider, columns in indexes:
                if wider.unique and (wider.table, frozenset(columns)) in referenced:
                    continue
                for unique, key_columns in indexes:
                    if not (unique.unique and len(key_columns) < len(columns)):
                        continue
                    if unique.predicate != wider.predicate:
                        # a partial index over the unique key's columns serves only its
                        # rows (often a small, hot subset): a deliberate design, not waste
                        continue
                    if set(columns[: len(key_columns)]) != set(key_columns):
                        continue
                    yield self._finding(wider, columns, unique, key_columns)
                    break

    def _finding(
        self,
        wider: Index,
        columns: tuple[str, ...],
        unique: Index,
        key_columns: tuple[str, ...],
    ) -> Finding:
        key = unique.constraint or unique.name
        extra = ", ".join(columns[len(key_columns) :])
        if wider.constraint is not None:
            drop = (
                f"ALTER TABLE {relation_sql(wider.table)} DROP CONSTRAINT "
                f"{quote(wider.constraint)};"
            )
        else:
            drop = f"DROP INDEX {relation_sql(wider.qualified)};"
        return self.finding(
            f"Index {wider.name} ({', '.join(columns)}) starts with the columns of unique "
            f"key {key} ({', '.join(key_columns)}): a lookup there finds at most one row, "
            f"so {extra} narrows nothing",
            [
                Location.of(wider.origin, f"wider {wider.name}"),
                Location.of(unique.origin, f"unique {key}"),
            ],
            objects=[wider.name, key],
            fix=Fix(
                f"drop {wider.name} (for index-only scans: INCLUDE ({extra}) in {key}'s index)",
                statements=(drop,),
            ),
        )


def _referenced_keys(catalog: Catalog) -> set[tuple[QualifiedName, frozenset[str]]]:
    """The (table, column set) every foreign key references, gathered once: a unique
    index a foreign key references exactly by its columns is not redundant."""
    return {
        (details.ref_table, frozenset(details.ref_columns))
        for _table, constraint in catalog.foreign_keys()
        if (details := constraint.foreign_key) is not None
    }
