"""Columns and constraints built from their pglast definitions.

Shared by CREATE TABLE and ALTER TABLE: both resolve types the same way,
name implicit constraints with PostgreSQL's rules, and build the index behind
a PRIMARY KEY, UNIQUE or EXCLUDE constraint.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import ConstrType

from checker.catalog import (
    Column,
    Constraint,
    ConstraintKind,
    FkAction,
    FkMatch,
    ForeignKeyDetails,
    Identity,
    Index,
    IndexKey,
    QualifiedName,
    Sequence,
    Table,
    TypeRef,
    display_name,
)
from checker.simulator.expressions import column_refs, deparse
from checker.simulator.naming import (
    choose_name,
    index_column_names,
    name_addition,
    quote_identifier,
)
from checker.simulator.state import State
from checker.types import (
    EXTENSION_TYPES,
    PgNode,
    extension_of_type,
    is_builtin_type,
    serial_base,
    type_name_parts,
    type_ref,
)

FK_ACTIONS = {
    "a": FkAction.NO_ACTION,
    "r": FkAction.RESTRICT,
    "c": FkAction.CASCADE,
    "n": FkAction.SET_NULL,
    "d": FkAction.SET_DEFAULT,
}
FK_MATCH = {"s": FkMatch.SIMPLE, "f": FkMatch.FULL, "p": FkMatch.PARTIAL}


def names_of(nodes: Any) -> tuple[str, ...]:
    return tuple(str(getattr(node, "sval", node)) for node in nodes or ())


def collation_name(nodes: Any) -> str | None:
    """A COLLATE clause's name as the catalog reads it back: pg_dump writes the built-in
    collations qualified (``pg_catalog."C"``), the server names them ``C``; ``default``
    is the type's own collation, the same as no clause."""
    names = names_of(nodes)
    if len(names) == 2 and names[0] == "pg_catalog":
        names = names[1:]
    if names == ("default",):
        return None
    return ".".join(names) or None


def resolve_type(state: State, node: PgNode) -> TypeRef:
    """The TypeRef of a written type; an unknown user type is reported MISSING."""
    if is_builtin_type(node):
        return type_ref(node)
    extension = extension_of_type(node)
    if extension is not None:
        if extension not in state.extensions:
            _, name = type_name_parts(node)
            state.missing("extension", (extension,), extension, location=node.location)
        return type_ref(node)
    schema, name = type_name_parts(node)
    key = (schema, name) if schema is not None else state.object_key([name])
    if state.type_exists(key) is None:
        # pg_dump qualifies extension types with the extension's schema
        # (public.citext, public.vector(1536)); format_type prints them bare.
        provider = state.extensions.get(EXTENSION_TYPES.get(name, ""))
        if provider is not None and provider.schema == schema:
            return replace(type_ref(node), schema=None)
        state.missing("type", key, display_name(key), location=node.location)
    return type_ref(node, schema=key[0])


def build_column(
    state: State, table: QualifiedName, node: PgNode, *, create_sequences: bool
) -> tuple[Column, list[ast.Constraint]]:
    """A Column, and the constraints written on it that become table constraints.

    serial and identity columns get their owned sequence (when
    ``create_sequences``): PostgreSQL names it ``<table>_<column>_seq``.
    """
    name = str(node.colname)
    column_type = resolve_type(state, node.typeName)
    not_null = bool(node.is_not_null)
    default = deparse(node.raw_default) if node.raw_default is not None else None
    identity: Identity | None = None
    generated: str | None = None
    table_constraints: list[ast.Constraint] = []
    for constraint in node.constraints or ():
        kind = constraint.contype
        if kind == ConstrType.CONSTR_NOTNULL:
            not_null = True
        elif kind == ConstrType.CONSTR_NULL:
            not_null = False
        elif kind == ConstrType.CONSTR_DEFAULT:
            default = deparse(constraint.raw_expr)
        elif kind == ConstrType.CONSTR_IDENTITY:
            identity = Identity.ALWAYS if constraint.generated_when == "a" else Identity.BY_DEFAULT
            not_null = True
        elif kind == ConstrType.CONSTR_GENERATED:
            generated = deparse(constraint.raw_expr)
        elif kind == ConstrType.CONSTR_PRIMARY:
            not_null = True
            table_constraints.append(constraint)
        elif kind in (
            ConstrType.CONSTR_ATTR_DEFERRABLE,
            ConstrType.CONSTR_ATTR_NOT_DEFERRABLE,
            ConstrType.CONSTR_ATTR_DEFERRED,
            ConstrType.CONSTR_ATTR_IMMEDIATE,
        ):
            if table_constraints:
                table_constraints[-1] = _with_attribute(table_constraints[-1], kind)
        elif kind in (ConstrType.CONSTR_ATTR_ENFORCED, ConstrType.CONSTR_ATTR_NOT_ENFORCED):
            continue
        else:
            table_constraints.append(constraint)
    serial = serial_base(node.typeName)
    if serial is not None or identity is not None:
        if serial is not None:
            not_null = True
        if create_sequences:
            schema = table[0]
            sequence_name = choose_name(table[1], name, "seq", state.relation_taken(schema))
            sequence = Sequence(
                schema,
                sequence_name,
                column_type.name,
                (table, name),
                state.origin_at(node.location),
            )
            state.sequences[sequence.schema, sequence.name] = sequence
            if serial is not None:
                # nextval's argument is the regclass text: quoted where the name needs it
                qualified = quote_identifier(sequence_name)
                if schema != "public":
                    qualified = f"{quote_identifier(schema)}.{qualified}"
                default = f"nextval('{qualified}'::regclass)"
    collation = collation_name(node.collClause.collname) if node.collClause else None
    column = Column(
        name=name,
        type=column_type,
        not_null=not_null,
        default=default,
        identity=identity,
        generated=generated,
        collation=collation,
        origin=state.origin_at(node.location),
    )
    return column, table_constraints


