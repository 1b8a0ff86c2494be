"""CREATE TABLE AS, SELECT INTO and CREATE TEMP TABLE ... AS: a table made from a query.

The columns come from the query's select list where each one can be resolved
(a column of a table in FROM, ``*`` of them, or an expression cast to a type);
otherwise the table is marked ``columns_known=False`` and references to its
columns are not reported as missing. A temporary table lives until the end of
the file that made it (its session, for a runner that opens one per file).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import ObjectType

from checker.catalog import Column, QualifiedName, Table, display_name
from checker.simulation import EventKind
from checker.simulator.definitions import resolve_type
from checker.simulator.state import TEMP_SCHEMA, State
from checker.types import PgNode


def create_table_from_query(state: State, into: PgNode, query: Any, if_not_exists: bool) -> None:
    """Create the table ``into`` names, with the columns of ``query`` where they resolve."""
    key = state.relation_key(into.rel, create=True)
    label = display_name(key)
    if key[0] not in state.schemas and key[0] != TEMP_SCHEMA:
        state.missing("schema", (key[0],), key[0], location=into.rel.location)
    existing = state.relation_exists(key) or state.type_exists(key)
    origin = state.origin_at(into.rel.location)
    columns, known = _query_columns(state, query, origin)
    names = [str(getattr(name, "sval", name)) for name in into.colNames or ()]
    for position, name in enumerate(names):
        if position < len(columns):
            columns[position] = replace(columns[position], name=name)
        else:
            known = False
    table = Table(
        schema=key[0],
        name=key[1],
        columns=tuple(columns),
        unlogged=getattr(into.rel, "relpersistence", "p") == "u",
        origin=origin,
        columns_known=known,
        revoked=state.default_revoked.get(key[0], frozenset()),
    )
    if existing is not None:
        if if_not_exists:
            state.event(
                EventKind.SKIPPED_EXISTING,
                "table",
                label,
                location=into.rel.location,
                previous=getattr(existing, "origin", None),
                kept=existing,
                skipped=table,
            )
        else:
            state.duplicate("table", label, existing, table, location=into.rel.location)
        return
    state.put_table(table)
    detail = "" if known else "columns come from a query and are not all derived"
    state.event(EventKind.CREATED, "table", label, location=into.rel.location, detail=detail)


def _query_columns(state: State, query: Any, origin: Any) -> tuple[list[Column], bool]:
    """The columns a query returns, and whether every one of them was resolved."""
    if not isinstance(query, ast.SelectStmt) or query.op != 0 or not query.targetList:
        if isinstance(query, ast.SelectStmt) and query.op != 0 and query.larg is not None:
            first, _ = _query_columns(state, query.larg, origin)
            return first, False  # a set operation's types are unified: not derived here
        return [], False
    sources = _sources(state, query.fromClause or ())
    columns: list[Column] = []
    known = True
    for target in query.targetList:
        value: Any = target.val
        if isinstance(value, ast.ColumnRef):
            parts: tuple[Any, ...] = value.fields or ()
            fields = [getattr(f, "sval", None) for f in parts]
            if parts and isinstance(parts[-1], ast.A_Star):
                qualifier = fields[-2] if len(fields) >= 2 else None
                chosen = [t for alias, t in sources if qualifier in (None, alias)]
                if not chosen or any(t is None for t in chosen):
                    known = False
                for table in chosen:
                    if table is not None:
                        columns.extend(_copy(c, origin) for c in table.columns)
                continue
            column = _find(sources, fields)
            name = str(target.name or fields[-1])
            if column is None:
                known = False
                continue
            columns.append(replace(_copy(column, origin), name=name))
        elif isinstance(value, ast.TypeCast) and value.typeName is not None:
            cast_name = target.name or _cast_name(value)
            if cast_name is None:
                known = False
                continue
            columns.append(
                Column(str(cast_name), resolve_type(state, value.typeName), origin=origin)
            )
        else:
            known = False
    return columns, known


def _cast_name(cast: Any) -> str | None:
    argument: Any = cast.arg
    last: Any = (getattr(argument, "fields", None) or (None,))[-1]
    if isinstance(argument, ast.ColumnRef) and isinstance(last, ast.String):
        return str(last.sval)
    names = [getattr(n, "sval", "") for n in cast.typeName.names or ()]
    return str(names[-1]) if names else None


def _copy(column: Column, origin: Any) -> Column:
    # CREATE TABLE AS keeps names and types only: no constraint, default or identity
    return Column(column.name, column.type, collation=column.collation, origin=origin)


def _sources(state: State, from_clause: Any) -> list[tuple[str, Table | None]]:
    """(alias or name, table) of each relation in FROM; None for what is not a known table."""
    found: list[tuple[str, Table | None]] = []
    for item in from_clause:
        if isinstance(item, ast.RangeVar):
            key: QualifiedName = state.relation_key(item)
            alias = str(item.alias.aliasname) if item.alias else str(item.relname)
            found.append((alias, state.tables.get(key)))
        elif isinstance(item, ast.JoinExpr):
            found.extend(_sources(state, (item.larg, item.rarg)))
        else:
            alias = str(item.alias.aliasname) if getattr(item, "alias", None) else "?"
            found.append((alias, None))
    return found


def _find(sources: list[tuple[str, Table | None]], fields: list[Any]) -> Column | None:
    name = fields[-1]
    qualifier = fields[-2] if len(fields) >= 2 else None
    matches = [
        table.column(str(name))
        for alias, table in sources
        if table is not None and qualifier in (None, alias)
    ]
    hits = [c for c in matches if c is not None]
    return hits[0] if len(hits) == 1 else None


def create_table_as(state: State, node: PgNode) -> bool:
    """CREATE TABLE AS (not a materialized view); False when ``node`` is not one."""
    if node.objtype == ObjectType.OBJECT_MATVIEW:
        return False
    create_table_from_query(state, node.into, node.query, bool(node.if_not_exists))
    return True


def select_into(state: State, node: PgNode) -> None:
    """SELECT ... INTO new_table: the same as CREATE TABLE new_table AS SELECT ..."""
    create_table_from_query(state, node.intoClause, node, False)
