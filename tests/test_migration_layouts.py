"""Migration folders of other tools: which files a migration run applies, in which order.

Down migrations undo their up migration and another database's variants are not for
PostgreSQL: a folder's run applies neither, and the command says what it left out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, run_paths, since_json

from checker.errors import InputError
from checker.model import Layer
from checker.sources import load_sources

# a table the up migration creates and its down migration drops: read in name order
# (``.down.sql`` sorts before ``.up.sql``) the down file would run first and fail
_UP = "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n"
_DOWN = "DROP TABLE account;\n"
_UP_2 = "ALTER TABLE account ADD COLUMN name text;\n"
_DOWN_2 = "ALTER TABLE account DROP COLUMN name;\n"


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _applied(folder: Path) -> list[str]:
    sources = load_sources([(folder, Layer.BASE)])
    return [Path(m.path).relative_to(folder).as_posix() for m in sources.migrations]


def test_down_files_of_numbered_pairs_are_not_applied(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "000001_account.up.sql": _UP,
            "000001_account.down.sql": _DOWN,
            "000002_name.up.sql": _UP_2,
            "000002_name.down.sql": _DOWN_2,
        },
    )
    assert _applied(folder) == ["000001_account.up.sql", "000002_name.up.sql"]
    sources = load_sources([(folder, Layer.BASE)])
    assert sorted(Path(n.path).name for n in sources.not_applied) == [
        "000001_account.down.sql",
        "000002_name.down.sql",
    ]
    result = run_paths([(folder, Layer.BASE)])
    # read as applied, the down file dropped a table that did not exist yet (MG406)
    # and the next up file re-created it after dropping it again
    assert not [f for f in result.findings if f.code in ("MG406", "MG414", "NC101")]


def test_down_files_named_with_an_underscore_beside_their_up_file(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_account.up.sql": _UP,
            "0002_name_up.sql": _UP_2,
            "0002_name_down.sql": "DROP INDEX job_group_id ON jobs;\n",  # not PostgreSQL
            "0003_slow_down.sql": "ALTER TABLE account ADD COLUMN pace text;\n",  # no pair
            "0004_cool-up.sql": "ALTER TABLE account ADD COLUMN cool text;\n",
            "0004_cool-down.sql": "ALTER TABLE account DROP COLUMN cool;\n",
        },
    )
    assert _applied(folder) == [
        "0001_account.up.sql",
        "0002_name_up.sql",
        "0003_slow_down.sql",
        "0004_cool-up.sql",
    ]
    result = run_paths([(folder, Layer.BASE)])
    assert not [f for f in result.findings if f.code in ("PS001", "MG406", "MG414")]


def test_folder_per_migration_with_up_and_down_files(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "2024-01-10-000000_add_name/up.sql": _UP_2,
            "2024-01-10-000000_add_name/down.sql": _DOWN_2,
            "2024-01-02-000000_create_account/up.sql": _UP,
            "2024-01-02-000000_create_account/down.sql": _DOWN,
        },
    )
    assert _applied(folder) == [
        "2024-01-02-000000_create_account/up.sql",
        "2024-01-10-000000_add_name/up.sql",
    ]
    sources = load_sources([(folder, Layer.BASE)])
    # a dashed date orders the folders but is no sequence number (2024 is not a number
    # two migrations share)
    assert [m.sequence for m in sources.migrations] == [None, None]
    assert len(sources.not_applied) == 2
    run = _check_command(folder)
    assert "(e.g. 2024-01-02-000000_create_account/down.sql)" in run.stderr
    result = run_paths([(folder, Layer.BASE)])
    assert not [f for f in result.findings if f.code.startswith("MG40")]


def test_messages_name_the_folder_of_an_up_sql(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "2024-01-02-000000_create_account/up.sql": _UP,
            "2024-01-10-000000_not_null/up.sql": (
                "ALTER TABLE account ADD COLUMN team bigint NOT NULL;\n"
            ),
        },
    )
    result = run_paths([(folder, Layer.BASE)], only="MG411")
    [finding] = result.findings
    assert "(created at 2024-01-02-000000_create_account/up.sql:1)" in finding.message


def test_variants_for_other_databases_are_not_applied(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_account.postgres.up.sql": _UP,
            "0001_account.mysql.up.sql": "CREATE TABLE account (id bigint AUTO_INCREMENT);\n",
            "0001_account.sqlite3.up.sql": "CREATE TABLE account (id INTEGER);\n",
            "0001_account.postgres.down.sql": _DOWN,
            "0002_name.up.sql": _UP_2,
        },
    )
    assert _applied(folder) == ["0001_account.postgres.up.sql", "0002_name.up.sql"]
    result = run_paths([(folder, Layer.BASE)])
    assert not [f for f in result.findings if f.code in ("PS001", "MG403")]


def test_a_generic_file_gives_way_to_its_postgres_variant(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_account.up.sql": _UP,
            "0002_index.up.sql": "CREATE INDEX account_email ON account (email);\n",
            "0002_index.postgres.up.sql": "CREATE INDEX account_email ON account (lower(email));\n",
        },
    )
    assert _applied(folder) == ["0001_account.up.sql", "0002_index.postgres.up.sql"]
    result = run_paths([(folder, Layer.BASE)])
    assert not [f for f in result.findings if f.code in ("MG403", "NC101")]


def test_a_postgres_down_file_leaves_the_untagged_up_file_applied(tmp_path: Path) -> None:
    """A PostgreSQL variant replaces the untagged file of its own direction: with only a
    ``.postgres.down.sql``, the untagged ``.up.sql`` is still the up migration. Left out,
    its DROP TABLE went missing and the table's later re-creation clashed (NC101)."""
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_account.up.sql": _UP,
            "0002_drop.up.sql": _DOWN,
            "0002_drop.down.sql": _UP,
            "0002_drop.postgres.down.sql": _UP,
            "0003_again.up.sql": _UP,
        },
    )
    assert _applied(folder) == ["0001_account.up.sql", "0002_drop.up.sql", "0003_again.up.sql"]
    result = run_paths([(folder, Layer.BASE)])
    assert [f.code for f in result.findings if f.severity.value == "error"] == []


