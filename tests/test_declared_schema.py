"""A Supabase project's declared schema (``supabase/schemas``) against its migrations.

With the Supabase CLI's declarative schemas, the SQL files of ``supabase/schemas`` (or
those ``[db.migrations] schema_paths`` names) say what the database should be, and
``supabase db diff`` writes the migration that gets there. The drift rules compare the
two: a schema file edited without its migration, a migration written by hand that the
next ``supabase db diff`` would undo, and the gate judges such drift as the change's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import FIXTURES, commit_all, run_paths, since_json

from checker.cli import main
from checker.config import Settings
from checker.engine import CheckResult
from checker.findings import Location
from checker.model import Layer
from checker.sources.declared import declared_files

INIT = """\
create table public.todos (
  id uuid primary key default extensions.uuid_generate_v4(),
  owner uuid not null references auth.users (id) on delete cascade,
  title text not null,
  due_at timestamp with time zone default (now() + '7 days'::interval),
  created_at timestamp with time zone not null default now()
);
create index todos_owner_idx on public.todos using btree (owner);
alter table public.todos enable row level security;
create policy "own todos" on public.todos for all to authenticated
  using ((select auth.uid()) = owner);
"""

# the same table as a schema file writes it: unqualified extension functions, the interval
# spelt out, the index inline
DECLARED = """\
create table public.todos (
  id uuid primary key default uuid_generate_v4(),
  owner uuid not null references auth.users (id) on delete cascade,
  title text not null,
  due_at timestamptz default now() + interval '1 week',
  created_at timestamptz not null default now()
);

create index todos_owner_idx on public.todos (owner);

alter table public.todos enable row level security;

create policy "own todos" on public.todos for all to authenticated
  using ((select auth.uid()) = owner);
"""


def project(root: Path, declared: str = DECLARED, config: str = 'project_id = "app"\n') -> Path:
    """``root/supabase`` with one migration and one schema file; its migrations folder."""
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text(config, encoding="utf-8")
    (migrations / "20240101000000_init.sql").write_text(INIT, encoding="utf-8")
    schemas = root / "supabase" / "schemas"
    schemas.mkdir()
    (schemas / "todos.sql").write_text(declared, encoding="utf-8")
    return migrations


def line_col(result: CheckResult, location: Location) -> tuple[str, int, int]:
    """A location's file name, line and column, as the reports show it."""
    line, column = result.sources.files[location.file].line_col(location.start)
    return Path(location.file).name, line, column


def drift(migrations: Path) -> list[tuple[str, str, str]]:
    result = run_paths([(migrations, Layer.BASE)], Settings())
    return [
        (f.code, f.severity.value, f.message)
        for f in result.findings
        if f.code.startswith("DR") or f.code == "PS005"
    ]


def test_the_schema_files_and_the_migrations_agree_in_other_spellings(tmp_path: Path) -> None:
    """pg_dump's ``extensions.uuid_generate_v4()`` and ``'7 days'::interval`` against a
    schema file's ``uuid_generate_v4()`` and ``interval '1 week'``: no drift."""
    assert drift(project(tmp_path)) == []


def test_a_column_only_in_a_schema_file_has_no_migration(tmp_path: Path) -> None:
    declared = DECLARED.replace(
        "  title text not null,\n", "  title text not null,\n  done boolean,\n"
    )
    found = drift(project(tmp_path, declared))
    assert found == [
        (
            "DR602",
            "error",
            "column todos.done is in the declared schema but not in the migrations: no "
            "migration makes it; the next `supabase db diff` writes one",
        )
    ]


