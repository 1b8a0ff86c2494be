"""The simulator: applies parsed statements in order to build the Catalog.

``simulate(parsed)`` never raises for anything a migration can contain: a
reference to something absent is a MISSING event, a CREATE of an existing name
a DUPLICATE (or SKIPPED_EXISTING under IF NOT EXISTS), and whatever is not
modelled a NOT_ANALYSED event at its location.
"""

from __future__ import annotations

import re

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from checker.catalog import Catalog, Policy, display_name
from checker.parsing import unchecked_ast_nodes
from checker.simulation import EventKind, ParsedStatement, Resumed, SimulationResult
from checker.simulator import checkpoint as checkpoints
from checker.simulator import expressions, plpgsql
from checker.simulator.alter_table import alter_table
from checker.simulator.conditions import decide
from checker.simulator.drops_and_renames import drop, rename
from checker.simulator.indexes import create_index
from checker.simulator.naming import (
    choose_name,
    make_object_name,
    not_null_constraint_name,
    truncate_identifier,
)
from checker.simulator.objects import (
    alter_function,
    alter_sequence,
    comment,
    create_extension,
    create_function,
    create_schema,
    create_sequence,
    create_trigger,
    create_view,
    define,
    end_transaction,
    security_invoker,
    select_set_config,
    set_variable,
)
from checker.simulator.privileges import default_privileges, grant
from checker.simulator.state import TEMP_SCHEMA, Creations, State
from checker.simulator.table_as import create_table_as, select_into
from checker.simulator.tables import create_table, drop_table
from checker.simulator.types_and_enums import (
    alter_domain,
    alter_enum,
    create_composite,
    create_domain,
    create_enum,
    create_range,
)
from checker.types import PgNode

__all__ = [
    "choose_name",
    "make_object_name",
    "not_null_constraint_name",
    "simulate",
    "truncate_identifier",
]

# Statements with no effect on the schema model: data changes, session settings,
# transaction control, privileges, maintenance.
_NO_SCHEMA_EFFECT = (
    ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt,
    ast.VariableShowStmt, ast.VacuumStmt,
    ast.ExplainStmt, ast.LockStmt, ast.TruncateStmt, ast.NotifyStmt, ast.ListenStmt,
    ast.UnlistenStmt, ast.CheckPointStmt, ast.DiscardStmt, ast.GrantRoleStmt,
    ast.AlterOwnerStmt, ast.ReindexStmt, ast.ClusterStmt,
    ast.CopyStmt, ast.PrepareStmt, ast.DeallocateStmt, ast.CreateRoleStmt,
    ast.AlterRoleStmt, ast.DropRoleStmt, ast.AlterSystemStmt, ast.AlterExtensionStmt,
    ast.ConstraintsSetStmt, ast.SecLabelStmt,
)  # fmt: skip


def simulate(
    parsed: Sequence[ParsedStatement],
    *,
    postgres_version: int = 17,
    initial: Catalog | None = None,
) -> SimulationResult:
    """Apply statements in order, to ``initial`` when given (a base read as a ready
    catalog) or else to an empty database; the result holds the Catalog, every
    statement (DO-body statements right after their DO) and the events."""
    return simulate_from(parsed, postgres_version=postgres_version, initial=initial)[0]


