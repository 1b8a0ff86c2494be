"""Third-party rule packs register through the ``schema_check.rules`` entry-point group."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PACK = '''
"""A rule pack of a team's own: every table needs a created_at column."""
from checker.findings import Severity
from checker.rule import Rule, RuleMeta, register


@register
class CreatedAtRule(Rule):
    """Every table has a created_at column.

    What it does:
        Reports tables without created_at.

    Why it matters:
        Our retention jobs need it.

    Example:
        CREATE TABLE t (id int);

    Use instead:
        CREATE TABLE t (id int, created_at timestamptz NOT NULL DEFAULT now());

    References:
        https://example.invalid/our-conventions
    """

    meta = RuleMeta("AC101", "table-without-created-at", Severity.WARNING, "no created_at")

    def check(self, context):
        for table in context.catalog.tables.values():
            if table.column("created_at") is None:
                yield self.finding(f"table {table.name} has no created_at", table.origin)
'''


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "acme_rules-1.0.dist-info").mkdir(parents=True, exist_ok=True)
    (site / "acme_rules.py").write_text(PACK)
    (site / "acme_rules-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n"
    )
    (site / "acme_rules-1.0.dist-info" / "entry_points.txt").write_text(
        "[schema_check.rules]\nacme = acme_rules\n"
    )
    return site


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{_site(tmp_path)}{os.pathsep}{REPO}"}
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
    )


def test_entry_point_pack_is_listed_and_runs(tmp_path: Path) -> None:
    listing = _run(tmp_path, "rules")
    assert "AC101  table-without-created-at" in listing.stdout, listing.stderr
    sql = tmp_path / "schema.sql"
    sql.write_text("CREATE TABLE account (id int PRIMARY KEY);\n")
    checked = _run(tmp_path, "check", "--base", str(sql), "--fail-on", "warning")
    assert checked.returncode == 1
    assert "AC101 warning table account has no created_at" in checked.stdout


def test_pack_codes_are_valid_selectors_once_loaded(tmp_path: Path) -> None:
    sql = tmp_path / "schema.sql"
    sql.write_text("CREATE TABLE account (id int PRIMARY KEY);\n")
    base = ["check", "--base", str(sql), "--fail-on", "warning"]
    for selector in ("AC101", "AC"):
        checked = _run(tmp_path, *base, "--select", selector)
        assert checked.returncode == 1, checked.stderr
        assert "AC101 warning table account has no created_at" in checked.stdout
    config = tmp_path / "schema-check.toml"
    config.write_text('ignore = ["AC101"]\n')
    assert _run(tmp_path, *base, "--config", str(config)).returncode == 0
    config.write_text('[severity]\nAC101 = "info"\n')
    assert _run(tmp_path, *base, "--config", str(config)).returncode == 0
    sql.write_text("-- schema-check: ignore[AC101]\nCREATE TABLE account (id int PRIMARY KEY);\n")
    assert _run(tmp_path, *base).returncode == 0
    typo = _run(tmp_path, *base, "--select", "AC110")
    assert typo.returncode == 2
    assert "unknown rule code 'AC110' (did you mean AC101?)" in typo.stderr