def test_a_migration_written_by_hand_is_undone_by_the_next_diff(tmp_path: Path) -> None:
    migrations = project(tmp_path)
    (migrations / "20240102000000_by_hand.sql").write_text(
        "alter table public.todos add column legacy text not null;\n"
        "alter table public.todos alter column title drop not null;\n",
        encoding="utf-8",
    )
    found = drift(migrations)
    assert ("DR602", "warning") in {(code, severity) for code, severity, _ in found}
    messages = "\n".join(message for _, _, message in found)
    assert (
        "column todos.legacy is in the migrations but not in the declared schema: the next "
        "`supabase db diff` writes a migration that drops it"
    ) in messages
    assert (
        "column todos.title is nullable in the migrations but NOT NULL in the declared schema: "
        "the next `supabase db diff` writes a migration that makes it as declared"
    ) in messages
    assert "ORM" not in messages


def test_a_finding_points_at_both_files(tmp_path: Path) -> None:
    declared = DECLARED.replace("  title text not null,\n", "  title text,\n")
    migrations = project(tmp_path, declared)
    result = run_paths([(migrations, Layer.BASE)], Settings())
    (finding,) = [f for f in result.findings if f.code == "DR604"]
    files = [Path(location.file).name for location in finding.locations]
    assert files == ["20240101000000_init.sql", "todos.sql"]
    assert line_col(result, finding.locations[1]) == ("todos.sql", 4, 3)
    assert finding.locations[1].label == "declared schema"


def test_schema_paths_name_the_files_and_their_order(tmp_path: Path) -> None:
    supabase = tmp_path / "supabase"
    (supabase / "schemas" / "b").mkdir(parents=True)
    for name in ("schemas/a.sql", "schemas/b/x.sql", "schemas/b.sql", "schemas/c.sql", "base.sql"):
        (supabase / name).write_text("select 1;\n", encoding="utf-8")
    (supabase / "config.toml").write_text(
        '[db.migrations]\nschema_paths = ["./schemas/c.sql", "./schemas/**/*.sql", '
        '"base.sql", "./schemas/missing.sql"]\n',
        encoding="utf-8",
    )
    found = declared_files(supabase)
    assert found is not None
    names = [path.relative_to(supabase).as_posix() for path in found.files]
    assert names == [
        "schemas/c.sql",
        "schemas/a.sql",
        "schemas/b.sql",
        "schemas/b/x.sql",
        "base.sql",
    ]
    assert found.unmatched == ("./schemas/missing.sql",)


def test_without_schema_paths_every_schema_file_runs_in_walk_order(tmp_path: Path) -> None:
    supabase = tmp_path / "supabase"
    (supabase / "schemas" / "b").mkdir(parents=True)
    for name in ("schemas/b.sql", "schemas/b/x.sql", "schemas/a.sql", "schemas/notes.md"):
        (supabase / name).write_text("select 1;\n", encoding="utf-8")
    found = declared_files(supabase)
    assert found is not None
    names = [path.relative_to(supabase).as_posix() for path in found.files]
    assert names == ["schemas/a.sql", "schemas/b/x.sql", "schemas/b.sql"]
    assert declared_files(tmp_path / "elsewhere") is None


def test_a_schema_paths_typo_is_reported_where_it_is_written(tmp_path: Path) -> None:
    config = '[db.migrations]\nschema_paths = ["./schemas/todos.sql", "./schema/*.sql"]\n'
    migrations = project(tmp_path, config=config)
    result = run_paths([(migrations, Layer.BASE)], Settings())
    (finding,) = [f for f in result.findings if f.code == "PS005"]
    assert finding.message.startswith('schema_paths entry "./schema/*.sql" matches no file')
    assert line_col(result, finding.locations[0]) == ("config.toml", 2, 41)


def test_a_schema_file_that_does_not_parse_disables_only_its_comparison(tmp_path: Path) -> None:
    migrations = project(tmp_path, DECLARED + "\ncreate tabel oops (id int);\n")
    result = run_paths([(migrations, Layer.BASE)], Settings())
    (finding,) = [f for f in result.findings if f.code == "PS005"]
    assert "the declared schema" in finding.message and "does not parse" in finding.message
    assert line_col(result, finding.locations[0])[:2] == ("todos.sql", 16)
    assert not [f for f in result.findings if f.code.startswith("DR")]
    assert {f.code for f in result.findings} - {"PS005"}  # the other rules still ran


