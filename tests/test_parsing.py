"""Parsing: statements, exact parse-error locations and original identifier spellings."""

from __future__ import annotations

from pathlib import Path

from pglast import parser as pg_parser

from checker.model import Layer
from checker.parsing import identifier_end, parse_statements
from checker.simulation import ParsedStatement
from checker.sources import SourceSet, load_sources
from tests.support import FIXTURES, SIM_MIGRATIONS


def _parse(tmp_path: Path, sql: str) -> tuple[SourceSet, list[ParsedStatement]]:
    path = tmp_path / "0001_test.sql"
    path.write_text(sql, encoding="utf-8")
    sources = load_sources([(path, Layer.BASE)])
    return sources, parse_statements(sources.statements)


def test_statements_parse_into_pglast_nodes(tmp_path: Path) -> None:
    _, parsed = _parse(tmp_path, "CREATE TABLE a (id int);\nCREATE INDEX ON a (id);\n")
    assert [type(p.node).__name__ for p in parsed] == ["CreateStmt", "IndexStmt"]
    assert all(p.error is None for p in parsed)


def test_parse_error_points_at_the_offending_token(tmp_path: Path) -> None:
    sql = "CREATE TABLE ok (id int);\n\nCREATE TABLE broken (\n  id int,\n  name text,,\n);\n"
    sources, parsed = _parse(tmp_path, sql)
    assert parsed[0].error is None
    error = parsed[1].error
    assert error is not None and parsed[1].node is None
    assert "syntax error" in error.message
    source = sources.files[error.origin.file]
    assert source.line_col(error.origin.start) == (5, 13)
    assert error.token == ","


def test_parse_error_location_counts_characters_not_bytes(tmp_path: Path) -> None:
    sql = "-- café ünïcode\nSELECT 'été', FROM t;\n"
    sources, parsed = _parse(tmp_path, sql)
    error = parsed[0].error
    assert error is not None
    assert sources.files[error.origin.file].line_col(error.origin.start) == (2, 15)
    assert error.token == "FROM"


def test_identifiers_over_63_bytes_keep_their_original_text(tmp_path: Path) -> None:
    long_name = (
        "workflow_deployment_operation_previous_active_version_id_workflow_deployment_version_id_fk"
    )
    sql = f'ALTER TABLE "t" ADD CONSTRAINT "{long_name}" FOREIGN KEY ("a") REFERENCES "u"("id");'
    sources, parsed = _parse(tmp_path, sql)
    node = parsed[0].node
    # the tree holds the name PostgreSQL stores, the tokens the name as written
    assert node.cmds[0].def_.conname == long_name[:63]
    identifier = next(i for i in parsed[0].identifiers if i.text == long_name)
    assert identifier.quoted and identifier.byte_length == len(long_name)
    assert identifier.truncated == long_name[:63]
    assert identifier.raw == f'"{long_name}"'
    line, column = sources.files[identifier.origin.file].line_col(identifier.origin.start)
    assert (line, column) == (1, 32)


def test_unquoted_identifiers_fold_ascii_only_and_count_utf8_bytes(tmp_path: Path) -> None:
    _, parsed = _parse(tmp_path, 'CREATE TABLE MyTable ("MixedCase" int, Ünïcode int);')
    by_raw = {i.raw: i for i in parsed[0].identifiers}
    assert by_raw["MyTable"].text == "mytable" and not by_raw["MyTable"].quoted
    assert by_raw['"MixedCase"'].text == "MixedCase" and by_raw['"MixedCase"'].quoted
    assert by_raw["Ünïcode"].text == "Ünïcode"
    assert by_raw["Ünïcode"].byte_length == len("Ünïcode".encode())


def test_several_statements_in_one_text_get_their_own_origins(tmp_path: Path) -> None:
    sources, _ = _parse(tmp_path, "SELECT 1")
    statement = sources.statements[0]
    from checker.model import Statement

    text = "CREATE TABLE a (id int); CREATE TABLE b (id int)"
    combined = Statement(text, statement.origin.narrowed(0, len(text)), statement.migration)
    parsed = parse_statements([combined])
    assert [p.statement.text for p in parsed] == [
        "CREATE TABLE a (id int)",
        "CREATE TABLE b (id int)",
    ]
    assert parsed[1].origin.start == text.index("CREATE TABLE b")


