"""Deciding the catalog guards of DO blocks against the simulated catalog.

Handles the forms migrations use to make DDL idempotent: ``[NOT] EXISTS
(SELECT 1 FROM pg_constraint | pg_type | pg_class | pg_indexes | pg_extension |
information_schema.{table_constraints,columns,tables} WHERE col = 'literal'
[AND ...])``, ``to_regclass('x') IS [NOT] NULL``, AND / OR / NOT. Anything else
is undecided (None).
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from typing import Any

from pglast import ast
from pglast import parser as pg_parser

from checker.simulator.expressions import string_value
from checker.simulator.state import State
from checker.types import PgNode

_AND, _OR, _NOT = 0, 1, 2


def decide(state: State, condition: str) -> bool | None:
    try:
        statement = pg_parser.parse_sql(f"SELECT {condition}")[0].stmt
        expression = statement.targetList[0].val
    except (pg_parser.ParseError, AttributeError, IndexError, TypeError):
        return None
    return _evaluate(state, expression)


def _evaluate(state: State, node: Any) -> bool | None:
    if isinstance(node, ast.BoolExpr):
        values = [_evaluate(state, arg) for arg in node.args]
        operator = int(node.boolop)
        if operator == _NOT:
            return None if values[0] is None else not values[0]
        if operator == _AND:
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False
    if isinstance(node, ast.SubLink) and int(node.subLinkType) == 0:  # EXISTS
        return _exists(state, node.subselect)
    if isinstance(node, ast.NullTest) and isinstance(node.arg, ast.FuncCall):
        found = _regfunction(state, node.arg)
        if found is None:
            return None
        is_null = int(node.nulltesttype) == 0
        return (not found) if is_null else found
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Boolean):
        return bool(node.val.boolval)
    return None


def _regfunction(state: State, call: PgNode) -> bool | None:
    name = str(call.funcname[-1].sval)
    if name not in ("to_regclass", "to_regtype", "to_regnamespace") or not call.args:
        return None
    text = string_value(call.args[0])
    if text is None:
        return None
    parts = [p.strip('"') for p in text.split(".")]
    key = (parts[-2], parts[-1]) if len(parts) >= 2 else ("public", parts[-1])
    if name == "to_regclass":
        return state.relation_exists(key) is not None
    if name == "to_regtype":
        return state.type_exists(key) is not None
    return parts[-1] in state.schemas


def _conditions(node: Any, found: dict[str, str]) -> bool:
    """Collect ``column = 'literal'`` conjuncts; False when the WHERE has anything else."""
    if node is None:
        return True
    if isinstance(node, ast.BoolExpr) and int(node.boolop) == _AND:
        return all(_conditions(arg, found) for arg in node.args)
    if isinstance(node, ast.A_Expr) and int(node.kind) == 0:
        operator = str(node.name[-1].sval)
        if operator != "=":
            return False
        left, right = node.lexpr, node.rexpr
        if not isinstance(left, ast.ColumnRef):
            left, right = right, left
        value = string_value(right)
        if not isinstance(left, ast.ColumnRef) or value is None:
            return False
        found[str(left.fields[-1].sval)] = value
        return True
    return False


def _exists(state: State, select: Any) -> bool | None:
    if not isinstance(select, ast.SelectStmt) or not select.fromClause:
        return None
    if len(select.fromClause) != 1 or not isinstance(select.fromClause[0], ast.RangeVar):
        return None
    relation = str(select.fromClause[0].relname)
    where: dict[str, str] = {}
    if not _conditions(select.whereClause, where):
        return None
    schema = where.pop("table_schema", where.pop("schemaname", where.pop("nspname", "public")))
    lookup = _LOOKUPS.get(relation)
    if lookup is None:
        return None
    verdict: bool | None = lookup(state, schema, where)
    return verdict


def _constraint(state: State, schema: str, where: dict[str, str]) -> bool | None:
    name = where.pop("conname", None) or where.pop("constraint_name", None)
    table = where.pop("table_name", None) or where.pop("conrelid", None)
    where.pop("constraint_type", None)
    where.pop("contype", None)
    if name is None or where:
        return None
    if table is not None:
        found = state.tables.get((schema, table.split(".")[-1].strip('"')))
        return found is not None and found.constraint(name) is not None
    return state.constraint_names[(schema, name)] > 0


def _column(state: State, schema: str, where: dict[str, str]) -> bool | None:
    table, column = where.pop("table_name", None), where.pop("column_name", None)
    if table is None or where:
        return None
    found = state.tables.get((schema, table))
    if column is None:
        return found is not None
    return found is not None and found.column(column) is not None


def _table(state: State, schema: str, where: dict[str, str]) -> bool | None:
    table = where.pop("table_name", None) or where.pop("tablename", None)
    where.pop("table_type", None)
    if table is None or where:
        return None
    return (schema, table) in state.tables


def _type(state: State, schema: str, where: dict[str, str]) -> bool | None:
    name = where.pop("typname", None)
    if name is None or where:
        return None
    return state.type_exists((schema, name)) is not None


def _class(state: State, schema: str, where: dict[str, str]) -> bool | None:
    name = where.pop("relname", None)
    where.pop("relkind", None)
    if name is None or where:
        return None
    return state.relation_exists((schema, name)) is not None


def _index(state: State, schema: str, where: dict[str, str]) -> bool | None:
    name = where.pop("indexname", None)
    where.pop("tablename", None)
    if name is None or where:
        return None
    return (schema, name) in state.indexes


def _extension(state: State, schema: str, where: dict[str, str]) -> bool | None:
    name = where.pop("extname", None)
    if name is None or where:
        return None
    return name in state.extensions


_LOOKUPS: dict[str, Any] = {
    "pg_constraint": _constraint,
    "table_constraints": _constraint,
    "columns": _column,
    "tables": _table,
    "pg_tables": _table,
    "pg_type": _type,
    "pg_class": _class,
    "pg_indexes": _index,
    "pg_extension": _extension,
}
