"""The names PostgreSQL stores and invents, for rules that compare or propose names:
63-byte truncation, quoting, and the implicit constraint and index names."""

from __future__ import annotations

from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

from checker.simulator.naming import (
    make_object_name,
    not_null_constraint_name,
    quote_identifier,
    truncate_identifier,
)

# PostgreSQL's reserved key words ("reserved" and "reserved (can be function or type)"
# in the key words appendix): as a bare identifier each is a syntax error or means
# something else.
RESERVED_WORDS: frozenset[str] = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS)

__all__ = [
    "RESERVED_WORDS",
    "make_object_name",
    "not_null_constraint_name",
    "quote_identifier",
    "truncate_identifier",
]
