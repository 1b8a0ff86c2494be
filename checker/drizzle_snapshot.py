"""Read a drizzle-kit snapshot (``meta/NNNN_snapshot.json``, version 7) into a Catalog.

The snapshot is turned into the DDL drizzle-kit generates from it (CREATE TYPE
for enums, CREATE TABLE with columns, primary keys, unique and check
constraints, then indexes and foreign keys), and the simulator runs that DDL,
so the catalog is normalised exactly like one simulated from the migrations.
Each object's origin is then set to its key in the JSON text (layer base).

A snapshot records what drizzle-kit manages and nothing else: extensions are
inferred from the types the columns use (``vector`` for pgvector); indexes,
columns and constraints created by hand-written SQL, functions and triggers
are not in it. Roles and row-level security policies are not modelled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from checker.catalog import (
    Catalog,
    Constraint,
    ConstraintKind,
    Index,
    QualifiedName,
    Sequence,
    Table,
    quote,
)
from checker.errors import InputError
from checker.model import JournalStatus, Layer, MigrationFile, Origin, SourceFile, Statement
from checker.types import EXTENSION_TYPES

SUPPORTED_VERSIONS = ("7",)

# JSON's whitespace between tokens (the text is valid JSON: nothing else appears there)
_SPACE = re.compile(r"[ \t\n\r]*")
# decodes one JSON value (in C) and says where it ends: a key, or a subtree with no key
# to record, is read with it instead of token by token
_DECODE = json.JSONDecoder().raw_decode
_ARRAY_SUFFIX = re.compile(r"(\[\d*\])+$")
_FK_ACTIONS = ("cascade", "restrict", "no action", "set null", "set default")

JsonPath = tuple[str, ...]


def looks_like_snapshot(data: object) -> bool:
    """A drizzle-kit snapshot of a PostgreSQL schema (any version)."""
    return (
        isinstance(data, dict)
        and data.get("dialect") == "postgresql"
        and isinstance(data.get("tables"), dict)
    )


def key_offsets(text: str, depth: int = 4) -> dict[JsonPath, int]:
    """Character offset of every object key down to ``depth`` levels, by key path.

    Keys of objects inside arrays are left out (their path would need an
    index); a key given twice keeps its first offset. The text must be valid
    JSON: ``json.loads`` says where it is not.
    """
    offsets: dict[JsonPath, int] = {}
    start = _skip_space(text, 0)
    if depth > 0 and text.startswith("{", start):
        _object_keys(text, start, (), depth, offsets)
    return offsets


def _object_keys(
    text: str, position: int, path: JsonPath, depth: int, offsets: dict[JsonPath, int]
) -> int:
    """Record the keys of the object whose ``{`` is at ``position`` (its path is
    ``path``, shorter than ``depth``) and of the objects below it down to ``depth``;
    the offset just past its ``}``."""
    position = _skip_space(text, position + 1)
    if text[position] == "}":
        return position + 1
    inner = len(path) + 1 < depth
    while True:
        key, position_after = _DECODE(text, position)
        offsets.setdefault((*path, key), position)
        # past the colon to the value
        position = _skip_space(text, _skip_space(text, position_after) + 1)
        if inner and text[position] == "{":
            position = _object_keys(text, position, (*path, key), depth, offsets)
        else:
            position = _DECODE(text, position)[1]
        position = _skip_space(text, position)
        if text[position] == "}":
            return position + 1
        # past the comma to the next key
        position = _skip_space(text, position + 1)


def _skip_space(text: str, position: int) -> int:
    found = _SPACE.match(text, position)
    return found.end() if found else position


@dataclass(slots=True)
class _Locator:
    """Turns key paths into origins and ``path:line:col`` for messages."""

    path: str
    text: str
    offsets: dict[JsonPath, int]

    def origin(self, key_path: JsonPath) -> Origin:
        """The span of the key (quotes included); the file's start for the empty path."""
        start = self._offset(key_path)
        # the key as json.dumps(key, ensure_ascii=False) writes it, without its set-up cost
        length = len(encode_basestring(key_path[-1])) if key_path else 1
        return Origin(self.path, start, start + length, -1, Layer.BASE)

    def where(self, key_path: JsonPath) -> str:
        # only an error message needs lines: the file's line index is built for it alone
        line, column = SourceFile.of(self.path, self.text).line_col(self._offset(key_path))
        return f"{self.path}:{line}:{column}"

    def error(self, key_path: JsonPath, message: str) -> InputError:
        return InputError(f"{self.where(key_path)}: {message}", self.origin(key_path), message)

    def _offset(self, key_path: JsonPath) -> int:
        for length in range(len(key_path), 0, -1):
            found = self.offsets.get(key_path[:length])
            if found is not None:
                return found
        return 0


