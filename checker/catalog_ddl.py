"""Render a Catalog as the DDL that builds it, so a ready catalog can be a live run's base.

A drizzle snapshot base has no migrations to replay; ``--live`` applies this DDL
instead: schemas, extensions, types, free sequences, tables (columns with
defaults, identity and generated expressions; primary key, unique and check
constraints), owned sequences' owners, indexes, comments, and foreign keys
last so that every referenced table exists. Each statement is placed at the
origin of the object it builds (the snapshot's JSON key). Objects a catalog
holds without their definition (views, functions, triggers, EXCLUDE
constraints) cannot be rendered: an InputError says which.
"""

from __future__ import annotations

from pathlib import Path

from checker.catalog import (
    Catalog,
    Column,
    Constraint,
    ConstraintKind,
    FkAction,
    FkMatch,
    Identity,
    Index,
    Table,
    display_name,
    quote,
    relation_sql,
)
from checker.errors import InputError
from checker.model import JournalStatus, Layer, MigrationFile, Origin, Statement


def catalog_statements(catalog: Catalog, label: str) -> list[Statement]:
    """The DDL that builds ``catalog`` as base statements of one file named ``label``."""
    _refuse_unrenderable(catalog, label)
    migration = MigrationFile(label, Path(label).stem, Layer.BASE, JournalStatus.PLAIN, None)
    rendered: list[tuple[str, Origin]] = []
    for schema in sorted(catalog.schemas - {"public"}):
        rendered.append((f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}", Origin(label, 0, 0)))
    for name, extension in sorted(catalog.extensions.items()):
        rendered.append(
            (
                f"CREATE EXTENSION IF NOT EXISTS {quote(name)} SCHEMA {quote(extension.schema)}",
                extension.origin,
            )
        )
    for key, enum in sorted(catalog.enums.items()):
        labels = ", ".join(_literal(label_) for label_ in enum.labels)
        rendered.append((f"CREATE TYPE {relation_sql(key)} AS ENUM ({labels})", enum.origin))
    for key, domain in sorted(catalog.domains.items()):
        text = f"CREATE DOMAIN {relation_sql(key)} AS {_type(domain.base)}"
        text += f" DEFAULT {domain.default}" if domain.default is not None else ""
        text += " NOT NULL" if domain.not_null else ""
        text += "".join(
            f" {check}"
            if check.upper().startswith(("CHECK", "CONSTRAINT"))
            else f" CHECK ({check})"
            for check in domain.checks
        )
        rendered.append((text, domain.origin))
    for key, composite in sorted(catalog.composites.items()):
        attributes = ", ".join(f"{quote(a)} {_type(t)}" for a, t in composite.attributes)
        rendered.append((f"CREATE TYPE {relation_sql(key)} AS ({attributes})", composite.origin))
    identity_owned = {
        (table.qualified, column.name)
        for table in catalog.tables.values()
        for column in table.columns
        if column.identity is not None
    }
    owned: list[str] = []
    for key, sequence in sorted(catalog.sequences.items()):
        if sequence.owned_by in identity_owned:
            continue  # the identity column makes its own
        rendered.append(
            (f"CREATE SEQUENCE {relation_sql(key)} AS {sequence.data_type}", sequence.origin)
        )
        if sequence.owned_by is not None:
            table_key, column = sequence.owned_by
            owner = f"{relation_sql(table_key)}.{quote(column)}"
            owned.append(f"ALTER SEQUENCE {relation_sql(key)} OWNED BY {owner}")
    later: list[tuple[str, Origin]] = []  # NOT VALID checks and foreign keys
    for table in _creation_order(catalog):
        rendered.append((_create_table(table), table.origin))
        for constraint in table.constraints:
            if constraint.kind is ConstraintKind.FOREIGN_KEY or (
                constraint.kind is ConstraintKind.CHECK and constraint.not_valid
            ):
                later.append(
                    (
                        f"ALTER TABLE {relation_sql(table.qualified)} ADD "
                        f"{_constraint(constraint)}",
                        constraint.origin,
                    )
                )
    rendered += [(text, Origin(label, 0, 0)) for text in owned]
    for _, index in sorted(catalog.indexes.items()):
        if index.constraint is None:
            rendered.append((_create_index(index), index.origin))
    rendered += _comments(catalog)
    rendered += later
    statements: list[Statement] = []
    for position, (text, origin) in enumerate(rendered):
        place = Origin(label, origin.start, origin.end, position, Layer.BASE)
        statements.append(Statement(text, place, migration))
    return statements


def _refuse_unrenderable(catalog: Catalog, label: str) -> None:
    what = [f"view {display_name(key)}" for key in sorted(catalog.views)]
    what += [f"function {display_name((s, n))}" for s, n, _ in sorted(catalog.functions)]
    what += [f"trigger {name}" for _, name in sorted(catalog.triggers)]
    what += [
        f"exclusion constraint {constraint.name}"
        for table in catalog.tables.values()
        for constraint in table.constraints
        if constraint.kind is ConstraintKind.EXCLUDE
    ]
    if what:
        raise InputError(
            f"--live: the base {label} holds {what[0]} without its definition, so it cannot "
            "be built on the server; give the migrations as the base instead"
        )


def _creation_order(catalog: Catalog) -> list[Table]:
    """Tables before the partitions and children that name them."""
    placed: set[tuple[str, str]] = set()
    ordered: list[Table] = []
    pending = sorted(catalog.tables.values(), key=lambda t: t.qualified)
    while pending:
        ready = [
            t for t in pending if all(p in placed or p not in catalog.tables for p in _parents(t))
        ]
        if not ready:
            ready = pending  # a cycle the server will refuse: let it say so
        for table in ready:
            placed.add(table.qualified)
            ordered.append(table)
        pending = [t for t in pending if t.qualified not in placed]
    return ordered


def _parents(table: Table) -> tuple[tuple[str, str], ...]:
    return ((table.partition_of,) if table.partition_of else ()) + table.inherits


def _create_table(table: Table) -> str:
    name = relation_sql(table.qualified)
    unlogged = "UNLOGGED " if table.unlogged else ""
    parts = [_column(column) for column in table.columns]
    parts += [
        _constraint(c)
        for c in table.constraints
        if c.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)
        or (c.kind is ConstraintKind.CHECK and not c.not_valid)
    ]
    if table.partition_of is not None:
        inside = [_constraint(c) for c in table.constraints if c.kind is ConstraintKind.CHECK]
        body = (
            f" ({', '.join(inside)})"
            if inside and not any(c.not_valid for c in table.constraints)
            else ""
        )
        text = (
            f"CREATE {unlogged}TABLE {name} PARTITION OF {relation_sql(table.partition_of)}"
            f"{body} {table.partition_bound or 'DEFAULT'}"
        )
    else:
        text = f"CREATE {unlogged}TABLE {name} ({', '.join(parts)})"
        if table.inherits:
            text += f" INHERITS ({', '.join(relation_sql(p) for p in table.inherits)})"
    if table.partitioning is not None:
        keys = ", ".join(
            quote(k) if k.replace("_", "").isalnum() and k == k.lower() else f"({k})"
            for k in table.partitioning.keys
        )
        text += f" PARTITION BY {table.partitioning.strategy.upper()} ({keys})"
    return text


