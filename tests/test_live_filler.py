"""How the populated-table probe gets its rows and watches locks, cheaply and with the same
findings: the filler's one-query catalog, the walk that stops at tables holding our row,
the listing reused across files that keep the set of tables, and the statements the
history's lock probe need not look after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support import findings_at, run_live

from checker.catalog import Catalog, QualifiedName
from checker.config import Runner
from checker.live import DsnBackend
from checker.live.apply import apply_statements
from checker.live.introspect import FillCatalog, row_catalog
from checker.live.locks import keeps_tables, lock_kind
from checker.model import Layer
from checker.sources import load_sources

pytestmark = pytest.mark.live


@pytest.fixture
def scratch(live_server: Any) -> Iterator[str]:
    with DsnBackend(live_server.conninfo).open() as database:
        yield database.conninfo


def write_history(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def placed(result: Any, code: str) -> list[tuple[str, int]]:
    return sorted((name, line) for name, line, _ in findings_at(result, code))


# ---------------------------------------------------------------- rows made many files earlier


OLD_TABLE_HISTORY = {
    "0001_account.sql": (
        "CREATE TABLE account (id serial PRIMARY KEY, name text, plan text);\n"
        "CREATE TABLE ledger (id serial PRIMARY KEY, memo text);\n"  # nothing refers to it
    ),
    # references the filled account: the filler's walk stops there and takes its row
    "0002_membership.sql": (
        "CREATE TABLE membership (\n"
        "    id serial PRIMARY KEY,\n"
        "    account_id integer NOT NULL REFERENCES account (id)\n"
        ");\n"
    ),
    # files that keep the set of tables: the listing is not read again after them
    "0003_comment.sql": "COMMENT ON TABLE account IS 'who pays';\n",
    "0004_index.sql": "CREATE INDEX account_plan_idx ON account (plan);\n",
    "0005_type.sql": "CREATE TYPE tier AS ENUM ('free', 'paid');\n",
    "0006_column.sql": "ALTER TABLE membership ADD COLUMN tier tier;\n",
    # rows only the filler put there, five and four files ago
    "0007_tighten.sql": (
        "ALTER TABLE account ALTER COLUMN name SET NOT NULL;\n"
        "ALTER TABLE membership ALTER COLUMN tier SET NOT NULL;\n"
        "ALTER TABLE membership ADD CONSTRAINT membership_account_key UNIQUE (account_id);\n"
        "ALTER TABLE ledger ALTER COLUMN memo SET NOT NULL;\n"
    ),
}


def test_a_table_made_many_files_earlier_keeps_the_row_the_filler_gave_it(
    tmp_path: Path, live_server: Any
) -> None:
    history = write_history(tmp_path / "history", OLD_TABLE_HISTORY)
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    assert placed(result, "LV507") == [
        ("0007_tighten.sql", 1),
        ("0007_tighten.sql", 2),
        ("0007_tighten.sql", 4),
    ]
    # the columns the filler left NULL: SET NOT NULL fails on them, as on any row that
    # holds NULL there (a warning: the application's rows may all hold a value)
    assert sorted(f.message for f in result.findings if f.code == "LV507") == [
        f'statement fails if a row holds NULL in column "{column}": on the probe\'s row, '
        f'23502 column "{column}" of relation "{table}" contains null values'
        for column, table in (("memo", "ledger"), ("name", "account"), ("tier", "membership"))
    ]
    # the locks on tables earlier files made, file by file (the index of 0004 included)
    assert placed(result, "LV505") == [
        ("0002_membership.sql", 1),
        ("0004_index.sql", 1),
        ("0006_column.sql", 1),
        ("0007_tighten.sql", 1),
        ("0007_tighten.sql", 2),
        ("0007_tighten.sql", 3),
        ("0007_tighten.sql", 4),
    ]


# ---------------------------------------------------------------- the history's lock probe


def test_an_index_on_a_renamed_pre_existing_table_is_still_watched(
    tmp_path: Path, live_server: Any
) -> None:
    """The index's table has a name no pre-existing table had, but it is one: the rename
    before it makes the lock probe look after every later statement of the file."""
    history = write_history(
        tmp_path / "history",
        {
            "0001_account.sql": "CREATE TABLE account (id serial PRIMARY KEY, name text);\n",
            "0002_rename.sql": (
                "ALTER TABLE account RENAME TO client;\n"
                "CREATE INDEX client_name_idx ON client (name);\n"
                "CREATE TABLE note (id serial PRIMARY KEY, body text);\n"
                "CREATE INDEX note_body_idx ON note (body);\n"
            ),
        },
    )
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    found = findings_at(result, "LV505")
    # the new table's index locks nothing pre-existing
    assert [(name, line) for name, line, _ in found] == [
        ("0002_rename.sql", 1),
        ("0002_rename.sql", 2),
    ]
    assert "takes a SHARE lock on pre-existing table account" in found[1][2]


def test_an_index_on_a_new_partitioned_table_with_a_pre_existing_partition_is_watched(
    tmp_path: Path, live_server: Any
) -> None:
    history = write_history(
        tmp_path / "history",
        {
            "0001_event.sql": "CREATE TABLE event_one (kind integer NOT NULL, body text);\n",
            "0002_parent.sql": (
                "CREATE TABLE event (kind integer NOT NULL, body text) PARTITION BY LIST (kind);\n"
                "ALTER TABLE event ATTACH PARTITION event_one FOR VALUES IN (1);\n"
                "CREATE INDEX event_body_idx ON event (body);\n"
            ),
        },
    )
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    lines = [line for name, line in placed(result, "LV505") if name == "0002_parent.sql"]
    assert 3 in lines  # the index builds on event_one, which the history made before


@pytest.mark.parametrize(
    ("text", "kind", "keeps"),
    [
        ("-- made here\nCREATE TABLE t (a int PRIMARY KEY, b text DEFAULT 'x')", "none", False),
        ("CREATE TABLE t (a int) PARTITION BY LIST (a)", "none", False),
        ("CREATE TABLE t (a int REFERENCES u (id))", "keeps", False),
        ('CREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES "u" (id))', "keeps", False),
        ("CREATE TABLE t (LIKE u)", "keeps", False),
        ("CREATE TABLE t (a int) INHERITS (u)", "keeps", False),
        ("CREATE TABLE t PARTITION OF u FOR VALUES IN (1)", "any", False),
        ("CREATE TABLE t AS SELECT 1", "any", False),
        ("CREATE TEMP TABLE t (a int)", "any", False),
        ("CREATE TYPE mood AS ENUM ('a', 'b')", "none", True),
        ("ALTER TYPE public.mood ADD VALUE 'c'", "none", True),
        ("ALTER TYPE mood ALTER ATTRIBUTE a TYPE text CASCADE", "keeps", True),
        ("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "none", True),
        ("COMMENT ON COLUMN t.a IS 'x'", "none", True),
        ("SET search_path TO app, public", "none", True),
        ("SET CONSTRAINTS ALL IMMEDIATE", "any", False),
        ("ALTER TABLE t ADD COLUMN c integer NOT NULL DEFAULT 0", "keeps", True),
        ("ALTER TABLE t RENAME TO u", "any", False),
        ("ALTER TABLE t SET SCHEMA app", "any", False),
        ("ALTER TABLE t ATTACH PARTITION u FOR VALUES IN (1)", "any", False),
        ("DROP INDEX t_a_idx", "keeps", False),
        ("UPDATE t SET a = 1", "any", False),
        ("DO $$ BEGIN PERFORM 1; END $$", "any", False),
        ("CREATE EXTENSION vector", "any", False),
        ("BEGIN", "any", False),
        ("CREATE INDEX a; CREATE INDEX b", "any", False),
    ],
)
def test_lock_kind_of_a_statement(text: str, kind: str, keeps: bool) -> None:
    assert lock_kind(text)[0] == kind
    assert keeps_tables(text) is keeps


@pytest.mark.parametrize(
    ("text", "table"),
    [
        ('CREATE INDEX "i" ON "public"."Account" USING btree ("name")', "Account"),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY App.Account (a)", "account"),
        ("CREATE INDEX ON note(body)", "note"),
        ('CREATE INDEX i ON "we""ird" (a)', 'we"ird'),
        ("CREATE INDEX i ON " + "x" * 70 + " (a)", None),  # PostgreSQL truncates it
        ('CREATE INDEX i ON U&"d\\0061ta" (a)', None),  # a Unicode escape: not read here
        ("CREATE INDEX i ON Über (a)", None),  # PostgreSQL folds ASCII letters only
    ],
)
def test_the_table_of_a_create_index(text: str, table: str | None) -> None:
    assert lock_kind(text) == ("index", table)


# ---------------------------------------------------------------- the filler's catalog


ROW_SCHEMA = """
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE DOMAIN short_text AS varchar(8);
CREATE TABLE root (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label varchar(12) NOT NULL);
CREATE TABLE middle (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    root_id bigint NOT NULL REFERENCES root (id),
    mood mood NOT NULL,
    moods mood[] NOT NULL,
    code short_text NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    doubled numeric GENERATED ALWAYS AS (price * 2) STORED
);
CREATE TABLE leaf (
    middle_id uuid NOT NULL,
    at timestamp with time zone NOT NULL,
    note text,
    PRIMARY KEY (middle_id, at),
    CONSTRAINT leaf_middle_fk FOREIGN KEY (middle_id) REFERENCES middle (id)
);
CREATE TABLE keyless (a integer NOT NULL, b text);
CREATE TABLE measure (kind integer NOT NULL, leaf_at timestamptz) PARTITION BY LIST (kind);
CREATE TABLE measure_one PARTITION OF measure FOR VALUES IN (1);
"""


def builder_view(catalog: Catalog, names: list[QualifiedName]) -> dict[str, Any]:
    """What the row builder (checker.live.cascades._World) reads of each table."""
    view: dict[str, Any] = {}
    for name in names:
        table = catalog.tables[name]
        view[".".join(name)] = (
            [
                (
                    c.name,
                    c.type,
                    c.not_null,
                    c.default is not None or c.identity is not None or c.generated is not None,
                )
                for c in table.columns
            ],
            [
                (
                    k.name,
                    k.kind,
                    k.columns,
                    None if k.foreign_key is None else k.foreign_key.ref_table,
                    None if k.foreign_key is None else k.foreign_key.ref_columns,
                )
                for k in table.constraints
            ],
            [
                (c.name, catalog.enums[(c.type.schema, c.type.name)].labels[:1])
                for c in table.columns
                if c.type.schema is not None and (c.type.schema, c.type.name) in catalog.enums
            ],
        )
    return view


def test_the_fill_catalog_reads_what_the_row_builder_reads_in_row_catalog(
    scratch: str,
) -> None:
    with psycopg.connect(scratch, autocommit=True) as connection:
        connection.execute(ROW_SCHEMA)
        wanted = [("public", "leaf"), ("public", "keyless"), ("public", "measure_one")]
        full = row_catalog(connection, referenced_from=wanted)
        reader = FillCatalog(connection)
        read = reader.read(wanted)
        connection.execute("COMMIT")
        assert sorted(read.tables) == sorted(full.tables)
        names = sorted(full.tables)
        assert builder_view(read, names) == builder_view(full, names)
        assert ("public", "root") in read.tables  # two keys away

        # the walk stops at a table holding our row, which is read itself
        (middle,) = connection.execute("SELECT 'public.middle'::regclass::oid").fetchone() or ()
        stopped = reader.read([("public", "leaf")], stop=[int(middle)])
        connection.execute("COMMIT")
        assert sorted(stopped.tables) == [("public", "leaf"), ("public", "middle")]
        assert builder_view(stopped, sorted(stopped.tables)) == builder_view(
            full, sorted(stopped.tables)
        )

        # a migration that deallocates every prepared statement does not break it
        connection.execute("DEALLOCATE ALL")
        again = reader.read(wanted)
        connection.execute("COMMIT")
        assert builder_view(again, names) == builder_view(full, names)


# ---------------------------------------------------------------- apply: BEGIN and ``then``


def test_apply_reads_then_after_the_last_commit_and_keeps_failures_apart(
    tmp_path: Path, scratch: str
) -> None:
    folder = write_history(
        tmp_path / "m",
        {
            "0001_a.sql": "CREATE TABLE a (id integer);\nCREAT TABLE broken (id integer);\n"
            "CREATE TABLE b (id integer);\n",
        },
    )
    statements = load_sources([(folder, Layer.BASE)]).applied_statements
    query = "SELECT relname::text FROM pg_class WHERE relname IN ('a', 'b') ORDER BY 1"
    with psycopg.connect(scratch, autocommit=True) as connection:
        result = apply_statements(connection, statements, Runner.PER_FILE, then=query)
        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert result.failed == 1
    assert [f.statement.index for f in result.failures] == [1]
    assert result.then_rows == [("a",), ("b",)]


def test_copies_are_dropped_only_where_the_server_outlives_the_run(live_server: Any) -> None:
    """A drop forces a checkpoint; the embedded server is thrown away with its copies."""
    assert live_server.disposable is True
    with DsnBackend(live_server.conninfo).open() as database:
        assert database.disposable is False


def test_a_statement_that_does_not_parse_is_an_lv501_not_a_lost_connection(
    tmp_path: Path, live_server: Any
) -> None:
    """The scanner accepts it, so it is batched; the parser does not: the run goes on."""
    history = write_history(
        tmp_path / "history",
        {
            "0001_a.sql": "CREATE TABLE a (id integer);\nCREAT TABLE broken (id integer);\n"
            "CREATE TABLE b (id integer);\n",
        },
    )
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    failing = findings_at(result, "LV501")
    assert [(name, line) for name, line, _ in failing] == [("0001_a.sql", 2)]
    assert "42601 syntax error at or near" in failing[0][2]


EVENT_TRIGGER_HISTORY = {
    "0001_account.sql": "CREATE TABLE account (id serial PRIMARY KEY, name text);\n",
    "0002_audit.sql": (
        "CREATE FUNCTION lock_account() RETURNS event_trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    LOCK TABLE account IN SHARE MODE;\n"
        "END\n"
        "$$;\n"
        "CREATE EVENT TRIGGER lock_account ON ddl_command_end WHEN TAG IN ('CREATE TABLE')\n"
        "    EXECUTE FUNCTION lock_account();\n"
        "CREATE TABLE note (id serial PRIMARY KEY, body text);\n"
    ),
    "0003_tag.sql": "CREATE TABLE tag (id serial PRIMARY KEY, label text);\n",
}


def test_a_create_table_an_event_trigger_turns_into_a_lock_is_watched(
    tmp_path: Path, live_server: Any
) -> None:
    """Once an event trigger exists (made earlier in the file, or by an earlier file), a
    statement that alone takes no lock on a pre-existing table may: it is looked after."""
    history = write_history(tmp_path / "history", EVENT_TRIGGER_HISTORY)
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    found = [(name, line) for name, line, _ in findings_at(result, "LV505")]
    assert ("0002_audit.sql", 8) in found
    assert ("0003_tag.sql", 1) in found


def test_a_file_that_keeps_the_tables_costs_the_filler_and_the_lock_probe_nothing(
    tmp_path: Path,
) -> None:
    """After a file that keeps the set of tables, the filler is handed the listing it read
    last: it does nothing, and the lock probe is handed the same base, whose names it has
    already gathered (300 files, 340 tables on upstream Sim)."""
    from checker.live.locks import LockProbe
    from checker.live.populated import _Filler

    listing: list[tuple[Any, ...]] = [(16390, "public", "member", False, False)]
    filler = _Filler(connection=None)  # type: ignore[arg-type]  # never asked
    filler.listing = listing
    filler.present = {16390: ("public", "member")}
    present = filler.present
    filler.fill(listing)
    assert filler.present is present

    probe = LockProbe(connection=None, runner=None, layers=frozenset(Layer), per_file=True)  # type: ignore[arg-type]
    first = probe._skips_of(present)
    again = probe._skips_of(present)
    assert again.names is first.names and again is not first  # the same names, a fresh prefix
    assert probe._skips_of(dict(present)).names == first.names


class _Counting:
    """A connection that counts the queries sent (round trips)."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self.sent: list[str] = []

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        self.sent.append(str(query))
        return self.connection.execute(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


def test_a_file_that_neither_writes_rows_nor_runs_code_commits_in_its_batch(
    tmp_path: Path, scratch: str
) -> None:
    """Its COMMIT cannot fail, so it travels with the statements, and ``then`` with it:
    one round trip for the file (300 fewer on upstream Sim's history)."""
    folder = write_history(
        tmp_path / "m",
        {"0001_a.sql": "CREATE TABLE a (id integer);\nCREATE INDEX a_id_idx ON a (id);\n"},
    )
    statements = load_sources([(folder, Layer.BASE)]).applied_statements
    query = "SELECT relname::text FROM pg_class WHERE relname IN ('a', 'a_id_idx') ORDER BY 1"
    with psycopg.connect(scratch, autocommit=True) as connection:
        counting = _Counting(connection)
        result = apply_statements(counting, statements, Runner.PER_FILE, then=query)  # type: ignore[arg-type]
        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert len(counting.sent) == 1 and counting.sent[0].endswith(f"COMMIT\n;\n{query}")
    assert result.failed == 0 and result.applied == 2
    assert result.then_rows == [("a",), ("a_id_idx",)]


def test_a_commit_that_fails_in_the_batch_is_reported_as_alone(
    tmp_path: Path, scratch: str
) -> None:
    """A column default that runs a function writing a row a deferred key refuses: the
    COMMIT that travelled with the statements fails, and the file is reported as when the
    COMMIT was sent alone (the statements succeed, the COMMIT after the last one fails)."""
    folder = write_history(
        tmp_path / "m",
        {
            "0001_a.sql": "ALTER TABLE t ADD COLUMN c integer DEFAULT bad();\n"
            "CREATE INDEX t_c_idx ON t (c);\n"
        },
    )
    statements = load_sources([(folder, Layer.BASE)]).applied_statements
    with psycopg.connect(scratch, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE parent (id integer PRIMARY KEY);\n"
            "CREATE TABLE child (\n"
            "    parent_id integer REFERENCES parent DEFERRABLE INITIALLY DEFERRED\n"
            ");\n"
            "CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);\n"
            "CREATE FUNCTION bad() RETURNS integer LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO child VALUES (42); RETURN 1; END $$;\n"
        )
        result = apply_statements(connection, statements, Runner.PER_FILE, then="SELECT 1")
        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        columns = connection.execute(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0"
        ).fetchall()
    assert result.applied == 2 and result.failed == 1
    (failure,) = result.failures
    assert failure.at_commit and failure.statement.index == 1
    assert failure.sqlstate == "23503"
    assert "the COMMIT after this statement fails" in failure.finding.message
    assert result.then_rows == [(1,)]
    assert columns == [("id",)]  # rolled back


# ---------------------------------------------------------------- a row refused at COMMIT


def test_a_row_a_deferred_check_refuses_at_commit_is_that_tables_alone(
    tmp_path: Path, live_server: Any
) -> None:
    """A DEFERRABLE constraint trigger refuses the filler's row only when the fill commits,
    which rolled back every row of the fill and ended the run with a traceback. The fill is
    made again with its checks at each row: the refused table is reported unpopulated,
    with the server's reason, and the others keep their rows."""
    from checker.config import Settings
    from checker.engine import analyse
    from checker.live import verify

    history = write_history(
        tmp_path / "history",
        {
            "0001_init.sql": (
                "CREATE TABLE account (id serial PRIMARY KEY, name text);\n"
                "CREATE TABLE note (id serial PRIMARY KEY, body text);\n"
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN RAISE EXCEPTION 'accounts come from the application'; END $$;\n"
                "CREATE CONSTRAINT TRIGGER account_refuse AFTER INSERT ON account\n"
                "    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse();\n"
            ),
            "0002_tighten.sql": (
                "ALTER TABLE note ALTER COLUMN body SET NOT NULL;\n"
                "ALTER TABLE account ALTER COLUMN name SET NOT NULL;\n"
            ),
        },
    )
    result = analyse(Settings(), [(history, Layer.BASE)])
    report = verify(
        result.sources.applied_statements,
        result.simulation.catalog,
        result.settings,
        backend=DsnBackend(live_server.admin_conninfo),
    )
    [refused] = [note for note in report.unpopulated if "account" in note]
    assert "accounts come from the application" in refused
    # note kept its row (NULL in body): its SET NOT NULL fails there; account has none
    said = [f.message for f in report.findings if f.code == "LV507"]
    failing = [m.split(": on the probe's row")[0] for m in said if m.startswith("statement")]
    assert failing == ['statement fails if a row holds NULL in column "body"']
    assert any(m.startswith("1 table got no row for the populated-table probe") for m in said)