@dataclass(slots=True)
class _Ddl:
    """The generated statements, each with the key path of the object it comes from."""

    statements: list[tuple[str, JsonPath]] = field(default_factory=list)
    # where each catalog object comes from, keyed like Catalog's mappings
    tables: dict[QualifiedName, JsonPath] = field(default_factory=dict)
    columns: dict[tuple[str, str, str], JsonPath] = field(default_factory=dict)
    constraints: dict[tuple[str, str, str], JsonPath] = field(default_factory=dict)
    primary_keys: dict[QualifiedName, JsonPath] = field(default_factory=dict)
    indexes: dict[QualifiedName, JsonPath] = field(default_factory=dict)
    types: dict[QualifiedName, JsonPath] = field(default_factory=dict)
    extensions: dict[str, JsonPath] = field(default_factory=dict)
    sequences: dict[QualifiedName, JsonPath] = field(default_factory=dict)
    views: dict[QualifiedName, JsonPath] = field(default_factory=dict)

    def add(self, sql: str, key_path: JsonPath) -> None:
        self.statements.append((sql, key_path))


def read_snapshot(path: Path, text: str) -> Catalog:
    """The Catalog a drizzle-kit snapshot describes; bad input is an InputError
    naming ``path:line:col``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: bad snapshot JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{path}:1:1: bad snapshot JSON: nested too deeply") from None
    locator = _Locator(str(path), text, key_offsets(text))
    if isinstance(data, dict) and "entries" in data and "tables" not in data:
        raise locator.error((), "a drizzle-kit journal, not a snapshot: give its migration folder")
    if not looks_like_snapshot(data):
        raise locator.error(
            (), 'not a drizzle-kit snapshot: expected "dialect": "postgresql" and a "tables" object'
        )
    version = data.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise locator.error(
            ("version",),
            f"drizzle-kit snapshot version {version!r} is not supported "
            f"(supported: {', '.join(SUPPORTED_VERSIONS)}; drizzle-kit up rewrites older ones)",
        )
    ddl = _generate(data, locator)
    return _simulate(ddl, path, locator)


# ---- snapshot → DDL -----------------------------------------------------------


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _qualified(schema: str, name: str) -> str:
    return f"{quote(schema or 'public')}.{quote(name)}"


def _objects(value: Any, key_path: JsonPath, locator: _Locator) -> Iterator[tuple[str, Any]]:
    """The entries of an object-valued section; every entry must be an object."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise locator.error(key_path, f'"{key_path[-1]}" must be an object')
    for key, entry in value.items():
        if not isinstance(entry, dict):
            raise locator.error((*key_path, key), f'"{key}" must be an object')
        yield key, entry


def _string(entry: Mapping[str, Any], name: str, key_path: JsonPath, locator: _Locator) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise locator.error(key_path, f'"{name}" must be a non-empty string')
    return value


def _names(entry: Mapping[str, Any], name: str, key_path: JsonPath, locator: _Locator) -> str:
    value = entry.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise locator.error(key_path, f'"{name}" must be a non-empty list of column names')
    return ", ".join(quote(v) for v in value)