def simulate_from(
    parsed: Sequence[ParsedStatement],
    *,
    postgres_version: int = 17,
    initial: Catalog | None = None,
    resume: checkpoints.Checkpoint | None = None,
    keep: int | None = None,
) -> tuple[SimulationResult, checkpoints.Checkpoint | None]:
    """``simulate``, resumed from a checkpoint of the first ``resume.covered``
    statements (only the rest are applied), and taking a checkpoint after the
    first ``keep`` statements (the result's second item; None without ``keep``)."""
    state = State(postgres_version=postgres_version)
    if initial is not None:
        state.seed(initial)
    start = 0
    bodies: dict[int, plpgsql.PlBlock | str] = {}
    waiting: list[int] = []
    restored: tuple[int, int, Catalog] | None = None
    if resume is not None:
        start = resume.covered
        waiting = checkpoints.restore(resume, parsed, state, bodies)
        restored = (len(state.statements), len(state.events), state.catalog())
    rest = parsed[start:]
    with unchecked_ast_nodes():  # the statements inside DO bodies are parsed here
        plpgsql.parse_bodies(rest, bodies)
    state.creations = _creations(rest, bodies)
    looked_ahead = False
    if waiting:
        looked_ahead = checkpoints.resolve_later(state, waiting, state.creations)
    taken: checkpoints.Checkpoint | None = None
    noted: tuple[bytes, int, int] | None = None
    current_file: str | None = None
    for index, statement in enumerate(rest, start):
        if index == keep:
            noted = checkpoints.note(state)
        path = statement.statement.migration.path
        if statement.parent is None and path != current_file:
            _end_session(state)
            current_file = path
        _apply(state, statement, bodies)
    _end_session(state)
    if keep is not None and keep >= start:
        if noted is None:  # the prefix is every statement
            noted = checkpoints.note(state)
        carried, applied, produced = noted
        prefix_events = [e for e in state.events[:produced] if not _is_temp_noise(e)]
        taken = checkpoints.take(state, parsed, keep, carried, applied, prefix_events, bodies)
    resumed = None
    if restored is not None:
        # the prefix's events were restored without temporary-table noise already
        statements, events, catalog = restored
        resumed = Resumed(statements, events, catalog, looked_ahead)
    state.events = [e for e in state.events if not _is_temp_noise(e)]
    result = SimulationResult(
        state.catalog(), tuple(state.statements), tuple(state.events), resumed
    )
    return result, taken


def _end_session(state: State) -> None:
    """Temporary tables, and functions made in ``pg_temp``, end with the session that made
    them: read as the file that made them (each file is its own session under Prisma and
    most per-file runners)."""
    for key in [k for k in state.tables if k[0] == TEMP_SCHEMA]:
        state.current = state.statements[-1] if state.statements else None
        drop_table(state, key, cascade=True, location=None)
    for function in [k for k in state.functions if k[0] == TEMP_SCHEMA]:
        del state.functions[function]


def _is_temp_noise(event: Any) -> bool:
    return bool(event.kind is EventKind.DROPPED and event.name.startswith(f"{TEMP_SCHEMA}."))


def _apply(state: State, parsed: ParsedStatement, bodies: dict[int, plpgsql.PlBlock | str]) -> None:
    state.statements.append(parsed)
    node = parsed.node
    if node is None:
        return  # a parse error: the ParsedStatement carries it
    previous = state.current
    state.current = parsed
    try:
        if isinstance(node, ast.DoStmt):
            body = bodies.get(id(parsed))
            if body is None:
                body = plpgsql.parse_do(parsed)
            if isinstance(body, str):
                state.event(EventKind.NOT_ANALYSED, "statement", "DO", detail=body)
            else:
                plpgsql.run(state, body, lambda s, p: _apply(s, p, bodies), decide)
            return
        if isinstance(node, ast.CreateSchemaStmt):
            for element in create_schema(state, node):
                _dispatch(state, element)
            return
        fallbacks = expressions.deparse_fallbacks
        _dispatch(state, node)
        if expressions.deparse_fallbacks != fallbacks:
            state.event(
                EventKind.NOT_ANALYSED,
                "statement",
                type(node).__name__.removesuffix("Stmt"),
                detail="expressions nested too deeply to deparse; kept as a placeholder",
            )
    except RecursionError:
        # A generated expression nested thousands of levels deep: pglast's deparser
        # recurses per level. The statement is said not analysed; the run goes on.
        state.event(
            EventKind.NOT_ANALYSED,
            "statement",
            type(node).__name__.removesuffix("Stmt"),
            detail="expressions nested too deeply to analyse",
        )
    finally:
        state.current = previous if previous is not None else parsed


def _create_table_as(state: State, node: PgNode) -> None:
    if create_table_as(state, node):
        return
    key = state.relation_key(node.into.rel, create=True)
    if node.objtype == ObjectType.OBJECT_MATVIEW:
        create_view(
            state, key, materialized=True, replace_ok=False,
            if_not_exists=bool(node.if_not_exists), location=node.into.rel.location,
            query=node.query, aliases=node.into.colNames,
        )  # fmt: skip
        return
    state.event(
        EventKind.NOT_ANALYSED,
        "table",
        key[1],
        location=node.into.rel.location,
        detail="CREATE TABLE AS: the columns come from a query and are not derived",
    )


def _select(state: State, node: PgNode) -> None:
    if node.intoClause is not None:
        select_into(state, node)
    else:
        select_set_config(state, node)
        _calls_of_dynamic_sql(state, node)


