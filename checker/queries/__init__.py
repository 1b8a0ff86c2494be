"""Query patterns: what a documented query asks of each table it reads.

sqlglot parses the queries (pglast cannot take ``?`` placeholders); per table
access this module extracts the predicates an index could use (equality,
``IN``, ``IS NULL``, range, join equality), the ORDER BY with its direction and
NULLS order, LIMIT, and pgvector distance ordering. sqlglot is imported only
when a query is actually parsed: it costs about 0.09 s to import.
"""

from __future__ import annotations

from checker.queries.files import load_query_file
from checker.queries.literals import bind_literals
from checker.queries.shapes import (
    OrderItem,
    PredicateKind,
    QueryParseError,
    QueryShape,
    TableAccess,
)
from checker.queries.walker import canonical_text, conjunct_texts, parse_query

__all__ = [
    "OrderItem",
    "PredicateKind",
    "QueryParseError",
    "QueryShape",
    "TableAccess",
    "bind_literals",
    "canonical_text",
    "conjunct_texts",
    "load_query_file",
    "parse_query",
]