def _generate(data: Mapping[str, Any], locator: _Locator) -> _Ddl:
    ddl = _Ddl()
    tables = list(_objects(data["tables"], ("tables",), locator))
    declared = data.get("schemas") or {}
    if not isinstance(declared, dict) or not all(isinstance(v, str) for v in declared.values()):
        raise locator.error(("schemas",), '"schemas" must map names to names')
    schemas = set(declared.values())
    schemas |= {str(entry.get("schema") or "public") for _, entry in tables}
    schemas |= {
        str(entry.get("schema") or "public")
        for section in ("enums", "sequences", "views")
        for _, entry in _objects(data.get(section), (section,), locator)
    }
    for schema in sorted(schemas - {"public"}):
        ddl.add(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}", ("schemas",))
    _extensions(ddl, tables)
    for key, entry in _objects(data.get("enums"), ("enums",), locator):
        key_path = ("enums", key)
        name = _string(entry, "name", key_path, locator)
        values = entry.get("values")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise locator.error(key_path, '"values" must be a list of strings')
        schema = str(entry.get("schema") or "public")
        ddl.types[(schema, name)] = key_path
        labels = ", ".join(_literal(v) for v in values)
        ddl.add(f"CREATE TYPE {_qualified(schema, name)} AS ENUM ({labels})", key_path)
    for key, entry in _objects(data.get("sequences"), ("sequences",), locator):
        key_path = ("sequences", key)
        schema = str(entry.get("schema") or "public")
        name = _string(entry, "name", key_path, locator)
        ddl.sequences[(schema, name)] = key_path
        ddl.add(f"CREATE SEQUENCE {_qualified(schema, name)}", key_path)
    for key, entry in tables:
        _create_table(ddl, key, entry, locator)
    for key, entry in tables:
        _create_indexes(ddl, key, entry, locator)
    for key, entry in tables:
        _add_foreign_keys(ddl, key, entry, locator)
    for key, entry in _objects(data.get("views"), ("views",), locator):
        key_path = ("views", key)
        schema = str(entry.get("schema") or "public")
        name = _string(entry, "name", key_path, locator)
        ddl.views[(schema, name)] = key_path
        kind = "MATERIALIZED VIEW" if entry.get("materialized") else "VIEW"
        # The view's query is not analysed (nor is a migration's): only its name counts.
        ddl.add(f"CREATE {kind} {_qualified(schema, name)} AS SELECT NULL", key_path)
    return ddl


def _extensions(ddl: _Ddl, tables: list[tuple[str, Any]]) -> None:
    """The extensions the column types need: a snapshot does not record them,
    but its schema cannot exist without them."""
    for key, entry in tables:
        columns = entry.get("columns")
        for column_key, column in (columns or {}).items() if isinstance(columns, dict) else ():
            if not isinstance(column, dict) or column.get("typeSchema"):
                continue
            written = str(column.get("type", ""))
            base = _ARRAY_SUFFIX.sub("", written).split("(", 1)[0].strip().strip('"')
            extension = EXTENSION_TYPES.get(base)
            if extension is not None and extension not in ddl.extensions:
                key_path = ("tables", key, "columns", column_key)
                ddl.extensions[extension] = key_path
                ddl.add(f"CREATE EXTENSION IF NOT EXISTS {quote(extension)}", key_path)
        _operator_class_extensions(ddl, key, entry)


# Scalar types that GIN and GiST index only through btree_gin / btree_gist's operator classes.
_BTREE_SCALARS = frozenset(
    {
        "text",
        "varchar",
        "char",
        "integer",
        "bigint",
        "smallint",
        "uuid",
        "boolean",
        "numeric",
        "date",
        "timestamp",
        "timestamptz",
        "real",
        "double precision",
        "character varying",
    }
)
_BTREE_EXTENSIONS = {"gin": "btree_gin", "gist": "btree_gist"}


