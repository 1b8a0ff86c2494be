"""Property tests: random sequences of DDL never make the simulator raise, and
the catalog it builds is always self-consistent.

Two generators share one shadow model of the schema:

- ``valid`` sequences only do what PostgreSQL accepts (every name fresh,
  every reference to something that exists, CASCADE where a drop has
  dependants); the live test applies them to a real server as well.
- ``chaos`` sequences pick names from a small pool whatever exists, so they
  also reference missing objects, create duplicates, drop what is gone and
  mix IF [NOT] EXISTS; the server would reject some statements, and the
  simulator must turn each into an event, never an exception.

The default run is a few seconds. ``SCHEMA_CHECK_PROPERTY_EXAMPLES=2000``
(or ``--hypothesis-profile=thorough``) runs many more examples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import CORPUS_ABSENT, SIM_MIGRATIONS

from checker.catalog import Catalog, ConstraintKind, FkAction, TypeRef, display_name
from checker.model import JournalStatus, Layer, MigrationFile, Origin, Statement
from checker.parsing import parse_statements
from checker.simulation import EventKind, SimEvent, SimulationResult
from checker.simulator import simulate
from checker.sources import split_statements

_EXAMPLES = int(os.environ.get("SCHEMA_CHECK_PROPERTY_EXAMPLES", "60"))
# The default run is derandomized, so CI sees the same examples every time (and
# no example database replays a local find); "thorough" explores at random.
settings.register_profile(
    "default-fast",
    max_examples=_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=max(_EXAMPLES, 2000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("SCHEMA_CHECK_HYPOTHESIS_PROFILE", "default-fast"))

ACTIONS = {
    FkAction.NO_ACTION: "NO ACTION",
    FkAction.RESTRICT: "RESTRICT",
    FkAction.CASCADE: "CASCADE",
    FkAction.SET_NULL: "SET NULL",
    FkAction.SET_DEFAULT: "SET DEFAULT",
}
# SQL type as written → the TypeRef name PostgreSQL's format_type() prints
COLUMN_TYPES = {
    "integer": "integer",
    "bigint": "bigint",
    "text": "text",
    "boolean": "boolean",
    "varchar(20)": "character varying",
    "timestamptz": "timestamp with time zone",
    "uuid": "uuid",
    "jsonb": "jsonb",
    "numeric(10,2)": "numeric",
}


# ---------------------------------------------------------------- the shadow model


@dataclass
class ShadowTable:
    columns: dict[str, str] = field(default_factory=dict)  # name → SQL type as written
    not_null: set[str] = field(default_factory=set)
    # constraint name → (kind, columns); FKs also in ShadowSchema.fks
    constraints: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass
class ShadowFk:
    table: str
    column: str
    parent: str
    on_delete: FkAction
    on_update: FkAction


@dataclass
class ShadowSchema:
    """What exists after the statements so far, as far as the generator knows."""

    tables: dict[str, ShadowTable] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    fks: dict[str, ShadowFk] = field(default_factory=dict)  # constraint name → FK
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def referenced(self, table: str, column: str | None = None) -> bool:
        return any(
            fk.parent == table and (column is None or column == "id") and fk.table != table
            for fk in self.fks.values()
        )

    def parents(self) -> list[str]:
        """Tables a new foreign key may reference: those whose id is still the primary key."""
        return sorted(
            name
            for name, table in self.tables.items()
            if ("p", ("id",)) in table.constraints.values()
        )

    def drop_column(self, table: str, column: str) -> None:
        """What ALTER TABLE ... DROP COLUMN ... CASCADE removes along with the column."""
        shadow = self.tables[table]
        del shadow.columns[column]
        shadow.not_null.discard(column)
        for name, (_, columns) in list(shadow.constraints.items()):
            if column in columns:
                del shadow.constraints[name]
                self.fks.pop(name, None)
        for name, (owner, columns) in list(self.indexes.items()):
            if owner == table and column in columns:
                del self.indexes[name]
        if column == "id":
            for name, fk in list(self.fks.items()):
                if fk.parent == table:
                    self._drop_fk(name)

    def drop_table(self, table: str) -> None:
        for name, fk in list(self.fks.items()):
            if fk.parent == table or fk.table == table:
                self._drop_fk(name)
        for name, (owner, _) in list(self.indexes.items()):
            if owner == table:
                del self.indexes[name]
        del self.tables[table]

    def _drop_fk(self, name: str) -> None:
        fk = self.fks.pop(name)
        if fk.table in self.tables:
            self.tables[fk.table].constraints.pop(name, None)


# ---------------------------------------------------------------- statement generators

Draw = Callable[[st.SearchStrategy[object]], object]


def _column_type(draw: Draw, schema: ShadowSchema) -> str:
    choices = [*COLUMN_TYPES, *schema.enums]
    return str(draw(st.sampled_from(choices)))


def _actions(draw: Draw) -> tuple[FkAction, FkAction]:
    on_delete = draw(st.sampled_from(list(ACTIONS)))
    on_update = draw(st.sampled_from([FkAction.NO_ACTION, FkAction.CASCADE, FkAction.RESTRICT]))
    return on_delete, on_update  # type: ignore[return-value]


def _fk_clause(parent: str, on_delete: FkAction, on_update: FkAction) -> str:
    clause = f"REFERENCES {parent} (id)"
    if on_delete is not FkAction.NO_ACTION:
        clause += f" ON DELETE {ACTIONS[on_delete]}"
    if on_update is not FkAction.NO_ACTION:
        clause += f" ON UPDATE {ACTIONS[on_update]}"
    return clause


def _create_table(draw: Draw, schema: ShadowSchema) -> str:
    name = schema.fresh("t")
    table = ShadowTable(columns={"id": "integer"}, not_null={"id"})
    table.constraints[f"{name}_pkey"] = ("p", ("id",))
    parts = ["id integer PRIMARY KEY"]
    for _ in range(int(draw(st.integers(0, 3)))):  # type: ignore[call-overload]
        column = schema.fresh("c")
        sql_type = _column_type(draw, schema)
        not_null = bool(draw(st.booleans()))
        parts.append(f"{column} {sql_type}{' NOT NULL' if not_null else ''}")
        table.columns[column] = sql_type
        if not_null:
            table.not_null.add(column)
    if schema.parents() and draw(st.booleans()):
        parent = str(draw(st.sampled_from(schema.parents())))
        on_delete, on_update = _actions(draw)
        column = schema.fresh("c")
        constraint = f"{name}_{column}_fkey"  # PostgreSQL's implicit name for a column FK
        parts.append(f"{column} integer {_fk_clause(parent, on_delete, on_update)}")
        table.columns[column] = "integer"
        table.constraints[constraint] = ("f", (column,))
        schema.fks[constraint] = ShadowFk(name, column, parent, on_delete, on_update)
    schema.tables[name] = table
    return f"CREATE TABLE {name} ({', '.join(parts)})"


def _pick_table(draw: Draw, schema: ShadowSchema) -> str:
    return str(draw(st.sampled_from(sorted(schema.tables))))


def _add_column(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    column = schema.fresh("c")
    sql_type = _column_type(draw, schema)
    not_null = bool(draw(st.booleans()))
    schema.tables[table].columns[column] = sql_type
    if not_null:
        schema.tables[table].not_null.add(column)
    return f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}{' NOT NULL' if not_null else ''}"


def _add_fk(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    if not schema.parents():
        return _create_table(draw, schema)
    parent = str(draw(st.sampled_from(schema.parents())))
    on_delete, on_update = _actions(draw)
    column = schema.fresh("c")
    constraint = schema.fresh("fk")
    shadow = schema.tables[table]
    shadow.columns[column] = "integer"
    shadow.constraints[constraint] = ("f", (column,))
    schema.fks[constraint] = ShadowFk(table, column, parent, on_delete, on_update)
    if draw(st.booleans()):
        # two statements: the column, then the named constraint
        return (
            f"ALTER TABLE {table} ADD COLUMN {column} integer;\n"
            f"ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) "
            f"{_fk_clause(parent, on_delete, on_update)}"
        )
    return (
        f"ALTER TABLE {table} ADD COLUMN {column} integer, ADD CONSTRAINT {constraint} "
        f"FOREIGN KEY ({column}) {_fk_clause(parent, on_delete, on_update)}"
    )


def _droppable_columns(schema: ShadowSchema, table: str) -> list[str]:
    return sorted(schema.tables[table].columns)


def _drop_column(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    if not schema.tables[table].columns:
        return _add_column(draw, schema)
    column = str(draw(st.sampled_from(_droppable_columns(schema, table))))
    schema.drop_column(table, column)
    return f"ALTER TABLE {table} DROP COLUMN {column} CASCADE"


def _rename_column(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    if not shadow.columns:
        return _add_column(draw, schema)
    column = str(draw(st.sampled_from(sorted(shadow.columns))))
    if column == "id":  # FKs name "id" as the referenced column: keep it
        column = ""
    new = schema.fresh("c")
    if not column:
        return _add_column(draw, schema)
    shadow.columns[new] = shadow.columns.pop(column)
    if column in shadow.not_null:
        shadow.not_null.discard(column)
        shadow.not_null.add(new)
    for name, (kind, columns) in list(shadow.constraints.items()):
        shadow.constraints[name] = (kind, tuple(new if c == column else c for c in columns))
    for fk in schema.fks.values():
        if fk.table == table and fk.column == column:
            fk.column = new
    for name, (owner, columns) in list(schema.indexes.items()):
        if owner == table:
            schema.indexes[name] = (owner, tuple(new if c == column else c for c in columns))
    return f"ALTER TABLE {table} RENAME COLUMN {column} TO {new}"


def _rename_table(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    new = schema.fresh("t")
    schema.tables[new] = schema.tables.pop(table)
    for fk in schema.fks.values():
        if fk.table == table:
            fk.table = new
        if fk.parent == table:
            fk.parent = new
    for name, (owner, columns) in list(schema.indexes.items()):
        if owner == table:
            schema.indexes[name] = (new, columns)
    return f"ALTER TABLE {table} RENAME TO {new}"


def _set_not_null(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    if not shadow.columns:
        return _add_column(draw, schema)
    column = str(draw(st.sampled_from(sorted(shadow.columns))))
    if column in shadow.not_null:
        if column == "id":
            return f"ALTER TABLE {table} ALTER COLUMN id SET NOT NULL"
        shadow.not_null.discard(column)
        return f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL"
    shadow.not_null.add(column)
    return f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL"


def _alter_type(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    in_constraint = {c for _, cols in shadow.constraints.values() for c in cols}
    candidates = sorted(
        c
        for c, t in shadow.columns.items()
        if t in ("integer", "varchar(20)") and c not in in_constraint
    )
    if not candidates:
        return _add_column(draw, schema)
    column = str(draw(st.sampled_from(candidates)))
    new = "bigint" if shadow.columns[column] == "integer" else "text"
    shadow.columns[column] = new
    return f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new}"


def _add_unique(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    plain = sorted(c for c, t in shadow.columns.items() if t in COLUMN_TYPES and t != "jsonb")
    if not plain:
        return _add_column(draw, schema)
    column = str(draw(st.sampled_from(plain)))
    constraint = schema.fresh("uq")
    shadow.constraints[constraint] = ("u", (column,))
    return f"ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE ({column})"


def _add_check(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    if not shadow.columns:
        return _add_column(draw, schema)
    column = str(draw(st.sampled_from(sorted(shadow.columns))))
    constraint = schema.fresh("ck")
    shadow.constraints[constraint] = ("c", (column,))
    # true for every row: the delete probes insert whatever values they like
    check = f"{column} IS NULL OR {column} IS NOT NULL"
    return f"ALTER TABLE {table} ADD CONSTRAINT {constraint} CHECK ({check})"


def _drop_constraint(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    # a primary key other tables reference needs CASCADE; keep the PK, drop the rest
    names = sorted(n for n, (kind, _) in shadow.constraints.items() if kind != "p")
    if not names:
        return _add_check(draw, schema)
    name = str(draw(st.sampled_from(names)))
    del shadow.constraints[name]
    schema.fks.pop(name, None)
    return f"ALTER TABLE {table} DROP CONSTRAINT {name}"


def _create_index(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    shadow = schema.tables[table]
    plain = sorted(c for c, t in shadow.columns.items() if t != "jsonb")
    if not plain:
        return _add_column(draw, schema)
    columns: tuple[str, ...] = tuple(
        draw(st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True))  # type: ignore[arg-type]
    )
    name = schema.fresh("ix")
    unique = "UNIQUE " if draw(st.booleans()) else ""
    schema.indexes[name] = (table, columns)
    return f"CREATE {unique}INDEX {name} ON {table} ({', '.join(columns)})"


def _drop_index(draw: Draw, schema: ShadowSchema) -> str:
    if not schema.indexes:
        return _create_index(draw, schema)
    name = str(draw(st.sampled_from(sorted(schema.indexes))))
    del schema.indexes[name]
    return f"DROP INDEX {name}"


def _rename_index(draw: Draw, schema: ShadowSchema) -> str:
    if not schema.indexes:
        return _create_index(draw, schema)
    name = str(draw(st.sampled_from(sorted(schema.indexes))))
    new = schema.fresh("ix")
    schema.indexes[new] = schema.indexes.pop(name)
    return f"ALTER INDEX {name} RENAME TO {new}"


def _create_enum(draw: Draw, schema: ShadowSchema) -> str:
    name = schema.fresh("e")
    labels = ["a", "b", "c"][: int(draw(st.integers(1, 3)))]  # type: ignore[call-overload]
    schema.enums[name] = labels
    return f"CREATE TYPE {name} AS ENUM ({', '.join(repr(x) for x in labels)})"


def _alter_enum(draw: Draw, schema: ShadowSchema) -> str:
    if not schema.enums:
        return _create_enum(draw, schema)
    name = str(draw(st.sampled_from(sorted(schema.enums))))
    if draw(st.booleans()):
        label = schema.fresh("v")
        schema.enums[name].append(label)
        return f"ALTER TYPE {name} ADD VALUE '{label}'"
    new = schema.fresh("e")
    schema.enums[new] = schema.enums.pop(name)
    for table in schema.tables.values():
        for column, sql_type in table.columns.items():
            if sql_type == name:
                table.columns[column] = new
    return f"ALTER TYPE {name} RENAME TO {new}"


def _drop_enum(draw: Draw, schema: ShadowSchema) -> str:
    if not schema.enums:
        return _create_enum(draw, schema)
    name = str(draw(st.sampled_from(sorted(schema.enums))))
    for table_name, table in schema.tables.items():
        for column, sql_type in list(table.columns.items()):
            if sql_type == name:
                schema.drop_column(table_name, column)
    del schema.enums[name]
    return f"DROP TYPE {name} CASCADE"


def _drop_table(draw: Draw, schema: ShadowSchema) -> str:
    table = _pick_table(draw, schema)
    cascade = " CASCADE" if schema.referenced(table) or draw(st.booleans()) else ""
    schema.drop_table(table)
    return f"DROP TABLE {table}{cascade}"


NEEDS_TABLE = [
    _add_column,
    _add_fk,
    _drop_column,
    _rename_column,
    _rename_table,
    _set_not_null,
    _alter_type,
    _add_unique,
    _add_check,
    _drop_constraint,
    _create_index,
    _drop_index,
    _rename_index,
    _drop_table,
]
ALWAYS = [_create_table, _create_table, _create_enum, _alter_enum, _drop_enum]


@st.composite
def valid_ddl(draw: Draw, max_size: int = 25, fk_weight: int = 1) -> tuple[list[str], ShadowSchema]:
    """A sequence PostgreSQL accepts statement by statement, and the model it leaves.

    ``fk_weight`` > 1 draws foreign keys (and tables to hang them on) more often.
    """
    schema = ShadowSchema()
    statements: list[str] = []
    for _ in range(int(draw(st.integers(1, max_size)))):  # type: ignore[call-overload]
        extra = [_create_table, _add_fk] * (fk_weight - 1)
        choices = ALWAYS + (NEEDS_TABLE + extra if schema.tables else [])
        make = draw(st.sampled_from(choices))
        statements.append(make(draw, schema))  # type: ignore[operator]
    return statements, schema


POOL_TABLES = ["a", "b", '"B"', "c"]
POOL_COLUMNS = ["id", "x", "y", "a_id"]
POOL_TYPES = ["integer", "text", "mood", "public.mood", "missing_t", "int[]", "b"]


@st.composite
def chaos_ddl(draw: Draw, max_size: int = 30) -> list[str]:
    """Statements over a small pool of names, regardless of what exists."""
    t = st.sampled_from(POOL_TABLES)
    c = st.sampled_from(POOL_COLUMNS)
    ty = st.sampled_from(POOL_TYPES)
    action = st.sampled_from(list(ACTIONS.values()))
    cascade = st.sampled_from(["", " CASCADE", " RESTRICT"])
    exists = st.sampled_from(["", " IF EXISTS"])
    not_exists = st.sampled_from(["", " IF NOT EXISTS"])
    templates: list[Callable[[], str]] = [
        lambda: (
            f"CREATE TABLE{draw(not_exists)} {draw(t)} (id integer PRIMARY KEY, "
            f"{draw(c)} {draw(ty)}, x integer REFERENCES {draw(t)} ON DELETE {draw(action)})"
        ),
        lambda: f"CREATE TABLE{draw(not_exists)} {draw(t)} ({draw(c)} {draw(ty)} UNIQUE)",
        lambda: (
            f"ALTER TABLE{draw(exists)} {draw(t)} ADD COLUMN{draw(not_exists)} {draw(c)} {draw(ty)}"
        ),
        lambda: f"ALTER TABLE {draw(t)} DROP COLUMN{draw(exists)} {draw(c)}{draw(cascade)}",
        lambda: f"ALTER TABLE {draw(t)} RENAME COLUMN {draw(c)} TO {draw(c)}",
        lambda: f"ALTER TABLE{draw(exists)} {draw(t)} RENAME TO {draw(t)}",
        lambda: (
            f"ALTER TABLE {draw(t)} ALTER COLUMN {draw(c)} "
            f"{draw(st.sampled_from(['SET', 'DROP']))} NOT NULL"
        ),
        lambda: f"ALTER TABLE {draw(t)} ALTER COLUMN {draw(c)} TYPE {draw(ty)}",
        lambda: (
            f"ALTER TABLE {draw(t)} ADD CONSTRAINT k_{draw(c)} FOREIGN KEY ({draw(c)}) "
            f"REFERENCES {draw(t)} ({draw(c)}) ON DELETE {draw(action)} ON UPDATE {draw(action)}"
            f"{draw(st.sampled_from(['', ' NOT VALID', ' DEFERRABLE INITIALLY DEFERRED']))}"
        ),
        lambda: (
            f"ALTER TABLE {draw(t)} ADD CONSTRAINT k_{draw(c)} "
            f"{draw(st.sampled_from(['UNIQUE', 'PRIMARY KEY']))} ({draw(c)})"
        ),
        lambda: f"ALTER TABLE {draw(t)} ADD CONSTRAINT k_{draw(c)} CHECK ({draw(c)} > 0)",
        lambda: f"ALTER TABLE {draw(t)} DROP CONSTRAINT{draw(exists)} k_{draw(c)}{draw(cascade)}",
        lambda: f"ALTER TABLE {draw(t)} VALIDATE CONSTRAINT k_{draw(c)}",
        lambda: f"ALTER TABLE {draw(t)} RENAME CONSTRAINT k_{draw(c)} TO k_{draw(c)}",
        lambda: (
            f"CREATE {draw(st.sampled_from(['', 'UNIQUE ']))}INDEX{draw(not_exists)} "
            f"i_{draw(c)} ON {draw(t)} ({draw(c)}, {draw(c)})"
        ),
        lambda: f"CREATE INDEX ON {draw(t)} (lower({draw(c)})) WHERE {draw(c)} IS NOT NULL",
        lambda: f"DROP INDEX{draw(exists)} i_{draw(c)}{draw(cascade)}",
        lambda: f"ALTER INDEX{draw(exists)} i_{draw(c)} RENAME TO i_{draw(c)}",
        lambda: f"CREATE TYPE {draw(st.sampled_from(['mood', 'b', 'a']))} AS ENUM ('x', 'y')",
        lambda: (
            f"ALTER TYPE mood ADD VALUE{draw(not_exists)} '{draw(st.sampled_from(['x', 'z']))}'"
        ),
        lambda: "ALTER TYPE mood RENAME VALUE 'x' TO 'w'",
        lambda: (
            f"ALTER TYPE {draw(st.sampled_from(['mood', 'b']))} RENAME TO "
            f"{draw(st.sampled_from(['mood', 'b', 'feel']))}"
        ),
        lambda: (
            f"DROP TYPE{draw(exists)} {draw(st.sampled_from(['mood', 'b', 'feel']))}{draw(cascade)}"
        ),
        lambda: f"DROP TABLE{draw(exists)} {draw(t)}{draw(cascade)}",
        lambda: f"CREATE SCHEMA{draw(not_exists)} s",
        lambda: f"CREATE TABLE s.{draw(t)} (id integer REFERENCES {draw(t)} (id))",
        lambda: f"DROP SCHEMA{draw(exists)} s{draw(cascade)}",
        lambda: f"CREATE VIEW v AS SELECT * FROM {draw(t)}",
        lambda: f"COMMENT ON COLUMN {draw(t)}.{draw(c)} IS 'x'",
        lambda: (
            f"DO $$ BEGIN ALTER TABLE {draw(t)} ADD COLUMN {draw(c)} integer; "
            f"EXCEPTION WHEN duplicate_column THEN NULL; END $$"
        ),
    ]
    count = int(draw(st.integers(1, max_size)))  # type: ignore[call-overload]
    return [draw(st.sampled_from(templates))() for _ in range(count)]  # type: ignore[operator]


# ---------------------------------------------------------------- running and invariants


def simulate_sql(statements: list[str], path: str = "gen.sql") -> SimulationResult:
    """Split, parse and simulate SQL text the way a migration file is read."""
    text = ";\n".join(statements) + ";\n"
    migration = MigrationFile(path, "gen", Layer.BASE, JournalStatus.PLAIN, None, None, None)
    pieces = [
        Statement(text[s:e], Origin(path, s, e, i, Layer.BASE), migration)
        for i, (s, e) in enumerate(split_statements(text, 0, len(text)))
    ]
    return simulate(parse_statements(pieces))


def catalog_problems(catalog: Catalog, events: Sequence[SimEvent] = ()) -> list[str]:
    """Every broken reference inside a catalog (empty when it is consistent).

    ``events``: a statement with a MISSING event fails on the server; what the
    simulator kept of it may dangle, since the migration's error has been said
    (and so may a column whose type was reported missing).
    """
    problems: list[str] = []
    user_types = {*catalog.enums, *catalog.domains, *catalog.composites, *catalog.tables}
    missing = [e for e in events if e.kind is EventKind.MISSING]
    failed = {e.origin.statement for e in missing}
    missing_types = {e.name for e in missing if e.object_kind == "type"}

    def said(origin: Origin) -> bool:
        return origin.statement in failed

    def dangling(ref: TypeRef) -> bool:
        if ref.schema is None or (ref.schema, ref.name) in user_types:
            return False
        return display_name((ref.schema, ref.name)) not in missing_types

    for key, table in catalog.tables.items():
        names = [c.name for c in table.columns]
        if len(names) != len(set(names)):
            problems.append(f"{key}: duplicate column names {names}")
        for column in table.columns:
            if dangling(column.type) and not said(column.origin):
                problems.append(f"{key}.{column.name}: dangling type {column.type!r}")
        constraint_names = [c.name for c in table.constraints]
        if len(constraint_names) != len(set(constraint_names)):
            problems.append(f"{key}: duplicate constraint names {constraint_names}")
        for constraint in table.constraints:
            absent = [c for c in constraint.columns if c not in names]
            if (
                absent
                and constraint.kind is not ConstraintKind.CHECK
                and not said(constraint.origin)
            ):
                problems.append(f"{key}.{constraint.name}: missing columns {absent}")
            details = constraint.foreign_key
            if details is None:
                continue
            if said(constraint.origin):
                continue  # the statement failed on the server; the simulator said so
            parent = catalog.tables.get(details.ref_table)
            if parent is None:
                problems.append(f"{key}.{constraint.name}: parent {details.ref_table} missing")
                continue
            parent_names = {c.name for c in parent.columns}
            gone = [c for c in details.ref_columns if c not in parent_names]
            if gone:
                problems.append(f"{key}.{constraint.name}: parent columns {gone} missing")
            if len(details.ref_columns) != len(constraint.columns):
                problems.append(f"{key}.{constraint.name}: column counts differ")
    for key, index in catalog.indexes.items():
        owner = catalog.tables.get(index.table)
        if owner is None:
            problems.append(f"index {key}: table {index.table} missing")
            continue
        owner_columns = {c.name for c in owner.columns}
        gone = [c for c in index.key_columns if c is not None and c not in owner_columns]
        if gone:
            problems.append(f"index {key}: columns {gone} missing from {index.table}")
    for key, domain in catalog.domains.items():
        if dangling(domain.base) and not said(domain.origin):
            problems.append(f"domain {key}: dangling base type")
    return problems


def shadow_problems(catalog: Catalog, schema: ShadowSchema) -> list[str]:
    """Where the simulated catalog differs from what the generator knows it did."""
    problems: list[str] = []
    static_tables = {name for (_, name) in catalog.tables}
    if static_tables != set(schema.tables):
        problems.append(f"tables {sorted(static_tables)} != {sorted(schema.tables)}")
        return problems
    for name, shadow in schema.tables.items():
        table = catalog.tables[("public", name)]
        columns = {c.name: c for c in table.columns}
        if set(columns) != set(shadow.columns):
            problems.append(f"{name}: columns {sorted(columns)} != {sorted(shadow.columns)}")
            continue
        for column_name, sql_type in shadow.columns.items():
            column = columns[column_name]
            expected = COLUMN_TYPES.get(sql_type, sql_type)
            if column.type.name != expected:
                problems.append(f"{name}.{column_name}: type {column.type.name} != {expected}")
            if column.not_null != (column_name in shadow.not_null):
                problems.append(f"{name}.{column_name}: not null {column.not_null}")
        fks = {c.name for c in table.foreign_keys}
        expected_fks = {n for n, fk in schema.fks.items() if fk.table == name}
        if fks != expected_fks:
            problems.append(f"{name}: foreign keys {sorted(fks)} != {sorted(expected_fks)}")
    for name, fk in schema.fks.items():
        constraint = catalog.tables[("public", fk.table)].constraint(name)
        if constraint is None or constraint.foreign_key is None:
            continue
        details = constraint.foreign_key
        got = (details.ref_table[1], constraint.columns, details.on_delete, details.on_update)
        want = (fk.parent, (fk.column,), fk.on_delete, fk.on_update)
        if got != want:
            problems.append(f"{fk.table}.{name}: {got} != {want}")
    indexes = {name for (_, name), index in catalog.indexes.items() if index.constraint is None}
    if indexes != set(schema.indexes):
        problems.append(f"indexes {sorted(indexes)} != {sorted(schema.indexes)}")
    enums = {name for (_, name) in catalog.enums}
    if enums != set(schema.enums):
        problems.append(f"enums {sorted(enums)} != {sorted(schema.enums)}")
    for name, labels in schema.enums.items():
        if list(catalog.enums[("public", name)].labels) != labels:
            problems.append(f"enum {name}: labels {catalog.enums[('public', name)].labels}")
    return problems


# ---------------------------------------------------------------- the properties

# A valid sequence is one PostgreSQL runs without an error: none of these may appear.
PROBLEM_EVENTS = {EventKind.MISSING, EventKind.DUPLICATE, EventKind.BLOCKED, EventKind.REJECTED}


@given(valid_ddl())
def test_valid_sequences_build_the_schema_the_generator_expects(
    generated: tuple[list[str], ShadowSchema],
) -> None:
    statements, schema = generated
    result = simulate_sql(statements)
    assert catalog_problems(result.catalog) == [], "\n".join(statements)
    assert shadow_problems(result.catalog, schema) == [], "\n".join(statements)
    unexpected = [e for e in result.events if e.kind in PROBLEM_EVENTS]
    assert unexpected == [], "\n".join(statements)


@given(chaos_ddl())
def test_chaotic_sequences_never_raise_and_keep_the_catalog_consistent(
    statements: list[str],
) -> None:
    result = simulate_sql(statements)
    assert catalog_problems(result.catalog, result.events) == [], "\n".join(statements)


@given(valid_ddl(max_size=15))
@settings(max_examples=max(10, _EXAMPLES // 3))
def test_deletion_closure_terminates_and_only_names_existing_tables(
    generated: tuple[list[str], ShadowSchema],
) -> None:
    from checker.graph import SchemaGraph

    statements, _ = generated
    catalog = simulate_sql(statements).catalog
    graph = SchemaGraph(catalog)
    for root in catalog.tables:
        closure = graph.deletion_closure(root)
        for group in (closure.deleted, closure.set_null, closure.blocking):
            for table, paths in group.items():
                assert table in catalog.tables
                assert all(path.target == table and path.root == root for path in paths)
        # every direct reference lands in the group its ON DELETE action says
        for edge in graph.referencing(root):
            action = edge.on_delete.value
            group = (
                closure.deleted
                if action == "cascade"
                else closure.set_null
                if action in ("set null", "set default")
                else closure.blocking
            )
            assert edge.child in group, (edge.constraint, action, "\n".join(statements))
    graph.cycles()  # terminates on whatever cycles the sequence made


@pytest.mark.parametrize(
    "statements",
    [
        # regressions found by the generators, kept as plain examples
        ["CREATE TABLE a (id integer PRIMARY KEY)", "ALTER TABLE a RENAME TO a"],
        ["CREATE TYPE mood AS ENUM ('x')", "CREATE TABLE a (m mood)", "DROP TYPE mood CASCADE"],
        [
            "CREATE TABLE a (id integer PRIMARY KEY)",
            "CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a)",
            "ALTER TABLE a DROP COLUMN id CASCADE",
        ],
    ],
)
def test_known_sequences(statements: list[str], tmp_path: Path) -> None:
    result = simulate_sql(statements)
    assert catalog_problems(result.catalog, result.events) == []


# ---------------------------------------------------------------- determinism

_CORPUS = str(SIM_MIGRATIONS) if SIM_MIGRATIONS.is_dir() else ""


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("inputs", ["bundled", "upstream-sim"])
def test_two_runs_give_byte_identical_reports(fmt: str, inputs: str, tmp_path: Path) -> None:
    """Same inputs, different hash seeds (set and dict-of-set order), same bytes."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    if inputs == "bundled":
        arguments = [
            "--base", "fixtures/sim", "--extension", "fixtures/parlant",
            "--proposal", "fixtures/parlant/proposal.md",
        ]  # fmt: skip
    elif _CORPUS and Path(_CORPUS).is_dir():
        arguments = ["--base", _CORPUS]
    else:
        pytest.skip(CORPUS_ABSENT)
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"report-{seed}.{fmt}"
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(repo)}
        environment.pop("GITHUB_ACTIONS", None)
        result = subprocess.run(
            [sys.executable, "-m", "checker.cli", "check", *arguments, "--format", fmt,
             "--output", str(out)],
            cwd=repo, env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode in (0, 1), result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
