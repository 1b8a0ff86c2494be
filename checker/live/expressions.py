"""Deciding whether two SQL expressions (defaults, checks, predicates) mean the same.

The static model holds expressions as a deparser printed them, the live catalog
as ``pg_get_expr`` prints them: ``'x'`` against ``'x'::text``, ``a IN ('x')``
against ``a = ANY (ARRAY['x'::text])``, ``"t"."c"`` against ``c``. Two layers:

1. ``loose_form`` (``checker.spelling``, shared with the drift checks): both
   texts parsed with PostgreSQL's parser (pglast) and printed back after
   dropping casts, table qualifiers and the IN/ANY difference, so spelling,
   parentheses and casts stop mattering.
2. ``ServerCanonicaliser``: what the loose form cannot settle goes to the
   server itself, which stores the static expression on the real table inside
   a transaction that is rolled back and prints it with ``pg_get_expr``; then
   both sides come from the same printer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checker.catalog import QualifiedName
from checker.spelling import Canonicaliser as Canonicaliser
from checker.spelling import ExpressionKind as ExpressionKind
from checker.spelling import encloses as encloses
from checker.spelling import loose_form as loose_form
from checker.spelling import same_expression as same_expression
from checker.spelling import strip_outer_parens

if TYPE_CHECKING:
    import psycopg


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
        return strip_outer_parens(str(row[0]))


def _regclass(name: QualifiedName) -> str:
    schema, relation = name
    return '"{}"."{}"'.format(schema.replace('"', '""'), relation.replace('"', '""'))