def test_a_popx_autocommit_file_of_one_statement_runs_outside_a_transaction(
    tmp_path: Path,
) -> None:
    """ory's popx runs ``x.autocommit.up.sql`` without a transaction, the file sent as one
    query: a lone CREATE INDEX CONCURRENTLY works there (no MG407); beside another
    statement it shares their implicit transaction and fails (MG407)."""
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_account.up.sql": _UP,
            "0002_index.autocommit.up.sql": (
                "-- built online\nCREATE INDEX CONCURRENTLY account_email ON account (email);\n"
            ),
            "0003_two.autocommit.up.sql": (
                "ALTER TABLE account ADD COLUMN name text;\n"
                "CREATE INDEX CONCURRENTLY account_name ON account (name);\n"
            ),
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [(m.name, m.no_transaction) for m in sources.migrations] == [
        ("0001_account.up", False),
        ("0002_index.autocommit.up", True),
        ("0003_two.autocommit.up", False),
    ]
    result = run_paths([(folder, Layer.BASE)])
    assert [Path(f.primary.file).name for f in result.findings if f.code == "MG407"] == [
        "0003_two.autocommit.up.sql"
    ]


def test_flyway_undo_files_are_not_applied(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {"V1__account.sql": _UP, "U1__account.sql": _DOWN, "V2__name.sql": _UP_2},
    )
    assert _applied(folder) == ["V1__account.sql", "V2__name.sql"]


def test_a_folder_of_down_files_only_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    folder = _write(tmp_path / "migrations", {"0001_account.down.sql": _DOWN})
    with pytest.raises(InputError, match=r"down migration .* give the folder of the up"):
        load_sources([(folder, Layer.BASE)])


