"""Live checks that need data or a server's extensions: LV507, LV505 on a history, LV508."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import CORPUS_ABSENT, REPO, SIM_MIGRATIONS, findings_at, run_live, run_sql

from checker.findings import Finding, Severity
from checker.model import Layer

pytestmark = pytest.mark.live

BASE = """CREATE TABLE "user" (id text PRIMARY KEY, name text NOT NULL, age integer);
CREATE TABLE post (
    id serial PRIMARY KEY,
    user_id text NOT NULL REFERENCES "user" (id),
    title text NOT NULL
);
"""
CHANGE = """ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;
CREATE TABLE fresh (id integer);
ALTER TABLE fresh ALTER COLUMN id SET NOT NULL;
ALTER TABLE post ADD CONSTRAINT post_title_long CHECK (length(title) > 40);
CREATE INDEX post_title_idx ON post (title);
"""


def test_add_not_null_column_fails_once_the_table_holds_a_row(
    tmp_path: Path, live_server: Any
) -> None:
    result = run_sql(tmp_path, CHANGE, base_sql=BASE, live=live_server)
    assert findings_at(result, "LV507") == [
        (
            "extension.sql",
            1,
            'statement fails once the table holds rows: 23502 column "nickname" of relation '
            '"user" contains null values',
        ),
        (
            "extension.sql",
            4,
            'statement fails if a row holds values that break check constraint "post_title_long": '
            'on the probe\'s row, 23514 check constraint "post_title_long" of relation "post" is '
            "violated by some row",
        ),
    ]
    # every existing row gets NULL in the new column; whether a title is short is up to the rows
    assert severities(result) == [Severity.ERROR, Severity.WARNING]
    # the normal apply is untouched: on the empty database every statement succeeded
    assert findings_at(result, "LV501") == []
    assert findings_at(result, "LV502") == []


def severities(result: Any) -> list[Severity]:
    found = [f for f in result.findings if f.code == "LV507" and f.primary is not None]
    return [f.severity for f in sorted(found, key=lambda f: f.primary.start)]


CERTAINTY_BASE = """CREATE TABLE job (
    id serial PRIMARY KEY, meta text NOT NULL, node text, name text NOT NULL, note text
);
CREATE TABLE parent (id text PRIMARY KEY);
CREATE TABLE child (id serial PRIMARY KEY, parent_id text NOT NULL);
CREATE TABLE tag (id serial PRIMARY KEY, label text NOT NULL);
"""


def test_a_failure_that_depends_on_the_probes_values_is_a_warning_that_quotes_them(
    tmp_path: Path, live_server: Any
) -> None:
    """The probe's row holds values it made up: a cast, a CHECK or a foreign key that fails
    on them may never fail on the application's rows."""
    change = (
        "UPDATE job SET node = meta::json ->> 'node';\n"
        "ALTER TABLE job ADD CONSTRAINT job_name_default CHECK (name = 'default');\n"
        "ALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent (id);\n"
    )
    result = run_sql(tmp_path, change, base_sql=CERTAINTY_BASE, live=live_server)
    found = findings_at(result, "LV507")
    assert [line for _, line, _ in found] == [1, 2, 3]
    assert severities(result) == [Severity.WARNING] * 3
    cast, check, reference = (message for _, _, message in found)
    assert cast.startswith(
        "statement fails if a row holds a value that is not valid input for the type it is "
        "cast to: on the probe's row, 22P02 invalid input syntax for type json (Token "
    )
    assert check.startswith(
        'statement fails if a row holds values that break check constraint "job_name_default": '
        "on the probe's row, 23514 "
    )
    # the server's DETAIL names the value the probe put in the row
    assert reference.startswith(
        "statement fails if a row holds a key that the referenced table has no row for: on "
        'the probe\'s row, 23503 insert or update on table "child" violates foreign key '
        'constraint "child_parent_id_fkey" (Key (parent_id)=('
    )
    assert reference.endswith(') is not present in table "parent".)')


def test_failures_every_row_hits_stay_errors(tmp_path: Path, live_server: Any) -> None:
    """A new column without a default is NULL in every row; a SET NOT NULL right after
    adding the column, a USING that reads no column and a CHECK on a constant default fail
    on every row too."""
    change = (
        "ALTER TABLE tag ADD COLUMN weight integer NOT NULL;\n"
        "ALTER TABLE job ADD COLUMN rank integer;\n"
        "CREATE INDEX job_name_idx ON job (name);\n"
        "ALTER TABLE job ALTER COLUMN rank SET NOT NULL;\n"
        "ALTER TABLE tag ALTER COLUMN label TYPE varchar(20) USING NULL;\n"
        "ALTER TABLE child ADD COLUMN kind text DEFAULT 'x' CHECK (kind IN ('a', 'b'));\n"
    )
    result = run_sql(tmp_path, change, base_sql=CERTAINTY_BASE, live=live_server)
    found = findings_at(result, "LV507")
    assert [line for _, line, _ in found] == [1, 4, 5, 6]
    assert severities(result) == [Severity.ERROR] * 4
    assert all(m.startswith("statement fails once the table holds rows: ") for _, _, m in found)


