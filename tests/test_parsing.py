"""Parsing: statements, exact parse-error locations and original identifier spellings."""

from __future__ import annotations

from pathlib import Path

from checker.model import Layer
from checker.parsing import parse_statements
from checker.simulation import ParsedStatement
from checker.sources import SourceSet, load_sources


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
