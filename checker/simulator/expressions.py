"""Deparsing of default, CHECK, predicate and key expressions into stable text.

The text need not equal pg_get_expr (the live diff normalises); it must be the
same for the same expression, so rules can compare definitions.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from collections.abc import Hashable
from typing import Any, cast

from pglast import ast
from pglast.stream import RawStream

# How many times deparse fell back to a placeholder; the simulator compares it
# before and after each statement to say which statement was not fully analysed.
deparse_fallbacks = 0


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
    shape = _shape_of(node)
    if shape is not None:
        known = _DEPARSED.get(shape)
        if known is not None:
            return known
    try:
        text = str(RawStream()(node))
    except RecursionError:
        # pglast's printer recurses per nesting level; a generated expression
        # thousands deep would end the run. The simulator reports the statement.
        global deparse_fallbacks
        deparse_fallbacks += 1
        return f"<expression nested too deeply at offset {getattr(node, 'location', None)}>"
    if shape is not None:
        if len(_DEPARSED) >= _DEPARSED_MAX:
            _DEPARSED.clear()
        _DEPARSED[shape] = text
    return text


# The printed text of each expression shape already printed: pglast's printer costs
# tens of microseconds a call, and a schema repeats its expressions (the same
# predicate in a migration and in the snapshot, the same CHECK on many tables).
_DEPARSED: dict[Hashable, str] = {}
_DEPARSED_MAX = 4096


def _shape_of(node: Any) -> Hashable | None:
    """What the printer's output depends on: the node types and fields of the tree,
    without the source offsets (``location``), which it does not print. None when the
    tree is too deep to walk (the printer then says so itself)."""
    try:
        shape = _shape(node)
        hash(shape)
    except (RecursionError, TypeError):
        return None
    return shape


def _shape(value: Any) -> Hashable:
    if isinstance(value, ast.Node):
        return (
            type(value),
            *[
                (name, _shape(getattr(value, name)))
                for name in value
                if name != "location" or not isinstance(getattr(value, name), int)
            ],
        )
    if isinstance(value, tuple | list):
        return tuple(_shape(item) for item in value)
    return cast(Hashable, value)


def column_refs(node: Any) -> list[str]:
    """Distinct column names an expression references (last name of each ColumnRef).

    Iterative, in the order a depth-first walk meets them: a generated
    expression nested thousands of levels deep must not exhaust Python's stack.
    """
    found: list[str] = []
    pending: list[Any] = [node]
    while pending:
        value = pending.pop()
        if isinstance(value, ast.ColumnRef):
            last = value.fields[-1] if value.fields else None
            name = getattr(last, "sval", None)
            if name is not None and name not in found:
                found.append(str(name))
        elif isinstance(value, ast.SubLink):
            continue  # pull_var_clause does not descend into sublinks either
        elif isinstance(value, ast.Node):
            pending.extend(reversed([getattr(value, attribute) for attribute in value]))
        elif isinstance(value, tuple | list):
            pending.extend(reversed(value))
    return found


def string_value(node: Any) -> str | None:
    """The text of a string constant, looking through casts (``'x'::regclass``)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return str(node.val.sval)
    return None