def _with_attribute(constraint: PgNode, kind: Any) -> PgNode:
    # DEFERRABLE / INITIALLY DEFERRED written after a column constraint belong to it
    # (transformConstraintAttrs); pglast leaves them as separate list entries.
    if kind == ConstrType.CONSTR_ATTR_DEFERRABLE:
        constraint.deferrable = True
    elif kind == ConstrType.CONSTR_ATTR_NOT_DEFERRABLE:
        constraint.deferrable = False
    elif kind == ConstrType.CONSTR_ATTR_DEFERRED:
        constraint.deferrable = True
        constraint.initdeferred = True
    elif kind == ConstrType.CONSTR_ATTR_IMMEDIATE:
        constraint.initdeferred = False
    return constraint


def constraint_columns(node: PgNode, column: str | None) -> tuple[str, ...]:
    keys = names_of(node.keys)
    return keys if keys else ((column,) if column else ())


def check_constraint(state: State, table: Table, node: PgNode, taken: list[str]) -> Constraint:
    """A CHECK constraint; unnamed ones get ``<table>_<col>_check`` or ``<table>_check``."""
    name = node.conname
    columns = column_refs(node.raw_expr)
    if not name:
        # PostgreSQL names it after the columns the expression uses, not the column it
        # is written on: exactly one gives <table>_<col>_check, otherwise <table>_check
        # (AddRelationNewConstraints).
        single = columns[0] if len(columns) == 1 else None
        name = choose_name(table.name, single, "check", state.constraint_taken(table.schema, taken))
    taken.append(name)
    return Constraint(
        name=str(name),
        kind=ConstraintKind.CHECK,
        columns=tuple(columns),
        expression=deparse(node.raw_expr),
        not_valid=bool(node.skip_validation),
        no_inherit=bool(node.is_no_inherit),
        origin=state.origin_at(node.location),
    )


def index_constraint(
    state: State, table: Table, node: PgNode, column: str | None
) -> tuple[Constraint, Index]:
    """PRIMARY KEY / UNIQUE / EXCLUDE and the index PostgreSQL builds behind it."""
    contype = node.contype
    include = names_of(node.including)
    method = "btree"
    keys: tuple[IndexKey, ...]
    if contype == ConstrType.CONSTR_EXCLUSION:
        kind, label = ConstraintKind.EXCLUDE, "excl"
        method = str(node.access_method or "gist")
        elements = [pair[0] for pair in node.exclusions or ()]
        keys = tuple(index_key(element) for element in elements)
        columns = tuple(k.column for k in keys if k.column is not None)
        naming_columns: list[str | None] = [str(e.name) if e.name else None for e in elements]
    else:
        kind = (
            ConstraintKind.PRIMARY_KEY
            if contype == ConstrType.CONSTR_PRIMARY
            else ConstraintKind.UNIQUE
        )
        label = "pkey" if kind is ConstraintKind.PRIMARY_KEY else "key"
        columns = constraint_columns(node, column)
        keys = tuple(IndexKey(column=c) for c in columns)
        naming_columns = list(columns)
    name = node.conname
    if not name:
        taken = state.relation_taken(table.schema, constraint=True)
        if kind is ConstraintKind.PRIMARY_KEY:
            name = choose_name(table.name, None, label, taken)
        else:
            addition = name_addition(index_column_names([*naming_columns, *include]))
            name = choose_name(table.name, addition, label, taken)
    origin = state.origin_at(node.location)
    options = tuple((str(o.defname), deparse(o.arg)) for o in node.options or ())
    constraint = Constraint(
        name=str(name),
        kind=kind,
        columns=columns,
        index=str(name),
        deferrable=bool(node.deferrable),
        initially_deferred=bool(node.initdeferred),
        nulls_not_distinct=bool(node.nulls_not_distinct),
        expression=deparse(node.where_clause) if node.where_clause is not None else None,
        origin=origin,
    )
    index = Index(
        schema=table.schema,
        name=str(name),
        table=table.qualified,
        method=method,
        keys=keys,
        include=include,
        predicate=constraint.expression,
        unique=kind is not ConstraintKind.EXCLUDE,
        nulls_not_distinct=bool(node.nulls_not_distinct),
        constraint=str(name),
        with_options=options,
        tablespace=str(node.indexspace) if node.indexspace else None,
        origin=origin,
    )
    return constraint, index