# EXECUTE of a string in a PL/pgSQL body (not CREATE TRIGGER's EXECUTE FUNCTION in its text)
_DYNAMIC = re.compile(r"\bEXECUTE\b(?!\s+(?:FUNCTION|PROCEDURE)\b)", re.IGNORECASE)


def _calls_of_dynamic_sql(state: State, node: PgNode) -> bool:
    """A statement that calls a PL/pgSQL function (or procedure) of the run whose body
    EXECUTEs a string: what that SQL creates or drops is not known statically. Whether
    it found one."""
    from checker.syntax import all_nodes

    found = False
    for call in all_nodes(node):
        if not isinstance(call, ast.FuncCall) or not call.funcname:
            continue  # CALL's procedure is its FuncCall, visited too
        key = state.object_key(call.funcname)
        dynamic = [
            function
            for signature, function in state.functions.items()
            if signature[:2] == key
            and (function.language or "").lower() == "plpgsql"
            and _DYNAMIC.search(function.body or "")
        ]
        if dynamic:
            label = f"{display_name(key)}()"
            state.event(
                EventKind.NOT_ANALYSED,
                "statement",
                label,
                location=call.location,
                detail=f"calls {label}, which EXECUTEs SQL built at run time: what it creates "
                "or drops is not known statically",
            )
            found = True
    return found


def _policy(state: State, node: PgNode) -> None:
    """CREATE / ALTER POLICY on a table that must exist. A policy the model does not know
    (ALTER of one made outside the history) is left unknown: nothing is invented."""
    key = state.relation_key(node.table)
    if state.relation_exists(key) is None:
        state.missing("table", key, display_name(key), location=node.table.location)
        return
    name = str(node.policy_name)
    label = f"{display_name(key)}.{name}"
    existing = state.policies.get((key, name))
    using = expressions.deparse(node.qual) if node.qual is not None else None
    check = expressions.deparse(node.with_check) if node.with_check is not None else None
    if isinstance(node, ast.CreatePolicyStmt):
        policy = Policy(
            key,
            name,
            state.origin_at(None),
            str(node.cmd_name or "all"),
            bool(node.permissive),
            _role_names(node.roles),
            using,
            check,
            state.origin_at(None),
        )
        if existing is not None:
            state.duplicate("policy", label, existing, policy)
            return
        state.policies[(key, name)] = policy
        state.event(EventKind.CREATED, "policy", label)
        return
    if existing is None:
        return
    changed = existing
    if node.roles:
        changed = replace(changed, roles=_role_names(node.roles))
    if using is not None:
        changed = replace(changed, using=using)
    if check is not None:
        changed = replace(changed, check=check)
    if using is not None or check is not None:
        changed = replace(changed, expressions_at=state.origin_at(None))
    state.policies[(key, name)] = changed
    state.event(EventKind.ALTERED, "policy", label, action="alter policy")


def _role_names(roles: Any) -> tuple[str, ...]:
    """The roles of TO ...: their names, ``public``, or the special role's keyword."""
    if not roles:
        return ("public",)
    names: list[str] = []
    for role in roles:
        if role.rolename is not None:
            names.append(str(role.rolename))
        else:
            names.append(str(role.roletype.name).removeprefix("ROLESPEC_").lower())
    return tuple(names)


def _view(state: State, node: PgNode) -> None:
    key = state.relation_key(node.view, create=True)
    create_view(
        state, key, materialized=False, replace_ok=bool(node.replace),
        if_not_exists=False, location=node.view.location, query=node.query,
        aliases=node.aliases, security_invoker=security_invoker(node.options),
    )  # fmt: skip


_HANDLERS: dict[type, Callable[[State, Any], None]] = {
    ast.CreateStmt: create_table,
    ast.AlterTableStmt: alter_table,
    ast.IndexStmt: create_index,
    ast.DropStmt: drop,
    ast.RenameStmt: rename,
    ast.CreateEnumStmt: create_enum,
    ast.AlterEnumStmt: alter_enum,
    ast.CompositeTypeStmt: create_composite,
    ast.CreateRangeStmt: create_range,
    ast.CreateDomainStmt: create_domain,
    ast.AlterDomainStmt: alter_domain,
    ast.CreateExtensionStmt: create_extension,
    ast.CreateSeqStmt: create_sequence,
    ast.AlterSeqStmt: alter_sequence,
    ast.ViewStmt: _view,
    ast.GrantStmt: grant,
    ast.AlterDefaultPrivilegesStmt: default_privileges,
    ast.CreateTableAsStmt: _create_table_as,
    ast.CreateFunctionStmt: create_function,
    ast.DefineStmt: define,
    ast.AlterFunctionStmt: alter_function,
    ast.CreateTrigStmt: create_trigger,
    ast.CommentStmt: comment,
    ast.VariableSetStmt: set_variable,
    ast.SelectStmt: _select,
    ast.CreatePolicyStmt: _policy,
    ast.AlterPolicyStmt: _policy,
    ast.TransactionStmt: end_transaction,
}


