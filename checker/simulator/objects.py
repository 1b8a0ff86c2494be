"""Objects the catalog keeps by name: schemas, extensions, sequences, views,
functions, triggers, and COMMENT ON."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import ObjectType

from checker.catalog import Extension, Function, Sequence, Trigger, View, display_name
from checker.simulation import EventKind
from checker.simulator.definitions import names_of
from checker.simulator.expressions import deparse, string_value
from checker.simulator.state import State
from checker.types import PgNode, type_ref

_OUTPUT_MODES = {"o", "t"}


def create_schema(state: State, node: PgNode) -> list[Any]:
    """Create the schema; returns the statements written inside CREATE SCHEMA."""
    name = str(node.schemaname)
    if name in state.schemas:
        if node.if_not_exists:
            state.event(EventKind.SKIPPED_EXISTING, "schema", name)
        else:
            state.duplicate("schema", name, name, name)
        return []
    state.schemas.add(name)
    state.event(EventKind.CREATED, "schema", name)
    return list(node.schemaElts or ())


def create_extension(state: State, node: PgNode) -> None:
    name = str(node.extname)
    options = {str(o.defname): o.arg for o in node.options or ()}
    schema = string_value(options["schema"]) if "schema" in options else None
    version = string_value(options["new_version"]) if "new_version" in options else None
    if "schema" in options and schema is None:
        schema = str(getattr(options["schema"], "sval", "public"))
    extension = Extension(name, schema or "public", version, state.origin_at(None))
    existing = state.extensions.get(name)
    if existing is not None:
        if node.if_not_exists:
            state.event(
                EventKind.SKIPPED_EXISTING, "extension", name, kept=existing, skipped=extension
            )
        else:
            state.duplicate("extension", name, existing, extension)
        return
    state.extensions[name] = extension
    state.event(EventKind.CREATED, "extension", name)


def create_sequence(state: State, node: PgNode) -> None:
    key = state.relation_key(node.sequence)
    data_type = "bigint"
    owned_by = None
    for option in node.options or ():
        if option.defname == "as" and isinstance(option.arg, ast.TypeName):
            data_type = type_ref(option.arg).name
        elif option.defname == "owned_by" and isinstance(option.arg, list | tuple):
            parts = names_of(option.arg)
            if len(parts) >= 2:
                owned_by = (
                    ("public", parts[-2]) if len(parts) == 2 else (parts[-3], parts[-2]),
                    parts[-1],
                )
    sequence = Sequence(
        key[0], key[1], data_type, owned_by, state.origin_at(node.sequence.location)
    )
    existing = state.relation_exists(key)
    if existing is not None:
        if node.if_not_exists:
            state.event(
                EventKind.SKIPPED_EXISTING,
                "sequence",
                display_name(key),
                kept=existing,
                skipped=sequence,
            )
        else:
            state.duplicate("sequence", display_name(key), existing, sequence)
        return
    state.sequences[key] = sequence
    state.event(EventKind.CREATED, "sequence", display_name(key))


def create_view(state: State, key: tuple[str, str], *, materialized: bool, replace_ok: bool,
                if_not_exists: bool, location: Any) -> None:  # fmt: skip
    view = View(key[0], key[1], materialized, state.origin_at(location))
    existing = state.relation_exists(key)
    label = display_name(key)
    if existing is not None and not (replace_ok and isinstance(existing, View)):
        if if_not_exists:
            state.event(EventKind.SKIPPED_EXISTING, "view", label, kept=existing, skipped=view)
        else:
            state.duplicate("view", label, existing, view, location=location)
        return
    state.views[key] = view
    state.event(EventKind.CREATED if existing is None else EventKind.ALTERED, "view", label)


def function_arguments(parameters: Any) -> str:
    """Input argument types, rendered the way the catalog keys functions."""
    types = [
        type_ref(p.argType).render()
        for p in parameters or ()
        if str(getattr(p.mode, "value", p.mode)) not in _OUTPUT_MODES and p.argType is not None
    ]
    return ", ".join(types)


def create_function(state: State, node: PgNode) -> None:
    key = state.object_key(node.funcname)
    arguments = function_arguments(node.parameters)
    options = {str(o.defname): o.arg for o in node.options or ()}
    language = str(getattr(options.get("language"), "sval", "")) or None
    volatility = str(getattr(options.get("volatility"), "sval", "")) or None
    returns = type_ref(node.returnType).render() if node.returnType is not None else None
    function = Function(
        key[0], key[1], arguments, returns, language, volatility, bool(node.is_procedure),
        state.origin_at(None),
    )  # fmt: skip
    function_key = (key[0], key[1], arguments)
    existing = state.functions.get(function_key)
    kind = "procedure" if node.is_procedure else "function"
    label = f"{display_name(key)}({arguments})"
    if existing is not None and not node.replace:
        state.duplicate("function", label, existing, function)
        return
    state.functions[function_key] = function
    state.event(EventKind.CREATED if existing is None else EventKind.ALTERED, kind, label)


def create_trigger(state: State, node: PgNode) -> None:
    table_key = state.relation_key(node.relation)
    name = str(node.trigname)
    label = f"{display_name(table_key)}.{name}"
    if table_key not in state.tables and table_key not in state.views:
        state.missing("table", table_key, display_name(table_key), location=node.relation.location)
        return
    function_key = state.object_key(node.funcname)
    if not any(k[0] == function_key[0] and k[1] == function_key[1] for k in state.functions):
        state.missing("function", function_key, display_name(function_key))
    trigger = Trigger(table_key, name, function_key, state.origin_at(None))
    existing = state.triggers.get((table_key, name))
    if existing is not None and not node.replace:
        state.duplicate("trigger", label, existing, trigger)
        return
    state.triggers[(table_key, name)] = trigger
    state.event(EventKind.CREATED, "trigger", label)


def comment(state: State, node: PgNode) -> None:
    """COMMENT ON table, column, index or type: kept on the object; others only noted."""
    text = str(node.comment) if node.comment is not None else None
    objtype = node.objtype
    target = node.object
    if objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_INDEX, ObjectType.OBJECT_COLUMN):
        parts = list(names_of(target))
        column_name = parts.pop() if objtype == ObjectType.OBJECT_COLUMN else None
        key = (parts[-2], parts[-1]) if len(parts) >= 2 else ("public", parts[-1])
        label = display_name(key) + (f".{column_name}" if column_name else "")
        if objtype == ObjectType.OBJECT_INDEX:
            index = state.indexes.get(key)
            if index is None:
                state.missing("index", key, label)
                return
            state.indexes[key] = replace(index, comment=text)
        else:
            table = state.tables.get(key)
            if table is None:
                state.missing("table", key, display_name(key))
                return
            if column_name is None:
                state.put_table(replace(table, comment=text))
            else:
                column = table.column(column_name)
                if column is None:
                    state.missing("column", (*key, column_name), label)
                    return
                columns = tuple(
                    replace(c, comment=text) if c.name == column_name else c for c in table.columns
                )
                state.put_table(replace(table, columns=columns))
        state.event(EventKind.COMMENTED, objtype.name.removeprefix("OBJECT_").lower(), label)
        return
    if objtype == ObjectType.OBJECT_TYPE and isinstance(target, ast.TypeName):
        key = state.object_key(target.names or ())
        enum = state.enums.get(key)
        if enum is not None:
            state.enums[key] = replace(enum, comment=text)
    name = deparse(target) if isinstance(target, ast.Node) else ".".join(names_of(target))
    state.event(EventKind.COMMENTED, objtype.name.removeprefix("OBJECT_").lower(), name)
