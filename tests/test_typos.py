"""A typo never switches the gate off: every misspelt rule code, contract name or
backend option is refused (exit 2, one line, the nearest valid spelling) or
reported as an error finding, never accepted as a request to check nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.cli import main

SCHEMA = (
    'CREATE TABLE "user" (id text PRIMARY KEY);\n'
    "CREATE TABLE workflow_execution_logs (\n"
    "    id text PRIMARY KEY,\n"
    '    user_id text REFERENCES "user" (id) ON DELETE CASCADE\n'
    ");\n"
    "CREATE INDEX workflow_execution_logs_user_idx ON workflow_execution_logs (user_id);\n"
)


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "schema.sql"
    path.write_text(SCHEMA)
    return path


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--select", "FK999", "--select FK999: unknown rule code 'FK999' (did you mean FK209?)"),
        ("--select", "FK,IX330", "--select IX330: unknown rule code 'IX330' (did you mean IX309?)"),
        ("--ignore", "NC11O", "--ignore NC11O: unknown rule code 'NC11O' (did you mean NC101?)"),
        ("--ignore", "ZZ", "--ignore ZZ: unknown rule family 'ZZ'"),
        ("--select", "FX", "--select FX: unknown rule family 'FX' (did you mean FK?)"),
    ],
)
def test_unknown_codes_on_the_command_line_exit_two(
    schema: Path, option: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--base", str(schema), option, value]) == 2
    line = _error(capsys)
    assert expected in line
    assert capsys.readouterr().out == ""  # refused before any report


def test_known_codes_and_families_still_run(
    schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--base", str(schema), "--select", "FK,NC105", "--ignore", "FK204"]) == 0
    assert "NC105" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("config", "where", "expected"),
    [
        (
            '# FK999 in a comment is not the entry\nignore = ["NC107", "FK999"]\n',
            ":2:21: ignore: ",
            "unknown rule code 'FK999' (did you mean FK209?)",
        ),
        ('ignore = ["NC", "QQ"]\n', ":1:18: ignore: ", "unknown rule family 'QQ'"),
        (
            '[severity]\nFK204 = "warning"\nNC119 = "error"\n',
            ":3:1: severity.NC119: ",
            "unknown rule code 'NC119' (did you mean NC109?)",
        ),
    ],
)
def test_unknown_codes_in_the_config_exit_two_at_their_line(
    schema: Path, config: str, where: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = schema.parent / "schema-check.toml"
    path.write_text(config)
    assert main(["check", "--base", str(schema), "--config", str(path)]) == 2
    line = _error(capsys)
    assert f"{path}{where}{expected}" in line


def test_unknown_code_in_pyproject_names_the_full_key(
    schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = schema.parent / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.schema-check.severity]\nMG499 = "info"\n')
    assert main(["check", "--base", str(schema), "--config", str(path)]) == 2
    assert f"{path}:5:1: tool.schema-check.severity.MG499: unknown rule code" in _error(capsys)


@pytest.mark.parametrize(
    ("comment", "column", "expected"),
    [
        ("-- schema-check: ignore[FK2O4]", 25, "unknown rule code 'FK2O4' (did you mean FK204?)"),
        # lowercase once matched no list at all, and so silenced every rule
        ("-- schema-check: ignore[fk204]", 25, "unknown rule code 'fk204' (did you mean FK204?)"),
        ("-- schema-check: ignore[NC105, FK999]", 32, "unknown rule code 'FK999'"),
        ("-- schema-check: ignore-file[ZZ]", 30, "unknown rule family 'ZZ'"),
    ],
)
def test_unknown_codes_in_suppression_comments_exit_two_at_their_place(
    tmp_path: Path, comment: str, column: int, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = tmp_path / "m.sql"
    sql.write_text(f"CREATE TABLE a (id int PRIMARY KEY);\n{comment}\nCREATE TABLE b (id int);\n")
    assert main(["check", "--base", str(sql), "--select", "FK"]) == 2
    line = _error(capsys)
    assert f"{sql}:2:{column}: suppression comment: {expected}" in line


def test_valid_suppressions_still_suppress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = tmp_path / "m.sql"
    sql.write_text('-- schema-check: ignore[NC105, FK204]\nCREATE TABLE "user" (id int);\n')
    assert main(["check", "--base", str(sql)]) == 0
    assert "1 suppressed" in capsys.readouterr().out
    sql.write_text('-- schema-check: ignore[NC]\nCREATE TABLE "user" (id int);\n')
    assert main(["check", "--base", str(sql)]) == 0  # a family silences its rules
    assert "1 suppressed" in capsys.readouterr().out


def test_contract_naming_a_missing_table_is_an_error_at_its_line(
    schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = schema.parent / "schema-check.toml"
    config.write_text(
        "[contract]\n\n"
        "[[contract.delete]]\n"
        'root = "user"\n'
        'preserves = ["workflow_executoin_logs"]\n'
    )
    # accepted, this intent would check nothing and the run would pass
    assert main(["check", "--base", str(schema), "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert (
        f"{config}:5:15 PS003 error contract delete preserves 'workflow_executoin_logs' is not "
        "a table of the schema (nearest: workflow_execution_logs)"
    ) in out
    config.write_text(
        '[contract]\n\n[[contract.delete]]\nroot = "user"\n'
        'preserves = ["workflow_execution_logs"]\n'
    )
    assert main(["check", "--base", str(schema), "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "PS003" not in out and "FK205" in out  # spelt right, the real problem shows


def test_dsn_implies_the_dsn_backend(schema: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The dsn backend parses the URL; the embedded one would have ignored it and started.
    assert main(["check", "--base", str(schema), "--live", "--dsn", "host = = '"]) == 2
    assert "not a valid connection string" in _error(capsys)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--live", "--backend", "dsn"], "--backend dsn needs --dsn URL"),
        (
            ["--live", "--backend", "embedded", "--dsn", "postgresql://localhost/x"],
            "--dsn is for --backend dsn, not --backend embedded",
        ),
        (
            ["--live", "--backend", "docker", "--dsn", "postgresql://localhost/x"],
            "--dsn is for --backend dsn, not --backend docker",
        ),
        (["--dsn", "postgresql://localhost/x"], "need --live"),
    ],
)
def test_backend_contradictions_exit_two_before_any_analysis(
    tmp_path: Path, args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    unparsable = tmp_path / "bad.sql"
    unparsable.write_text("CREATE TABLE (;\n")  # analysed, this would be a PS001 report
    assert main(["check", "--base", str(unparsable), *args]) == 2
    assert expected in _error(capsys)
    assert capsys.readouterr().out == ""


def test_a_retired_code_is_refused_with_its_reason(
    schema: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from checker import codes

    monkeypatch.setitem(codes.RETIRED, "FK299", "merged into FK204 (use FK204)")
    assert main(["check", "--base", str(schema), "--ignore", "FK299"]) == 2
    assert "rule code 'FK299' is retired: merged into FK204 (use FK204)" in _error(capsys)


@pytest.mark.parametrize("item", ["1A", "fk", "F1", "ÄB"])
def test_the_config_accepts_only_codes_and_families(
    schema: Path, item: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = schema.parent / "schema-check.toml"
    config.write_text(f'ignore = ["{item}"]\n', encoding="utf-8")
    assert main(["check", "--base", str(schema), "--config", str(config)]) == 2
    assert "is not a rule code (NC101) or family (NC)" in _error(capsys)
