"""HY811: a partial index whose WHERE tests IS NOT NULL on a column that is NOT NULL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.catalog import Index, quote, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import BoolExprType, NullTestType, ParseError, RawStream, ast, parse_sql
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
                fix=_recreate(index, _remaining(index.predicate, set(redundant))),
            )


def _recreate(index: Index, predicate: str | None) -> Fix:
    """DROP the index and CREATE it again with ``predicate`` (None: not partial)."""
    unique = "UNIQUE " if index.unique else ""
    method = "" if index.method == "btree" else f" USING {index.method}"
    keys = ", ".join(key.render() for key in index.keys)
    create = (
        f"CREATE {unique}INDEX {quote(index.name)} ON {relation_sql(index.table)}{method} ({keys})"
    )
    if index.include:
        create += f" INCLUDE ({', '.join(quote(c) for c in index.include)})"
    if predicate:
        create += f" WHERE {predicate}"
    return Fix(
        f"re-create {index.name} without the always-true test",
        statements=(f"DROP INDEX {relation_sql(index.qualified)};", f"{create};"),
    )


def _remaining(predicate: str, redundant: set[str]) -> str | None:
    """The predicate without its always-true ``col IS NOT NULL`` parts."""
    kept = [node for node in _conjuncts_of(predicate) if _tested_column(node) not in redundant]
    return " AND ".join(RawStream()(node) for node in kept) or None


def _conjuncts_of(predicate: str) -> list[Any]:
    """The ANDed parts of a predicate (one part when it is not an AND); [] if unparsable."""
    try:
        statement = parse_sql(f"SELECT WHERE {predicate}")[0].stmt
    except ParseError:
        return []
    if not isinstance(statement, ast.SelectStmt):
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
        column = _tested_column(node)
        if column is not None and column not in columns:
            columns.append(column)
    return columns


def _tested_column(node: Any) -> str | None:
    """The column of a ``col IS NOT NULL`` test, None for anything else."""
    if (
        isinstance(node, ast.NullTest)
        and node.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(node.arg, ast.ColumnRef)
    ):
        last = (node.arg.fields or ())[-1]
        if isinstance(last, ast.String):
            return str(last.sval)
    return None
