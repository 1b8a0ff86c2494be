"""ORM drift (DR6xx) on upstream Sim: the migrations against drizzle-kit's last snapshot
and against the ORM schema's export report exactly the drift SOURCE.md lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import CORPUS, CORPUS_ABSENT, SIM_MIGRATIONS

from checker.cli import main

# What SOURCE.md lists, as (code, object): five columns only in the migrations,
# two nullability differences, two indexes and one check only in the migrations.
SIM_DRIFT = sorted(
    [
        ("DR602", "user_table_definitions.import_error"),
        ("DR602", "user_table_definitions.import_id"),
        ("DR602", "user_table_definitions.import_rows_processed"),
        ("DR602", "user_table_definitions.import_started_at"),
        ("DR602", "user_table_definitions.import_status"),
        ("DR604", "embedding.embedding"),
        ("DR604", "user_stats.billing_blocked"),
        ("DR606", "workflow_edges_source_block_fk_idx"),
        ("DR606", "workflow_edges_target_block_fk_idx"),
        ("DR608", "invitation.invitation_kind_requires_org_id"),
    ]
)
# Spelling-only differences SOURCE.md names: never drift.
SPELLING_ONLY = (
    "copilot_async_tool_calls",
    "doc_storage_key_idx",
    "usage_log_billing_period_cost_idx",
)

needs_corpus = pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)


def _drift_findings(arguments: list[str], tmp_path: Path) -> list[dict[str, object]]:
    out = tmp_path / "report.json"
    main(["check", *arguments, "--select", "DR", "--format", "json", "-o", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    return [f for f in report["findings"] if str(f["code"]).startswith("DR")]


def _summary(findings: list[dict[str, object]]) -> list[tuple[str, str]]:
    return sorted((str(f["code"]), str(f["objects"][0])) for f in findings)  # type: ignore[index]  # JSON


@needs_corpus
def test_snapshot_side_reports_exactly_the_known_drift(tmp_path: Path) -> None:
    findings = _drift_findings(["--base", str(SIM_MIGRATIONS)], tmp_path)
    assert _summary(findings) == SIM_DRIFT
    assert len(findings) <= 12
    messages = " ".join(str(f["message"]) for f in findings)
    assert not any(name in messages for name in SPELLING_ONLY)
    # both sides named: the migration statement first, then the snapshot's definition
    for finding in findings:
        related = finding["related"]
        assert isinstance(related, list)
        assert str(finding["location"]["file"]).endswith(".sql"), finding  # type: ignore[index]  # JSON
        assert str(related[-1]["file"]).endswith("0298_snapshot.json"), finding
        assert related[-1]["label"] == "snapshot"


@needs_corpus
def test_snapshot_side_severity_follows_the_consequence(tmp_path: Path) -> None:
    findings = _drift_findings(["--base", str(SIM_MIGRATIONS)], tmp_path)
    severity = {str(f["objects"][0]): f["severity"] for f in findings}  # type: ignore[index]  # JSON
    # NOT NULL in the database, nullable to the ORM, no default: ORM writes of NULL fail
    assert severity["embedding.embedding"] == "error"
    # nullable in the database, NOT NULL to the ORM: reads may surprise, writes work
    assert severity["user_stats.billing_blocked"] == "warning"
    assert severity["workflow_edges_source_block_fk_idx"] == "warning"


@needs_corpus
def test_drift_section_has_one_row_per_drifted_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    main(["check", "--base", str(SIM_MIGRATIONS), "--select", "DR", "--format", "json",
          "-o", str(out)])  # fmt: skip
    drift = json.loads(out.read_text(encoding="utf-8"))["drift"]
    assert drift["sources"] == ["snapshot", "migrations"]
    rows = {row["objects"][0]: row for row in drift["rows"]}
    assert sorted(rows) == sorted(name for _, name in SIM_DRIFT)
    assert rows["user_table_definitions.import_rows_processed"]["states"] == {
        "snapshot": "absent",
        "migrations": "integer NOT NULL",
    }
    assert rows["embedding.embedding"]["subject"] == "column embedding.embedding NOT NULL"
    assert rows["embedding.embedding"]["states"] == {"snapshot": "no", "migrations": "yes"}
    assert rows["workflow_edges_source_block_fk_idx"]["states"] == {
        "snapshot": "absent",
        "migrations": "present",
    }
    # the spelling-only differences are not rows either
    assert not any(name in json.dumps(drift) for name in SPELLING_ONLY)

    main(["check", "--base", str(SIM_MIGRATIONS), "--select", "DR"])
    text = capsys.readouterr().out
    assert "drift: 10 objects differ (snapshot | migrations)\n" in text
    row = next(line for line in text.splitlines() if line.startswith("  column user_stats."))
    assert row.split() == ["column", "user_stats.billing_blocked", "NOT", "NULL", "yes", "no"]

    main(["check", "--base", str(SIM_MIGRATIONS), "--select", "DR", "--format", "markdown"])
    markdown = capsys.readouterr().out
    assert "<summary>Drift: 10 objects differ</summary>" in markdown
    assert "| object | snapshot | migrations |" in markdown
    assert "| column user\\_stats.billing\\_blocked NOT NULL | yes | no |" in markdown


def test_no_drift_section_when_no_drift_rule_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(__file__).parent.parent / "fixtures" / "rules" / "DR602"
    given = ["check", "--base", str(folder / "err_column_only_in_snapshot")]
    main([*given, "--select", "DR"])
    assert "drift: 1 object differs (snapshot | migrations)" in capsys.readouterr().out
    main([*given, "--select", "FK"])
    assert "drift" not in capsys.readouterr().out
    out = tmp_path / "fk.json"
    main([*given, "--select", "FK", "--format", "json", "-o", str(out)])
    assert "drift" not in json.loads(out.read_text(encoding="utf-8"))


def test_drift_is_checked_only_against_a_whole_drizzle_folder(tmp_path: Path) -> None:
    """With an extension on top, the base's snapshot no longer describes the schema."""
    fixture = Path(__file__).parent.parent / "fixtures" / "rules" / "DR601"
    extra = tmp_path / "extra.sql"
    extra.write_text("CREATE TABLE extra (id int);\n", encoding="utf-8")
    alone = _drift_findings(["--base", str(fixture / "err_table_only_in_migrations")], tmp_path)
    assert [f["code"] for f in alone] == ["DR601"]
    stacked = _drift_findings(
        ["--base", str(fixture / "err_table_only_in_migrations"), "--extension", str(extra)],
        tmp_path,
    )
    assert stacked == []