def _column(column: Column) -> str:
    text = f"{quote(column.name)} {_type(column.type)}"
    if column.collation:
        text += f" COLLATE {quote(column.collation)}"
    if column.generated is not None:
        text += f" GENERATED ALWAYS AS ({column.generated}) STORED"
    elif column.identity is not None:
        kind = "ALWAYS" if column.identity is Identity.ALWAYS else "BY DEFAULT"
        text += f" GENERATED {kind} AS IDENTITY"
    elif column.default is not None:
        text += f" DEFAULT {column.default}"
    if column.not_null:
        text += " NOT NULL"
    return text


def _type(type_: object) -> str:
    from checker.catalog import TypeRef

    assert isinstance(type_, TypeRef)
    if type_.schema is None:
        return type_.render()
    element = relation_sql((type_.schema, type_.name))
    return element + "[]" * type_.array_dims


def _constraint(constraint: Constraint) -> str:
    text = f"CONSTRAINT {quote(constraint.name)} "
    columns = ", ".join(quote(c) for c in constraint.columns)
    if constraint.kind is ConstraintKind.PRIMARY_KEY:
        text += f"PRIMARY KEY ({columns})"
    elif constraint.kind is ConstraintKind.UNIQUE:
        nulls = " NULLS NOT DISTINCT" if constraint.nulls_not_distinct else ""
        text += f"UNIQUE{nulls} ({columns})"
    elif constraint.kind is ConstraintKind.CHECK:
        text += f"CHECK ({constraint.expression})"
        text += " NO INHERIT" if constraint.no_inherit else ""
    else:
        details = constraint.foreign_key
        assert details is not None
        referenced = ", ".join(quote(c) for c in details.ref_columns)
        text += (
            f"FOREIGN KEY ({columns}) REFERENCES {relation_sql(details.ref_table)} ({referenced})"
        )
        if details.match is FkMatch.FULL:
            text += " MATCH FULL"
        if details.on_delete is not FkAction.NO_ACTION:
            text += f" ON DELETE {details.on_delete.value.upper()}"
            if details.delete_set_columns:
                text += f" ({', '.join(quote(c) for c in details.delete_set_columns)})"
        if details.on_update is not FkAction.NO_ACTION:
            text += f" ON UPDATE {details.on_update.value.upper()}"
    if constraint.deferrable:
        text += " DEFERRABLE"
        text += " INITIALLY DEFERRED" if constraint.initially_deferred else ""
    if constraint.not_valid:
        text += " NOT VALID"
    return text


def _create_index(index: Index) -> str:
    unique = "UNIQUE " if index.unique else ""
    keys = ", ".join(_index_key(key) for key in index.keys)
    text = (
        f"CREATE {unique}INDEX {quote(index.name)} ON {relation_sql(index.table)} "
        f"USING {index.method} ({keys})"
    )
    if index.include:
        text += f" INCLUDE ({', '.join(quote(c) for c in index.include)})"
    if index.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    if index.with_options:
        text += f" WITH ({', '.join(f'{k} = {v}' for k, v in index.with_options)})"
    if index.predicate:
        text += f" WHERE {index.predicate}"
    return text


def _index_key(key: object) -> str:
    from checker.catalog import IndexKey

    assert isinstance(key, IndexKey)
    if key.column is None:
        return key.render()
    return key.render().replace(key.column, quote(key.column), 1)


def _comments(catalog: Catalog) -> list[tuple[str, Origin]]:
    comments: list[tuple[str, Origin]] = []
    for key, table in sorted(catalog.tables.items()):
        if table.comment is not None:
            comments.append(
                (f"COMMENT ON TABLE {relation_sql(key)} IS {_literal(table.comment)}", table.origin)
            )
        for column in table.columns:
            if column.comment is not None:
                comments.append(
                    (
                        f"COMMENT ON COLUMN {relation_sql(key)}.{quote(column.name)} IS "
                        f"{_literal(column.comment)}",
                        column.origin,
                    )
                )
    return comments


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
