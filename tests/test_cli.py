"""The command line as a user meets it: output, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import build_parser, main

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "PYTHONPATH": str(REPO)},
        check=False,
    )


def test_clean_input_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = tmp_path / "ok.sql"
    sql.write_text("CREATE TABLE account (id bigint PRIMARY KEY, name text NOT NULL);\n")
    assert main(["check", "--base", str(sql), "--fail-on", "error"]) == 0
    out = capsys.readouterr().out
    assert "0 errors" in out


def test_parse_error_is_located_and_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = tmp_path / "bad.sql"
    sql.write_text("CREATE TABLE a (id int);\n\nCREATE TABLE b (id int,, x int);\n")
    # bad SQL is bad input (exit 2), reported as a finding at its place
    assert main(["check", "--base", str(sql)]) == 2
    out = capsys.readouterr().out
    assert f"{sql}:3:24 PS001 error syntax error" in out
    assert "    3 | CREATE TABLE b (id int,, x int);" in out


def test_json_output_is_versioned_and_deterministic(tmp_path: Path) -> None:
    sql = tmp_path / "bad.sql"
    sql.write_text("CREATE TABLE user (id int);\n")
    first = _run("check", "--base", str(sql), "--format", "json")
    second = _run("check", "--base", str(sql), "--format", "json")
    assert first.returncode == 2  # a statement that does not parse
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["schema_version"] == 2
    finding = document["findings"][0]
    assert (finding["code"], finding["location"]["line"], finding["location"]["column"]) == (
        "PS001",
        1,
        14,
    )
    assert "reserved word" in finding["fix"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--base", "missing/folder"], "missing/folder: no such file or directory"),
        (
            ["check", "--config", "nope.toml", "--base", "fixtures/sim"],
            "nope.toml: no such config file",
        ),
        (["check"], "nothing to check"),
        (["rules", "ZZ999"], "no rule 'ZZ999'"),
        (["frobnicate"], "invalid choice"),
        (["check", "--base", "fixtures/sim", "--dsn", "postgresql://x@y/z"], "need --live"),
        (
            ["check", "--base", "fixtures/sim", "-o", "fixtures/sim/0000_quiet_foundation.sql"],
            "is one of the inputs; refusing to overwrite it",
        ),
        (
            [
                "check",
                "--base",
                "fixtures/sim",
                "--live",
                "--backend",
                "dsn",
                "--dsn",
                "host = = '",
            ],
            "not a valid connection string",
        ),
    ],
)
def test_user_errors_are_one_line_and_exit_two(args: list[str], message: str) -> None:
    completed = _run(*args)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_inspect_json_counts(tmp_path: Path) -> None:
    sql = tmp_path / "s.sql"
    sql.write_text(
        "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
        "CREATE TABLE p (id int PRIMARY KEY, m mood, CHECK (id > 0));\n"
        "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p ON DELETE CASCADE,"
        " UNIQUE (p_id));\n"
        "CREATE INDEX c_p_idx ON c (p_id);\n"
    )
    completed = _run("inspect", str(sql), "--format", "json")
    assert completed.returncode == 0, completed.stderr
    counts = json.loads(completed.stdout)
    assert {
        k: counts[k] for k in ("tables", "columns", "foreign_keys", "enums", "checks", "indexes")
    } == {
        "tables": 2,
        "columns": 4,
        "foreign_keys": 1,
        "enums": 1,
        "checks": 1,
        "indexes": 4,
    }


def test_rules_lists_and_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert "PS001  parse-error" in listing
    assert main(["rules", "ps001"]) == 0
    docs = capsys.readouterr().out
    assert "What it does:" in docs and "Use instead:" in docs


def test_suppression_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = tmp_path / "s.sql"
    sql.write_text(
        "-- schema-check: ignore[PS001]\nCREATE TABLE user (id int);\n"
        "CREATE TABLE order (id int);\n"
    )
    assert main(["check", "--base", str(sql)]) == 2
    out = capsys.readouterr().out
    assert ":3:14 PS001" in out and ":2:" not in out
    assert "1 suppressed" in out
    sql.write_text("-- schema-check: ignore-file\nCREATE TABLE user (id int);\n")
    assert main(["check", "--base", str(sql)]) == 0


def test_version() -> None:
    completed = _run("--version")
    assert completed.returncode == 0
    assert completed.stdout.startswith("schema-check ")


def test_select_ignore_and_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "--base", "fixtures/sim", "--extension", "fixtures/parlant"]
    main([*args, "--select", "FK,IX303", "--ignore", "FK204", "--statistics"])
    out = capsys.readouterr().out
    statistics = [re.match(r"^ *\d+  ([A-Z]{2}\d{3})  ", line) for line in out.splitlines()]
    codes = {match.group(1) for match in statistics if match}
    assert codes and all(c.startswith("FK") or c == "IX303" for c in codes)
    assert "FK204" not in codes
    assert main([*args, "--select", "nope"]) == 2
    assert "unknown rule code 'NOPE'" in capsys.readouterr().err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse has no public walk of its parsers
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def test_every_option_of_every_command_has_help() -> None:
    parser = build_parser()
    commands = _subparsers(parser)
    assert {"check", "verify", "inspect", "rules", "coverage", "baseline"} <= set(commands)
    missing = [
        f"{name} {action.option_strings[0] if action.option_strings else action.dest}"
        for name, command in [("schema-check", parser), *sorted(commands.items())]
        for action in command._actions
        if not isinstance(action, argparse._SubParsersAction)
        and not (action.help and action.help.strip())
    ]
    assert missing == [], f"options without help text: {missing}"


@pytest.mark.parametrize("args", [["rules"], ["rules", "--format", "markdown"]])
def test_a_reader_that_stops_early_ends_the_run_quietly(args: list[str]) -> None:
    # the read end is closed before anything is written: every write meets a broken pipe
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "checker.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
            check=False,
        )
    finally:
        os.close(write_end)
    assert completed.stderr == ""
    assert completed.returncode == 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`


def test_rules_piped_into_head_prints_no_traceback() -> None:
    completed = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m checker.cli rules --format markdown | head -1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert completed.stdout == "# schema-check rules\n"
    assert completed.stderr == ""


INSPECTED = (
    "CREATE EXTENSION IF NOT EXISTS vector;\n"
    "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
    "CREATE TABLE p (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'ok', CHECK (id > 0));\n"
    "CREATE TABLE c (\n"
    "    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "    p_id int REFERENCES p ON DELETE CASCADE ON UPDATE SET NULL,\n"
    "    code text,\n"
    "    UNIQUE (p_id)\n"
    ");\n"
    "CREATE INDEX c_code_idx ON c (code DESC) INCLUDE (p_id) WHERE code IS NOT NULL;\n"
    "CREATE VIEW v AS SELECT 1;\n"
    "CREATE FUNCTION f(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'select 1';\n"
)


def test_inspect_describes_each_table_like_psql(tmp_path: Path) -> None:
    sql = tmp_path / "s.sql"
    sql.write_text(INSPECTED)
    completed = _run("inspect", str(sql))
    assert completed.returncode == 0, completed.stderr
    text = completed.stdout
    described_c = text[text.index('Table "public.c"') : text.index('Table "public.p"')]
    assert described_c.splitlines() == [
        'Table "public.c"',
        "Column | Type    | Collation | Nullable | Default",
        "-------+---------+-----------+----------+-----------------------------",
        "id     | integer |           | not null | generated always as identity",
        "p_id   | integer |           |          |",
        "code   | text    |           |          |",
        "Primary key:",
        '    "c_pkey" (id)',
        "Unique constraints:",
        '    "c_p_id_key" UNIQUE (p_id)',
        "Indexes:",
        '    "c_code_idx" btree (code DESC) INCLUDE (p_id) WHERE code IS NOT NULL',
        '    "c_p_id_key" UNIQUE CONSTRAINT, btree (p_id)',
        '    "c_pkey" PRIMARY KEY, btree (id)',
        "Foreign-key constraints:",
        '    "c_p_id_fkey" FOREIGN KEY (p_id) REFERENCES p(id) ON UPDATE SET NULL '
        "ON DELETE CASCADE",
        "",
    ]
    described_p = text[text.index('Table "public.p"') :]
    assert "m      | mood    |           | not null | 'ok'" in described_p
    assert 'Check constraints:\n    "p_id_check" CHECK (id > 0)\n' in described_p
    assert (
        'Referenced by:\n    TABLE "c" CONSTRAINT "c_p_id_fkey" FOREIGN KEY (p_id) '
        "REFERENCES p(id) ON UPDATE SET NULL ON DELETE CASCADE\n"
    ) in described_p


def test_inspect_json_is_the_whole_catalog_and_deterministic(tmp_path: Path) -> None:
    sql = tmp_path / "s.sql"
    sql.write_text(INSPECTED)
    first = _run("inspect", str(sql), "--format", "json")
    assert first.returncode == 0, first.stderr
    assert _run("inspect", str(sql), "--format", "json").stdout == first.stdout
    document = json.loads(first.stdout)
    assert document["tables"] == 2 and document["indexes"] == 4  # the counts stay
    catalog = document["catalog"]
    assert [t["name"] for t in catalog["tables"]] == ["c", "p"]
    c = catalog["tables"][0]
    assert [(col["name"], col["type"], col["not_null"]) for col in c["columns"]] == [
        ("id", "integer", True),
        ("p_id", "integer", False),
        ("code", "text", False),
    ]
    assert c["columns"][0]["origin"] == {"file": str(sql), "line": 5, "column": 5}
    [fk] = c["foreign_keys"]
    assert fk["foreign_key"]["on_delete"] == "cascade"
    assert fk["foreign_key"]["ref_table"] == ["public", "p"]
    assert [i["definition"] for i in c["indexes"]] == [
        "btree (code DESC) INCLUDE (p_id) WHERE code IS NOT NULL",
        "UNIQUE CONSTRAINT, btree (p_id)",
        "PRIMARY KEY, btree (id)",
    ]
    p = catalog["tables"][1]
    assert p["referenced_by"][0]["constraint"] == "c_p_id_fkey"
    assert [e["labels"] for e in catalog["enums"]] == [["ok", "sad"]]
    assert [e["name"] for e in catalog["extensions"]] == ["vector"]
    assert [v["name"] for v in catalog["views"]] == ["v"]
    assert [(f["name"], f["volatility"]) for f in catalog["functions"]] == [("f", "immutable")]
    assert [s["name"] for s in catalog["sequences"]] == ["c_id_seq"]


def test_a_link_to_an_input_is_refused_as_output(tmp_path: Path) -> None:
    """The output is compared with the inputs by file identity: a symbolic link or a
    hard link to an input is the input, and the input's bytes stay as they were."""
    sql = tmp_path / "0001_init.sql"
    sql.write_text("CREATE TABLE t (id integer PRIMARY KEY);\n", encoding="utf-8")
    (tmp_path / "soft.json").symlink_to(sql)
    (tmp_path / "hard.json").hardlink_to(sql)
    for name in ("soft.json", "hard.json"):
        run = _run("check", "--base", str(sql), "-o", str(tmp_path / name))
        assert run.returncode == 2
        assert "is one of the inputs; refusing to overwrite it" in run.stderr
    assert sql.read_text(encoding="utf-8") == "CREATE TABLE t (id integer PRIMARY KEY);\n"
    fresh = _run("check", "--base", str(sql), "--format", "json", "-o", str(tmp_path / "out.json"))
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["summary"]["total"] == 0


def test_the_command_exits_with_its_status_after_atexit_and_flushing(tmp_path: Path) -> None:
    """``schema-check`` leaves the heap to the operating system, but not the atexit
    handlers or its output: both happen, through a pipe too, and the status is main's."""
    marker = tmp_path / "atexit-ran"
    program = (
        "import atexit, sys\n"
        "from checker import cli\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
        "sys.argv = ['schema-check', *sys.argv[1:]]\n"
        "cli.run()\n"
    )
    repo = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": repo}
    listed = subprocess.run(
        [sys.executable, "-c", program, "rules"], capture_output=True, text=True, env=env
    )
    assert listed.returncode == 0, listed.stderr
    assert marker.read_text() == "ran"
    from rules import RULE_TABLE

    last = RULE_TABLE[-1].code
    assert listed.stdout.rstrip().splitlines()[-1].startswith(last)  # the last rule: all of it
    sql = tmp_path / "broken.sql"
    sql.write_text("CREATE TABLE (;\n")
    broken = subprocess.run(
        [sys.executable, "-c", program, "check", "--base", str(sql)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert broken.returncode == 2  # statements that do not parse: the run says so and stops
    assert "1:14: 1 statement does not parse (PS001)" in broken.stderr
