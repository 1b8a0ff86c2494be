"""Live verification against the server's own output: pg_dump's operator spelling
(LV502) and the sequences a table left behind by a failed run owns (LV506)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import run_sql

from checker.findings import Severity

pytestmark = pytest.mark.live


def test_pg_dump_operator_schemas_in_a_domain_check_are_no_difference(
    tmp_path: Path, live_server: Any
) -> None:
    # pg_dump spells operators with their schema; the server prints them bare
    # (VALUE ~ '^[a-z]+$'::text), which is the same check.
    base = """
        CREATE DOMAIN public.slug AS text
            CONSTRAINT slug_check CHECK ((VALUE OPERATOR(pg_catalog.~) '^[a-z]+$'::text));
        CREATE DOMAIN public.positive AS integer
            CONSTRAINT positive_check CHECK ((VALUE OPERATOR(pg_catalog.>) 0));
        CREATE TABLE public.page (id integer NOT NULL, slug public.slug, rank public.positive);
    """
    result = run_sql(tmp_path, "SELECT 1;", base_sql=base, live=live_server)
    assert [f.message for f in result.findings if f.code == "LV502"] == []


def test_a_left_behind_table_is_one_finding_with_its_owned_sequences(
    tmp_path: Path, live_server: Any
) -> None:
    extension = """
        CREATE TABLE agent (id serial PRIMARY KEY, number bigint GENERATED ALWAYS AS IDENTITY);
        COMMIT;
        ALTER TABLE agent ADD CONSTRAINT agent_missing_fk FOREIGN KEY (id) REFERENCES missing (id);
    """
    result = run_sql(
        tmp_path, extension, base_sql="CREATE TABLE workspace (id int);", live=live_server
    )
    residue = [f for f in result.findings if f.code == "LV506"]
    assert [(f.message, f.objects) for f in residue] == [
        ("rolling back the failed extension run leaves table agent behind", ("agent",))
    ]
    assert all(f.locations for f in residue)


def test_a_null_default_is_no_default_on_the_server(tmp_path: Path, live_server: Any) -> None:
    # PostgreSQL stores no default for a NULL constant, cast or not
    base = """
        CREATE TABLE event (
            id integer PRIMARY KEY,
            at timestamptz DEFAULT NULL,
            label text DEFAULT NULL::text,
            kind text DEFAULT 'x'
        );
    """
    result = run_sql(
        tmp_path,
        "ALTER TABLE event ALTER COLUMN kind SET DEFAULT 'y';",
        base_sql=base,
        live=live_server,
    )
    assert [f.message for f in result.findings if f.code == "LV502"] == []


def test_a_difference_with_nothing_on_one_side_says_none() -> None:
    from checker.catalog_diff import Aspect, Difference, Form
    from checker.live.diff import SIDES

    difference = Difference(
        Aspect.DEFAULT, Form.DIFFERS, "column t.a default", "0", None, None, None, None, ("t.a",)
    )
    assert difference.describe(SIDES) == "column t.a default: static model has 0, server has none"


def test_a_heavy_lock_under_an_assumed_runner_says_it_was_assumed(
    tmp_path: Path, live_server: Any
) -> None:
    result = run_sql(
        tmp_path,
        'CREATE INDEX "account_email_idx" ON "account" ("email");',
        base_sql='CREATE TABLE "account" ("id" int PRIMARY KEY, "email" text);',
        live=live_server,
    )
    messages = [f.message for f in result.findings if f.code == "LV505"]
    assert len(messages) == 1
    assert "no runner is configured" in messages[0] and "drizzle" not in messages[0]


def test_a_commit_that_fails_is_an_lv501_not_a_crash(tmp_path: Path, live_server: Any) -> None:
    # a deferred foreign key is checked at COMMIT: the runner's transaction rolls back there
    extension = """
        CREATE TABLE child (
            id integer PRIMARY KEY,
            parent_id integer REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
        );
        INSERT INTO child VALUES (1, 42);
    """
    result = run_sql(
        tmp_path,
        extension,
        base_sql="CREATE TABLE parent (id integer PRIMARY KEY);",
        live=live_server,
    )
    [failed] = [f for f in result.findings if f.code == "LV501"]
    assert "the COMMIT after this statement fails" in failed.message
    assert "23503" in failed.message
    assert failed.primary is not None
    assert (
        (tmp_path / "extension.sql")
        .read_text(encoding="utf-8")[failed.primary.start : failed.primary.end]
        .startswith("INSERT INTO child")
    )
    assert any("rolls the transaction back" in line for line in failed.details)


def test_the_migrators_own_table_exists_on_the_server_too(tmp_path: Path, live_server: Any) -> None:
    """golang-migrate, dbmate and Rails make schema_migrations before the first migration:
    a migration that alters it runs on every real database, and so it does live."""
    import json

    from checker.cli import main

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.up.sql").write_text(
        "CREATE TABLE account (id bigint PRIMARY KEY);\n"
        "ALTER TABLE schema_migrations ADD COLUMN data_version int;\n",
        encoding="utf-8",
    )
    (folder / "0002_more.up.sql").write_text(
        "ALTER TABLE schema_migrations DROP COLUMN IF EXISTS data_version;\n", encoding="utf-8"
    )
    out = tmp_path / "report.json"
    main(
        ["check", str(folder), "--select", "LV501,LV502,MG406", "--no-cache", "--format", "json",
         "-o", str(out), "--live", "--backend", "dsn", "--dsn", live_server.admin_conninfo]
    )  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [(f["code"], f["message"]) for f in report["findings"]] == []
    assert report["live"]["failed"] == 0


def test_a_table_without_columns_gets_its_row(tmp_path: Path, live_server: Any) -> None:
    """CREATE TABLE t () is valid: the populated-table probe gives it its empty row instead
    of losing the connection over an INSERT ... RETURNING with nothing to return."""
    result = run_sql(
        tmp_path,
        "ALTER TABLE marker ADD COLUMN note text NOT NULL;",
        base_sql="CREATE TABLE marker ();",
        live=live_server,
    )
    # the row the probe made is what the NOT NULL column without a default fails on
    assert [(f.code, f.message) for f in result.findings if f.code == "LV507"] == [
        (
            "LV507",
            'statement fails once the table holds rows: 23502 column "note" of relation '
            '"marker" contains null values',
        )
    ]


def test_a_column_added_to_a_partitioned_table_is_on_every_partition(
    tmp_path: Path, live_server: Any
) -> None:
    """ALTER TABLE ... ADD COLUMN recurses to every partition, at every level: the static
    model has the column there too, so the server's partitions are no difference."""
    base = """
        CREATE TABLE reading (id bigint NOT NULL, taken_on date NOT NULL)
            PARTITION BY RANGE (taken_on);
        CREATE TABLE reading_2025 PARTITION OF reading
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (id);
        CREATE TABLE reading_2025_small PARTITION OF reading_2025 FOR VALUES IN (1, 2, 3);
        CREATE TABLE reading_default PARTITION OF reading DEFAULT;
    """
    extension = """
        ALTER TABLE reading ADD COLUMN IF NOT EXISTS unit text;
        ALTER TABLE reading ADD COLUMN value numeric NOT NULL DEFAULT 0;
    """
    result = run_sql(tmp_path, extension, base_sql=base, live=live_server)
    assert [f.message for f in result.findings if f.code == "LV502"] == []
    partition = result.simulation.catalog.tables[("public", "reading_2025_small")]
    assert [c.name for c in partition.columns] == ["id", "taken_on", "unit", "value"]


