"""The precision suite: patterns from histories nobody here wrote, each with a bad and a
good variant, checked finding by finding (code, file, line, severity).

A new finding, a lost one or a changed severity here is a precision regression: the
good variants must stay free of errors, the bad ones must say exactly what is wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "fixtures" / "scenarios" / "precision"

Row = tuple[str, str, int, str]

EXPECTED: dict[str, list[Row]] = {
    # Prisma: a migration.sql with several statements is one implicit transaction
    "prisma_concurrently/bad": [
        ("MG416", "20240201000000_email_index/migration.sql", 1, "info"),
        ("MG407", "20240201000000_email_index/migration.sql", 3, "error"),
    ],
    # ...and one holding a single statement runs outside any transaction block
    "prisma_concurrently/good": [
        ("MG416", "20240201000001_name/migration.sql", 1, "info"),
    ],
    # an enum value added and used in one Prisma migration folder
    "prisma_enum_value/bad": [
        ("MG416", "20240301000000_owner/migration.sql", 5, "info"),
        ("MG407", "20240301000000_owner/migration.sql", 5, "error"),
    ],
    # added in an earlier folder: committed before the next one uses it
    "prisma_enum_value/good": [
        ("MG416", "20240301000001_owner_default/migration.sql", 2, "info"),
    ],
    # Prisma's enum swap in BEGIN ... COMMIT, then more statements: the file is one query,
    # so what follows the COMMIT is a new implicit transaction (CONCURRENTLY refused there,
    # and a failure rolls the foreign key back: nothing to re-run)
    "prisma_commit_mid_file/bad": [
        ("MG416", "20240201000000_plan_status/migration.sql", 4, "info"),
        ("MG409", "20240201000000_plan_status/migration.sql", 4, "warning"),
        ("MG409", "20240201000000_plan_status/migration.sql", 11, "warning"),
        ("MG407", "20240201000000_plan_status/migration.sql", 14, "error"),
    ],
    # the index in a folder of its own: alone, outside any transaction block
    "prisma_commit_mid_file/good": [
        ("MG416", "20240201000000_plan_status/migration.sql", 4, "info"),
        ("MG409", "20240201000000_plan_status/migration.sql", 4, "warning"),
        ("MG409", "20240201000000_plan_status/migration.sql", 11, "warning"),
    ],
    # the contract asks for snake case: Prisma's PascalCase is reported
    "prisma_pascal_case/bad": [
        ("NC107", "20240101000000_init/migration.sql", 2, "info"),
        ("NC107", "20240101000000_init/migration.sql", 4, "info"),
        ("NC107", "20240101000000_init/migration.sql", 5, "info"),
        ("NC107", "20240101000000_init/migration.sql", 6, "info"),
        ("NC107", "20240101000000_init/migration.sql", 10, "info"),
    ],
    # Prisma's own convention, no contract: silent
    "prisma_pascal_case/good": [],
    # CREATE TEMP TABLE AS creates the table; a second DROP finds it gone
    "temp_table_as/bad": [
        ("MG406", "0001_dedupe.sql", 3, "error"),
        ("MG409", "0001_dedupe.sql", 4, "warning"),
        ("MG416", "0001_dedupe.sql", 4, "info"),
    ],
    "temp_table_as/good": [
        ("MG409", "0001_dedupe.sql", 5, "warning"),
        ("MG416", "0001_dedupe.sql", 5, "info"),
    ],
    # the same in a Prisma folder: the temporary table lives until the folder's run ends
    "prisma_temp_table_as/bad": [
        ("MG406", "20240201000000_dedupe/migration.sql", 4, "error"),
        ("MG409", "20240201000000_dedupe/migration.sql", 5, "warning"),
        ("MG416", "20240201000000_dedupe/migration.sql", 5, "info"),
    ],
    "prisma_temp_table_as/good": [
        ("MG409", "20240201000000_dedupe/migration.sql", 6, "warning"),
        ("MG416", "20240201000000_dedupe/migration.sql", 6, "info"),
    ],
    # Prisma's generated foreign key names grow past 63 bytes too
    "prisma_truncated_drop/bad": [
        ("MG416", "20240301000000_refresh_fks/migration.sql", 2, "info"),
        ("MG409", "20240301000000_refresh_fks/migration.sql", 2, "warning"),
        ("NC104", "20240301000000_refresh_fks/migration.sql", 2, "warning"),
        ("NC104", "20240301000000_refresh_fks/migration.sql", 5, "warning"),
        ("NC108", "20240301000000_refresh_fks/migration.sql", 5, "error"),
    ],
    "prisma_truncated_drop/good": [
        ("MG416", "20240301000000_refresh_fks/migration.sql", 2, "info"),
        ("MG409", "20240301000000_refresh_fks/migration.sql", 2, "warning"),
    ],
    # a long name in DROP CONSTRAINT IF EXISTS truncates to a live foreign key's name
    "truncated_drop/bad": [
        ("MG416", "0001_refresh_fks.sql", 1, "info"),
        ("MG409", "0001_refresh_fks.sql", 1, "warning"),
        ("NC104", "0001_refresh_fks.sql", 1, "warning"),
        ("MG409", "0001_refresh_fks.sql", 2, "warning"),
        ("NC104", "0001_refresh_fks.sql", 3, "warning"),
        ("NC108", "0001_refresh_fks.sql", 3, "error"),
    ],
    "truncated_drop/good": [
        ("MG416", "0001_refresh_fks.sql", 1, "info"),
        ("MG409", "0001_refresh_fks.sql", 1, "warning"),
        ("MG409", "0001_refresh_fks.sql", 2, "warning"),
    ],
}


def check(case: str) -> list[dict[str, Any]]:
    """Run the CLI on one case folder, from inside it, as a user would."""
    folder = CASES / case
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    completed = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", "--base", ".", "--format", "json"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    findings: list[dict[str, Any]] = json.loads(completed.stdout)["findings"]
    return findings


def rows(findings: list[dict[str, Any]]) -> list[Row]:
    return [
        (f["code"], f["location"]["file"], f["location"]["line"], f["severity"]) for f in findings
    ]


def test_every_case_folder_is_listed() -> None:
    on_disk = {f"{p.parent.name}/{p.name}" for p in CASES.glob("*/*") if p.is_dir()}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_exact_findings(case: str) -> None:
    assert rows(check(case)) == EXPECTED[case]


def test_prisma_transaction_findings_speak_prisma() -> None:
    (concurrently,) = [f for f in check("prisma_concurrently/bad") if f["code"] == "MG407"]
    assert "Prisma Migrate" in concurrently["message"]
    assert "COMMIT;" not in concurrently["fix"]
    assert "migration folder of its own" in concurrently["fix"]
    (enum_use,) = [f for f in check("prisma_enum_value/bad") if f["code"] == "MG407"]
    assert "20240301000000_owner/migration.sql:2" in enum_use["message"]
    assert "COMMIT;" not in enum_use["fix"]
    assert "later one" in enum_use["fix"]


def test_truncated_drop_names_both_objects_and_the_loss() -> None:
    (error,) = [f for f in check("truncated_drop/bad") if f["severity"] == "error"]
    message = error["message"]
    assert "team_member_invitation_reminder_invitation_id_team_member_invitations_id_fk" in message
    assert "team_member_invitation_reminder_invitation_id_team_member_invitation_id_fk" in message
    assert "foreign key to team_member_invitation is lost" in message


def test_prisma_truncation_speaks_prisma() -> None:
    findings = check("prisma_truncated_drop/bad")
    (error,) = [f for f in findings if f["severity"] == "error"]
    assert "foreign key to TeamMemberInvitation is lost" in error["message"]
    for long_name in [f for f in findings if f["code"] == "NC104"]:
        assert 'map: "name"' in long_name["fix"] and "drizzle" not in long_name["fix"]


@pytest.mark.parametrize("runner", ["per-file", "prisma"])
def test_configured_runner_overrides_the_layout(tmp_path: Path, runner: str) -> None:
    """A drizzle folder checked under a per-file runner: one-statement files run alone."""
    folder = tmp_path / "migrations"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "_journal.json").write_text(
        '{"version": "7", "dialect": "postgresql", "entries": ['
        '{"idx": 0, "version": "7", "when": 1, "tag": "0000_a", "breakpoints": true},'
        '{"idx": 1, "version": "7", "when": 2, "tag": "0001_b", "breakpoints": true}]}'
    )
    (folder / "0000_a.sql").write_text('CREATE TABLE "t" ("id" text PRIMARY KEY, "v" text);\n')
    (folder / "0001_b.sql").write_text('CREATE INDEX CONCURRENTLY "t_v_idx" ON "t" ("v");\n')
    drizzle = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", "--base", str(folder), "--format", "json"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert [f["code"] for f in json.loads(drizzle.stdout)["findings"]] == ["MG407"]
    (tmp_path / "schema-check.toml").write_text(f'runner = "{runner}"\n')
    configured = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", "--base", str(folder), "--format", "json"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(configured.stdout)["findings"] == []