assert CORPUS  # the corpus path is resolved by support (SCHEMA_CHECK_CORPUS overrides it)


# ---- the ORM side: drizzle-kit export of schema.ts ---------------------------------


@needs_corpus
def test_orm_side_reports_the_same_drift(
    tmp_path: Path, drizzle_node_modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMA_CHECK_NODE_MODULES", str(drizzle_node_modules))
    findings = _drift_findings(
        ["--base", str(SIM_MIGRATIONS), "--orm", str(CORPUS / "schema.ts")], tmp_path
    )
    assert _summary(findings) == SIM_DRIFT
    assert len(findings) <= 12
    for finding in findings:
        related = finding["related"]
        assert isinstance(related, list)
        labels = [location["label"] for location in related]
        # the ORM's definition in schema.ts, then the snapshot that agrees with it
        assert labels == ["ORM schema", "snapshot"], finding
        assert str(related[0]["file"]).endswith("schema.ts")
    embedding = next(f for f in findings if f["objects"] == ["embedding.embedding"])
    assert "nullable in the ORM schema" in str(embedding["message"])
    column = next(f for f in findings if f["objects"] == ["user_table_definitions.import_id"])
    assert "in neither the ORM schema nor the snapshot" in str(column["message"])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["drift"]["sources"] == ["ORM", "snapshot", "migrations"]
    assert len(report["drift"]["rows"]) == len(SIM_DRIFT)


def test_orm_without_drizzle_kit_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema.ts"
    schema.write_text("export const x = 1\n", encoding="utf-8")
    sql = tmp_path / "m.sql"
    sql.write_text("CREATE TABLE t (id int);\n", encoding="utf-8")
    monkeypatch.delenv("SCHEMA_CHECK_NODE_MODULES", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no node either
    assert main(["check", "--base", str(sql), "--orm", str(schema), "--no-cache"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "Node.js is not installed" in error and "npm install" in error


def test_orm_without_node_modules_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    if shutil.which("node") is None:
        pytest.skip("Node.js not installed")
    schema = tmp_path / "schema.ts"
    schema.write_text("export const x = 1\n", encoding="utf-8")
    sql = tmp_path / "m.sql"
    sql.write_text("CREATE TABLE t (id int);\n", encoding="utf-8")
    monkeypatch.delenv("SCHEMA_CHECK_NODE_MODULES", raising=False)
    assert main(["check", "--base", str(sql), "--orm", str(schema), "--no-cache"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "drizzle-kit not found" in error and "npm install --save-dev drizzle-kit" in error


def test_a_hand_written_migration_without_a_snapshot_drifts_from_the_newest_one(
    tmp_path: Path,
) -> None:
    """drizzle-kit generate diffs against the newest snapshot on disk: a migration added to
    the journal by hand (no snapshot of its own) is drift from it, not a reason to skip."""
    import shutil

    folder = tmp_path / "migrations"
    shutil.copytree(
        Path(__file__).parent.parent / "fixtures/rules/DR602/ok_same_schema_spelled_differently",
        folder,
    )
    assert _drift_findings([str(folder)], tmp_path) == []
    journal_path = folder / "meta" / "_journal.json"
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    last = journal["entries"][-1]
    journal["entries"].append({**last, "idx": 1, "tag": "0001_by_hand", "when": last["when"] + 1})
    journal_path.write_text(json.dumps(journal), encoding="utf-8")
    table = _first_table(folder / "0000_init.sql")
    (folder / "0001_by_hand.sql").write_text(
        f'ALTER TABLE "{table}" ADD COLUMN "nickname" text;\n', encoding="utf-8"
    )
    assert _summary(_drift_findings([str(folder)], tmp_path)) == [("DR602", f"{table}.nickname")]


def _first_table(path: Path) -> str:
    import re

    match = re.search(r'CREATE TABLE (?:IF NOT EXISTS )?"?(\w+)"?', path.read_text())
    assert match
    return match.group(1)


def test_the_html_report_has_the_drift_table(tmp_path: Path) -> None:
    folder = Path(__file__).parent.parent / "fixtures/rules/DR602/err_column_only_in_snapshot"
    page = tmp_path / "report.html"
    main(["check", str(folder), "--html", str(page), "-o", str(tmp_path / "out.txt")])
    html = page.read_text(encoding="utf-8")
    section = html.split('<section id="drift">')[1].split("</section>")[0]
    assert '<th scope="col">snapshot</th><th scope="col">migrations</th>' in section
    rows = section.split("<tbody>")[1]
    assert rows.count("<tr>") >= 1 and "absent" in rows
    # no drift section where nothing was compared
    plain = tmp_path / "plain.sql"
    plain.write_text("CREATE TABLE t (id int PRIMARY KEY);\n", encoding="utf-8")
    main(["check", str(plain), "--html", str(page), "-o", str(tmp_path / "out.txt")])
    assert '<section id="drift">' not in page.read_text(encoding="utf-8")


def test_a_snapshot_no_server_accepts_is_a_finding_and_the_check_goes_on(tmp_path: Path) -> None:
    """drizzle-kit keeps a table declared as pgTable("auth.users", ...) in public, where
    its users_pkey clashes with that of public.users: PS005, not an exit 2."""
    import shutil
    import subprocess
    import sys

    from support import FIXTURES, REPO

    folder = tmp_path / "migrations"
    shutil.copytree(FIXTURES / "rules" / "PS005" / "err_inconsistent_snapshot", folder)
    (folder / "0000_init.sql").write_text(
        (folder / "0000_init.sql").read_text(encoding="utf-8")
        + "--> statement-breakpoint\nCREATE TABLE note (id uuid REFERENCES users (id));\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(folder), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr  # warnings and an info: below the default fail_on
    assert "PS005" in run.stdout and "duplicate index users_pkey" in run.stdout
    assert "HY801" in run.stdout and "FK204" in run.stdout  # the other rules ran
