"""A finding that points where its object was made, under a name renamed since, shows the
renames as related places (checker/renames.py)."""

from __future__ import annotations

from pathlib import Path

from support import run_paths

from checker.model import Layer


def _related(tmp_path: Path, sql: str, code: str) -> list[tuple[int, str]]:
    path = tmp_path / "history.sql"
    path.write_text(sql, encoding="utf-8")
    result = run_paths([(path, Layer.BASE)], only=code)
    [finding] = [f for f in result.findings if f.code == code]
    return [(sql.count("\n", 0, loc.start) + 1, loc.label) for loc in finding.locations[1:]]


def test_each_rename_from_the_name_shown_to_the_name_reported(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE account (id text PRIMARY KEY);\n"
        "CREATE TABLE a1 (id text PRIMARY KEY, account_id text REFERENCES account (id));\n"
        "ALTER TABLE a1 RENAME TO a2;\n"
        "CREATE TABLE a1 (id text PRIMARY KEY);\n"  # another table takes the old name
        "ALTER TABLE a1 RENAME TO other;\n"  # not the one the finding is about
        "ALTER TABLE a2 RENAME TO a3;\n"
    )
    assert _related(tmp_path, sql, "FK204") == [
        (3, "renamed to a2 here"),
        (6, "renamed to a3 here"),
    ]


def test_a_finding_at_a_statement_after_the_rename_gets_none(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE account (id text PRIMARY KEY);\n"
        "CREATE TABLE old_note (id text PRIMARY KEY);\n"
        "ALTER TABLE old_note RENAME TO note;\n"
        "ALTER TABLE note ADD COLUMN account_id text REFERENCES account (id);\n"
    )
    assert _related(tmp_path, sql, "FK204") == []
