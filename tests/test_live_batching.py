"""Statements sent together in one round trip report exactly what they report one by one.

The live apply sends consecutive statements of an open transaction as one
query, with the lock probe's queries between them. These tests run the same
migrations with that batching on and off (one statement per round trip) on the
embedded PostgreSQL and compare what a user sees: the findings with their
places, and the applied and failed counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.config import Runner, Settings
from checker.findings import Finding
from checker.live import DsnBackend, LiveDatabase, verify
from checker.live.rollback import catalog_objects
from checker.model import Layer
from checker.sources import SourceSet, load_sources
from tests.support import drizzle_folder

pytestmark = pytest.mark.live

BREAK = "--> statement-breakpoint"


@pytest.fixture(scope="module")
def server(live_server: LiveDatabase) -> Iterator[LiveDatabase]:
    yield live_server


def place(sources: SourceSet, finding: Finding) -> tuple[str, str, int, int]:
    location = finding.locations[0]
    line, column = sources.files[location.file].line_col(location.start)
    return finding.code, Path(location.file).name, line, column


def run(
    server: LiveDatabase, sources: SourceSet, runner: Runner | None, *, batched: bool
) -> tuple[list[tuple[str, str, int, int, str]], int, int, list[str]]:
    import checker.live.apply as apply_module

    limit = apply_module._BATCH_LIMIT
    apply_module._BATCH_LIMIT = limit if batched else 0  # 0: every statement on its own
    try:
        report = verify(
            sources.applied_statements,
            None,
            Settings(runner=runner),
            backend=DsnBackend(server.conninfo),
        )
    finally:
        apply_module._BATCH_LIMIT = limit
    findings = [(*place(sources, f), f.message) for f in report.findings]
    return findings, report.applied_count, report.failed_count, list(report.unpopulated)


HISTORY = {
    "0000_base": f"""
        CREATE TABLE "account" ("id" serial PRIMARY KEY, "name" text NOT NULL) -- trailing note
        {BREAK}
        CREATE TABLE "post" ("id" serial PRIMARY KEY, "account_id" integer NOT NULL)
        {BREAK}
        DO $$ BEGIN
          ALTER TABLE "post" ADD CONSTRAINT "post_account_fk"
            FOREIGN KEY ("account_id") REFERENCES "account"("id");
        END $$;
        """,
    "0001_change": f"""
        ALTER TABLE "account" ADD COLUMN "email" text NOT NULL;
        {BREAK}
        CREATE TABLE "tag" ("id" serial PRIMARY KEY, "label" text);
        {BREAK}
        CREATE INDEX "tag_label_idx" ON "tag" ("label");
        {BREAK}
        COMMIT;
        {BREAK}
        CREATE INDEX CONCURRENTLY "post_account_idx" ON "post" ("account_id");
        {BREAK}
        ALTER TABLE "post" ADD COLUMN "note" text;
        """,
    "0002_more": f"""
        CREATE TABLE "extra" ("id" integer);
        {BREAK}
        INSERT INTO "tag" ("nolabel") VALUES ('x');
        {BREAK}
        ALTER TABLE "extra" ADD COLUMN "y" integer;
        {BREAK}
        ALTER TABLE "post" ADD COLUMN "z" integer;
        """,
}


@pytest.mark.parametrize("runner", [Runner.DRIZZLE, Runner.PER_FILE, None])
def test_batched_apply_reports_what_statement_by_statement_reports(
    server: LiveDatabase, tmp_path: Path, runner: Runner | None
) -> None:
    sources = load_sources([(drizzle_folder(tmp_path / "m", HISTORY), Layer.BASE)])
    batched = run(server, sources, runner, batched=True)
    alone = run(server, sources, runner, batched=False)
    assert batched == alone
    findings, applied, failed, _ = batched
    # the missing column fails where the server says, at its column; a runner that sends a
    # file as one query runs what follows 0001's COMMIT in a new implicit transaction, where
    # PostgreSQL refuses CREATE INDEX CONCURRENTLY
    failures = [f for f in findings if f[0] == "LV501"]
    refused = [("LV501", "0001_change.sql", 9, 1)] if runner is Runner.PER_FILE else []
    assert [f[:4] for f in failures] == [*refused, ("LV501", "0002_more.sql", 3, 20)]
    assert "42703" in failures[-1][4]
    # the populated probe: a NOT NULL column without a default fails once account has a row
    assert ("LV507", "0001_change.sql", 1, 1) in [f[:4] for f in findings]
    # the history's lock probe: the newest file's ALTER TABLE locks post, made earlier
    locks = [f[:4] for f in findings if f[0] == "LV505"]
    assert ("LV505", "0002_more.sql", 7, 1) in locks
    assert (applied, failed) == ((11, 2) if refused else (12, 1))


def test_extension_statements_batched_with_the_lock_probe(
    server: LiveDatabase, tmp_path: Path
) -> None:
    base = drizzle_folder(tmp_path / "base", {"0000_base": HISTORY["0000_base"]})
    extension = drizzle_folder(
        tmp_path / "ext",
        {
            "0000_ext": f"""
                CREATE TABLE "ext_note" ("id" serial PRIMARY KEY, "account_id" integer NOT NULL
                  REFERENCES "account"("id"));
                {BREAK}
                CREATE INDEX "ext_note_account_idx" ON "ext_note" ("account_id");
                {BREAK}
                ALTER TABLE "post" ADD COLUMN "ext_flag" boolean NOT NULL;
                {BREAK}
                ALTER TABLE "post" ALTER COLUMN "ext_flag" SET DEFAULT false;
                """
        },
    )
    sources = load_sources([(base, Layer.BASE), (extension, Layer.EXTENSION)])
    batched = run(server, sources, Runner.DRIZZLE, batched=True)
    assert batched == run(server, sources, Runner.DRIZZLE, batched=False)
    findings = [f[:4] for f in batched[0]]
    # the foreign key locks account, the new column locks post: both made by the base
    assert ("LV505", "0000_ext.sql", 1, 1) in findings
    assert ("LV505", "0000_ext.sql", 6, 1) in findings
    # post holds a row on the populated copy: the NOT NULL column without a default fails there
    assert ("LV507", "0000_ext.sql", 6, 1) in findings
    assert batched[1:3] == (7, 0)


def test_the_rollback_rehearsal_and_the_catalog_are_the_same_batched(
    server: LiveDatabase, tmp_path: Path
) -> None:
    """What the server holds after a batched apply is what the static model expects."""
    from checker.parsing import parse_statements
    from checker.simulator import simulate

    sources = load_sources([(drizzle_folder(tmp_path / "m", HISTORY), Layer.BASE)])
    static = simulate(parse_statements(sources.applied_statements)).catalog
    report = verify(
        sources.applied_statements, static, Settings(), backend=DsnBackend(server.conninfo)
    )
    assert report.catalog is not None
    live = catalog_objects(report.catalog)
    assert "index post_account_idx" in live  # CONCURRENTLY after drizzle's COMMIT escape
    assert "column post.note" in live
    assert "index tag_label_idx" in live


def scratch_databases(server: LiveDatabase) -> list[str]:
    import psycopg

    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'schema\\_check\\_%' ORDER BY 1"
        ).fetchall()
    return [str(name) for (name,) in rows]


def test_the_populated_probe_copy_is_gone_when_verify_returns(
    server: LiveDatabase, tmp_path: Path
) -> None:
    """The populated-table probe runs in a thread on its own copy; verify returns after
    it, and its copy (like the scratch database) is dropped."""
    sources = load_sources([(drizzle_folder(tmp_path / "m", HISTORY), Layer.BASE)])
    before = scratch_databases(server)
    report = verify(
        sources.applied_statements, None, Settings(), backend=DsnBackend(server.conninfo)
    )
    assert "populated_probe" in report.timings
    assert any(f.code == "LV507" for f in report.findings)
    assert scratch_databases(server) == before


def test_an_interrupted_apply_stops_the_populated_probe_and_drops_its_copy(
    server: LiveDatabase, tmp_path: Path
) -> None:
    """Ctrl-C during the apply (here raised from the progress callback) reaches the
    caller; the populated-table probe's thread is stopped and leaves no database."""
    sources = load_sources([(drizzle_folder(tmp_path / "m", HISTORY), Layer.BASE)])
    before = scratch_databases(server)

    def interrupt(phase: str, done: int, total: int) -> None:
        if phase == "apply":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify(
            sources.applied_statements,
            None,
            Settings(),
            backend=DsnBackend(server.conninfo),
            progress=interrupt,
        )
    assert scratch_databases(server) == before
    import threading

    assert not [t for t in threading.enumerate() if "populated" in t.name]