def _dispatch(state: State, node: Any) -> None:
    handler = _HANDLERS.get(type(node))
    if handler is not None:
        handler(state, node)
        return
    if isinstance(node, _NO_SCHEMA_EFFECT):
        return
    what = type(node).__name__.removesuffix("Stmt")
    detail = f"{what} statements are not modelled"
    if isinstance(node, ast.CallStmt):
        if _calls_of_dynamic_sql(state, node):
            return
        detail = "CALL runs a procedure whose body is not analysed"
    state.event(EventKind.NOT_ANALYSED, "statement", what, detail=detail)


def _creations(
    parsed: Sequence[ParsedStatement], bodies: dict[int, plpgsql.PlBlock | str]
) -> Creations:
    """Where each object is created, so a MISSING event can name a later creation."""
    creations = Creations()
    for statement in parsed:
        inner = plpgsql.body_statements(statement, bodies) or [statement]
        for item in inner:
            for key in _created_keys(item.node):
                creations.add(key, item.origin)
    return creations


def _rv(node: Any) -> tuple[str, str]:
    return (str(node.schemaname or "public"), str(node.relname))


def _names(nodes: Any) -> tuple[str, str]:
    parts = [str(getattr(n, "sval", n)) for n in nodes]
    return (parts[-2], parts[-1]) if len(parts) > 1 else ("public", parts[-1])


def _created_keys(node: Any) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = []
    if isinstance(node, ast.CreateStmt):
        table = _rv(node.relation)
        keys.append(("table", *table))
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                keys.append(("column", *table, str(element.colname)))
            elif isinstance(element, ast.Constraint) and element.conname:
                keys.append(("constraint", *table, str(element.conname)))
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = _rv(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_AddColumn:
                keys.append(("column", *table, str(cmd.def_.colname)))
            elif cmd.subtype == AlterTableType.AT_AddConstraint and cmd.def_.conname:
                keys.append(("constraint", *table, str(cmd.def_.conname)))
    elif isinstance(node, ast.CreateTableAsStmt) and node.objtype != ObjectType.OBJECT_MATVIEW:
        keys.append(("table", *_rv(node.into.rel)))
    elif isinstance(node, ast.SelectStmt) and node.intoClause is not None:
        keys.append(("table", *_rv(node.intoClause.rel)))
    elif isinstance(node, ast.IndexStmt) and node.idxname:
        keys.append(("index", str(node.relation.schemaname or "public"), str(node.idxname)))
    elif isinstance(node, ast.CreateEnumStmt | ast.CreateDomainStmt):
        names = node.typeName if isinstance(node, ast.CreateEnumStmt) else node.domainname
        keys.append(("type", *_names(names)))
    elif isinstance(node, ast.CompositeTypeStmt):
        keys.append(("type", *_rv(node.typevar)))
    elif isinstance(node, ast.CreateExtensionStmt):
        keys.append(("extension", str(node.extname)))
    elif isinstance(node, ast.CreateFunctionStmt):
        keys.append(("function", *_names(node.funcname)))
    elif isinstance(node, ast.CreateSchemaStmt):
        keys.append(("schema", str(node.schemaname)))
    elif isinstance(node, ast.RenameStmt) and node.relation is not None:
        table = _rv(node.relation)
        if node.renameType == ObjectType.OBJECT_TABLE:
            keys.append(("table", table[0], str(node.newname)))
        elif node.renameType == ObjectType.OBJECT_COLUMN:
            keys.append(("column", *table, str(node.newname)))
    elif isinstance(node, ast.AlterEnumStmt) and node.newVal:
        keys.append(("enum value", *_names(node.typeName), str(node.newVal)))
    return keys