def test_set_not_null_after_a_backfill_depends_on_the_rows(
    tmp_path: Path, live_server: Any
) -> None:
    """Between ADD COLUMN and SET NOT NULL an UPDATE may fill the column: not certain."""
    change = (
        "ALTER TABLE job ADD COLUMN rank integer;\n"
        "UPDATE job SET rank = 1 WHERE note IS NOT NULL;\n"
        "ALTER TABLE job ALTER COLUMN rank SET NOT NULL;\n"
    )
    result = run_sql(tmp_path, change, base_sql=CERTAINTY_BASE, live=live_server)
    assert findings_at(result, "LV507") == [
        (
            "extension.sql",
            3,
            'statement fails if a row holds NULL in column "rank": on the probe\'s row, 23502 '
            'column "rank" of relation "job" contains null values',
        )
    ]
    assert severities(result) == [Severity.WARNING]


def test_a_failure_caused_by_an_earlier_failure_of_the_file_is_attached_to_it(
    tmp_path: Path, live_server: Any
) -> None:
    """The UPDATE that was to fill node fails on the probe's row, so node stays NULL and the
    SET NOT NULL fails too: one finding, at the UPDATE, naming the SET NOT NULL."""
    change = (
        "UPDATE job SET node = meta::json ->> 'node';\n"
        "ALTER TABLE job ALTER COLUMN node SET NOT NULL;\n"
        "ALTER TABLE job ALTER COLUMN note SET NOT NULL;\n"
    )
    result = run_sql(tmp_path, change, base_sql=CERTAINTY_BASE, live=live_server)
    # line 3 is about another column: a failure of its own (the probe left note NULL)
    assert [line for _, line, _ in findings_at(result, "LV507")] == [1, 3]
    first = next(
        f for f in result.findings if f.code == "LV507" and f.message.startswith("statement")
    )
    [cascade] = first.locations[1:]
    assert cascade.label == (
        'fails after it on the probe, on the same table: 23502 column "node" of relation '
        '"job" contains null values'
    )
    assert first.details[-1] == (
        "a later statement of this file on the same table fails on the probe too, most likely "
        'because this one failed (23502 column "node" of relation "job" contains null '
        "values); it is not reported on its own"
    )


def test_a_statement_that_fails_on_the_empty_database_is_lv501_not_lv507(
    tmp_path: Path, live_server: Any
) -> None:
    change = "INSERT INTO \"user\" (id, name) VALUES ('a', NULL);\n"
    result = run_sql(tmp_path, change, base_sql=BASE, live=live_server)
    assert [line for _, line, _ in findings_at(result, "LV501")] == [1]
    assert findings_at(result, "LV507") == []


