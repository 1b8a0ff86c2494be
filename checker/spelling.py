"""Spelling-blind comparison of SQL expressions (defaults, checks, predicates, index keys).

Two catalogs of one schema print expressions differently: a deparser against
``pg_get_expr``, drizzle-kit's export against hand-written migrations: ``'x'``
against ``'x'::text``, ``a IN ('x')`` against ``a = ANY (ARRAY['x'::text])``,
``"t"."c"`` against ``c``, ``now()`` against ``CURRENT_TIMESTAMP``. ``loose_form``
parses an expression with PostgreSQL's parser (pglast) and prints it back with
those differences erased; a ``Canonicaliser`` (the live server) settles the rest.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any, Protocol

from checker.catalog import QualifiedName


class ExpressionKind(StrEnum):
    DEFAULT = "default"
    CHECK = "check"
    PREDICATE = "predicate"  # WHERE of a partial index
    INDEX_KEY = "index key"
    GENERATED = "generated"


class Canonicaliser(Protocol):
    """Prints a static expression the way the server stores it, or None when it cannot."""

    def __call__(
        self, kind: ExpressionKind, table: QualifiedName, expression: str, column: str | None
    ) -> str | None: ...


def same_expression(
    static: str | None,
    live: str | None,
    *,
    kind: ExpressionKind,
    table: QualifiedName,
    column: str | None = None,
    canonicalise: Canonicaliser | None = None,
) -> bool:
    """True when the two expressions mean the same to PostgreSQL (as far as we can tell)."""
    if kind is ExpressionKind.DEFAULT:
        # a NULL constant (cast or not) is no default: PostgreSQL stores none for it
        static, live = _no_null_default(static), _no_null_default(live)
    if static is None or live is None:
        return static is None and live is None
    if _squeeze(static) == _squeeze(live) or loose_form(static) == loose_form(live):
        return True
    if canonicalise is None:
        return False
    canonical = canonicalise(kind, table, static, column)
    if canonical is None:
        return False
    return _squeeze(canonical) == _squeeze(live) or loose_form(canonical) == loose_form(live)


def _no_null_default(default: str | None) -> str | None:
    return None if default is not None and loose_form(default) == "NULL" else default


def _squeeze(text: str) -> str:
    return " ".join(text.split())


@functools.lru_cache(maxsize=4096)
def loose_form(expression: str) -> str:
    """The expression printed back with casts, qualifiers and IN-vs-ANY erased.

    Not a proof of equality (``1::text`` and ``1`` compare equal), a filter
    before asking the server; unparsable text falls back to squeezed spacing.
    """
    from pglast import ast, parse_sql
    from pglast.stream import RawStream

    text = strip_outer_parens(expression.strip())
    try:
        statement = parse_sql(f"SELECT {text}")[0].stmt
    except Exception:  # pglast raises its ParseError, and ValueError on odd input
        return _squeeze(text).lower()
    if not isinstance(statement, ast.SelectStmt) or not statement.targetList:
        return _squeeze(text).lower()
    node = _simplify(statement.targetList[0].val)
    try:
        return str(RawStream()(node))
    except Exception:  # the printer rejects some rewritten trees; the text is still usable
        return _squeeze(text).lower()


def _simplify(value: Any) -> Any:
    from pglast import ast
    from pglast.enums import A_Expr_Kind, SQLValueFunctionOp

    if isinstance(value, tuple | list):
        return tuple(_simplify(item) for item in value)
    if not isinstance(value, ast.Node):
        return value
    if isinstance(value, ast.TypeCast):
        return _simplify(value.arg)
    if (
        isinstance(value, ast.SQLValueFunction)
        and value.op == SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP
    ):
        # CURRENT_TIMESTAMP is now() to PostgreSQL (pg_get_expr prints it as such)
        return ast.FuncCall(funcname=(ast.String(sval="now"),), args=None, funcformat=0)
    if (
        isinstance(value, ast.FuncCall)
        and value.funcname
        and len(value.funcname) > 1
        and value.funcname[0].sval == "pg_catalog"
    ):
        value.funcname = value.funcname[-1:]
    if isinstance(value, ast.ColumnRef) and value.fields and len(value.fields) > 1:
        # pg_get_expr leaves out the table when the expression has only one.
        value.fields = value.fields[-1:]
    # pg_dump writes OPERATOR(pg_catalog.=) (or OPERATOR(public.~)), the server prints
    # the bare symbol: the schema goes, the symbol itself is still compared.
    if isinstance(value, ast.A_Expr) and value.name and len(value.name) > 1:
        value.name = value.name[-1:]
    if isinstance(value, ast.SubLink) and value.operName and len(value.operName) > 1:
        value.operName = value.operName[-1:]
    if (
        isinstance(value, ast.A_Expr)
        and value.kind == A_Expr_Kind.AEXPR_IN
        and isinstance(value.rexpr, tuple | list)
        and len(value.rexpr) == 1
    ):
        # PostgreSQL stores `a IN (x)` as `a = x` (and NOT IN as <>)
        value.kind = A_Expr_Kind.AEXPR_OP
        value.rexpr = value.rexpr[0]
    if isinstance(value, ast.A_Expr) and value.kind == A_Expr_Kind.AEXPR_IN:
        operator = value.name[0].sval if value.name else "="
        value.kind = A_Expr_Kind.AEXPR_OP_ANY if operator == "=" else A_Expr_Kind.AEXPR_OP_ALL
        value.rexpr = ast.A_ArrayExpr(elements=tuple(value.rexpr or ()))
    if isinstance(value, ast.A_ArrayExpr) and value.elements:
        value.elements = tuple(_simplify(item) for item in value.elements)
        return value
    for attribute in value:
        if attribute == "location":
            continue
        setattr(value, attribute, _simplify(getattr(value, attribute)))
    return value


def strip_outer_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and encloses(text):
        text = text[1:-1].strip()
    return text


def encloses(text: str) -> bool:
    """True when the first '(' of ``text`` (outside quotes) closes at its last character."""
    quote: str | None = None
    for position, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "(":
            return closing_parenthesis(text, position) == len(text) - 1
    return False


def closing_parenthesis(text: str, opened: int) -> int | None:
    """Where the '(' at ``opened`` closes, skipping quoted strings and names (a doubled
    quote stays inside them); None when it never closes."""
    depth = 0
    quote: str | None = None
    for position in range(opened, len(text)):
        char = text[position]
        if quote:
            if char == quote:
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position
    return None
