"""Objects the catalog keeps by name: schemas, extensions, sequences, views,
functions, triggers, and COMMENT ON."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import ObjectType, TransactionStmtKind, VariableSetKind

from checker.bodies import UseKind, analyse_query
from checker.catalog import (
    NO_ORIGIN,
    Extension,
    Function,
    FunctionArgument,
    QualifiedName,
    Sequence,
    Trigger,
    View,
    ViewRead,
    display_name,
)
from checker.model import Origin
from checker.simulation import EventKind
from checker.simulator.definitions import names_of
from checker.simulator.expressions import deparse, string_value
from checker.simulator.naming import quote_identifier
from checker.simulator.state import State
from checker.simulator.types_and_enums import create_base_type
from checker.types import PgNode, type_ref

_OUTPUT_MODES = {"o", "t"}
_TRANSACTION_ENDS = frozenset(
    {
        TransactionStmtKind.TRANS_STMT_COMMIT,
        TransactionStmtKind.TRANS_STMT_ROLLBACK,
        TransactionStmtKind.TRANS_STMT_COMMIT_PREPARED,
        TransactionStmtKind.TRANS_STMT_ROLLBACK_PREPARED,
    }
)


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


# Extensions whose control file names the one schema they install into (a WITH SCHEMA
# of another fails): where the server puts them, whatever the statement says.
FIXED_SCHEMA = {
    "pg_cron": "pg_catalog",
    "pgmq": "pgmq",
    "supabase_vault": "vault",
    "pg_graphql": "graphql",
    "pgsodium": "pgsodium",
}


def create_extension(state: State, node: PgNode) -> None:
    name = str(node.extname)
    options = {str(o.defname): o.arg for o in node.options or ()}
    schema = string_value(options["schema"]) if "schema" in options else None
    version = string_value(options["new_version"]) if "new_version" in options else None
    if "schema" in options and schema is None:
        schema = str(getattr(options["schema"], "sval", "public"))
    schema = FIXED_SCHEMA.get(name, schema)
    extension = Extension(name, schema or state.creation_schema(), version, state.origin_at(None))
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


def _owned_by(state: State, option: PgNode) -> tuple[QualifiedName, str] | None:
    """The (table, column) of an OWNED BY option; None for OWNED BY NONE."""
    parts = names_of(option.arg) if isinstance(option.arg, list | tuple) else ()
    if len(parts) < 2:
        return None
    return state.object_key(parts[:-1]), parts[-1]


def create_sequence(state: State, node: PgNode) -> None:
    key = state.relation_key(node.sequence, create=True)
    data_type = "bigint"
    owned_by = None
    for option in node.options or ():
        if option.defname == "as" and isinstance(option.arg, ast.TypeName):
            data_type = type_ref(option.arg).name
        elif option.defname == "owned_by":
            owned_by = _owned_by(state, option)
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


def alter_sequence(state: State, node: PgNode) -> None:
    """ALTER SEQUENCE: its data type (AS) and OWNED BY, which pg_dump writes
    after every CREATE SEQUENCE; the other options do not change the model."""
    key = state.relation_key(node.sequence)
    sequence = state.sequences.get(key)
    if sequence is None:
        if not node.missing_ok:
            state.missing("sequence", key, display_name(key), location=node.sequence.location)
        return
    for option in node.options or ():
        if option.defname == "as" and isinstance(option.arg, ast.TypeName):
            sequence = replace(sequence, data_type=type_ref(option.arg).name)
        elif option.defname == "owned_by":
            sequence = replace(sequence, owned_by=_owned_by(state, option))
    if sequence != state.sequences[key]:
        state.sequences[key] = sequence
        state.event(EventKind.ALTERED, "sequence", display_name(key))


def _path(names: list[str]) -> tuple[str, ...]:
    # "$user" names the role's own schema, which migrations do not create
    return tuple(name for name in names if name and name != "$user")


def _set_search_path(state: State, path: tuple[str, ...], *, local: bool) -> None:
    if local and state.saved_search_path is None:
        state.saved_search_path = state.search_path
    elif not local:
        state.saved_search_path = None
    state.search_path = path


def set_variable(state: State, node: PgNode) -> None:
    """SET / RESET search_path: where unqualified names are created and found."""
    if node.kind == VariableSetKind.VAR_RESET_ALL or (
        node.name == "search_path"
        and node.kind in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_SET_DEFAULT)
    ):
        _set_search_path(state, ("public",), local=bool(node.is_local))
    elif node.name == "search_path" and node.kind == VariableSetKind.VAR_SET_VALUE:
        # each argument is one schema name, quoted or not ('a, b' is ONE name)
        names = [string_value(arg) or str(getattr(arg, "sval", "")) for arg in node.args or ()]
        _set_search_path(state, _path(names), local=bool(node.is_local))


def select_set_config(state: State, node: PgNode) -> None:
    """``SELECT pg_catalog.set_config('search_path', '', false)``, as pg_dump writes it."""
    for target in node.targetList or ():
        call: Any = getattr(target, "val", None)
        arguments = call.args if isinstance(call, ast.FuncCall) and call.args else ()
        if len(arguments) != 3 or names_of(call.funcname)[-1] != "set_config":
            continue
        name, value, local = string_value(arguments[0]), string_value(arguments[1]), arguments[2]
        if name != "search_path" or value is None or not isinstance(local, ast.A_Const):
            continue
        names = [part.strip() for part in value.split(",")]
        unquoted = [n[1:-1].replace('""', '"') if n.startswith('"') else n.lower() for n in names]
        _set_search_path(state, _path(unquoted), local=bool(getattr(local.val, "boolval", False)))


def end_transaction(state: State, node: PgNode) -> None:
    """COMMIT or ROLLBACK ends what SET LOCAL changed."""
    if node.kind in _TRANSACTION_ENDS and state.saved_search_path is not None:
        state.search_path = state.saved_search_path
        state.saved_search_path = None


def view_definition(
    state: State, query: Any, aliases: Any
) -> tuple[tuple[str, ...], tuple[ViewRead, ...]]:
    """A view query's output columns (renamed by the view's column list) and what it reads.
    A relation it reads that does not exist, or a column it names of a table (not of a
    view, whose derived output names may be incomplete) that does not, is reported
    MISSING: the server refuses the view."""
    if query is None:
        return (), ()
    uses, outputs = analyse_query(query, state, search_path=state.search_path)
    for use in uses:
        if use.found or use.table is None:
            continue
        if use.kind is UseKind.TABLE:
            state.missing("table", use.table, display_name(use.table), location=use.start)
        elif use.kind is UseKind.COLUMN and use.table in state.tables:
            label = f"{display_name(use.table)}.{use.name}"
            state.missing("column", (*use.table, use.name), label, location=use.start)
    names = [str(getattr(alias, "sval", alias)) for alias in aliases or ()]
    columns: tuple[str, ...] = ()
    if outputs is not None:
        columns = tuple(names) + tuple(outputs[len(names) :])
    reads: dict[QualifiedName, dict[str, None]] = {}
    for use in uses:
        if use.found and use.table is not None and use.kind in (UseKind.TABLE, UseKind.COLUMN):
            used = reads.setdefault(use.table, {})
            if use.kind is UseKind.COLUMN:
                used[use.name] = None
    return columns, tuple(ViewRead(table, tuple(used)) for table, used in reads.items())


def create_view(state: State, key: tuple[str, str], *, materialized: bool, replace_ok: bool,
                if_not_exists: bool, location: Any, query: Any = None,
                aliases: Any = None, security_invoker: bool = False) -> None:  # fmt: skip
    columns, reads = view_definition(state, query, aliases)
    view = View(
        key[0], key[1], materialized, state.origin_at(location), columns, None, reads,
        security_invoker,
    )  # fmt: skip
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


def security_invoker(options: Any, default: bool = False) -> bool:
    """The ``security_invoker`` of a view's WITH (...) or SET (...) options: written alone
    it is on; otherwise a boolean as PostgreSQL parses one (true, on, yes, 1, ...)."""
    value = default
    for option in options or ():
        if getattr(option, "defname", None) != "security_invoker":
            continue
        argument = getattr(option, "arg", None)
        if argument is None:
            value = True
            continue
        text = str(getattr(argument, "sval", getattr(argument, "ival", argument))).lower()
        value = text in ("1", "on") or (len(text) > 0 and "true".startswith(text))
        value = value or (len(text) > 0 and "yes".startswith(text))
    return value


def function_arguments(parameters: Any) -> str:
    """Input argument types, rendered the way the catalog keys functions: without
    type modifiers, which PostgreSQL drops from a function's signature (``f(bit(8))``
    is ``f(bit)``, and ``DROP FUNCTION f(bit)`` finds it)."""
    types = [
        replace(type_ref(p.argType), modifiers=()).render()
        for p in parameters or ()
        if str(getattr(p.mode, "value", p.mode)) not in _OUTPUT_MODES and p.argType is not None
    ]
    return ", ".join(types)


def function_result(node: PgNode) -> str | None:
    """What a CREATE FUNCTION returns, as the server shows it (``pg_get_function_result``):
    ``SETOF text``, ``TABLE(a integer, b text)``, type modifiers dropped as PostgreSQL
    drops them (``RETURNS varchar(10)`` returns ``character varying``)."""
    if node.returnType is None:
        return None
    returns = replace(type_ref(node.returnType), modifiers=()).render()
    if not node.returnType.setof:
        return returns
    columns = [
        f"{quote_identifier(str(p.name))} {replace(type_ref(p.argType), modifiers=()).render()}"
        for p in node.parameters or ()
        if str(getattr(p.mode, "value", p.mode)) == "t" and p.argType is not None and p.name
    ]
    return f"TABLE({', '.join(columns)})" if columns else f"SETOF {returns}"


_MODES = {"i": "in", "d": "in", "o": "out", "b": "inout", "v": "variadic", "t": "table"}


def function_parameters(parameters: Any) -> tuple[FunctionArgument, ...]:
    """Every declared parameter: name, type, mode, whether it has a default."""
    found = []
    for parameter in parameters or ():
        if parameter.argType is None:
            continue
        mode = _MODES.get(str(getattr(parameter.mode, "value", parameter.mode)), "in")
        name = str(parameter.name) if parameter.name else None
        found.append(
            FunctionArgument(
                name, type_ref(parameter.argType).render(), mode, parameter.defexpr is not None
            )
        )
    return tuple(found)


def _setting(value: Any) -> tuple[str, str] | None:
    """A SET clause of a function as (name, value); None for RESET."""
    if not isinstance(value, ast.VariableSetStmt) or value.name is None:
        return None
    if value.kind == VariableSetKind.VAR_SET_CURRENT:
        return (str(value.name), "FROM CURRENT")
    if value.kind != VariableSetKind.VAR_SET_VALUE:
        return None
    parts = [
        string_value(arg) or str(getattr(getattr(arg, "val", None), "sval", ""))
        for arg in value.args or ()
    ]
    return (str(value.name).lower(), ", ".join(parts))


def _apply_options(function: Function, options: Any) -> Function:
    """SECURITY, volatility and SET/RESET clauses of CREATE or ALTER FUNCTION."""
    settings = dict(function.settings)
    for option in options or ():
        name = str(option.defname)
        if name == "security":
            function = replace(
                function, security_definer=bool(getattr(option.arg, "boolval", False))
            )
        elif name == "volatility":
            function = replace(function, volatility=str(getattr(option.arg, "sval", "")) or None)
        elif name == "set" and isinstance(option.arg, ast.VariableSetStmt):
            setting = _setting(option.arg)
            if setting is not None:
                settings[setting[0]] = setting[1]
            elif option.arg.kind == VariableSetKind.VAR_RESET_ALL:
                settings.clear()
            elif option.arg.name is not None:
                settings.pop(str(option.arg.name).lower(), None)
    return replace(function, settings=tuple(sorted(settings.items())))


def _body(state: State, option: Any) -> tuple[str | None, Origin]:
    """The AS string of a function and its span in the file."""
    if option is None:
        return None, NO_ORIGIN
    parts = option.arg if isinstance(option.arg, list | tuple) else (option.arg,)
    body = str(getattr(parts[-1], "sval", "")) if len(parts) == 1 else None
    location = getattr(option, "arg_location", None)
    assert state.current is not None
    text = state.current.statement.text
    if body is None or not isinstance(location, int) or not 0 <= location < len(text):
        return body, NO_ORIGIN
    opening = text[location:]
    if opening.startswith("$"):
        inner = location + opening.index("$", 1) + 1
    else:
        inner = location + (2 if opening[:1] in "eE" else 1)
    return body, state.current.statement.span(inner, inner + len(body))


def define(state: State, node: PgNode) -> None:
    """CREATE AGGREGATE is a function to the bodies that call it; the other DEFINE
    statements (operators, text search objects, collations) are not modelled."""
    if node.kind == ObjectType.OBJECT_TYPE:
        create_base_type(state, node)
        return
    if node.kind != ObjectType.OBJECT_AGGREGATE:
        what = "Define"
        state.event(
            EventKind.NOT_ANALYSED, "statement", what, detail=f"{what} statements are not modelled"
        )
        return
    key = state.object_key(node.defnames, create=True)
    parameters = node.args[0] if node.args and isinstance(node.args[0], list | tuple) else None
    arguments = function_arguments(parameters) if parameters else ""
    function = Function(key[0], key[1], arguments, None, "aggregate", origin=state.origin_at(None))
    function_key = (key[0], key[1], arguments)
    label = f"{display_name(key)}({arguments})"
    existing = state.functions.get(function_key)
    if existing is not None and not node.replace:
        state.duplicate("function", label, existing, function)
        return
    state.functions[function_key] = function
    state.event(EventKind.CREATED if existing is None else EventKind.ALTERED, "function", label)


def create_function(state: State, node: PgNode) -> None:
    key = state.object_key(node.funcname, create=True)
    arguments = function_arguments(node.parameters)
    options = {str(o.defname): o.arg for o in node.options or ()}
    language = str(getattr(options.get("language"), "sval", "")) or None
    if language is None and node.sql_body is not None:
        language = "sql"
    volatility = str(getattr(options.get("volatility"), "sval", "")) or None
    returns = function_result(node)
    as_option = next((o for o in node.options or () if o.defname == "as"), None)
    body, body_origin = _body(state, as_option)
    function = Function(
        key[0], key[1], arguments, returns, language, volatility, bool(node.is_procedure),
        state.origin_at(None), function_parameters(node.parameters), body, body_origin,
    )  # fmt: skip
    function = _apply_options(function, node.options)
    function_key = (key[0], key[1], arguments)
    existing = state.functions.get(function_key)
    # CREATE OR REPLACE keeps the function's privileges; a new one takes the schema's defaults
    revoked = (
        existing.revoked_execute
        if existing is not None
        else state.default_revoked_execute.get(key[0], frozenset())
    )
    function = replace(function, revoked_execute=revoked)
    kind = "procedure" if node.is_procedure else "function"
    label = f"{display_name(key)}({arguments})"
    if existing is not None and not node.replace:
        state.duplicate("function", label, existing, function)
        return
    state.functions[function_key] = function
    state.event(EventKind.CREATED if existing is None else EventKind.ALTERED, kind, label)


def function_matches(state: State, target: PgNode) -> list[tuple[str, str, str]]:
    """The catalog keys an ObjectWithArgs names (all overloads without an argument list)."""
    key = state.object_key(target.objname)
    if target.args_unspecified:
        return [k for k in state.functions if (k[0], k[1]) == key]
    arguments = function_arguments(target.objfuncargs or ())
    return [k for k in [(key[0], key[1], arguments)] if k in state.functions]


def alter_function(state: State, node: PgNode) -> None:
    """ALTER FUNCTION ... SECURITY / volatility / SET / RESET."""
    matches = function_matches(state, node.func)
    if not matches:
        key = state.object_key(node.func.objname)
        state.missing("function", key, display_name(key))
        return
    for function_key in matches:
        function = _apply_options(state.functions[function_key], node.actions)
        state.functions[function_key] = function
        state.event(EventKind.ALTERED, "function", function.label)


# trigger type bits of pg_trigger.tgtype (CREATE TRIGGER's timing and events)
_TRIGGER_EVENTS = ((4, "insert"), (16, "update"), (8, "delete"), (32, "truncate"))


def _timing(bits: int) -> str:
    if bits & 64:
        return "instead of"
    return "before" if bits & 2 else "after"


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
    trigger = Trigger(
        table_key,
        name,
        function_key,
        state.origin_at(None),
        _timing(int(node.timing or 0)),
        tuple(event for bit, event in _TRIGGER_EVENTS if int(node.events or 0) & bit),
        bool(node.row),
        tuple(str(c.sval) for c in node.columns or ()),
        tuple(("new" if t.isNew else "old", str(t.name)) for t in node.transitionRels or ()),
        deparse(node.whenClause) if node.whenClause is not None else None,
    )
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
