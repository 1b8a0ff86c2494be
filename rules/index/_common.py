"""Helpers shared by the IX3xx rules: index signatures, locations, volume, coverage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from checker.catalog import (
    Catalog,
    Index,
    IndexKey,
    QualifiedName,
    Table,
    display_name,
    quote,
    relation_sql,
)
from checker.config import QueryPattern, Settings
from checker.findings import Location
from checker.model import Origin
from checker.rule import RuleContext

if TYPE_CHECKING:
    from checker.coverage import CoverageMatrix

# rows per day from which a table counts as high-volume when a query gives no volume
HIGH_VOLUME_ROWS_PER_DAY = 100_000


def indexes_sorted(catalog: Catalog) -> list[Index]:
    """Every index, in a stable order (table, then creation place, then name)."""
    return sorted(catalog.indexes.values(), key=lambda i: (i.table, creation_key(i.origin), i.name))


def creation_key(origin: Origin) -> tuple[int, int, str]:
    return (origin.statement, origin.start, origin.file)


def nulls_first(key: IndexKey) -> bool:
    return key.descending if key.nulls_first is None else key.nulls_first


@dataclass(frozen=True, slots=True)
class KeySignature:
    """What makes two index keys interchangeable (direction and NULLS order included)."""

    target: str
    opclass: str | None
    collation: str | None
    descending: bool
    nulls_first: bool

    @staticmethod
    def of(key: IndexKey) -> KeySignature:
        target = key.column if key.column is not None else f"({key.expression})"
        return KeySignature(target, key.opclass, key.collation, key.descending, nulls_first(key))

    def reversed(self) -> KeySignature:
        return KeySignature(
            self.target, self.opclass, self.collation, not self.descending, not self.nulls_first
        )


def key_signatures(index: Index) -> tuple[KeySignature, ...]:
    return tuple(KeySignature.of(key) for key in index.keys)


def drop_sql(index: Index, table: Table | None) -> str:
    """How to remove an index: DROP INDEX, or DROP CONSTRAINT when a constraint owns it."""
    if index.constraint is not None and table is not None:
        return (
            f"ALTER TABLE {relation_sql(table.qualified)} "
            f"DROP CONSTRAINT {quote(index.constraint)};"
        )
    return f"DROP INDEX {relation_sql(index.qualified)};"


def describe(index: Index) -> str:
    """``name (a, b DESC) WHERE ...`` for messages."""
    method = "" if index.method == "btree" else f" USING {index.method}"
    keys = ", ".join(key.render() for key in index.keys)
    text = f"{index.name}{method} ({keys})"
    if index.include:
        text += f" INCLUDE ({', '.join(index.include)})"
    if index.predicate:
        text += f" WHERE {index.predicate}"
    return text


def index_kind(index: Index) -> str:
    if index.constraint is not None:
        return f"the index of constraint {index.constraint},"
    return "unique index" if index.unique else "index"


def find_index(catalog: Catalog, name: str) -> Index | None:
    """An index by name: schema-qualified, or in public, or in any schema."""
    if "." in name:
        schema, _, relname = name.partition(".")
        return catalog.indexes.get((schema, relname))
    found = catalog.indexes.get(("public", name))
    if found is not None:
        return found
    return next((i for i in catalog.indexes.values() if i.name == name), None)


def is_high_volume(settings: Settings, query: QueryPattern, table: QualifiedName) -> bool:
    if query.volume is not None:
        return query.volume == "high"
    rows = settings.contract.volume_of(table[1])
    return rows is not None and rows >= HIGH_VOLUME_ROWS_PER_DAY


def matrix(context: RuleContext) -> CoverageMatrix | None:
    """The coverage of the contract's queries; None (and no import of the coverage or
    the query parsing) without queries.

    Computed once per run: IX301, IX302 and IX307 all read it.
    """
    return context.memo(_contract_coverage)


def _contract_coverage(context: RuleContext) -> CoverageMatrix | None:
    queries = context.settings.contract.queries
    if not queries:
        return None
    from checker.coverage import coverage_matrix  # with the query parsing it needs

    return coverage_matrix(context.catalog, queries)


def table_origin(catalog: Catalog, name: QualifiedName) -> Origin | None:
    table = catalog.tables.get(name)
    return table.origin if table is not None else None


def query_places(query: QueryPattern) -> list[Location]:
    """The query's declaration (contract entry or query file), when it is known."""
    return [Location.of(query.origin, f"query {query.name!r}")] if query.origin else []


def query_label(query: QueryPattern) -> str:
    return f"documented query {query.name!r}"


def query_details(query: QueryPattern) -> Iterator[str]:
    yield f"query: {query.sql}"
    if query.source:
        yield f"declared in {query.source}"


def table_label(name: QualifiedName) -> str:
    return display_name(name)
