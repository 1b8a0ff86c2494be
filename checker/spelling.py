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
import re
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
        interval = _interval_constant(value)
        return interval if interval is not None else _simplify(value.arg)
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
        and value.funcname[0].sval in _SEARCHED_SCHEMAS
    ):
        value.funcname = value.funcname[-1:]
    if isinstance(value, ast.ResTarget) and value.name and value.val is not None:
        # pg_get_expr names a subquery's output (`(SELECT auth.uid() AS uid)`), which a
        # scalar subquery's value does not depend on
        value.name = None
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


# Schemas whose functions an expression names with or without the schema: PostgreSQL's own,
# ``public``, and ``extensions``, where a Supabase project's extensions live (its search
# path is "$user", public, extensions, so pg_dump writes ``extensions.uuid_generate_v4()``
# where the schema file says ``uuid_generate_v4()``).
_SEARCHED_SCHEMAS = frozenset({"pg_catalog", "public", "extensions"})


def _interval_constant(cast: Any) -> Any:
    """An interval constant (``'1 month'::interval``, ``interval '30 days'``) as a constant
    of its value's canonical text, or None for any other cast: PostgreSQL stores
    ``'1 mon'`` for ``'1 month'`` and ``'01:00:00'`` for ``'1 hour'``."""
    from pglast import ast

    names = [name.sval for name in (cast.typeName.names or ()) if isinstance(name, ast.String)]
    if names[-1:] != ["interval"] or cast.typeName.typmods:
        return None
    constant = cast.arg
    if not isinstance(constant, ast.A_Const) or not isinstance(constant.val, ast.String):
        return None
    canonical = interval_text(constant.val.sval or "")
    if canonical is None:
        return None
    return ast.A_Const(val=ast.String(sval=canonical))


_INTERVAL_UNITS = {
    # unit: (months, days, microseconds) of one
    "microsecond": (0, 0, 1),
    "millisecond": (0, 0, 1_000),
    "second": (0, 0, 1_000_000),
    "minute": (0, 0, 60_000_000),
    "hour": (0, 0, 3_600_000_000),
    "day": (0, 1, 0),
    "week": (0, 7, 0),
    "month": (1, 0, 0),
    "year": (12, 0, 0),
    "decade": (120, 0, 0),
    "century": (1_200, 0, 0),
    "millennium": (12_000, 0, 0),
}
_INTERVAL_SPELLINGS = {
    **{name: name for name in _INTERVAL_UNITS},
    **{f"{name}s": name for name in _INTERVAL_UNITS},
    "us": "microsecond", "usec": "microsecond", "usecs": "microsecond",
    "ms": "millisecond", "msec": "millisecond", "msecs": "millisecond",
    "s": "second", "sec": "second", "secs": "second",
    "m": "minute", "min": "minute", "mins": "minute",
    "h": "hour", "hr": "hour", "hrs": "hour",
    "d": "day", "w": "week",
    "mon": "month", "mons": "month",
    "y": "year", "yr": "year", "yrs": "year",
    "centuries": "century", "millennia": "millennium", "millenniums": "millennium",
}  # fmt: skip
_INTERVAL_PART = re.compile(
    r"\s*(?:(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<unit>[a-z]+)"
    r"|(?P<time>[+-]?\d+:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?))"
)


def interval_text(text: str) -> str | None:
    """An interval's text as PostgreSQL prints it (``1 year 2 mons 3 days 04:05:06``),
    for the postgres style of writing one (``1 month``, ``2 hours 30 mins``, ``1 day ago``,
    ``01:30:00``); None for anything else (ISO 8601, ``1-2``), which is left as written."""
    from decimal import Decimal, InvalidOperation

    rest = " ".join(text.lower().split())
    negate = rest.endswith(" ago")
    rest = rest.removesuffix(" ago").strip().removeprefix("@").strip()
    months, days, micros = Decimal(0), Decimal(0), Decimal(0)
    position, parts = 0, 0
    while position < len(rest):
        match = _INTERVAL_PART.match(rest, position)
        if match is None or match.end() == position:
            return None
        position, parts = match.end(), parts + 1
        if match["time"] is not None:
            sign = -1 if match["time"].startswith("-") else 1
            hours, minutes, *seconds = match["time"].lstrip("+-").split(":")
            try:
                value = Decimal(hours) * 3600 + Decimal(minutes) * 60
                value += Decimal(seconds[0]) if seconds else 0
            except InvalidOperation:
                return None
            micros += sign * value * 1_000_000
            continue
        unit = _INTERVAL_SPELLINGS.get(match["unit"])
        if unit is None:
            return None
        number = Decimal(match["number"])
        in_months, in_days, in_micros = _INTERVAL_UNITS[unit]
        months += number * in_months
        days += number * in_days
        micros += number * in_micros
    if parts == 0 or months != int(months) or days != int(days):
        return None  # fractions of months or days spill into smaller units: not followed
    if negate:
        months, days, micros = -months, -days, -micros
    return _interval_printed(int(months), int(days), micros)


def _interval_printed(months: int, days: int, micros: object) -> str:
    from decimal import Decimal

    assert isinstance(micros, Decimal)
    shown: list[str] = []
    years = abs(months) // 12 * (1 if months >= 0 else -1)  # as C divides: toward zero
    rest = months - years * 12
    if years:
        shown.append(f"{years} year{'' if years == 1 else 's'}")
    if rest:
        shown.append(f"{rest} mon{'' if rest == 1 else 's'}")
    if days:
        shown.append(f"{days} day{'' if days == 1 else 's'}")
    if micros or not shown:
        sign = "-" if micros < 0 else ""
        whole, fraction = divmod(abs(micros), 1_000_000)
        hours, left = divmod(int(whole), 3600)
        minutes, seconds = divmod(left, 60)
        time = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
        if fraction:
            time += f".{int(fraction):06d}".rstrip("0")
        shown.append(time)
    return " ".join(shown)


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
