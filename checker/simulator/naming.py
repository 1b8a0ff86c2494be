"""PostgreSQL's rules for the names it invents (src/backend/commands/indexcmds.c,
catalog/pg_constraint.c): makeObjectName, ChooseRelationName, ChooseConstraintName.

Implicit names must match the server byte for byte, or a migration that later
drops ``<table>_<col>_key`` by name looks broken when it is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, MinMaxOp
from pglast.parser import ParseError, scan

NAMEDATALEN = 64
MAX_IDENTIFIER_BYTES = NAMEDATALEN - 1


def truncate_identifier(name: str) -> str:
    """The name PostgreSQL stores: at most 63 bytes, cut on a character boundary."""
    data = name.encode("utf-8")
    if len(data) <= MAX_IDENTIFIER_BYTES:
        return name
    return data[:MAX_IDENTIFIER_BYTES].decode("utf-8", errors="ignore")


_SAFE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_NOT_RESERVED = frozenset({"NO_KEYWORD", "UNRESERVED_KEYWORD"})


def quote_identifier(name: str) -> str:
    """``name`` the way quote_identifier() prints it (ruleutils.c): bare when it is
    lower case letters, digits and underscores and not a keyword other than an
    unreserved one, double-quoted otherwise."""
    if _SAFE_IDENTIFIER.fullmatch(name) and scan(name)[0].kind in _NOT_RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _clip(data: bytes, limit: int) -> bytes:
    # pg_mbcliplen: the longest prefix of whole characters within ``limit`` bytes.
    return data[:limit].decode("utf-8", errors="ignore").encode("utf-8")


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """``name1_name2_label`` shortened the way makeObjectName does to fit 63 bytes.

    The longer of name1/name2 loses a byte at a time, so both keep a share.
    """
    first = name1.encode("utf-8")
    second = name2.encode("utf-8") if name2 is not None else b""
    overhead = (1 if name2 is not None else 0) + (len(label.encode("utf-8")) + 1 if label else 0)
    available = MAX_IDENTIFIER_BYTES - overhead
    first_len, second_len = len(first), len(second)
    while first_len + second_len > available:
        if first_len > second_len:
            first_len -= 1
        else:
            second_len -= 1
    parts = [_clip(first, first_len)]
    if name2 is not None:
        parts.append(_clip(second, second_len))
    if label:
        parts.append(label.encode("utf-8"))
    return b"_".join(parts).decode("utf-8")


def name_addition(column_names: Sequence[str]) -> str:
    """ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: ``a_b_c``,
    stopping once the result reaches NAMEDATALEN bytes."""
    buffer = b""
    for name in column_names:
        if buffer:
            buffer += b"_"
        buffer += name.encode("utf-8")[: NAMEDATALEN - 1]
        if len(buffer) >= NAMEDATALEN:
            break
    return buffer.decode("utf-8", errors="ignore")


def index_column_names(names: Sequence[str | None]) -> list[str]:
    """ChooseIndexColumnNames: column names, ``expr`` for expressions, made unique."""
    result: list[str] = []
    for name in names:
        original = name if name is not None else "expr"
        current = original
        counter = 1
        while current in result:
            suffix = str(counter)
            clipped = _clip(original.encode("utf-8"), MAX_IDENTIFIER_BYTES - len(suffix))
            current = clipped.decode("utf-8") + suffix
            counter += 1
        result.append(current)
    return result


def choose_name(name1: str, name2: str | None, label: str, is_taken: Callable[[str], bool]) -> str:
    """The first of ``label``, ``label1``, ``label2`` ... whose full name is free."""
    attempt = 0
    modified = label
    while True:
        name = make_object_name(name1, name2, modified)
        if not is_taken(name):
            return name
        attempt += 1
        modified = f"{label}{attempt}"


def not_null_constraint_name(
    table: str, column: str, is_taken: Callable[[str], bool] = lambda _name: False
) -> str:
    """The name PostgreSQL 18+ gives the constraint behind a NOT NULL column.

    ``<table>_<column>_not_null``, shortened and suffixed like every other
    implicit constraint name. Before 18, NOT NULL has no named constraint.
    """
    return choose_name(table, column, "not_null", is_taken)


def figure_index_colname(node: Any) -> str | None:
    """FigureIndexColname (parser/parse_target.c): the name an index's expression column
    lends the index's name, ``lower`` for ``lower(email)``; None where the server uses
    ``expr`` (an operator, a literal)."""
    if isinstance(node, ast.ColumnRef):
        fields = [f for f in node.fields or () if isinstance(f, ast.String)]
        return str(fields[-1].sval) if fields else None
    if isinstance(node, ast.FuncCall):
        return str(node.funcname[-1].sval) if node.funcname else None
    if isinstance(node, ast.TypeCast):
        inner = figure_index_colname(node.arg)
        if inner is not None:
            return inner
        names = node.typeName.names if node.typeName is not None else ()
        return str(names[-1].sval) if names else None
    if isinstance(node, ast.CollateClause):
        return figure_index_colname(node.arg)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_NULLIF:
        return "nullif"
    if isinstance(node, ast.MinMaxExpr):
        return "greatest" if node.op == MinMaxOp.IS_GREATEST else "least"
    named = {ast.CaseExpr: "case", ast.CoalesceExpr: "coalesce", ast.A_ArrayExpr: "array"}
    named[ast.RowExpr] = "row"
    return named.get(type(node))


def expression_colname(expression: str | None) -> str | None:
    """``figure_index_colname`` of a deparsed index expression."""
    if expression is None:
        return None
    try:
        statement = parse_sql(f"SELECT {expression}")[0].stmt
    except ParseError:
        return None
    if not isinstance(statement, ast.SelectStmt) or not statement.targetList:
        return None
    return figure_index_colname(statement.targetList[0].val)


def element_colname(element: Any) -> str | None:
    """The name an IndexElem lends its index's name: its column, or its expression's."""
    if element.name:
        return str(element.name)
    return figure_index_colname(element.expr) if element.expr is not None else None