def _operator_class_extensions(ddl: _Ddl, key: str, entry: Mapping[str, Any]) -> None:
    """btree_gin / btree_gist when a GIN or GiST index keys a plain scalar column: the
    server has no operator class for it without the extension, so the schema needs it."""
    columns = entry.get("columns")
    indexes = entry.get("indexes")
    if not isinstance(columns, dict) or not isinstance(indexes, dict):
        return
    types = {
        str(column.get("name")): str(column.get("type", "")).split("(", 1)[0].strip()
        for column in columns.values()
        if isinstance(column, dict)
    }
    for index_key, index in indexes.items():
        if not isinstance(index, dict):
            continue
        extension = _BTREE_EXTENSIONS.get(str(index.get("using") or index.get("method") or ""))
        if extension is None or extension in ddl.extensions:
            continue
        for part in index.get("columns") or ():
            if (
                isinstance(part, dict)
                and not part.get("isExpression")
                and not part.get("opclass")
                and types.get(str(part.get("expression"))) in _BTREE_SCALARS
            ):
                key_path = ("tables", key, "indexes", index_key)
                ddl.extensions[extension] = key_path
                ddl.add(f"CREATE EXTENSION IF NOT EXISTS {quote(extension)}", key_path)
                break


def _column_sql(
    table: str, key_path: JsonPath, column: Mapping[str, Any], locator: _Locator
) -> tuple[str, str]:
    """``"name" type [PRIMARY KEY] [DEFAULT] [GENERATED] [NOT NULL] [UNIQUE] [IDENTITY]``,
    in drizzle-kit's order, and the column's name."""
    name = _string(column, "name", key_path, locator)
    written = _string(column, "type", key_path, locator)
    type_schema = column.get("typeSchema")
    if isinstance(type_schema, str) and type_schema:
        suffix = _ARRAY_SUFFIX.search(written)
        bare = written[: suffix.start()] if suffix else written
        sql_type = _qualified(type_schema, bare) + (suffix.group() if suffix else "")
    else:
        sql_type = written
    parts = [quote(name), sql_type]
    if column.get("primaryKey") is True:
        parts.append("PRIMARY KEY")
    default = column.get("default")
    if default is not None:
        if isinstance(default, bool):
            default = "true" if default else "false"
        parts.append(f"DEFAULT {default}")
    generated = column.get("generated")
    if isinstance(generated, dict) and generated.get("as"):
        parts.append(f"GENERATED ALWAYS AS ({generated['as']}) STORED")
    identity = column.get("identity")
    if column.get("notNull") is True and not identity:
        parts.append("NOT NULL")
    if column.get("isUnique") is True:
        unique_name = column.get("uniqueName") or f"{table}_{name}_unique"
        distinct = " NULLS NOT DISTINCT" if column.get("nullsNotDistinct") else ""
        parts.append(f"CONSTRAINT {quote(str(unique_name))} UNIQUE{distinct}")
    if isinstance(identity, dict):
        when = "ALWAYS" if identity.get("type") == "always" else "BY DEFAULT"
        parts.append(f"GENERATED {when} AS IDENTITY")
    return " ".join(parts), name


def _create_table(ddl: _Ddl, key: str, entry: Mapping[str, Any], locator: _Locator) -> None:
    key_path = ("tables", key)
    name = _string(entry, "name", key_path, locator)
    schema = str(entry.get("schema") or "public")
    ddl.tables[(schema, name)] = key_path
    elements: list[str] = []
    for column_key, column in _objects(entry.get("columns"), (*key_path, "columns"), locator):
        column_path = (*key_path, "columns", column_key)
        sql, column_name = _column_sql(name, column_path, column, locator)
        elements.append(sql)
        ddl.columns[(schema, name, column_name)] = column_path
        if column.get("primaryKey") is True:
            ddl.primary_keys[(schema, name)] = column_path
        if column.get("isUnique") is True:
            unique_name = str(column.get("uniqueName") or f"{name}_{column_name}_unique")
            ddl.constraints[(schema, name, _truncated(unique_name))] = column_path
    for section in ("compositePrimaryKeys", "uniqueConstraints", "checkConstraints"):
        for item_key, item in _objects(entry.get(section), (*key_path, section), locator):
            item_path = (*key_path, section, item_key)
            item_name = str(item.get("name") or item_key)
            elements.append(_table_constraint(section, item_name, item, item_path, locator))
            ddl.constraints[(schema, name, _truncated(item_name))] = item_path
            if section == "compositePrimaryKeys":
                ddl.primary_keys[(schema, name)] = item_path
    body = ",\n\t".join(elements)
    ddl.add(f"CREATE TABLE {_qualified(schema, name)} (\n\t{body}\n)", key_path)