def write_history(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_history_checked_alone_gives_its_newest_file_the_findings_of_an_extension(
    tmp_path: Path, live_server: Any
) -> None:
    """LV507 and LV505 for the newest file: the same as --base history --extension newest."""
    history = write_history(
        tmp_path / "history", {"0001_base.sql": BASE, "0002_change.sql": CHANGE}
    )
    alone = run_live([(history, Layer.BASE)], None, None, live_server)
    base = write_history(tmp_path / "base", {"0001_base.sql": BASE})
    change = write_history(tmp_path / "change", {"0002_change.sql": CHANGE})
    split = run_live([(base, Layer.BASE), (change, Layer.EXTENSION)], None, None, live_server)
    for code in ("LV505", "LV507"):
        assert findings_at(alone, code) == findings_at(split, code), code
    assert [line for _, line, _ in findings_at(alone, "LV505")] == [1, 4, 5]
    assert [line for _, line, _ in findings_at(alone, "LV507")] == [1, 4]


def test_history_file_after_a_data_failure_is_checked_on_the_schema_the_empty_apply_built(
    tmp_path: Path, live_server: Any
) -> None:
    """The third file uses the column the second could not add on data: no LV507 cascade."""
    history = write_history(
        tmp_path / "history",
        {
            "0001_base.sql": BASE,
            "0002_nickname.sql": 'ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;\n',
            "0003_index.sql": 'CREATE UNIQUE INDEX user_nickname_idx ON "user" (nickname);\n',
        },
    )
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    assert [(name, line) for name, line, _ in findings_at(result, "LV507")] == [
        ("0002_nickname.sql", 1)
    ]
    assert [(name, line) for name, line, _ in findings_at(result, "LV505")] == [
        ("0002_nickname.sql", 1),
        ("0003_index.sql", 1),
    ]


def test_a_table_no_row_can_be_built_for_is_named_not_skipped_silently(
    tmp_path: Path, live_server: Any
) -> None:
    base = "CREATE TABLE shape (id serial PRIMARY KEY, centre point NOT NULL);\n"
    result = run_sql(
        tmp_path,
        "ALTER TABLE shape ADD COLUMN label text NOT NULL;\n",
        base_sql=base,
        live=live_server,
    )
    notes = [f for f in result.findings if f.code == "LV507"]
    assert [(f.severity, f.message) for f in notes] == [
        (
            Severity.INFO,
            "1 table got no row for the populated-table probe; statements that change it "
            "were checked on an empty table only",
        )
    ]
    assert notes[0].details[0].startswith("shape: 23502")


def test_a_row_a_trigger_copies_into_another_table_gets_its_nullable_columns_too(
    tmp_path: Path, live_server: Any
) -> None:
    """A profile made by a trigger from the new account's email (NOT NULL and checked
    there, nullable in the account): the probe's row fills the email as well, so the
    account and what references it hold rows, and the change is checked on them."""
    base = """CREATE TABLE account (id serial PRIMARY KEY, email text, nickname text);
CREATE TABLE profile (
    id integer PRIMARY KEY REFERENCES account (id),
    email text NOT NULL CHECK (email LIKE '%_@_%')
);
CREATE FUNCTION make_profile() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO profile (id, email) VALUES (NEW.id, NEW.email);
    RETURN NEW;
END $$;
CREATE TRIGGER account_profile AFTER INSERT ON account
    FOR EACH ROW EXECUTE FUNCTION make_profile();
CREATE TABLE note (id serial PRIMARY KEY, account_id integer NOT NULL REFERENCES account (id));
"""
    result = run_sql(
        tmp_path,
        "ALTER TABLE note ADD COLUMN body text NOT NULL;\n",
        base_sql=base,
        live=live_server,
    )
    unpopulated = [d for f in result.findings if f.code == "LV507" for d in f.details]
    # (the profile the trigger made holds the key a row of its own would take)
    assert not [d for d in unpopulated if d.startswith(("account", "note"))], unpopulated
    failed = [f for f in result.findings if f.code == "LV505"]
    assert len(failed) == 1 and "note" in failed[0].message, failed


# ------------------------------------------------------------------ LV508


def cli(*args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_a_server_without_a_needed_extension_gives_one_error_and_no_flood(
    tmp_path: Path, live_server: Any
) -> None:
    folder = write_history(
        tmp_path / "migrations",
        {
            "0001_init.sql": (
                "CREATE EXTENSION IF NOT EXISTS vector;\n"
                "CREATE EXTENSION IF NOT EXISTS schema_check_no_such_extension;\n"
                "CREATE TABLE item (id serial PRIMARY KEY, embedding vector(3));\n"
            ),
            "0002_more.sql": "CREATE TABLE other (id integer REFERENCES item (id));\n",
        },
    )
    done = cli(
        "check",
        "--live",
        "--dsn",
        live_server.admin_conninfo,
        "--backend",
        "dsn",
        "--base",
        str(folder),
        "--select",
        "LV",
    )
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if " LV5" in line]
    assert len(lines) == 1, done.stdout
    assert "0001_init.sql:2:1" in lines[0]
    assert "LV508" in lines[0]
    assert (
        "extension schema_check_no_such_extension is not available on PostgreSQL 18." in (lines[0])
    )
    assert "(scratch database schema_check_" in done.stdout


def test_lv508_names_each_missing_extension_once(tmp_path: Path, live_server: Any) -> None:
    change = (
        "CREATE EXTENSION made_up_one;\nCREATE EXTENSION made_up_two;\n"
        "CREATE EXTENSION made_up_one;\n"
    )
    result = run_sql(tmp_path, change, live=live_server)
    live = [f for f in result.findings if f.family == "LV"]
    assert [(f.code, f.objects) for f in live] == [
        ("LV508", ("made_up_one",)),
        ("LV508", ("made_up_two",)),
    ]
    assert all(isinstance(f, Finding) and f.severity is Severity.ERROR for f in live)


def test_an_extension_the_embedded_server_lacks_is_not_an_error_of_the_migrations(
    tmp_path: Path,
) -> None:
    """The embedded server is schema-check's own: its build lacks some extensions every
    real server offers (pgcrypto, uuid-ossp). Missing there, an extension stops the live
    run with a warning that says so, not an error of the migrations; nothing was verified
    live, so the run exits 3 (live backend unavailable) and says what would verify it."""
    import json

    folder = write_history(
        tmp_path / "migrations",
        {
            "0001_init.sql": (
                "CREATE EXTENSION IF NOT EXISTS schema_check_no_such_extension;\n"
                "CREATE TABLE item (id serial PRIMARY KEY);\n"
            ),
        },
    )
    done = cli("check", "--live", "--base", str(folder), "--select", "LV", "--format", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "schema-check: live backend unavailable: the embedded server has no extension "
        "schema_check_no_such_extension, which these migrations create: nothing was verified "
        "live; use --backend docker (an image with it) or --backend dsn"
    )
    [finding] = json.loads(done.stdout)["findings"]
    assert (finding["code"], finding["severity"]) == ("LV508", "warning")
    assert "not in the embedded PostgreSQL 18." in finding["message"]
    assert "says nothing about the servers they are deployed to" in finding["message"]


# ------------------------------------------------------- snapshot base


def live_json(*args: str) -> tuple[int, dict[str, Any]]:
    import json

    done = cli("check", "--live", "--select", "LV", "--format", "json", *args)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def change_findings(report: dict[str, Any], name: str) -> list[tuple[str, int, str, str]]:
    found = []
    for finding in report["findings"]:
        location = finding["location"]
        if location is not None and Path(location["file"]).name == name:
            found.append(
                (finding["code"], location["line"], finding["severity"], finding["message"])
            )
    return sorted(found)


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_snapshot_base_gives_the_changes_live_findings_of_the_history_base(
    tmp_path: Path,
) -> None:
    change = tmp_path / "0299_nickname.sql"
    change.write_text(
        'ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;\n'
        'CREATE INDEX "user_nickname_idx" ON "user" ("nickname");\n',
        encoding="utf-8",
    )
    snapshot = SIM_MIGRATIONS / "meta" / "0298_snapshot.json"
    code, from_snapshot = live_json("--base", str(snapshot), "--extension", str(change))
    history_code, from_history = live_json(
        "--base", str(SIM_MIGRATIONS), "--extension", str(change)
    )
    expected = change_findings(from_history, change.name)
    assert [(c, line, severity) for c, line, severity, _ in expected] == [
        ("LV505", 1, "error"),
        ("LV505", 2, "warning"),
        ("LV507", 1, "error"),
        ("LV507", 1, "info"),  # the tables no valid row could be generated for, named
        ("LV507", 1, "info"),  # the trigger events that could not be fired, named
    ]
    # Sim's 12 triggers fire without error; only one event found no row to fire on
    unfired = next(f for f in expected if f[3].startswith("1 trigger event could not"))
    assert unfired[3].endswith("those triggers were created but never run")
    # The note's table count may differ: the generated values depend on the whole catalog,
    # and the history holds objects a snapshot does not record.
    assert [f for f in change_findings(from_snapshot, change.name) if f[2] != "info"] == [
        f for f in expected if f[2] != "info"
    ]
    assert code == history_code == 1
    # the snapshot's DDL applies on the server and builds exactly the snapshot's catalog
    assert [
        f["message"] for f in from_snapshot["findings"] if f["code"] in ("LV501", "LV502")
    ] == []


def test_a_truncate_trigger_that_refuses_does_not_stop_the_probe(
    tmp_path: Path, live_server: Any
) -> None:
    """A migration guards its bookkeeping table against any change but its tool's (a BEFORE
    TRUNCATE trigger that raises); the probe empties its rows after a data failure anyway,
    and the next file is checked as usual."""
    guard = """CREATE TABLE ledger (id integer PRIMARY KEY);
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE 'ledger is changed by its tool only';
END;
$$;
CREATE TRIGGER ledger_guard BEFORE TRUNCATE ON ledger EXECUTE FUNCTION refuse();
"""
    history = write_history(
        tmp_path / "history",
        {
            "0001_base.sql": BASE,
            "0002_guard.sql": guard,
            "0003_nickname.sql": 'ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;\n',
            "0004_age.sql": 'ALTER TABLE "user" ALTER COLUMN age SET NOT NULL;\n',
        },
    )
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    failing = [
        (f.primary.file.rsplit("/", 1)[-1], f.severity)
        for f in result.findings
        if f.code == "LV507" and f.primary is not None and f.severity is not Severity.INFO
    ]
    assert failing == [("0003_nickname.sql", Severity.ERROR), ("0004_age.sql", Severity.WARNING)]