def test_a_down_file_given_by_itself_is_read(tmp_path: Path) -> None:
    file = _write(tmp_path, {"0001_account.down.sql": _DOWN}) / "0001_account.down.sql"
    sources = load_sources([(file, Layer.BASE)])
    assert len(sources.statements) == 1
    assert not sources.not_applied


def test_the_command_notes_what_it_left_out(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_account.up.sql": _UP,
            "0001_account.down.sql": _DOWN,
            "0001_account.mysql.up.sql": "CREATE TABLE account (id bigint AUTO_INCREMENT);\n",
        },
    )
    run = _check_command(folder)
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if line.startswith("schema-check: note:")]
    assert len(notes) == 2
    assert "1 down migration not applied (0001_account.down.sql)" in notes[0]
    assert "0001_account.mysql.up.sql" in notes[1] and "mysql" in notes[1]


# ---- single files with up and down sections (goose, sql-migrate, dbmate) ----------

_GOOSE_INIT = (
    "-- +goose Up\n"
    "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n"
    "CREATE TABLE note (id bigint PRIMARY KEY, account_id bigint REFERENCES account (id));\n"
    "\n"
    "-- +goose Down\n"
    "DROP TABLE note;\n"
    "DROP TABLE account;\n"
)


def _concurrently(header: str, down: str) -> str:
    return f"{header}\nCREATE INDEX CONCURRENTLY note_account_idx ON note (account_id);\n{down}\n"