def _table_constraint(
    section: str, name: str, item: Mapping[str, Any], key_path: JsonPath, locator: _Locator
) -> str:
    if section == "checkConstraints":
        return f"CONSTRAINT {quote(name)} CHECK ({_string(item, 'value', key_path, locator)})"
    columns = _names(item, "columns", key_path, locator)
    if section == "compositePrimaryKeys":
        return f"CONSTRAINT {quote(name)} PRIMARY KEY ({columns})"
    distinct = " NULLS NOT DISTINCT" if item.get("nullsNotDistinct") else ""
    return f"CONSTRAINT {quote(name)} UNIQUE{distinct} ({columns})"


def _create_indexes(ddl: _Ddl, key: str, entry: Mapping[str, Any], locator: _Locator) -> None:
    table = _string(entry, "name", ("tables", key), locator)
    schema = str(entry.get("schema") or "public")
    for index_key, index in _objects(entry.get("indexes"), ("tables", key, "indexes"), locator):
        key_path = ("tables", key, "indexes", index_key)
        name = str(index.get("name") or index_key)
        columns = index.get("columns")
        if not isinstance(columns, list) or not columns:
            raise locator.error(key_path, '"columns" must be a non-empty list')
        keys = [_index_key(column, key_path, locator) for column in columns]
        method = str(index.get("method") or "btree")
        sql = (
            f"CREATE {'UNIQUE ' if index.get('isUnique') else ''}INDEX {quote(name)} "
            f"ON {_qualified(schema, table)} USING {method} ({', '.join(keys)})"
        )
        options = index.get("with")
        if isinstance(options, dict) and options:
            sql += " WITH (" + ", ".join(f"{k} = {v}" for k, v in options.items()) + ")"
        where = index.get("where")
        if isinstance(where, str) and where.strip():
            sql += f" WHERE {where}"
        ddl.indexes[(schema, _truncated(name))] = key_path
        ddl.add(sql, key_path)


def _index_key(column: Any, key_path: JsonPath, locator: _Locator) -> str:
    if not isinstance(column, dict) or not isinstance(column.get("expression"), str):
        raise locator.error(key_path, 'every entry of "columns" needs an "expression" string')
    expression = column["expression"]
    text = expression if column.get("isExpression") else quote(expression)
    if column.get("opclass"):
        text += f" {column['opclass']}"
    ascending = column.get("asc", True) is not False
    nulls = str(column.get("nulls") or ("last" if ascending else "first"))
    if not ascending:
        text += " DESC"
    if not (ascending and nulls == "last"):
        text += f" NULLS {nulls.upper()}"
    return text


def _add_foreign_keys(ddl: _Ddl, key: str, entry: Mapping[str, Any], locator: _Locator) -> None:
    table = _string(entry, "name", ("tables", key), locator)
    schema = str(entry.get("schema") or "public")
    section = ("tables", key, "foreignKeys")
    for fk_key, fk in _objects(entry.get("foreignKeys"), section, locator):
        key_path = (*section, fk_key)
        name = str(fk.get("name") or fk_key)
        target = _string(fk, "tableTo", key_path, locator)
        target_schema = str(fk.get("schemaTo") or "public")
        actions = []
        for clause, field_name in (("ON DELETE", "onDelete"), ("ON UPDATE", "onUpdate")):
            action = str(fk.get(field_name) or "no action").lower()
            if action not in _FK_ACTIONS:
                raise locator.error(key_path, f'"{field_name}": unknown action {action!r}')
            actions.append(f"{clause} {action}")
        ddl.constraints[(schema, table, _truncated(name))] = key_path
        ddl.add(
            f"ALTER TABLE {_qualified(schema, table)} ADD CONSTRAINT {quote(name)} "
            f"FOREIGN KEY ({_names(fk, 'columnsFrom', key_path, locator)}) "
            f"REFERENCES {_qualified(target_schema, target)} "
            f"({_names(fk, 'columnsTo', key_path, locator)}) {' '.join(actions)}",
            key_path,
        )


def _truncated(name: str) -> str:
    from checker.simulator.naming import truncate_identifier

    return truncate_identifier(name)


