"""Serial columns (HY804, HY805): which they are and how to turn them into identity columns."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Catalog, Column, Table, quote, relation_sql
from checker.findings import Fix
from rules.hygiene._common import is_serial, tables


def serial_columns(catalog: Catalog) -> Iterator[tuple[Table, Column, bool]]:
    """Every serial column, with whether it is (part of) the primary key."""
    for table in tables(catalog):
        primary = table.primary_key
        keyed = set(primary.columns) if primary is not None else set()
        for column in table.columns:
            if is_serial(catalog, table, column):
                yield table, column, column.name in keyed


def serial_kind(column: Column) -> str:
    return {"bigint": "bigserial", "smallint": "smallserial"}.get(column.type.name, "serial")


def drop_serial_fix(catalog: Catalog, table: Table, column: Column) -> Fix:
    """Keep the column's integer type, without the default and the sequence behind it."""
    relation = relation_sql(table.qualified)
    return Fix(
        f"keep {column.name} as a plain integer, without its sequence",
        statements=(
            f"ALTER TABLE {relation} ALTER COLUMN {quote(column.name)} DROP DEFAULT;",
            f"DROP SEQUENCE {_sequence_sql(catalog, table, column)};",
        ),
    )


def _sequence_sql(catalog: Catalog, table: Table, column: Column) -> str:
    owner = (table.qualified, column.name)
    sequence = next(s for s in catalog.sequences.values() if s.owned_by == owner)
    return relation_sql((sequence.schema, sequence.name))


def identity_fix(catalog: Catalog, table: Table, column: Column) -> Fix:
    """Drop the serial default and its sequence, make the column an identity column,
    and move the identity's sequence past the values already there."""
    relation = relation_sql(table.qualified)
    name = quote(column.name)
    literal = relation.replace("'", "''")
    return Fix(
        f"make {column.name} an identity column",
        statements=(
            f"ALTER TABLE {relation} ALTER COLUMN {name} DROP DEFAULT;",
            f"DROP SEQUENCE {_sequence_sql(catalog, table, column)};",
            f"ALTER TABLE {relation} ALTER COLUMN {name} ADD GENERATED ALWAYS AS IDENTITY;",
            f"SELECT setval(pg_get_serial_sequence('{literal}', '{column.name}'), "
            f"coalesce(max({name}), 0) + 1, false) FROM {relation};",
        ),
    )
