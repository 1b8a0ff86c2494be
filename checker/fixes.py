"""Fixes as data: a title, plus edits of the source or statements to add, and the one
helper that spells a name a fix writes (quoted when needed, never a bare reserved word,
at most 63 bytes cut on a character boundary).

Reporters print a fix's title and statements; SARIF carries the edits as ``fixes``;
tests apply each fix to its rule's ``err_`` fixture and check the finding is gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pglast.parser import scan

from checker.findings import Edit, Fix
from checker.names import quote_identifier, truncate_identifier

_NOT_RESERVED = frozenset({"NO_KEYWORD", "UNRESERVED_KEYWORD"})
_PLAIN = re.compile(r"[a-z_][a-z0-9_]*")


__all__ = ["Edit", "Fix", "as_fix", "new_name", "sql_list", "sql_name", "truncate_to"]


def as_fix(fix: str | Fix | None) -> Fix | None:
    """A rule's fix as data (a plain string is advice only)."""
    if fix is None or isinstance(fix, Fix):
        return fix
    return Fix(fix)


def sql_name(name: str) -> str:
    """``name`` as SQL: cut to the 63 bytes PostgreSQL keeps, quoted when it must be."""
    return quote_identifier(truncate_identifier(name))


def new_name(*parts: str, suffix: str = "") -> str:
    """A name a fix proposes: the parts joined by ``_`` in lower case, cut so that
    ``suffix`` survives within 63 bytes (on a character boundary), and never a
    key word that would need quotes (``user`` becomes ``users``)."""
    words = [p.strip("_").lower() for p in parts if p.strip("_")]
    stem = "_".join(words) or "unnamed"
    room = 63 - len(suffix.encode("utf-8"))
    name = truncate_to(stem, room) + suffix
    if _is_key_word(name):
        name = truncate_to(name, 62) + ("s" if not name.endswith("s") else "_")
    return name


def truncate_to(name: str, limit: int) -> str:
    """The longest prefix of ``name`` of whole characters within ``limit`` UTF-8 bytes."""
    data = name.encode("utf-8")
    if len(data) <= limit:
        return name
    return data[:limit].decode("utf-8", errors="ignore")


def _is_key_word(name: str) -> bool:
    """A plain lower-case word that PostgreSQL reads as a (not unreserved) key word."""
    return bool(_PLAIN.fullmatch(name)) and scan(name)[0].kind not in _NOT_RESERVED


def sql_list(names: Iterable[str]) -> str:
    return ", ".join(sql_name(n) for n in names)
