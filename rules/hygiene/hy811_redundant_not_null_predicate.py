"""HY811: a partial index whose WHERE tests IS NOT NULL on a column that is NOT NULL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import BoolExprType, NullTestType
from pglast.parser import ParseError

from checker.catalog import Index, quote, relation_sql
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import not_null_columns


@register
class RedundantNotNullPredicateRule(Rule):
    """An index's WHERE clause tests ``col IS NOT NULL`` where ``col`` is NOT NULL.

    What it does:
        Reports a partial index whose predicate is, or is ANDed with,
        ``col IS NOT NULL`` for a column the final schema declares NOT NULL
        (or part of the primary key).

    Why it matters:
        The condition is always true, so the index holds every row anyway,
        but it is still a partial index: a unique one cannot back a PRIMARY
        KEY or UNIQUE constraint (ADD CONSTRAINT ... USING INDEX refuses
        partial indexes) nor serve as the key a foreign key references, and
        INSERT ... ON CONFLICT (col) infers it only when the statement repeats
        the predicate. It usually comes from copying an index written before
        the column became NOT NULL.

    Example:
        CREATE TABLE api_key (id text PRIMARY KEY, key_hash text NOT NULL);
        CREATE UNIQUE INDEX api_key_hash_key ON api_key (key_hash) WHERE key_hash IS NOT NULL;

    Use instead:
        CREATE TABLE api_key (id text PRIMARY KEY, key_hash text NOT NULL);
        CREATE UNIQUE INDEX api_key_hash_key ON api_key (key_hash);

    References:
        https://www.postgresql.org/docs/current/indexes-partial.html
        https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/indexes_with_unnecessary_where_clause.md
    """

    meta = RuleMeta(
        "HY811",
        "redundant-not-null-predicate",
        Severity.WARNING,
        "index WHERE clause tests IS NOT NULL on a NOT NULL column",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for key in sorted(catalog.indexes):
            index = catalog.indexes[key]
            table = catalog.tables.get(index.table)
            if index.predicate is None or table is None:
                continue
            required = not_null_columns(table)
            redundant = [c for c in _not_null_tests(index.predicate) if c in required]
            if not redundant:
                continue
            tests = " AND ".join(f"{column} IS NOT NULL" for column in redundant)
            yield self.finding(
                f"Index {index.name} has WHERE {index.predicate}, but {', '.join(redundant)} "
                f"{'is' if len(redundant) == 1 else 'are'} NOT NULL: {tests} is always true "
                f"and only makes the index partial",
                index.origin,
                objects=[index.name],
                fix=_fix(index, len(redundant) == len(_conjuncts_of(index.predicate))),
            )


def _fix(index: Index, whole: bool) -> str:
    if not whole:
        return f"recreate {index.name} without the always-true IS NOT NULL tests"
    return (
        f"DROP INDEX {relation_sql(index.qualified)}; then recreate it without its WHERE "
        f"clause (ON {relation_sql(index.table)}, keys as before, "
        f"name {quote(index.name)})"
    )


def _conjuncts_of(predicate: str) -> list[Any]:
    """The ANDed parts of a predicate (one part when it is not an AND); [] if unparsable."""
    try:
        statement = parse_sql(f"SELECT WHERE {predicate}")[0].stmt
    except ParseError:
        return []
    where = statement.whereClause
    parts: list[Any] = [where]
    flat: list[Any] = []
    while parts:
        node = parts.pop(0)
        if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
            parts[0:0] = list(node.args or ())
        else:
            flat.append(node)
    return flat


def _not_null_tests(predicate: str) -> list[str]:
    """The columns an ANDed ``col IS NOT NULL`` of the predicate tests, in order."""
    columns: list[str] = []
    for node in _conjuncts_of(predicate):
        if (
            isinstance(node, ast.NullTest)
            and node.nulltesttype == NullTestType.IS_NOT_NULL
            and isinstance(node.arg, ast.ColumnRef)
        ):
            last = (node.arg.fields or ())[-1]
            if isinstance(last, ast.String) and last.sval not in columns:
                columns.append(last.sval)
    return columns