@pytest.mark.parametrize(
    ("extension", "severity"),
    [
        # metadata only, and the last thing of its file: a brief lock
        ("ALTER TABLE account ADD COLUMN note text;", Severity.WARNING),
        # the lock is held while the UPDATE visits every row
        (
            "ALTER TABLE account ADD COLUMN note text;\nUPDATE account SET note = email;",
            Severity.ERROR,
        ),
        # a type change that rewrites the table (MG409 says so): held for the rewrite
        ("ALTER TABLE account ALTER COLUMN id TYPE bigint;", Severity.ERROR),
    ],
)
def test_an_access_exclusive_lock_is_an_error_when_it_is_held_long(
    tmp_path: Path, live_server: Any, extension: str, severity: Severity
) -> None:
    """LV505 keeps ERROR for an ACCESS EXCLUSIVE lock held while the table is rewritten or
    scanned, or while slow statements run after it in its transaction; a brief one is a
    warning that says why, and points at lock_timeout."""
    result = run_sql(
        tmp_path,
        extension,
        base_sql='CREATE TABLE "account" ("id" int PRIMARY KEY, "email" text);',
        contract='runner = "transaction-per-file"',
        live=live_server,
    )
    [finding] = [
        f for f in result.findings if f.code == "LV505" and "ACCESS EXCLUSIVE" in f.message
    ]
    assert finding.severity is severity
    assert ("the lock is brief" in finding.message) is (severity is Severity.WARNING)