# ---- DDL → Catalog ------------------------------------------------------------

# What the snapshot is inconsistent about: the server would refuse its DDL.
_INCONSISTENT = ("missing", "duplicate", "rejected", "blocked", "not-analysed")


def _simulate(ddl: _Ddl, path: Path, locator: _Locator) -> Catalog:
    from checker.parsing import parse_statements
    from checker.simulator import simulate

    migration = MigrationFile(str(path), path.stem, Layer.BASE, JournalStatus.PLAIN, None)
    statements = [
        Statement(sql, Origin(str(path), 0, len(sql), position, Layer.BASE), migration)
        for position, (sql, _) in enumerate(ddl.statements)
    ]
    # every object is placed in the JSON afterwards: the SQL's identifier tokens, which
    # would place them in the generated text, are not needed
    parsed = parse_statements(statements, identifiers=False)
    seen: set[int] = set()
    for item in parsed:
        key_path = ddl.statements[item.statement.index][1]
        if item.error is not None:
            raise locator.error(key_path, f"does not give valid SQL: {item.error.message}")
        if item.statement.index in seen:
            # a default or predicate that ends the statement and starts another
            raise locator.error(key_path, "an expression holds more than one SQL statement")
        seen.add(item.statement.index)
    result = simulate(parsed)
    for event in result.events:
        if event.kind.value in _INCONSISTENT:
            key_path = ddl.statements[event.statement.statement.index][1]
            what = f"{event.kind.value} {event.object_kind} {event.name}"
            detail = f": {event.detail}" if event.detail else ""
            raise locator.error(key_path, f"inconsistent snapshot: {what}{detail}")
    return _with_snapshot_origins(result.catalog, ddl, locator)


def _with_snapshot_origins(catalog: Catalog, ddl: _Ddl, locator: _Locator) -> Catalog:
    """Every object's origin is its key in the snapshot (its table's when it has none)."""

    def at(found: JsonPath | None, fallback: Origin) -> Origin:
        return locator.origin(found) if found is not None else fallback

    tables: dict[QualifiedName, Table] = {}
    constraint_origins: dict[tuple[str, str], Origin] = {}
    for key, table in catalog.tables.items():
        origin = at(ddl.tables.get(key), locator.origin(()))
        columns = tuple(
            replace(c, origin=at(ddl.columns.get((*key, c.name)), origin)) for c in table.columns
        )
        constraints: list[Constraint] = []
        for constraint in table.constraints:
            found = ddl.constraints.get((*key, constraint.name))
            if found is None and constraint.kind is ConstraintKind.PRIMARY_KEY:
                found = ddl.primary_keys.get(key)
            constraint = replace(constraint, origin=at(found, origin))
            constraint_origins[(table.schema, constraint.name)] = constraint.origin
            constraints.append(constraint)
        tables[key] = replace(table, origin=origin, columns=columns, constraints=tuple(constraints))
    indexes: dict[QualifiedName, Index] = {}
    for key, index in catalog.indexes.items():
        fallback = tables[index.table].origin if index.table in tables else locator.origin(())
        if index.constraint is not None:
            fallback = constraint_origins.get((index.schema, index.constraint), fallback)
        indexes[key] = replace(index, origin=at(ddl.indexes.get(key), fallback))
    sequences: dict[QualifiedName, Sequence] = {}
    for key, sequence in catalog.sequences.items():
        found = ddl.sequences.get(key)
        if found is None and sequence.owned_by is not None:
            found = ddl.columns.get((*sequence.owned_by[0], sequence.owned_by[1]))
        sequences[key] = replace(sequence, origin=at(found, locator.origin(())))
    return replace(
        catalog,
        tables=tables,
        indexes=indexes,
        sequences=sequences,
        enums={
            k: replace(v, origin=at(ddl.types.get(k), v.origin)) for k, v in catalog.enums.items()
        },
        extensions={
            k: replace(v, origin=at(ddl.extensions.get(k), v.origin))
            for k, v in catalog.extensions.items()
        },
        views={
            k: replace(v, origin=at(ddl.views.get(k), v.origin)) for k, v in catalog.views.items()
        },
    )
