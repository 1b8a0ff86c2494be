"""The MG rules on whole scenarios: layers, runners, the bundled Sim + Parlant check, upstream Sim.

Per-rule behaviour is in fixtures/rules/MG4xx; these tests cover what a single
fixture file cannot: two drizzle folders with their journals, the runner
setting, and the acceptance counts on real inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from support import CORPUS_ABSENT, FIXTURES, REPO, SIM_MIGRATIONS, run_paths, run_sql, settings_for

from checker.config import Settings, load_settings
from checker.engine import CheckResult, check
from checker.findings import Severity
from checker.model import Layer

SCENARIOS = FIXTURES / "scenarios"
UPSTREAM_SIM = SIM_MIGRATIONS
MG = ("MG401", "MG402", "MG403", "MG404", "MG405", "MG406", "MG407", "MG408", "MG409", "MG410")


def _mg(result: CheckResult) -> list[tuple[str, str, int]]:
    """(code, file relative to the repo or the input, line) of every MG finding."""
    found = []
    for finding in result.findings:
        if finding.code not in MG or finding.primary is None:
            continue
        primary = finding.primary
        line = result.files[primary.file].line_col(primary.start)[0]
        path = Path(primary.file)
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        found.append((finding.code, str(shown), line))
    return sorted(found)


def _drizzle(folder: Path, files: dict[str, str], start_when: int = 1_700_000_000_000) -> Path:
    """A drizzle-kit folder with one journal entry per file, in the given order."""
    (folder / "meta").mkdir(parents=True)
    entries = []
    for idx, (tag, sql) in enumerate(files.items()):
        (folder / f"{tag}.sql").write_text(sql, encoding="utf-8")
        entries.append(
            {"idx": idx, "version": "7", "when": start_when + idx, "tag": tag, "breakpoints": True}
        )
    journal = {"version": "7", "dialect": "postgresql", "entries": entries}
    (folder / "meta" / "_journal.json").write_text(json.dumps(journal, indent=2), encoding="utf-8")
    return folder


def _codes(result: CheckResult) -> Counter[str]:
    return Counter(f.code for f in result.findings)


# ---- scenarios --------------------------------------------------------------

STALE = "fixtures/scenarios/migration_stale_extension/extension"


def test_stale_extension_is_reported_across_layers() -> None:
    settings = load_settings(SCENARIOS / "migration_stale_extension" / "schema-check.toml")
    assert _mg(check(settings)) == [
        ("MG403", f"{STALE}/meta/_journal.json", 9),  # 0002 taken by the base
        ("MG403", f"{STALE}/meta/_journal.json", 16),  # 0003 taken by the base
        ("MG405", f"{STALE}/meta/_journal.json", 9),  # dated before the base's newest entry
        (
            "MG407",
            f"{STALE}/0003_agent_indexes.sql",
            2,
        ),  # CONCURRENTLY inside drizzle's transaction
        ("MG407", f"{STALE}/0004_agent_constraints.sql", 4),  # new enum value used before commit
        ("MG408", f"{STALE}/0004_agent_constraints.sql", 3),  # adds a value to the base's enum
        ("MG408", f"{STALE}/0004_agent_constraints.sql", 5),  # adds a column to base table user
        # no MG409: agent is created by the extension itself, in the same run
    ]


def test_additive_extension_after_the_base_is_clean() -> None:
    settings = load_settings(SCENARIOS / "migration_additive_extension" / "schema-check.toml")
    assert _mg(check(settings)) == []


def test_extension_dated_before_the_base_is_one_grouped_finding() -> None:
    settings = load_settings(SCENARIOS / "migration_stale_extension" / "schema-check.toml")
    [finding] = [f for f in check(settings).findings if f.code == "MG405"]
    assert "'0002_agent_tables' to '0004_agent_constraints' (3)" in finding.message
    assert "0003_document_title" in finding.message
    assert finding.severity is Severity.ERROR


# ---- runners ----------------------------------------------------------------

ADD_VALUE = "ALTER TYPE mood ADD VALUE 'meh';"
USE_VALUE = "UPDATE person SET feeling = 'meh' WHERE id = 'p1';"
BASE = "CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE person (id text PRIMARY KEY, feeling mood);"


def _run_folder(tmp_path: Path, files: dict[str, str], runner: str, only: str) -> CheckResult:
    base = tmp_path / "base.sql"
    base.write_text(BASE, encoding="utf-8")
    extension = _drizzle(tmp_path / "extension", files)
    settings = settings_for(f'runner = "{runner}"', tmp_path)
    return run_paths([(base, Layer.BASE), (extension, Layer.EXTENSION)], settings, only)


@pytest.mark.parametrize(
    ("runner", "expected"), [("drizzle", 1), ("per-file", 0), ("autocommit", 0)]
)
def test_new_enum_value_used_by_the_next_file(tmp_path: Path, runner: str, expected: int) -> None:
    files = {"0000_add": ADD_VALUE, "0001_use": USE_VALUE}
    result = _run_folder(tmp_path, files, runner, "MG407")
    assert _codes(result)["MG407"] == expected


@pytest.mark.parametrize(
    ("runner", "expected"), [("drizzle", 1), ("per-file", 1), ("autocommit", 0)]
)
def test_new_enum_value_used_in_the_same_file(tmp_path: Path, runner: str, expected: int) -> None:
    result = _run_folder(
        tmp_path, {"0000_add_and_use": f"{ADD_VALUE}\n{USE_VALUE}"}, runner, "MG407"
    )
    assert _codes(result)["MG407"] == expected


def test_a_commit_in_an_earlier_file_does_not_cover_a_later_one(tmp_path: Path) -> None:
    # A run may start with any pending file: 0001 then runs inside drizzle's transaction.
    files = {
        "0000_escape": "COMMIT;\nCREATE INDEX CONCURRENTLY person_feeling_idx ON person (feeling);",
        "0001_again": "CREATE INDEX CONCURRENTLY person_id_feeling_idx ON person (id, feeling);",
    }
    result = _run_folder(tmp_path, files, "drizzle", "MG407")
    assert [(code, Path(file).name, line) for code, file, line in _mg(result)] == [
        ("MG407", "0001_again.sql", 1)
    ]


def test_autocommit_runner_still_sees_explicit_transactions(tmp_path: Path) -> None:
    files = {
        "0000_plain": "CREATE INDEX CONCURRENTLY person_feeling_idx ON person (feeling);",
        "0001_block": "BEGIN;\nCREATE INDEX CONCURRENTLY person_id_idx ON person (id);\nCOMMIT;",
    }
    result = _run_folder(tmp_path, files, "autocommit", "MG407")
    assert [(code, Path(file).name, line) for code, file, line in _mg(result)] == [
        ("MG407", "0001_block.sql", 2)
    ]


def test_missing_extension_type_names_the_extension(tmp_path: Path) -> None:
    result = run_paths_sql(tmp_path, "CREATE TABLE doc (id text PRIMARY KEY, embedding vector(3));")
    [finding] = [f for f in result.findings if f.code == "MG406"]
    assert "CREATE EXTENSION vector" in finding.message


def test_an_object_no_statement_creates_is_one_finding_at_its_first_use(tmp_path: Path) -> None:
    uses = "\n".join(
        f"CREATE TABLE auth.t{n} (id uuid PRIMARY KEY);" for n in range(8)
    )  # a schema the platform provides, used by eight statements
    sql = uses + "\nCREATE INDEX note_idx ON note (id);\nCREATE TABLE note (id text PRIMARY KEY);"
    result = run_paths_sql(tmp_path, sql)
    missing = [f for f in result.findings if f.code == "MG406"]
    schema = [f for f in missing if f.objects == ("schema:auth",)]
    assert len(schema) == 1 and len(missing) == 2  # the order mistake keeps its own
    [finding] = schema
    assert finding.primary is not None and finding.primary.start == sql.index("auth.t0")
    assert "(7 later statements use it too)" in finding.message
    related = [loc for loc in finding.locations[1:] if loc.label == "used again here"]
    assert [loc.start for loc in related] == [sql.index(f"auth.t{n}") for n in range(1, 6)]
    assert [line.rsplit(":", 1)[-1] for line in finding.details] == ["7", "8"]


def run_paths_sql(tmp_path: Path, sql: str) -> CheckResult:
    path = tmp_path / "extension.sql"
    path.write_text(sql, encoding="utf-8")
    return run_paths([(path, Layer.EXTENSION)], only="MG406")


# ---- the bundled Sim + Parlant check ----------------------------------------


@pytest.fixture(scope="module")
def bundled() -> CheckResult:
    return check(load_settings(FIXTURES / "parlant" / "schema-check.toml"))


def test_bundled_check_reports_the_seed_design_problems(bundled: CheckResult) -> None:
    found = _mg(bundled)
    proposal = "fixtures/parlant/proposal.md"
    not_mg409 = [item for item in found if item[0] != "MG409"]
    assert not_mg409 == [
        ("MG404", "fixtures/parlant/meta/_journal.json", 9),  # 0092 follows a base ending at 0010
        ("MG406", proposal, 18),  # parlant_agent has no embedding column
        ("MG407", proposal, 54),  # ALTER SYSTEM inside drizzle's transaction
        ("MG407", proposal, 55),
        ("MG407", proposal, 56),
        ("MG407", proposal, 57),
        ("MG407", proposal, 58),
        ("MG410", proposal, 54),  # 'pg_stat_statements,pgvector': one wrong library name
        ("MG410", proposal, 55),
        ("MG410", proposal, 56),
        ("MG410", proposal, 57),
        ("MG410", proposal, 58),
    ]
    preload = [f for f in bundled.findings if f.code == "MG410" and f.severity is Severity.ERROR]
    assert len(preload) == 1 and "ONE library name" in preload[0].message


def test_bundled_check_lock_findings_on_parlant(bundled: CheckResult) -> None:
    per_file = Counter(Path(file).name for code, file, _ in _mg(bundled) if code == "MG409")
    # The extension's indexes (0096), foreign keys (0097) and the proposal's
    # indexes all act on tables the extension creates in the same run: exempt.
    # The bundled base's own history (file by file) still has lock-heavy steps.
    assert not [name for name in per_file if name.startswith("009") or name == "proposal.md"]
    assert per_file["0009_amber_archive.sql"] > 0


def test_base_history_counts_tables_of_earlier_files_as_existing(tmp_path: Path) -> None:
    folder = FIXTURES / "rules" / "MG409" / "ok_extension_tables_from_earlier_file"
    result = run_paths([(folder, Layer.BASE)], only="MG409")
    assert [(Path(f.primary.file).name, f.code) for f in result.findings if f.primary] == [
        ("0001_note_index.sql", "MG409")
    ]


# ---- upstream Sim (not part of the repository) --------------------------------

needs_upstream = pytest.mark.skipif(not UPSTREAM_SIM.is_dir(), reason=CORPUS_ABSENT)


@pytest.fixture(scope="module")
def upstream() -> CheckResult:
    return run_paths([(UPSTREAM_SIM, Layer.BASE)])


@needs_upstream
def test_upstream_sim_journal_defects_are_found(upstream: CheckResult) -> None:
    found = [(code, Path(file).name, line) for code, file, line in _mg(upstream) if code != "MG409"]
    assert ("MG401", "0091_backfill_user_stats.sql", 1) in found
    assert any(code == "MG404" for code, _, _ in found)
    [gap] = [f for f in upstream.findings if f.code == "MG404"]
    assert "0029" in gap.message and "0030_happy_joseph" in gap.message


@needs_upstream
def test_upstream_sim_applies_cleanly(upstream: CheckResult) -> None:
    codes = _codes(upstream)
    # Its journal applies on a real server: nothing is missing, nothing fails to parse,
    # and its deliberate COMMIT; escapes put every CONCURRENTLY outside the transaction.
    assert codes["MG406"] == 0
    assert codes["PS001"] == 0
    assert codes["MG407"] == 0
    assert codes["MG402"] == 0 and codes["MG405"] == 0


def test_mg411_spares_a_table_the_same_file_empties_first(tmp_path: Path) -> None:
    base = "CREATE TABLE token (id int PRIMARY KEY);\nCREATE TABLE person (id int PRIMARY KEY);\n"
    emptied = run_sql(
        tmp_path,
        "DELETE FROM token;\n"
        "ALTER TABLE token ADD COLUMN owner_id int NOT NULL;\n"
        "TRUNCATE person;\n"
        "ALTER TABLE person ADD COLUMN name text NOT NULL;\n",
        base_sql=base,
        only="MG411",
    )
    assert [f.code for f in emptied.findings] == []
    refilled = run_sql(
        tmp_path,
        "DELETE FROM token WHERE id > 10;\n"
        "ALTER TABLE token ADD COLUMN owner_id int NOT NULL;\n"
        "TRUNCATE person;\n"
        "INSERT INTO person (id) VALUES (1);\n"
        "ALTER TABLE person ADD COLUMN name text NOT NULL;\n",
        base_sql=base,
        only="MG411",
    )
    assert sorted(f.objects[0] for f in refilled.findings) == ["person.name", "token.owner_id"]


def test_mg406_knows_a_migrators_own_table_exists(tmp_path: Path) -> None:
    result = run_sql(
        tmp_path,
        "CREATE FUNCTION forbid() RETURNS trigger LANGUAGE plpgsql\n"
        "AS $$ BEGIN RETURN NULL; END $$;\n"
        "CREATE TRIGGER forbid BEFORE INSERT ON __diesel_schema_migrations "
        "EXECUTE FUNCTION forbid();\n"
        "CREATE TRIGGER other BEFORE INSERT ON not_a_migrator_table EXECUTE FUNCTION forbid();\n",
        only="MG406",
    )
    assert [f.objects for f in result.findings] == [("table:not_a_migrator_table",)]


def test_mg417_names_the_type_and_domain_a_drop_removes(tmp_path: Path) -> None:
    result = run_sql(
        tmp_path,
        "COMMIT;\n"
        'DROP TYPE "public"."Mood_legacy";\n'
        "DROP DOMAIN email_address;\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS person_feeling_idx ON person (feeling);\n",
        base_sql=f"{BASE}\nCREATE TYPE \"Mood_legacy\" AS ENUM ('x');\n"
        "CREATE DOMAIN email_address AS text;\n",
        only="MG417",
    )
    assert [f.objects for f in result.findings] == [
        ("DROP TYPE public.Mood_legacy",),
        ("DROP DOMAIN email_address",),
    ]
    assert all(f.message.startswith(f.objects[0] + " without IF EXISTS") for f in result.findings)


def test_mg417_judges_types_views_functions_triggers_policies_and_renames(
    tmp_path: Path,
) -> None:
    result = run_sql(
        tmp_path,
        "COMMIT;\n"
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\n"
        "DROP TYPE IF EXISTS status;\n"
        "CREATE TYPE status AS ENUM ('a', 'b');\n"  # dropped first: the re-run makes it again
        "CREATE TYPE pair AS (a int, b int);\n"
        "CREATE TYPE span AS RANGE (subtype = int4);\n"
        "CREATE DOMAIN email_address AS text;\n"
        "CREATE VIEW person_feelings AS SELECT feeling FROM person;\n"
        "CREATE OR REPLACE VIEW person_ids AS SELECT id FROM person;\n"
        "CREATE MATERIALIZED VIEW person_count AS SELECT count(*) FROM person;\n"
        "CREATE MATERIALIZED VIEW IF NOT EXISTS person_total AS SELECT count(*) FROM person;\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
        "CREATE OR REPLACE FUNCTION touch2() RETURNS trigger LANGUAGE plpgsql\n"
        "AS $$ BEGIN RETURN NEW; END $$;\n"
        "CREATE TRIGGER person_touch BEFORE UPDATE ON person\n"
        "FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "DROP TRIGGER IF EXISTS person_touch2 ON person;\n"
        "CREATE TRIGGER person_touch2 BEFORE UPDATE ON person\n"
        "FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "CREATE OR REPLACE TRIGGER person_touch3 BEFORE UPDATE ON person\n"
        "FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "CREATE POLICY own ON person USING (true);\n"
        "ALTER TABLE person RENAME COLUMN feeling TO mood;\n"
        "ALTER TABLE IF EXISTS person RENAME TO people;\n"
        "ALTER TABLE people RENAME TO persons;\n"
        "SELECT 1;\n",
        base_sql=BASE,
        only="MG417",
    )
    assert [f.objects[0] for f in result.findings] == [
        "CREATE TYPE mood",
        "CREATE TYPE pair",
        "CREATE TYPE span",
        "CREATE DOMAIN email_address",
        "CREATE VIEW person_feelings",
        "CREATE MATERIALIZED VIEW person_count",
        "CREATE FUNCTION touch",
        "CREATE TRIGGER person_touch on person",
        "CREATE POLICY own on person",
        "RENAME COLUMN person.feeling TO mood",
        "RENAME TABLE people TO persons",
    ]
    assert "already created, dropped or renamed" in result.findings[-1].message


def test_mg417_spares_what_the_file_renames_or_drops_away_later(tmp_path: Path) -> None:
    """Prisma's enum swap after an explicit COMMIT: the re-run creates "mood_new" again
    without a clash, because the file renamed it away the first time."""
    result = run_sql(
        tmp_path,
        "BEGIN;\n"
        "CREATE TYPE mood_new AS ENUM ('ok', 'fine');\n"
        "ALTER TABLE person ALTER COLUMN feeling TYPE mood_new USING feeling::text::mood_new;\n"
        "ALTER TYPE mood RENAME TO mood_old;\n"
        "ALTER TYPE mood_new RENAME TO mood;\n"
        "DROP TYPE mood_old;\n"
        "COMMIT;\n"
        "CREATE TYPE kept AS ENUM ('a');\n"
        "SELECT 1;\n",
        base_sql=BASE,
        only="MG417",
    )
    assert [f.objects[0] for f in result.findings] == ["CREATE TYPE kept"]


def test_an_object_sql_built_at_run_time_may_have_made_is_a_warning(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE wal (id bigint, shard int) PARTITION BY HASH (shard);\n"
        "CREATE FUNCTION make_partitions(parent text, n int) RETURNS void\n"
        "LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  FOR i IN 0..n - 1 LOOP\n"
        "    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, "
        "REMAINDER %s)', parent || '_' || i, parent, n, i);\n"
        "  END LOOP;\n"
        "END $$;\n"
        "SELECT make_partitions('wal', 2);\n"
        "CREATE INDEX wal_0_id_idx ON wal_0 (id);\n"
        "CREATE INDEX ghost_id_idx ON ghost (id);\n"
    )
    path = tmp_path / "history.sql"
    path.write_text(sql, encoding="utf-8")
    result = run_paths([(path, Layer.BASE)])
    [call] = [f for f in result.findings if f.code == "PS002" and "make_partitions()" in f.message]
    assert call.primary is not None and call.primary.start == sql.index("make_partitions('wal'")
    missing = {f.objects[0]: f for f in result.findings if f.code == "MG406"}
    assert set(missing) == {"table:wal_0", "table:ghost"}
    hedged = missing["table:wal_0"]
    assert hedged.severity is Severity.WARNING
    assert "the statement at history.sql:9, which runs SQL built at run time, may" in (
        hedged.message
    )
    assert [loc.label for loc in hedged.locations[1:]] == ["runs SQL not analysed"]
    # any SQL built at run time may have made the other one too; it names the latest
    assert missing["table:ghost"].severity is Severity.WARNING


def test_key_replaced_after_a_built_drop_is_no_error(tmp_path: Path) -> None:
    """Dropping an auto-named primary key through EXECUTE of a name read at run time, then
    adding the new key and a foreign key to it: no NC103 clash and no FK203 (the new key
    exists); one PS002 says what was assumed and points at the EXECUTE."""
    sql = (
        "CREATE TABLE bucket (name text PRIMARY KEY);\n"
        "CREATE TABLE item (bucket_id uuid);\n"
        "DO $$ DECLARE stmt text; BEGIN\n"
        "  SELECT 'ALTER TABLE bucket DROP CONSTRAINT ' || conname INTO stmt\n"
        "    FROM pg_constraint WHERE conrelid = 'bucket'::regclass AND contype = 'p';\n"
        "  EXECUTE stmt;\n"
        "  ALTER TABLE bucket ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();\n"
        "  ALTER TABLE bucket ADD PRIMARY KEY (id);\n"
        "END $$;\n"
        "ALTER TABLE item ADD CONSTRAINT item_bucket_fkey FOREIGN KEY (bucket_id) "
        "REFERENCES bucket (id);\n"
    )
    path = tmp_path / "history.sql"
    path.write_text(sql, encoding="utf-8")
    result = run_paths([(path, Layer.BASE)])
    found = [f.code for f in result.findings]
    assert "NC103" not in found and "FK203" not in found
    [assumed] = [f for f in result.findings if f.code == "PS002" and "assumed" in f.message]
    assert "dropped constraint bucket_pkey of bucket" in assumed.message
    assert assumed.primary is not None
    assert assumed.primary.start == sql.index("PRIMARY KEY (id)")
    assert [(loc.start, loc.label) for loc in assumed.locations[1:]] == [
        (sql.index("stmt;"), "SQL built at run time here")
    ]


def test_what_the_platform_provides_is_not_missing(tmp_path: Path) -> None:
    """Supabase makes the auth and storage schemas before any migration: with them in
    the config's ``provided``, neither MG406 nor FN701 reports their objects."""
    sql = (
        "CREATE TABLE profile (user_id uuid PRIMARY KEY REFERENCES auth.users (id));\n"
        "CREATE POLICY own_files ON storage.objects USING (true);\n"
        "CREATE FUNCTION who() RETURNS uuid LANGUAGE plpgsql AS $$\n"
        "BEGIN RETURN (SELECT id FROM auth.users LIMIT 1); END $$;\n"
        "CREATE INDEX ghost_idx ON ghost (id);\n"
    )
    path = tmp_path / "history.sql"
    path.write_text(sql, encoding="utf-8")

    def missing(*provided: str) -> set[str]:
        result = run_paths([(path, Layer.BASE)], Settings(provided=provided))
        return {f.objects[0] for f in result.findings if f.code in ("MG406", "FN701")}

    assert missing() >= {"table:auth.users", "table:storage.objects", "table:ghost"}
    assert missing("auth") == {"table:storage.objects", "table:ghost"}  # a whole schema
    assert missing("auth", "storage.objects") == {"table:ghost"}  # and one table
    provided = run_paths([(path, Layer.BASE)], Settings(provided=("auth", "storage")))
    assert not [f for f in provided.findings if f.code == "FN701"]