def foreign_key_constraint(
    state: State, table: Table, node: PgNode, column: str | None, taken: list[str]
) -> Constraint:
    """A FOREIGN KEY; references to missing tables or columns are reported, not fatal."""
    columns = names_of(node.fk_attrs) or ((column,) if column else ())
    ref_key = state.relation_key(node.pktable)
    ref_table = table if ref_key == table.qualified else state.tables.get(ref_key)
    ref_columns = names_of(node.pk_attrs)
    if ref_table is None:
        state.missing("table", ref_key, display_name(ref_key), location=node.pktable.location)
    elif not ref_columns:
        primary = ref_table.primary_key
        if primary is None:
            state.missing(
                "constraint",
                (*ref_key, "primary key"),
                f"{display_name(ref_key)} primary key",
                location=node.pktable.location,
            )
        else:
            ref_columns = primary.columns
    if ref_table is not None:
        for ref_column in ref_columns:
            if ref_table.column(ref_column) is None:
                state.missing(
                    "column",
                    (*ref_key, ref_column),
                    f"{display_name(ref_key)}.{ref_column}",
                    location=node.location,
                )
    for own in columns:
        if table.column(own) is None:
            state.missing(
                "column", (*table.qualified, own), f"{table.name}.{own}", location=node.location
            )
    name = node.conname
    if not name:
        addition = name_addition(columns)
        name = choose_name(
            table.name, addition, "fkey", state.constraint_taken(table.schema, taken)
        )
    taken.append(str(name))
    details = ForeignKeyDetails(
        ref_table=ref_key,
        ref_columns=ref_columns,
        on_delete=FK_ACTIONS.get(str(node.fk_del_action), FkAction.NO_ACTION),
        on_update=FK_ACTIONS.get(str(node.fk_upd_action), FkAction.NO_ACTION),
        match=FK_MATCH.get(str(node.fk_matchtype), FkMatch.SIMPLE),
        delete_set_columns=names_of(node.fk_del_set_cols),
    )
    return Constraint(
        name=str(name),
        kind=ConstraintKind.FOREIGN_KEY,
        columns=columns,
        foreign_key=details,
        deferrable=bool(node.deferrable),
        initially_deferred=bool(node.initdeferred),
        not_valid=bool(node.skip_validation),
        origin=state.origin_at(node.location),
    )


def index_key(element: PgNode) -> IndexKey:
    """One key of an index; ``(col)`` in parentheses is still a plain column."""
    column: str | None = str(element.name) if element.name else None
    expression: str | None = None
    if column is None and element.expr is not None:
        expr: Any = element.expr
        if isinstance(expr, ast.ColumnRef) and len(expr.fields) == 1:
            column = str(getattr(expr.fields[0], "sval", ""))
        else:
            expression = deparse(expr)
    opclass = ".".join(names_of(element.opclass)) or None
    ordering = int(element.ordering or 0)
    nulls = int(element.nulls_ordering or 0)
    return IndexKey(
        column=column,
        expression=expression,
        opclass=opclass,
        descending=ordering == 2,
        nulls_first=None if nulls == 0 else nulls == 1,
        collation=collation_name(element.collation),
    )


def set_not_null(table: Table, columns: tuple[str, ...]) -> Table:
    """The table with these columns NOT NULL (a primary key implies it)."""
    wanted = set(columns)
    if not wanted:
        return table
    changed = tuple(
        replace(c, not_null=True) if c.name in wanted and not c.not_null else c
        for c in table.columns
    )
    return replace(table, columns=changed)
