"""The SQL syntax tree rules read: PostgreSQL's own parse tree (pglast), through one door.

Rules import node types, enums and the few parser helpers they need from here, never
from pglast itself, so a parser upgrade (or a change of parser) touches one module;
tests/test_layering.py keeps it so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import (
    AlterTableType,
    BoolExprType,
    ConstrType,
    DropBehavior,
    NullTestType,
    ObjectType,
    TransactionStmtKind,
    VariableSetKind,
)
from pglast.parser import ParseError, scan
from pglast.stream import RawStream

__all__ = [
    "AlterTableType",
    "BoolExprType",
    "ConstrType",
    "DropBehavior",
    "NullTestType",
    "ObjectType",
    "ParseError",
    "RawStream",
    "TransactionStmtKind",
    "VariableSetKind",
    "all_nodes",
    "ast",
    "parse_sql",
    "scan",
]


def all_nodes(root: Any) -> Iterator[Any]:
    """Every pglast node under ``root`` (``root`` included), depth first; lists and
    tuples of nodes are walked through, other values are skipped."""
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, ast.Node):
            yield value
            stack.extend(getattr(value, attribute) for attribute in value)
        elif isinstance(value, tuple | list):
            stack.extend(value)
