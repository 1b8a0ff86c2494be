"""Deparsing of default, CHECK, predicate and key expressions into stable text.

The text need not equal pg_get_expr (the live diff normalises); it must be the
same for the same expression, so rules can compare definitions.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from typing import Any

from pglast import ast
from pglast.stream import RawStream


def deparse(value: Any) -> str:
    """Stable SQL text of an expression node."""
    node: Any = value  # pglast stubs make every field Optional
    # Constants and bare calls are most defaults; skipping the stream for them keeps
    # simulation of large migration sets fast.
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return "NULL"
        value = node.val
        if isinstance(value, ast.Integer):
            return str(value.ival)
        if isinstance(value, ast.Float):
            return str(value.fval)
        if isinstance(value, ast.Boolean):
            return "true" if value.boolval else "false"
        if isinstance(value, ast.String):
            return "'" + str(value.sval).replace("'", "''") + "'"
    if isinstance(node, ast.FuncCall) and not node.args and not node.agg_star:
        names = [str(part.sval) for part in node.funcname if str(part.sval) != "pg_catalog"]
        if names and not node.over and not node.agg_filter:
            return ".".join(names) + "()"
    return str(RawStream()(node))


def column_refs(node: Any) -> list[str]:
    """Distinct column names an expression references (last name of each ColumnRef)."""
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, ast.ColumnRef):
            last = value.fields[-1] if value.fields else None
            name = getattr(last, "sval", None)
            if name is not None and name not in found:
                found.append(str(name))
            return
        if isinstance(value, ast.SubLink):
            # pull_var_clause does not descend into sublinks either
            return
        if isinstance(value, ast.Node):
            for attribute in value:
                visit(getattr(value, attribute))
        elif isinstance(value, tuple | list):
            for item in value:
                visit(item)

    visit(node)
    return found


def string_value(node: Any) -> str | None:
    """The text of a string constant, looking through casts (``'x'::regclass``)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return str(node.val.sval)
    return None
