"""Helpers shared by the HY8xx rules: which tables count, column types, places."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import (
    Catalog,
    Column,
    Index,
    Table,
    TypeRef,
    display_name,
    quote,
    relation_sql,
)
from checker.findings import Fix
from checker.model import Origin
from checker.rule import RuleContext
from checker.simulation import EventKind

# the types PostgreSQL spells these ways, as format_type() prints them
TIMESTAMP = "timestamp without time zone"
TIMESTAMPTZ = "timestamp with time zone"
TIMETZ = "time with time zone"
VARCHAR = "character varying"
CHAR = "character"


def tables(catalog: Catalog) -> Iterator[Table]:
    """Every table a hygiene rule looks at, in a stable order.

    A partition is left out: what it lacks is the partitioned table's to fix (a
    primary key or a column type declared on the parent reaches every partition).
    """
    for key in sorted(catalog.tables):
        table = catalog.tables[key]
        if table.partition_of is None:
            yield table


def base_type(catalog: Catalog, type_ref: TypeRef) -> TypeRef:
    """The type a column really stores: a domain's base type, followed to the end."""
    seen: set[tuple[str, str]] = set()
    while type_ref.schema is not None and (type_ref.schema, type_ref.name) not in seen:
        seen.add((type_ref.schema, type_ref.name))
        domain = catalog.domains.get((type_ref.schema, type_ref.name))
        if domain is None:
            break
        type_ref = domain.base
    return type_ref


def typed_columns(
    catalog: Catalog, names: frozenset[str]
) -> Iterator[tuple[Table, Column, TypeRef]]:
    """Every column (of a table ``tables`` yields) whose base type is one of ``names``,
    arrays included, with that base type."""
    for table in tables(catalog):
        for column in table.columns:
            stored = base_type(catalog, column.type)
            if stored.name in names:
                yield table, column, stored


def column_place(context: RuleContext, table: Table, column: Column) -> Origin:
    """Where the column got its current type: the last ALTER COLUMN ... TYPE that
    gave it, else the column's definition."""
    rendered = f"-> {column.type}"
    for detail, origin in context.memo(_type_changes).get(f"{table.name}.{column.name}", ()):
        if detail.endswith(rendered):
            return origin
    return column.origin


def _type_changes(context: RuleContext) -> dict[str, list[tuple[str, Origin]]]:
    """Every ALTER COLUMN ... TYPE of the run by column label, the last first (one pass
    over the events for all the columns the hygiene rules place)."""
    changes: dict[str, list[tuple[str, Origin]]] = {}
    for event in reversed(context.events):
        if (
            event.kind is EventKind.ALTERED
            and event.object_kind == "column"
            and event.action == "alter column type"
        ):
            changes.setdefault(event.name, []).append((event.detail, event.origin))
    return changes


def not_null_columns(table: Table) -> set[str]:
    """Columns that can never hold NULL: NOT NULL ones and the primary key's."""
    names = {column.name for column in table.columns if column.not_null}
    primary = table.primary_key
    if primary is not None:
        names.update(primary.columns)
    return names


def is_serial(catalog: Catalog, table: Table, column: Column) -> bool:
    """A serial column: its default takes nextval() of a sequence the column owns
    (what serial, bigserial and smallserial create; an identity column is not one)."""
    if column.identity is not None or column.default is None:
        return False
    if not column.default.startswith("nextval("):
        return False
    owner = (table.qualified, column.name)
    return any(sequence.owned_by == owner for sequence in catalog.sequences.values())


def column_label(table: Table, column: str) -> str:
    return f"{display_name(table.qualified)}.{column}"


def alter_column_type(table: Table, column: str, new_type: str) -> Fix:
    return Fix(
        f"change {column} to {new_type}",
        statements=(
            f"ALTER TABLE {relation_sql(table.qualified)} ALTER COLUMN {quote(column)} "
            f"TYPE {new_type};",
        ),
    )


def index_columns(index: Index) -> tuple[str, ...] | None:
    """The key columns of an index, None when a key is an expression."""
    columns = index.key_columns
    if any(column is None for column in columns):
        return None
    return tuple(column for column in columns if column is not None)
