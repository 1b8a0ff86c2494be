"""Parse source statements with pglast (PostgreSQL's own parser).

Each statement becomes a ParsedStatement: its pglast tree, or a ParseError
pointing at the exact character the parser complained about, plus the
identifier tokens as written (the tree holds names already truncated to 63
bytes; the tokens keep the original spelling for the naming rules).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pglast import ast as pg_ast
from pglast import keywords as pg_keywords
from pglast import parser as pg_parser

from checker.model import Origin, Statement
from checker.simulation import Identifier, ParsedStatement, ParseError

# PostgreSQL folds only ASCII letters of unquoted identifiers (downcase_identifier
# with a multi-byte server encoding), so str.lower() would be wrong for "É".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_identifier(raw: str) -> tuple[str, bool]:
    """The name an identifier token stands for (untruncated) and whether it was quoted."""
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return raw[1:-1].replace('""', '"'), True
    if raw[:3].upper() == 'U&"':
        # Unicode escapes are rare in DDL; the content is kept as written.
        return raw[3:-1].replace('""', '"'), True
    return raw.translate(_ASCII_LOWER), False


@functools.lru_cache(maxsize=4096)
def _folded(raw: str) -> tuple[str, bool, int]:
    """``fold_identifier`` and the name's length in bytes: the same names recur
    throughout a schema (id, user_id, created_at), so each spelling is folded once."""
    name, quoted = fold_identifier(raw)
    return name, quoted, len(name) if name.isascii() else len(name.encode("utf-8"))


def scan_identifiers(statement: Statement, longer_than: int = 0) -> tuple[Identifier, ...]:
    """The IDENT tokens of a statement, with their original text and place; with
    ``longer_than``, only those whose name is longer than that many bytes."""
    text = statement.text
    try:
        tokens = pg_parser.scan(text)
    except pg_parser.ParseError:
        return ()
    # Origins are built inline (not through Statement.span): a schema has tens of
    # thousands of identifiers and this loop is on every run's path.
    origin = statement.origin
    file, base, index, layer = origin.file, origin.start, origin.statement, origin.layer
    found: list[Identifier] = []
    for start, last, kind, _category in tokens:
        if kind == "IDENT":
            end = last + 1
            raw = text[start:end]
            if longer_than and end - start <= longer_than and raw.isascii():
                continue  # its name is no longer than the token: not wanted
            name, quoted, length = _folded(raw)
            if length <= longer_than:
                continue
            origin = Origin(file, base + start, base + end, index, layer)
            found.append(Identifier(name, raw, quoted, length, origin))
    return tuple(found)


def _token_at(text: str, offset: int) -> str | None:
    """The token starting at (or containing) ``offset``, for error messages."""
    if offset >= len(text):
        return None
    try:
        tokens = pg_parser.scan(text)
    except pg_parser.ParseError:
        tokens = []
    for token in tokens:
        if token.start <= offset <= token.end:
            return text[token.start : token.end + 1]
    end = offset
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[offset:end] or None


def parse_statement(statement: Statement, *, identifiers: bool = True) -> list[ParsedStatement]:
    """Parse one statement; several when the text still holds more than one
    (``identifiers=False``: without its identifier tokens, for generated SQL)."""
    try:
        raws = pg_parser.parse_sql(statement.text)
    except pg_parser.ParseError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        offset = max(0, min(offset, len(statement.text)))
        error = ParseError(
            message=message,
            origin=statement.span(offset, offset + 1),
            token=_token_at(statement.text, offset),
        )
        return [ParsedStatement(statement, None, error, scanned=identifiers)]
    if len(raws) == 1:
        return [ParsedStatement(statement, raws[0].stmt, scanned=identifiers)]
    parsed: list[ParsedStatement] = []
    for raw in raws:
        start = int(raw.stmt_location or 0)
        end = start + int(raw.stmt_len) if raw.stmt_len else len(statement.text)
        # Leading whitespace belongs to the previous ';' in pglast's spans.
        while start < end and statement.text[start].isspace():
            start += 1
        sub = Statement(statement.text[start:end], statement.span(start, end), statement.migration)
        parsed.append(ParsedStatement(sub, raw.stmt, scanned=identifiers))
    return parsed


# Identifier characters as PostgreSQL's scanner has them: an ASCII letter or "_", or any
# non-ASCII character (every byte of a multi-byte one counts as a letter); then digits
# and "$" too. Written as negated ASCII classes: the same sets, compiled in a tenth of a
# millisecond instead of eight. The keywords scan as keywords, not IDENT.
IDENTIFIER_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
IDENTIFIER_PART = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # digits and $ too
_WORD = re.compile(f"{IDENTIFIER_START}{IDENTIFIER_PART}*")
_KEYWORDS = frozenset(
    keyword
    for group in (
        pg_keywords.RESERVED_KEYWORDS,
        pg_keywords.UNRESERVED_KEYWORDS,
        pg_keywords.COL_NAME_KEYWORDS,
        pg_keywords.TYPE_FUNC_NAME_KEYWORDS,
    )
    for keyword in group
)
# a letter that, right before a quote, starts a string constant (E'..', B'..', X'..',
# N'..') or, with "&", a Unicode string or identifier (U&'..', U&"..")
_PREFIXES = frozenset("eEbBxXnN")


def identifier_end(text: str, offset: int) -> int | None:
    """Where the IDENT token that starts at ``offset`` ends, or None when the token there
    is something else (a keyword, a constant, an operator).

    The same answer as scanning the whole statement with PostgreSQL's scanner and
    looking for an IDENT token at ``offset`` (a test compares the two on every token
    of a real history), for the one token the simulator asks about."""
    if text.startswith('"', offset):
        position = offset + 1
        while True:
            close = text.find('"', position)
            if close < 0:
                return None  # unterminated: the scanner fails
            if not text.startswith('"', close + 1):
                return close + 1 if close > offset + 1 else None  # "" is no identifier
            position = close + 2
    match = _WORD.match(text, offset)
    if match is None:
        return None
    word, end = match.group(), match.end()
    following = text[end : end + 2]
    if len(word) == 1 and (
        (word in _PREFIXES and following[:1] == "'") or (word in "uU" and following in ("&'", '&"'))
    ):
        return None
    if word.isascii() and word.lower() in _KEYWORDS:
        return None
    return end


_VALIDATING_SETATTR = pg_ast.Node.__setattr__


@contextmanager
def unchecked_ast_nodes() -> Iterator[None]:
    """Build pglast nodes without its per-attribute validation, for the duration.

    pglast's ``Node.__setattr__`` checks and coerces every attribute in
    Python, which is about 80% of the time ``parse_sql`` takes. Trees built
    by its C parser never need it: the generated constructors already pass
    canonical values (enum members, bools, one-character strings, tuples),
    so plain slot assignment builds identical trees. The validating method
    is put back on exit, so nodes built by hand elsewhere are still checked.
    """
    pg_ast.Node.__setattr__ = object.__setattr__  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        pg_ast.Node.__setattr__ = _VALIDATING_SETATTR  # type: ignore[method-assign]


def parse_statements(
    statements: Sequence[Statement], *, identifiers: bool = True
) -> list[ParsedStatement]:
    """Parse every statement in order; a failure is a ParsedStatement with ``error`` set.

    ``identifiers=False``: the statements never scan for identifier tokens (which are
    otherwise scanned on first use): for SQL generated from another description, whose
    objects are placed there instead."""
    parsed: list[ParsedStatement] = []
    with unchecked_ast_nodes():
        for statement in statements:
            parsed.extend(parse_statement(statement, identifiers=identifiers))
    return parsed