@pytest.mark.parametrize(
    ("up", "down", "no_transaction"),
    [
        (
            "-- +goose NO TRANSACTION\n-- +goose Up",
            "-- +goose Down\nDROP INDEX note_account_idx;",
            True,
        ),
        ("-- +goose Up", "-- +goose Down\nDROP INDEX note_account_idx;", False),
        ("-- +migrate Up notransaction", "-- +migrate Down\nDROP INDEX note_account_idx;", True),
        ("-- +migrate Up", "-- +migrate Down\nDROP INDEX note_account_idx;", False),
        ("-- migrate:up transaction:false", "-- migrate:down\nDROP INDEX note_account_idx;", True),
        ("-- migrate:up", "-- migrate:down\nDROP INDEX note_account_idx;", False),
    ],
)
def test_only_the_up_section_runs_in_the_transaction_the_file_asks_for(
    tmp_path: Path, up: str, down: str, no_transaction: bool
) -> None:
    init = _GOOSE_INIT
    if "migrate:" in up:
        init = init.replace("-- +goose Up", "-- migrate:up").replace(
            "-- +goose Down", "-- migrate:down"
        )
    elif "+migrate" in up:
        init = init.replace("+goose", "+migrate")
    folder = _write(
        tmp_path / "migrations",
        {"00001_init.sql": init, "00002_index.sql": _concurrently(up, down)},
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [s.text.split(" (")[0] for s in sources.statements] == [
        "CREATE TABLE account",
        "CREATE TABLE note",
        "CREATE INDEX CONCURRENTLY note_account_idx ON note",
    ]
    assert [m.no_transaction for m in sources.migrations] == [False, no_transaction]
    assert sorted(Path(n.path).name for n in sources.not_applied) == [
        "00001_init.sql",
        "00002_index.sql",
    ]
    result = run_paths([(folder, Layer.BASE)])
    codes = {f.code for f in result.findings}
    # read whole, the down sections dropped what the up sections made (MG406, MG414)
    assert not codes & {"MG406", "MG414", "NC101"}
    # CREATE INDEX CONCURRENTLY fails inside a transaction block: only the file that runs
    # outside one is spared
    assert ("MG407" in codes) is not no_transaction
    [index] = [s for s in sources.statements if "CONCURRENTLY" in s.text]
    text = (folder / "00002_index.sql").read_text(encoding="utf-8")
    assert text[index.origin.start : index.origin.end] == index.text  # offsets kept


def test_the_command_notes_the_down_sections_it_left_out(tmp_path: Path) -> None:
    folder = _write(tmp_path / "migrations", {"00001_init.sql": _GOOSE_INIT})
    run = _check_command(folder)
    notes = [line for line in run.stderr.splitlines() if line.startswith("schema-check: note:")]
    assert notes == [
        "schema-check: note: the down section of 1 file not applied (00001_init.sql): only "
        "the up section (-- +goose Up, -- +migrate Up, -- migrate:up) runs "
        "(docs/migration-layouts.md)"
    ]


def test_a_file_without_section_markers_runs_whole(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {"0001_x.sql": "-- migrate later: nothing here is a marker\n" + _UP + _UP_2},
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert len(sources.statements) == 2 and not sources.not_applied


@pytest.mark.parametrize(
    ("header", "no_transaction"),
    [
        ("-- no-transaction\n", True),
        ("--! no-transaction\n", True),
        ("-- postgres-migrations disable-transaction\n-- postgres-migrations ignore\n", True),
        ("-- plain\n", False),
    ],
)
def test_a_file_that_starts_by_saying_it_runs_outside_a_transaction(
    tmp_path: Path, header: str, no_transaction: bool
) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "20240101000000_init.sql": _GOOSE_INIT.split("-- +goose Down")[0],
            "20240102000000_index.sql": header
            + "CREATE INDEX CONCURRENTLY note_account_idx ON note (account_id);\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [m.no_transaction for m in sources.migrations] == [False, no_transaction]
    codes = {f.code for f in run_paths([(folder, Layer.BASE)]).findings}
    assert ("MG407" in codes) is not no_transaction


def _check_command(folder: Path) -> subprocess.CompletedProcess[str]:
    """``schema-check check FOLDER --no-cache`` in a new process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(folder), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_files_with_sections_run_in_a_transaction_of_their_own(tmp_path: Path) -> None:
    """goose wraps each file in BEGIN ... COMMIT, a file of one statement too: its
    CREATE INDEX CONCURRENTLY fails there, and the message says why and how out."""
    folder = _write(
        tmp_path / "migrations",
        {
            "00001_init.sql": _GOOSE_INIT,
            "00002_index.sql": _concurrently("-- +goose Up", "-- +goose Down\nDROP INDEX x;"),
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [m.own_transaction for m in sources.migrations] == [True, True]
    result = run_paths([(folder, Layer.BASE)])
    [finding] = [f for f in result.findings if f.code == "MG407"]
    assert "the runner runs 00002_index in a transaction of its own" in finding.message
    assert finding.fix is not None and "-- +goose NO TRANSACTION" in finding.fix.title
    assert "assumed" not in finding.message


def test_prisma_folders_run_in_name_order_not_number_order(tmp_path: Path) -> None:
    """Prisma sorts its folders by name, character by character: a 12-digit timestamp
    written by hand sorts after the 14-digit one it follows in number order."""
    folder = _write(
        tmp_path / "migrations",
        {
            "migration_lock.toml": 'provider = "postgresql"\n',
            "20230912150657_init/migration.sql": _UP,
            "202310122339_add_name/migration.sql": _UP_2,
            "20241231_add_pace/migration.sql": "ALTER TABLE account ADD COLUMN pace text;\n",
        },
    )
    assert _applied(folder) == [
        "20230912150657_init/migration.sql",
        "202310122339_add_name/migration.sql",
        "20241231_add_pace/migration.sql",
    ]
    result = run_paths([(folder, Layer.BASE)])
    assert not [f for f in result.findings if f.code == "MG406"]


def test_flyway_repeatable_migrations_run_after_the_versioned_ones(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "V1__account.sql": _UP,
            "V2__name.sql": _UP_2,
            "R__account_names.sql": (
                "CREATE OR REPLACE VIEW account_names AS SELECT name FROM account;\n"
            ),
            "R__a_first_by_name.sql": "SELECT 1;\n",
        },
    )
    assert _applied(folder) == [
        "V1__account.sql",
        "V2__name.sql",
        "R__a_first_by_name.sql",
        "R__account_names.sql",
    ]
    plain = _write(
        tmp_path / "plain", {"R__not_flyway.sql": "SELECT 1;\n", "S_x.sql": "SELECT 2;\n"}
    )
    assert _applied(plain) == ["R__not_flyway.sql", "S_x.sql"]  # no versioned file: name order


def test_flyway_runs_each_migration_in_its_own_transaction_but_the_non_transactional(
    tmp_path: Path,
) -> None:
    """Flyway runs each V/R migration in a transaction of its own; one that holds nothing
    but statements a transaction cannot hold (CREATE INDEX CONCURRENTLY, VACUUM), or whose
    ``.sql.conf`` says ``executeInTransaction=false``, outside any; one that mixes both
    kinds it refuses (mixed is off by default): an MG407 that says so."""
    folder = _write(
        tmp_path / "migrations",
        {
            "V1__init.sql": "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int);\n",
            "V2__index.sql": (
                "-- the index alone\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nVACUUM t;\n"
            ),
            "V3__mixed.sql": (
                "ALTER TABLE t ADD COLUMN d int;\nCREATE UNIQUE INDEX CONCURRENTLY t_d ON t (d);\n"
            ),
            "V4__configured.sql": (
                "ALTER TABLE t ADD COLUMN e int;\ncreate index concurrently t_e_idx on t (e);\n"
            ),
            "V4__configured.sql.conf": "# script configuration\nexecuteInTransaction=false\n",
            "V5__forced.sql": "CREATE INDEX CONCURRENTLY t_c_idx ON t (c);\n",
            "V5__forced.sql.conf": "executeInTransaction = true\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [(m.name, m.layout.value, m.no_transaction) for m in sources.migrations] == [
        ("V1__init", "flyway", False),
        ("V2__index", "flyway", True),
        ("V3__mixed", "flyway", False),
        ("V4__configured", "flyway", True),
        ("V5__forced", "flyway", False),
    ]
    result = run_paths([(folder, Layer.BASE)])
    found = {f.primary.file.rsplit("/", 1)[-1]: f for f in result.findings if f.code == "MG407"}
    assert sorted(found) == ["V3__mixed.sql", "V5__forced.sql"]
    assert "Flyway runs V3__mixed in a transaction of its own" in found["V3__mixed.sql"].message
    assert "unless its `mixed` setting is on" in found["V3__mixed.sql"].message
    fix = found["V3__mixed.sql"].fix
    assert fix is not None and "executeInTransaction=false" in fix.title
    assert "assumed" not in found["V5__forced.sql"].message


def test_a_flyway_script_configuration_is_part_of_the_cache_key(tmp_path: Path) -> None:
    """Editing ``V1__x.sql.conf`` changes how the migration runs: a cached run of the
    folder must not be reused."""
    from checker.cache import fingerprint_inputs

    folder = _write(
        tmp_path / "migrations",
        {"V1__x.sql": "CREATE INDEX CONCURRENTLY i ON t (a);\n", "V1__x.sql.conf": "x=1\n"},
    )
    before = fingerprint_inputs([folder])
    (folder / "V1__x.sql.conf").write_text("executeInTransaction=true\n", encoding="utf-8")
    assert before is not None and fingerprint_inputs([folder]) != before


_CONCURRENT_WITH_OTHERS = (
    "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n"
)


def _mg407(folder: Path) -> list[str]:
    result = run_paths([(folder, Layer.BASE)])
    return [f.message for f in result.findings if f.code == "MG407"]


def test_a_cargo_toml_that_depends_on_sqlx_names_the_runner(tmp_path: Path) -> None:
    """sqlx runs each migration in a transaction of its own (a first line
    ``-- no-transaction`` runs it outside): the project's Cargo.toml says the folder is
    sqlx's, so nothing is assumed and the advice is sqlx's."""
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "app"\n\n[dependencies]\nsqlx = { workspace = true }\n',
        encoding="utf-8",
    )
    folder = _write(
        tmp_path / "migrations",
        {
            "20240101000000_init.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
            "20240102000000_alone.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
            "20240103000000_outside.sql": "-- no-transaction\n" + _CONCURRENT_WITH_OTHERS,
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert {m.layout.value for m in sources.migrations} == {"sqlx"}
    [message] = _mg407(folder)
    assert "sqlx (a dependency in the project's Cargo.toml) runs 20240102000000_alone in a " in (
        message
    )
    result = run_paths([(folder, Layer.BASE)])
    [finding] = [f for f in result.findings if f.code == "MG407"]
    assert finding.fix is not None and "`-- no-transaction`" in finding.fix.title


def test_a_go_mod_that_requires_golang_migrate_names_the_runner(tmp_path: Path) -> None:
    """golang-migrate sends each file as one query: a file of one statement runs outside a
    transaction block, one of several as one implicit transaction."""
    (tmp_path / "go.mod").write_text(
        "module example.com/app\n\ngo 1.22\n\n"
        "require github.com/golang-migrate/migrate/v4 v4.17.0\n",
        encoding="utf-8",
    )
    folder = _write(
        tmp_path / "db" / "migrations",
        {
            "000001_init.up.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
            "000002_alone.up.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
            "000003_mixed.up.sql": _CONCURRENT_WITH_OTHERS,
        },
    )
    [message] = _mg407(folder)
    assert (
        "golang-migrate (a dependency in the project's go.mod) sends 000003_mixed.up as one "
        in (message)
    )


def test_a_diesel_migration_may_run_outside_a_transaction(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text('[dependencies]\ndiesel = "2"\n', encoding="utf-8")
    folder = _write(
        tmp_path / "migrations",
        {
            "2024-01-01-000000_init/up.sql": "CREATE TABLE t (id int PRIMARY KEY, a int, b int);\n",
            "2024-01-02-000000_index/up.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
            "2024-01-02-000000_index/metadata.toml": "run_in_transaction = false\n",
            "2024-01-03-000000_other/up.sql": "CREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [(m.layout.value, m.no_transaction) for m in sources.migrations] == [
        ("diesel", False),
        ("diesel", True),
        ("diesel", False),
    ]
    [message] = _mg407(folder)
    assert "Diesel (a dependency in the project's Cargo.toml) runs 2024-01-03-000000_other/" in (
        message
    )


def test_a_manifest_above_the_repository_or_without_the_tool_names_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "Cargo.toml").write_text('[dependencies]\nsqlx = "0.8"\n', encoding="utf-8")
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    folder = _write(repository / "migrations", {"0001_x.sql": _CONCURRENT_WITH_OTHERS})
    assert "assumes the worst case" in _mg407(folder)[0]
    (repository / "go.mod").write_text("module x\n\nrequire github.com/jackc/pgx/v5 v5.0.0\n")
    assert "assumes the worst case" in _mg407(folder)[0]


def test_since_reads_the_project_manifest_as_of_the_merge_base(tmp_path: Path) -> None:
    """The base is read out of git: its Cargo.toml goes with it, so base and change are
    judged under the same runner and a finding of an old file stays pre-existing."""

    from support import commit_all

    (tmp_path / "Cargo.toml").write_text('[dependencies]\nsqlx = "0.8"\n', encoding="utf-8")
    _write(
        tmp_path / "migrations",
        {
            "0001_init.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
            "0002_old.sql": _CONCURRENT_WITH_OTHERS,
        },
    )
    commit_all(tmp_path, "history")
    (tmp_path / "migrations" / "0003_new.sql").write_text(
        "CREATE TABLE u (id int);\n", encoding="utf-8"
    )
    code, document = since_json(str(tmp_path / "migrations"), tmp_path)
    [finding] = [f for f in document["findings"] if f["code"] == "MG407"]
    assert finding["introduced"] is False
    assert "sqlx (a dependency" in finding["message"]
    assert code == 0


def test_numbering_gaps_of_tools_that_accept_them_are_no_mg404(tmp_path: Path) -> None:
    """golang-migrate (and Flyway, sqlx, Diesel) order by version and accept any gap: a
    project that numbers after its releases loses no file. A plain folder's gap stays."""
    files = {"0001_init.up.sql": "CREATE TABLE t (id int);\n", "0010_x.up.sql": "SELECT 1;\n"}
    plain = _write(tmp_path / "plain" / "migrations", files)
    codes = [f.code for f in run_paths([(plain, Layer.BASE)]).findings]
    assert "MG404" in codes
    (tmp_path / "go" / ".git").mkdir(parents=True)
    (tmp_path / "go" / "go.mod").write_text(
        "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n", encoding="utf-8"
    )
    tooled = _write(tmp_path / "go" / "migrations", files)
    assert "MG404" not in [f.code for f in run_paths([(tooled, Layer.BASE)]).findings]


def test_a_supabase_project_runs_each_migration_file_in_a_transaction_of_its_own(
    tmp_path: Path,
) -> None:
    """The Supabase CLI (``supabase db push``, ``migration up``) sends each file of
    ``supabase/migrations`` as one batch, a transaction of its own: an enum value added
    in one file can be used by the next, and a ``CREATE INDEX CONCURRENTLY`` fails in
    any file, even alone."""
    project = tmp_path / "supabase"
    _write(project, {"config.toml": 'project_id = "app"\n'})
    folder = _write(
        project / "migrations",
        {
            "20240101000000_init.sql": (
                "CREATE TYPE mood AS ENUM ('calm');\n"
                "CREATE TABLE t (id int PRIMARY KEY, a int, m mood);\n"
            ),
            "20240102000000_value.sql": "ALTER TYPE mood ADD VALUE 'angry';\n",
            "20240103000000_use.sql": "INSERT INTO t (id, m) VALUES (1, 'angry');\n",
            "20240104000000_alone.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert {m.layout.value for m in sources.migrations} == {"supabase"}
    [message] = _mg407(folder)
    assert (
        "the Supabase CLI (supabase/config.toml beside the folder) runs 20240104000000_alone "
        "in a transaction of its own" in message
    )
    result = run_paths([(folder, Layer.BASE)])
    [finding] = [f for f in result.findings if f.code == "MG407"]
    assert finding.fix is not None and "outside `supabase db push`" in finding.fix.title


def test_a_folder_named_supabase_migrations_without_the_cli_config_is_a_plain_folder(
    tmp_path: Path,
) -> None:
    folder = _write(tmp_path / "supabase" / "migrations", {"0001_x.sql": _CONCURRENT_WITH_OTHERS})
    assert "assumes the worst case" in _mg407(folder)[0]


def test_since_reads_the_supabase_config_as_of_the_merge_base(tmp_path: Path) -> None:
    """With --since, the base's supabase/migrations is read out of git with the
    supabase/config.toml beside it: base and change run under the Supabase CLI both."""

    from support import commit_all

    project = tmp_path / "supabase"
    _write(project, {"config.toml": 'project_id = "app"\n'})
    folder = _write(
        project / "migrations",
        {
            "20240101000000_init.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
            "20240102000000_old.sql": _CONCURRENT_WITH_OTHERS,
        },
    )
    commit_all(tmp_path, "history")
    new = "CREATE TABLE u (id int);\nALTER TABLE u ENABLE ROW LEVEL SECURITY;\n"
    (folder / "20240103000000_new.sql").write_text(new, encoding="utf-8")
    code, document = since_json(str(folder), tmp_path)
    [finding] = [f for f in document["findings"] if f["code"] == "MG407"]
    assert finding["introduced"] is False
    assert "the Supabase CLI" in finding["message"]
    assert code == 0


def test_a_supabase_folder_runs_in_name_order_and_only_versioned_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Supabase CLI lists supabase/migrations sorted by name (character order, so
    ``20240108000000_a`` runs before ``20240130_b``, where a natural sort puts 20240130
    first) and applies only ``<digits>_<name>.sql``: a ``local_x.sql`` never runs."""
    from checker.cli import main

    project = tmp_path / "supabase"
    _write(project, {"config.toml": 'project_id = "app"\n'})
    folder = _write(
        project / "migrations",
        {
            "20240108000000_a.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
            "20240130_b.sql": "CREATE INDEX t_a_idx ON t (a);\n",
            "local_20240201000000_c.sql": "CREATE INDEX u_a_idx ON u (a);\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [Path(m.path).name for m in sources.migrations] == [
        "20240108000000_a.sql",
        "20240130_b.sql",
    ]
    result = run_paths([(folder, Layer.BASE)])
    assert not [f for f in result.findings if f.code == "MG406"]
    main(["check", str(folder), "--no-cache", "--format", "json"])
    assert (
        "1 file not applied (local_20240201000000_c.sql): the Supabase CLI applies only "
        "files named <version>_<name>.sql" in capsys.readouterr().err
    )


def test_a_supabase_folder_without_a_versioned_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "supabase", {"config.toml": 'project_id = "app"\n'})
    folder = _write(tmp_path / "supabase" / "migrations", {"init.sql": "CREATE TABLE t ();\n"})
    with pytest.raises(InputError, match=r"no file is named <version>_<name>\.sql"):
        load_sources([(folder, Layer.BASE)])


@pytest.mark.parametrize("edit", ["delete", "edit"])
def test_a_change_to_an_applied_prisma_migration_is_mg412(tmp_path: Path, edit: str) -> None:
    """One folder per migration: deleting an applied one (its folder goes with it) or
    editing it is MG412, named by its folder."""
    from support import commit_all

    repository = tmp_path / "repo"
    folder = repository / "prisma" / "migrations"
    for name, sql in (
        ("20240101000000_init", "CREATE TABLE account (id text PRIMARY KEY);\n"),
        ("20240102000000_email", "ALTER TABLE account ADD COLUMN email text;\n"),
    ):
        (folder / name).mkdir(parents=True)
        (folder / name / "migration.sql").write_text(sql)
    (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
    commit_all(repository, "history")
    applied = folder / "20240102000000_email" / "migration.sql"
    if edit == "delete":
        applied.unlink()
        applied.parent.rmdir()
    else:
        applied.write_text("ALTER TABLE account ADD COLUMN email text NOT NULL;\n")
    code, report = since_json(folder, tmp_path)
    [finding] = [f for f in report["findings"] if f["code"] == "MG412"]
    assert finding["introduced"] is True and code == 1
    verb = "deletes" if edit == "delete" else "edits"
    assert finding["message"].startswith(
        f"20240102000000_email/migration.sql existed at the merge base and the change {verb} it"
    )


@pytest.mark.parametrize(
    ("deleted", "reported"),
    [
        ("0002_y.sqlite.up.sql", False),  # another database's file
        ("0001_x.down.sql", False),  # a down migration
        ("0002_y.postgres.up.sql", True),  # what PostgreSQL applied
    ],
)
def test_mg412_reports_a_deleted_file_only_when_postgresql_applied_it(
    tmp_path: Path, deleted: str, reported: bool
) -> None:
    from support import commit_all

    repository = tmp_path / "repo"
    folder = repository / "migrations"
    folder.mkdir(parents=True)
    for name, sql in (
        ("0001_x.up.sql", "CREATE TABLE x (id int PRIMARY KEY);\n"),
        ("0001_x.down.sql", "DROP TABLE x;\n"),
        ("0002_y.postgres.up.sql", "CREATE TABLE y (id int PRIMARY KEY);\n"),
        ("0002_y.sqlite.up.sql", "CREATE TABLE y (id integer PRIMARY KEY);\n"),
    ):
        (folder / name).write_text(sql)
    commit_all(repository, "history")
    (folder / deleted).unlink()
    _, report = since_json(folder, tmp_path)
    found = [f["message"] for f in report["findings"] if f["code"] == "MG412"]
    assert bool(found) is reported, found
    if reported:
        assert found[0].startswith(f"{deleted} existed at the merge base and the change deletes")
