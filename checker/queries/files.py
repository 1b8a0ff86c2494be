"""Reading query files: ``-- name:``, ``-- volume:`` and ``-- expect-index:``
directives, one query per statement."""

from __future__ import annotations

import re
from pathlib import Path

from checker.config import QueryPattern
from checker.errors import InputError
from checker.files import read_text
from checker.model import Layer, Origin
from checker.queries.lexing import Token, scan_tokens
from checker.queries.shapes import VOLUMES, QueryParseError
from checker.queries.walker import parse_query

# ---------------------------------------------------------------- query files

_DIRECTIVE = re.compile(r"--\s*(expect-index|name|volume)\s*:\s*(\S.*?)\s*$")


def load_query_file(path: Path) -> list[QueryPattern]:
    """Query patterns from a .sql file: one query per statement.

    ``-- name: ...``, ``-- expect-index: NAME`` and ``-- volume: high|medium|low``
    comments apply to the statement they precede (or stand in). Problems raise
    InputError with ``file:line``.
    """
    text = read_text(path)
    patterns: list[QueryPattern] = []
    start = 0
    directives: dict[str, str] = {}
    tokens = [t for t in scan_tokens(text) if t.kind in ("semicolon", "comment")]
    tokens.append(Token("semicolon", len(text), len(text), ""))
    for token in tokens:
        if token.kind == "comment":
            match = _DIRECTIVE.match(token.text)
            if match:
                key, value = match.group(1), match.group(2)
                if key == "volume" and value not in VOLUMES:
                    line = text.count("\n", 0, token.start) + 1
                    raise InputError(f"{path}:{line}: volume must be high, medium or low")
                directives[key] = value
            continue
        body = _strip_comments(text[start : token.start])
        if body.strip():
            offset = start + len(body) - len(body.lstrip())
            line = text.count("\n", 0, offset) + 1
            patterns.append(
                QueryPattern(
                    name=directives.get("name") or f"{path.name}:{line}",
                    sql=body.strip(),
                    expect_index=directives.get("expect-index"),
                    volume=directives.get("volume"),
                    source=f"{path}:{line}",
                    origin=Origin(
                        str(path), offset, offset + len(body.strip()), -1, Layer.EXTENSION
                    ),
                )
            )
            _validate(patterns[-1], path, text, offset)
            directives = {}
        start = token.end
    if not patterns:
        raise InputError(f"{path}:1: no query in the file")
    return patterns


def _strip_comments(chunk: str) -> str:
    """The chunk with comments blanked out (same length, so offsets stay right)."""
    out = list(chunk)
    for token in scan_tokens(chunk):
        if token.kind == "comment":
            out[token.start : token.end] = " " * (token.end - token.start)
    return "".join(out)


def _validate(pattern: QueryPattern, path: Path, text: str, offset: int) -> None:
    try:
        parse_query(pattern)
    except QueryParseError as exc:
        body_offset = offset + exc.offset
        line = text.count("\n", 0, body_offset) + 1
        column = body_offset - (text.rfind("\n", 0, body_offset) + 1) + 1
        raise InputError(f"{path}:{line}:{column}: {exc.message}") from None
