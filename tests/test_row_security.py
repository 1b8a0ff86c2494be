"""Row level security in the simulated catalog, and the RL rules on Supabase projects.

The catalog keeps each table's row security switch and its policies through renames
and drops; the tables the platform's Data API serves are the ``[api] schemas`` of the
project's ``supabase/config.toml``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_paths
from test_platforms import supabase_project

from checker.errors import InputError
from checker.model import Layer

HISTORY = """\
create table t (id int primary key, owner uuid);
alter table t enable row level security;
create policy p on t for select to authenticated using (owner = (select auth.uid()));
create policy q on t using (true);
alter policy q on t rename to q2;
drop policy if exists p on t;
alter table t rename to t2;
alter policy q2 on t2 to anon using (owner is null);
create table u (id int);
create policy r on u as restrictive for insert with check (id > 0);
drop table u;
"""


def test_the_catalog_keeps_row_security_and_policies_through_renames_and_drops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "0001_rls.sql"
    path.write_text(HISTORY, encoding="utf-8")
    catalog = run_paths([(path, Layer.BASE)]).simulation.catalog
    table = catalog.tables[("public", "t2")]
    assert table.row_security and not table.force_row_security
    assert list(catalog.policies) == [(("public", "t2"), "q2")]
    policy = catalog.policies[(("public", "t2"), "q2")]
    assert (policy.command, policy.roles, policy.using) == ("all", ("anon",), "owner IS NULL")
    assert policy.expressions_at.start == HISTORY.index("alter policy q2")


def _codes(result: object) -> list[tuple[str, str]]:
    return sorted((f.code, f.objects[0]) for f in result.findings if f.code.startswith("RL"))  # type: ignore[attr-defined]


def test_the_served_schemas_are_the_projects_api_schemas(tmp_path: Path) -> None:
    """A table in a schema the config's [api] serves needs row security; one in public,
    when public is not served, does not."""
    text = (
        "create schema api;\n"
        "create table api.orders (id bigint primary key);\n"
        "create table public.ledger (id bigint primary key);\n"
    )
    folder = supabase_project(tmp_path, {"20240101000000_x.sql": text})
    config = tmp_path / "supabase" / "config.toml"
    assert _codes(run_paths([(folder, Layer.BASE)])) == [("RL901", "ledger")]
    config.write_text('[api]\nschemas = ["api"]\n', encoding="utf-8")
    assert _codes(run_paths([(folder, Layer.BASE)])) == [("RL901", "api.orders")]
    config.write_text("[api]\nenabled = false\n", encoding="utf-8")
    assert _codes(run_paths([(folder, Layer.BASE)])) == []


def test_a_broken_supabase_config_is_one_line_naming_it(tmp_path: Path) -> None:
    folder = supabase_project(tmp_path, {"20240101000000_x.sql": "create table a (id int);\n"})
    config = tmp_path / "supabase" / "config.toml"
    config.write_text("[api\nschemas = 1\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        run_paths([(folder, Layer.BASE)])
    assert str(config) in str(raised.value) and "\n" not in str(raised.value)
    config.write_text('[api]\nschemas = "public"\n', encoding="utf-8")
    with pytest.raises(InputError, match="schemas must be a list"):
        run_paths([(folder, Layer.BASE)])


def test_the_policy_fix_wraps_each_call_and_silences_the_rule(tmp_path: Path) -> None:
    """RL904's edits turn each direct call into a sub-select, strings and nested
    parentheses included; the edited file has no RL904 left."""
    text = (
        "create table todo (id bigint primary key, owner uuid, team text);\n"
        "alter table todo enable row level security;\n"
        'create policy "mixed" on todo using (owner = auth.uid() and '
        "team = current_setting('app.team)(', true) or (select auth.role()) = 'x');\n"
    )
    folder = supabase_project(tmp_path, {"20240101000000_x.sql": text})
    found = [f for f in run_paths([(folder, Layer.BASE)]).findings if f.code == "RL904"]
    assert len(found) == 1 and found[0].fix is not None, found
    path = folder / "20240101000000_x.sql"
    edited = text
    for edit in sorted(found[0].fix.edits, key=lambda e: -e.start):
        edited = edited[: edit.start] + edit.text + edited[edit.end :]
    assert "(select auth.uid())" in edited
    assert "(select current_setting('app.team)(', true))" in edited
    assert "(select (select auth.role()))" not in edited
    path.write_text(edited, encoding="utf-8")
    assert [f for f in run_paths([(folder, Layer.BASE)]).findings if f.code == "RL904"] == []


@pytest.mark.live
def test_the_live_run_compares_row_security_policies_and_invoker_views(tmp_path: Path) -> None:
    """What the static model holds of row security is checked on the server: a history it
    reads right gives no difference; row security turned on by SQL built at run time,
    which the model cannot see, is an LV502 on that table."""
    import json

    from test_live_populated import cli

    seen = (
        "create table note (id bigint primary key, owner text not null);\n"
        "alter table note enable row level security;\n"
        "alter table note force row level security;\n"
        "create policy own on note for update to public using (owner = current_user);\n"
        "create view note_ids with (security_invoker) as select id from note;\n"
    )
    hidden = (
        "create table memo (id bigint primary key);\n"
        "do $$ declare t text; begin\n"
        "  select relname into t from pg_class where relname = 'memo';\n"
        "  execute 'alter table ' || t || ' enable row level security';\n"
        "end $$;\n"
    )
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_seen.sql").write_text(seen, encoding="utf-8")
    (folder / "0002_hidden.sql").write_text(hidden, encoding="utf-8")
    done = cli("check", "--live", str(folder), "--select", "LV502", "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    differences = [f["message"] for f in json.loads(done.stdout)["findings"]]
    assert len(differences) == 1, differences
    assert "table memo row level security" in differences[0], differences


def test_grants_and_revokes_of_data_privileges_are_kept(tmp_path: Path) -> None:
    """REVOKE takes data privileges away, GRANT (a column grant too) gives them back, ON
    ALL TABLES IN SCHEMA reaches the tables there, and ALTER DEFAULT PRIVILEGES the tables
    made after it (not those of another role: FOR ROLE)."""
    text = (
        "create table a (id int);\n"
        "revoke all on a from anon, authenticated;\n"
        "grant select (id) on a to anon;\n"
        "create table b (id int);\n"
        "revoke insert, update on all tables in schema public from authenticated;\n"
        "alter default privileges for role someone revoke all on tables from anon;\n"
        "alter default privileges in schema public revoke delete on tables from anon;\n"
        "create table c (id int);\n"
    )
    path = tmp_path / "0001_grants.sql"
    path.write_text(text, encoding="utf-8")
    tables = run_paths([(path, Layer.BASE)]).simulation.catalog.tables
    everything = {(role, p) for role in ("anon", "authenticated") for p in _DATA}
    assert set(tables[("public", "a")].revoked) == everything - {("anon", "select")}
    assert set(tables[("public", "b")].revoked) == {
        ("authenticated", "insert"),
        ("authenticated", "update"),
    }
    assert set(tables[("public", "c")].revoked) == {("anon", "delete")}


_DATA = ("select", "insert", "update", "delete")


def test_inspect_shows_row_security_policies_and_privileges(tmp_path: Path) -> None:
    import json

    from checker.cli import main

    path = tmp_path / "0001_rls.sql"
    path.write_text(HISTORY + "revoke all on t2 from anon;\n", encoding="utf-8")
    out = tmp_path / "catalog.json"
    assert main(["inspect", str(path), "--format", "json", "-o", str(out)]) == 0
    catalog = json.loads(out.read_text(encoding="utf-8"))["catalog"]
    [table] = [t for t in catalog["tables"] if t["name"] == "t2"]
    assert table["row_security"] is True
    assert ["anon", "select"] in table["revoked"]
    assert [(p["name"], p["roles"]) for p in catalog["policies"]] == [("q2", ["anon"])]
