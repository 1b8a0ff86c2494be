"""Statement boundaries: drizzle's breakpoint markers and PostgreSQL's own scanner,
shared by every kind of source that holds SQL text."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checker.model import MigrationFile, Statement

BREAKPOINT = "--> statement-breakpoint"
Spans = tuple[tuple[int, int], ...]


class SplitMemo:
    """Statement spans of chunks split before, by the chunk's SHA-1: the run cache keeps
    them, so a file read again unchanged (a re-run, a pull request's history) is not
    scanned again. ``used`` holds this run's chunks, what the cache keeps for the next."""

    def __init__(self, known: Mapping[bytes, Spans] | None = None) -> None:
        self.known = dict(known or {})
        self.used: dict[bytes, Spans] = {}
        self.added = False  # a chunk was split that ``known`` did not hold


_memo: SplitMemo | None = None


@contextlib.contextmanager
def remembering(memo: SplitMemo) -> Iterator[SplitMemo]:
    """``split_statements`` reads and fills ``memo`` for the length of the block."""
    global _memo
    previous, _memo = _memo, memo
    try:
        yield memo
    finally:
        _memo = previous


def chunks(text: str) -> Iterator[tuple[int, int]]:
    """Spans between drizzle's ``--> statement-breakpoint`` marker lines."""
    start = 0
    for match in re.finditer(r"^[ \t]*-->[ \t]*statement-breakpoint[^\n]*$", text, re.M):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def statements_of(text: str, migration: MigrationFile, first: int = 0) -> list[Statement]:
    """Every statement of a whole text (split at drizzle's breakpoint markers and at
    top-level semicolons), placed in ``migration``'s file and numbered from ``first``."""
    from checker.model import Layer, Origin, Statement

    spans = [span for start, end in chunks(text) for span in split_statements(text, start, end)]
    return [
        Statement(
            text[start:end], Origin(migration.path, start, end, first + n, Layer.BASE), migration
        )
        for n, (start, end) in enumerate(spans)
    ]


_ATOMIC_BODY = re.compile(r"\bbegin\s+atomic\b", re.IGNORECASE)


def split_statements(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into statements on top-level semicolons.

    Uses PostgreSQL's own scanner, so semicolons in strings, comments and
    dollar-quoted bodies do not split. Leading comments and whitespace are
    not part of a statement; a chunk with nothing but comments yields none.
    When the scanner fails (an unterminated string), the rest of the chunk is
    one statement and the parser reports the error.
    """
    chunk = text[start:end]
    memo = _memo
    if memo is None:
        found: Spans | list[tuple[int, int]] = _split(chunk)
    else:
        digest = hashlib.sha1(chunk.encode("utf-8", "surrogatepass")).digest()
        known = memo.known.get(digest)
        if known is None:
            known = tuple(_split(chunk))
            memo.added = True
        memo.used[digest] = known
        found = known
    return [(start + s, start + e) for s, e in found]


def _split(chunk: str) -> list[tuple[int, int]]:
    spans = _split_plain(chunk)
    return _split_tokens(chunk) if spans is None else spans


def _split_tokens(chunk: str) -> list[tuple[int, int]]:
    """``split_statements`` token by token: the exact path, for what ``_split_plain``
    gives up on."""
    from pglast import parser as pg_parser  # here: a run restored from the cache reads no SQL

    try:
        tokens = pg_parser.scan(chunk)
    except pg_parser.ParseError:
        tokens = None
    spans: list[tuple[int, int]] = []
    if tokens is None:
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((lead, lead + len(stripped)))
        return spans
    stmt_start: int | None = None
    last_end = 0
    leading: list[str] = []  # the statement's first keywords
    depth = 0  # BEGIN (ATOMIC) / CASE ... END nesting inside CREATE FUNCTION/PROCEDURE
    for token in tokens:
        name = token.name
        if name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if name == "ASCII_59" and depth == 0:  # ';' outside a SQL-standard body
            if stmt_start is not None:
                spans.append((stmt_start, last_end))
            stmt_start = None
            leading = []
            continue
        if stmt_start is None:
            stmt_start = token.start
        if len(leading) < 4:
            leading.append(name)
        if _routine(leading):
            # as psql does: a body written BEGIN ATOMIC ... END holds semicolons
            if name in ("BEGIN_P", "CASE"):
                depth += 1
            elif name == "END_P" and depth > 0:
                depth -= 1
        last_end = token.end + 1
    if stmt_start is not None:
        spans.append((stmt_start, last_end))
    return spans


def _routine(leading: list[str]) -> bool:
    """Whether a statement's first keywords are CREATE [OR REPLACE] FUNCTION/PROCEDURE."""
    words = leading[3:4] if leading[1:3] == ["OR", "REPLACE"] else leading[1:2]
    return leading[:1] == ["CREATE"] and words[:1] in (["FUNCTION"], ["PROCEDURE"])


def _split_plain(chunk: str) -> list[tuple[int, int]] | None:
    """Statement spans of a chunk, or None to take the token-by-token path.

    pglast's scanner-based split does in C what split_statements does per token
    in Python. Its slices keep leading comments (skipped here) and would keep a
    comment before a statement's ``;`` (then this gives up), and it drops a
    statement that starts with a plain identifier (``x; SELECT 1``), so the
    slices must leave nothing but whitespace, comments and semicolons between them.
    """
    from pglast import parser as pg_parser

    # the cheap test first (a case-insensitive search per chunk was a third of the
    # splitting time): lower() folds every ASCII spelling of ATOMIC, the keyword's only
    # spellings; what else it lets through the search decides
    if "atomic" in chunk.lower() and _ATOMIC_BODY.search(chunk):
        return None  # BEGIN ATOMIC ... END holds semicolons: the token path keeps it whole
    try:
        slices = pg_parser.split(chunk, with_parser=False, only_slices=True)
    except pg_parser.ParseError:
        return None
    spans: list[tuple[int, int]] = []
    covered = 0
    for piece in slices:
        if _skip_filler(chunk, covered, piece.start, semicolons=True) != piece.start:
            return None
        start = _skip_filler(chunk, piece.start, piece.stop, semicolons=False)
        if start < piece.stop:
            body = chunk[start : piece.stop]
            if "--" in body or "/*" in body or ";" in body:
                # a comment before the statement's end, or a ';' inside parentheses
                # (pglast does not split there; PostgreSQL's scanner does)
                return None
            spans.append((start, piece.stop))
        covered = piece.stop
    if _skip_filler(chunk, covered, len(chunk), semicolons=True) != len(chunk):
        return None
    return spans


def _skip_filler(text: str, position: int, end: int, *, semicolons: bool) -> int:
    """The first offset from ``position`` that is not whitespace, a comment (block
    comments nest, as in PostgreSQL) or, when ``semicolons``, a semicolon."""
    while position < end:
        char = text[position]
        if char in " \t\n\r\f\v" or (semicolons and char == ";"):
            position += 1
        elif text.startswith("--", position):
            newline = text.find("\n", position, end)
            position = end if newline < 0 else newline + 1
        elif text.startswith("/*", position):
            depth, position = 1, position + 2
            while depth and position < end:
                if text.startswith("/*", position):
                    depth, position = depth + 1, position + 2
                elif text.startswith("*/", position):
                    depth, position = depth - 1, position + 2
                else:
                    position += 1
            if depth:
                return position  # unterminated: not filler the fast path understands
        else:
            return position
    return position