def _token_identifiers(text: str) -> list[tuple[int, int | None]]:
    """(start, end of the IDENT token there or None) for every token PostgreSQL's scanner sees."""
    return [
        (token.start, token.end + 1 if token.name == "IDENT" else None)
        for token in pg_parser.scan(text)
    ]


_HOSTILE = (
    "SELECT E'x', e'y', B'01', X'ff', N'z', U&'\\0041', U&\"d\\0061t\" FROM t",
    'CREATE TABLE "a""b" ("É" text, éte int, _x$1 int, t2 int, "select" int)',
    "CREATE TABLE e (b int, x int, n int, u int); SELECT e.b, x.n FROM e x",
    "ALTER TABLE public.user_table ADD COLUMN key text, ADD COLUMN name varchar",
    "SELECT $1, $$body$$, $q$x$q$, 1e5, 0x1F, ab'c' FROM my_table",
)


def test_identifier_at_an_offset_is_the_scanners_ident_token() -> None:
    """``identifier_end`` (one token, for the simulator's places) answers as a scan of
    the whole statement would, on hostile spellings and on every token of the corpus."""
    texts = list(_HOSTILE)
    if SIM_MIGRATIONS.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(SIM_MIGRATIONS.glob("*.sql"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.sql"))]
    for text in _HOSTILE:
        _token_identifiers(text)  # each scans: none of them is skipped below
    compared = 0
    for text in texts:
        try:
            tokens = _token_identifiers(text)
        except pg_parser.ParseError:
            continue  # a fixture that does not scan: the simulator never asks about it
        for start, expected in tokens:
            assert identifier_end(text, start) == expected, (text[start : start + 30], start)
            compared += 1
    assert compared > (30_000 if SIM_MIGRATIONS.is_dir() else 1_000)


def test_no_identifier_where_the_scanner_fails() -> None:
    assert identifier_end('SELECT "" FROM t', 7) is None  # zero-length delimited identifier
    assert identifier_end('SELECT "open', 7) is None


def test_identifiers_are_scanned_on_first_use_only(tmp_path: Path) -> None:
    _, parsed = _parse(tmp_path, 'CREATE TABLE "Account" (id int);\n')
    assert parsed[0]._identifiers == []
    assert [i.raw for i in parsed[0].identifiers] == ['"Account"', "id"]
    assert parsed[0]._identifiers != []
    generated = parse_statements([parsed[0].statement], identifiers=False)
    assert generated[0].identifiers == ()


def test_identifier_characters_are_postgresqls_for_every_code_point() -> None:
    """An identifier starts with an ASCII letter, "_" or any non-ASCII character and goes
    on with those, digits and "$" (the scanner's ident_start / ident_cont)."""
    from checker.parsing import _WORD

    for point in range(0x110000):
        char = chr(point)
        starts = not char.isascii() or char.isalpha() or char == "_"
        goes_on = starts or (char.isdigit() and char.isascii()) or char == "$"
        first = _WORD.match(char)
        assert (first is not None) == starts, hex(point)
        assert _WORD.match("a" + char).end() == (2 if goes_on else 1), hex(point)


def test_the_long_identifiers_of_a_statement_are_the_long_ones_of_all() -> None:
    """``long_identifiers`` scans without building the short tokens; before and after the
    full scan it gives the same tokens (multi-byte names counted in bytes)."""
    from checker.model import JournalStatus, Layer, MigrationFile, Origin, Statement
    from checker.simulation import ParsedStatement

    long_ascii = "a" * 64
    long_quoted = '"' + "B" * 64 + '"'
    multibyte = "é" * 32  # 32 characters, 64 bytes
    short_quoted = '"' + "C" * 63 + '"'  # 63 bytes: not over
    text = (
        f"CREATE TABLE {long_ascii} (id int, {long_quoted} text, {short_quoted} text, "
        f"{multibyte} text, x int)"
    )
    migration = MigrationFile("f.sql", "f", Layer.BASE, JournalStatus.PLAIN, None)
    parsed = ParsedStatement(Statement(text, Origin("f.sql", 0, len(text)), migration))
    before = parsed.long_identifiers(63)
    every = parsed.identifiers
    assert [i.raw for i in before] == [long_ascii, long_quoted, multibyte]
    assert before == tuple(i for i in every if i.byte_length > 63)
    assert parsed.long_identifiers(63) == before
