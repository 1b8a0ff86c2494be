"""Deciding whether two SQL expressions (defaults, checks, predicates) mean the same.

The static model holds expressions as a deparser printed them, the live catalog
as ``pg_get_expr`` prints them: ``'x'`` against ``'x'::text``, ``a IN ('x')``
against ``a = ANY (ARRAY['x'::text])``, ``"t"."c"`` against ``c``. Two layers:

1. ``loose_form``: both texts parsed with PostgreSQL's parser (pglast) and
   printed back after dropping casts, table qualifiers and the IN/ANY
   difference, so spelling, parentheses and casts stop mattering.
2. ``ServerCanonicaliser``: what the loose form cannot settle goes to the
   server itself, which stores the static expression on the real table inside
   a transaction that is rolled back and prints it with ``pg_get_expr``; then
   both sides come from the same printer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from checker.catalog import QualifiedName

if TYPE_CHECKING:
    import psycopg


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

    text = _strip_outer_parens(expression.strip())
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
    from pglast.enums import A_Expr_Kind

    if isinstance(value, tuple | list):
        return tuple(_simplify(item) for item in value)
    if not isinstance(value, ast.Node):
        return value
    if isinstance(value, ast.TypeCast):
        return _simplify(value.arg)
    if isinstance(value, ast.ColumnRef) and value.fields and len(value.fields) > 1:
        # pg_get_expr leaves out the table when the expression has only one.
        value.fields = value.fields[-1:]
    # pg_dump writes OPERATOR(pg_catalog.=) (or OPERATOR(public.~)), the server prints
    # the bare symbol: the schema goes, the symbol itself is still compared.
    if isinstance(value, ast.A_Expr) and value.name and len(value.name) > 1:
        value.name = value.name[-1:]
    if isinstance(value, ast.SubLink) and value.operName and len(value.operName) > 1:
        value.operName = value.operName[-1:]
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


def _strip_outer_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and encloses(text):
        text = text[1:-1].strip()
    return text


def encloses(text: str) -> bool:
    """True when the first '(' of ``text`` closes at its last character."""
    depth = 0
    quote: str | None = None
    for position, char in enumerate(text):
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
                return position == len(text) - 1
    return False


@dataclass(slots=True)
class ServerCanonicaliser:
    """Canonicalises static expressions on the live database, changing nothing.

    Use inside ``session()``: one transaction, rolled back at the end, and a
    savepoint per expression. Each expression is attached to the real table
    (SET DEFAULT, ADD CHECK ... NOT VALID, CREATE INDEX ... WHERE), read back
    with pg_get_expr, and undone. Results are cached per (kind, table, text).
    """

    connection: psycopg.Connection[Any]
    asked: int = 0
    _cache: dict[tuple[str, QualifiedName, str, str | None], str | None] = field(
        default_factory=dict
    )

    @contextmanager
    def session(self) -> Iterator[ServerCanonicaliser]:
        self.connection.execute("BEGIN")
        try:
            yield self
        finally:
            self.connection.execute("ROLLBACK")

    def __call__(
        self, kind: ExpressionKind, table: QualifiedName, expression: str, column: str | None
    ) -> str | None:
        key = (kind.value, table, expression, column)
        if key not in self._cache:
            self.asked += 1
            self._cache[key] = self._ask(kind, table, expression, column)
        return self._cache[key]

    def _ask(
        self, kind: ExpressionKind, table: QualifiedName, expression: str, column: str | None
    ) -> str | None:
        import psycopg
        from psycopg import sql

        relation = sql.Identifier(*table)
        body = sql.SQL(expression)  # static text from the user's own migrations, run in a savepoint
        name = sql.Identifier("schema_check_canonical")
        if kind is ExpressionKind.DEFAULT and column is not None:
            statement = sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                relation, sql.Identifier(column), body
            )
            read = sql.SQL(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a"
                " ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
                " WHERE d.adrelid = {}::regclass AND a.attname = {}"
            ).format(sql.Literal(_regclass(table)), sql.Literal(column))
        elif kind is ExpressionKind.CHECK:
            statement = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID").format(
                relation, name, body
            )
            read = sql.SQL(
                "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint"
                " WHERE conrelid = {}::regclass AND conname = 'schema_check_canonical'"
            ).format(sql.Literal(_regclass(table)))
        elif kind in (ExpressionKind.PREDICATE, ExpressionKind.INDEX_KEY):
            if kind is ExpressionKind.PREDICATE:
                if column is None:
                    return None  # a predicate needs some key to hang on
                key = sql.Identifier(column)
                statement = sql.SQL("CREATE INDEX {} ON {} ({}) WHERE {}").format(
                    name, relation, key, body
                )
                read = sql.SQL(
                    "SELECT pg_get_expr(indpred, indrelid) FROM pg_index"
                    " WHERE indexrelid = {}::regclass"
                ).format(sql.Literal(_regclass((table[0], "schema_check_canonical"))))
            else:
                statement = sql.SQL("CREATE INDEX {} ON {} (({}))").format(name, relation, body)
                read = sql.SQL("SELECT pg_get_indexdef({}::regclass, 1, true)").format(
                    sql.Literal(_regclass((table[0], "schema_check_canonical")))
                )
        else:
            return None
        self.connection.execute("SAVEPOINT schema_check_canonical")
        try:
            self.connection.execute(statement)
            row = self.connection.execute(read).fetchone()
        except psycopg.Error:
            row = None
        finally:
            self.connection.execute("ROLLBACK TO SAVEPOINT schema_check_canonical")
            self.connection.execute("RELEASE SAVEPOINT schema_check_canonical")
        if row is None or row[0] is None:
            return None
        return _strip_outer_parens(str(row[0]))


def _regclass(name: QualifiedName) -> str:
    schema, relation = name
    return '"{}"."{}"'.format(schema.replace('"', '""'), relation.replace('"', '""'))
