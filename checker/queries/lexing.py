"""The lexer of query files: placeholders (``?``, ``$1``, ``:name``) and quoted text,
so that a placeholder inside a string stays text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from checker.queries.shapes import VECTOR_OPERATORS

# ---------------------------------------------------------------- lexing


@dataclass(frozen=True, slots=True)
class Token:
    """A token of a query file that the SQL parser does not take as it is."""

    kind: str  # param | vector | semicolon | comment
    start: int
    end: int
    text: str


_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PARAM_NUMBER = re.compile(r"\$\d+")
_PARAM_NAME = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")


def scan_tokens(sql: str) -> Iterator[Token]:
    """Placeholders, pgvector operators, semicolons and comments outside literals."""
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char == "'":
            i = _skip_quoted(sql, i, "'")
        elif char == '"':
            i = _skip_quoted(sql, i, '"')
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            yield Token("comment", i, end, sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            yield Token("comment", i, end, sql[i:end])
            i = end
        elif char == "$":
            number = _PARAM_NUMBER.match(sql, i)
            tag = _DOLLAR_TAG.match(sql, i)
            if number and not (i and (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                yield Token("param", i, number.end(), number.group())
                i = number.end()
            elif tag:
                close = sql.find(tag.group(), tag.end())
                i = n if close == -1 else close + len(tag.group())
            else:
                i += 1
        elif char == "?" and not sql.startswith(("?|", "?&"), i):
            yield Token("param", i, i + 1, "?")
            i += 1
        elif char == ":" and not sql.startswith("::", i) and (i == 0 or sql[i - 1] != ":"):
            name = _PARAM_NAME.match(sql, i)
            if name:
                yield Token("param", i, name.end(), name.group())
                i = name.end()
            else:
                i += 1
        elif char == "<" and sql[i : i + 3] in VECTOR_OPERATORS:
            yield Token("vector", i, i + 3, sql[i : i + 3])
            i += 3
        elif char == ";":
            yield Token("semicolon", i, i + 1, ";")
            i += 1
        else:
            i += 1


def _skip_quoted(sql: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if sql.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)
