"""Drift found against the server (``--live``): the snapshot and the ORM schema are also
compared with the catalog the migrations built on a real PostgreSQL, where it differs from
what the static model could see."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main

pytestmark = pytest.mark.live

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"
# A column the static model cannot see: dynamic SQL adds it when the migration runs.
DYNAMIC_COLUMN = (
    "DO $$ BEGIN EXECUTE 'ALTER TABLE account ADD COLUMN ' || 'legacy_code text NOT NULL'; "
    "END $$;\n"
)


def _folder(tmp_path: Path, extra_sql: str) -> Path:
    """A drizzle-kit folder whose snapshot agrees with its migration, plus ``extra_sql``."""
    folder = tmp_path / "drizzle"
    shutil.copytree(FIXTURES / "DR602" / "ok_same_schema_spelled_differently", folder)
    migration = folder / "0000_init.sql"
    migration.write_text(migration.read_text(encoding="utf-8") + extra_sql, encoding="utf-8")
    return folder


def _check(folder: Path, live_server: Any, tmp_path: Path, *more: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    arguments = ["check", "--base", str(folder), "--select", "DR,LV", "--format", "json"]
    main([*arguments, "-o", str(out), *more])
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def test_snapshot_drift_found_only_against_the_server(tmp_path: Path, live_server: Any) -> None:
    folder = _folder(tmp_path, DYNAMIC_COLUMN)
    # statically the migrations and the snapshot agree: the column is invisible
    static = _check(folder, live_server, tmp_path, "--no-cache")
    assert [f["code"] for f in static["findings"]] == []
    assert static["drift"] == {"sources": ["snapshot", "migrations"], "rows": []}

    live = _check(
        folder, live_server, tmp_path, "--live", "--backend", "dsn", "--dsn",
        live_server.admin_conninfo,
    )  # fmt: skip
    drift = [f for f in live["findings"] if f["code"].startswith("DR")]
    assert [(f["code"], f["severity"], f["message"]) for f in drift] == [
        (
            "DR602",
            "error",
            "column account.legacy_code is NOT NULL without a default on the server but not "
            "in the snapshot: every insert through the ORM fails",
        )
    ]
    # the snapshot's definition of the table is where the ORM side stands
    assert drift[0]["location"]["file"].endswith("0000_snapshot.json")
    assert drift[0]["location"]["label"] == "snapshot"
    # the live verifier's own comparison says the static model missed it
    assert [f["objects"] for f in live["findings"] if f["code"] == "LV502"] == [
        ["account.legacy_code"]
    ]
    assert live["drift"] == {
        "sources": ["snapshot", "migrations", "live"],
        "rows": [
            {
                "aspect": "column",
                "subject": "column account.legacy_code",
                "objects": ["account.legacy_code"],
                "states": {"snapshot": "absent", "migrations": "absent", "live": "text NOT NULL"},
            }
        ],
    }


def test_the_server_agreeing_with_the_migrations_adds_no_drift(
    tmp_path: Path, live_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Drift the migrations already show is reported once, with the server's state beside it."""
    folder = _folder(tmp_path, "ALTER TABLE account ADD COLUMN nickname text;\n")
    code = main(
        ["check", "--base", str(folder), "--select", "DR", "--live", "--backend", "dsn",
         "--dsn", live_server.admin_conninfo]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0  # a nullable column the ORM lacks is a warning
    assert out.count("DR602") == 1
    assert "column account.nickname is in the migrations but not in the snapshot" in out
    assert "drift: 1 object differs (snapshot | migrations | live)" in out
    row = next(line for line in out.splitlines() if line.startswith("  column account.nickname"))
    assert row.split() == ["column", "account.nickname", "absent", "text", "text"]


def test_orm_drift_found_only_against_the_server(
    tmp_path: Path, live_server: Any, drizzle_node_modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ORM schema (drizzle-kit export of schema.ts) against the server's catalog."""
    monkeypatch.setenv("SCHEMA_CHECK_NODE_MODULES", str(drizzle_node_modules))
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_account.sql").write_text(
        'CREATE TABLE "account" ("id" text PRIMARY KEY NOT NULL);\n' + DYNAMIC_COLUMN,
        encoding="utf-8",
    )
    schema = tmp_path / "schema.ts"
    schema.write_text(
        'import { pgTable, text } from "drizzle-orm/pg-core";\n'
        'export const account = pgTable("account", { id: text("id").primaryKey() });\n',
        encoding="utf-8",
    )
    static = _check(migrations, live_server, tmp_path, "--orm", str(schema), "--no-cache")
    assert [f["code"] for f in static["findings"]] == []
    live = _check(
        migrations, live_server, tmp_path, "--orm", str(schema), "--live", "--backend", "dsn",
        "--dsn", live_server.admin_conninfo,
    )  # fmt: skip
    drift = [f for f in live["findings"] if f["code"].startswith("DR")]
    assert [(f["code"], f["severity"], f["objects"]) for f in drift] == [
        ("DR602", "error", ["account.legacy_code"])
    ]
    assert "on the server but not in the ORM schema" in drift[0]["message"]
    assert drift[0]["location"]["file"].endswith("schema.ts")
    assert live["drift"]["sources"] == ["ORM", "migrations", "live"]