def test_a_bad_schema_paths_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrations = project(tmp_path, config='[db.migrations]\nschema_paths = "schemas/*.sql"\n')
    assert main(["check", str(migrations), "--no-cache"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.endswith("config.toml: [db.migrations] schema_paths must be a list of paths")
    assert "\n" not in error


def test_since_judges_a_schema_file_edited_without_its_migration(tmp_path: Path) -> None:
    """A pull request that edits a schema file and writes no migration brings the drift:
    the gate fails on it, though no migration changed; writing the migration resolves it."""
    repo = tmp_path / "repo"
    migrations = project(repo)
    commit_all(repo, "history")
    schema = repo / "supabase" / "schemas" / "todos.sql"
    schema.write_text(
        DECLARED.replace("  title text not null,\n", "  title text not null,\n  done boolean,\n"),
        encoding="utf-8",
    )
    code, document = since_json(migrations, tmp_path)
    introduced = [(f["code"], f["severity"]) for f in document["findings"] if f["introduced"]]
    assert (code, introduced) == (1, [("DR602", "error")])
    assert str(schema) in document["change"]["files"]

    (migrations / "20240102000000_done.sql").write_text(
        "alter table public.todos add column done boolean;\n", encoding="utf-8"
    )
    code, document = since_json(migrations, tmp_path)
    assert not [f for f in document["findings"] if f["code"].startswith("DR")]


def test_the_cache_sees_a_schema_file_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-run after editing only a schema file is not served the last run's findings."""
    monkeypatch.setenv("SCHEMA_CHECK_CACHE_DIR", str(tmp_path / "cache"))
    migrations = project(tmp_path / "app")
    report = tmp_path / "report.json"

    def drift_codes() -> list[str]:
        assert main(["check", str(migrations), "--format", "json", "-o", str(report)]) in (0, 1)
        document = json.loads(report.read_text(encoding="utf-8"))
        return [f["code"] for f in document["findings"] if f["code"].startswith("DR")]

    assert drift_codes() == []
    schema = tmp_path / "app" / "supabase" / "schemas" / "todos.sql"
    schema.write_text(DECLARED.replace("title text not null", "title text"), encoding="utf-8")
    assert drift_codes() == ["DR604"]
    (schema.parent / "later.sql").write_text(
        "create table public.later (id int);\n", encoding="utf-8"
    )
    assert sorted(drift_codes()) == ["DR601", "DR604"]


def test_row_security_is_compared_with_a_declared_schema_only(tmp_path: Path) -> None:
    """A drizzle-kit snapshot is not read for row security: a migration that turns it on
    and adds a policy is no drift from it (DR610 compares declared schemas alone)."""
    import shutil

    folder = tmp_path / "drizzle"
    shutil.copytree(FIXTURES / "rules" / "DR602" / "ok_same_schema_spelled_differently", folder)
    with (folder / "0000_init.sql").open("a", encoding="utf-8") as sql:
        sql.write(
            "ALTER TABLE account ENABLE ROW LEVEL SECURITY;\n"
            "CREATE POLICY own ON account USING (org_id = current_setting('app.org'));\n"
        )
    result = run_paths([(folder, Layer.BASE)], Settings())
    assert [f.code for f in result.findings if f.code.startswith("DR")] == []


def test_a_policy_rewritten_by_hand_is_drift(tmp_path: Path) -> None:
    migrations = project(tmp_path)
    (migrations / "20240102000000_wider.sql").write_text(
        'alter policy "own todos" on public.todos using (true);\n', encoding="utf-8"
    )
    found = drift(migrations)
    assert found == [
        (
            "DR610",
            "warning",
            "policy own todos on todos USING differs: true in the migrations, "
            "(SELECT auth.uid()) = owner in the declared schema: the next `supabase db diff` "
            "writes a migration that makes it as declared",
        )
    ]
