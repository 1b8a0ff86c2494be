"""The SQL syntax tree rules read: PostgreSQL's own parse tree (pglast), through one door.

Rules import node types, enums and the few parser helpers they need from here, never
from pglast itself, so a parser upgrade (or a change of parser) touches one module;
tests/test_layering.py keeps it so.
"""

from __future__ import annotations

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
    "ast",
    "parse_sql",
    "scan",
]
