"""A hosting platform's objects exist before the first migration (checker/platforms.py).

A Supabase project's migrations use ``auth.users``, ``auth.uid()``, ``storage.objects``
and the platform's roles, none of which a migration makes. Read as the Supabase CLI's
folder (``supabase/config.toml`` beside ``supabase/migrations``) or with the config's
``platform = "supabase"``, the check knows them: no missing-object error, the foreign
keys to them checked like any other, no finding placed in them, and the live run
applies the whole history.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import commit_all, git, run_paths

from checker.config import Settings
from checker.model import Layer
from checker.platforms import SUPABASE, PlatformChoice

PROFILES = """\
create table public.profiles (
  id uuid not null references auth.users on delete cascade,
  username text,
  primary key (id)
);
alter table public.profiles enable row level security;
create policy "own profile" on public.profiles for select using ((select auth.uid()) = id);
grant select on public.profiles to authenticated;
insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);
create policy "avatars by folder" on storage.objects for insert to authenticated
  with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = auth.uid()::text);
create function public.handle_new_user() returns trigger language plpgsql
  security definer set search_path = '' as $$
begin
  insert into public.profiles (id, username)
  values (new.id, new.raw_user_meta_data ->> 'username');
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute procedure public.handle_new_user();
"""

NOTES = """\
create table public.notes (
  id uuid primary key default uuid_generate_v4(),
  owner uuid references auth.users (id),
  salt text default encode(extensions.gen_random_bytes(8), 'hex')
);
create index notes_owner_idx on public.notes (owner);
grant all on public.notes to service_role;
"""


JOBS = """\
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;
select cron.schedule('purge-notes', '0 3 * * *', $$delete from public.notes where owner is null$$);
create function public.notify_hook() returns trigger language plpgsql security definer
  set search_path = '' as $$
begin
  perform net.http_post(url := 'https://example.invalid/hook', body := to_jsonb(new));
  return new;
end $$;
create trigger notes_hook after insert on public.notes
  for each row execute function public.notify_hook();
select vault.create_secret('https://example.invalid', 'project_url');
create extension if not exists pgmq;
select pgmq.create('emails');
create extension if not exists pg_jsonschema with schema extensions;
alter table public.notes add column meta jsonb
  check (extensions.jsonb_matches_schema('{"type": "object"}', meta));
alter publication supabase_realtime add table public.notes;
create policy "members hear their topic" on realtime.messages for select to authenticated
  using ((select realtime.topic()) = 'notes:' || (select auth.uid())::text);
"""


def supabase_project(root: Path, files: dict[str, str], *, cli_config: bool = True) -> Path:
    """``root/supabase/migrations`` with ``files``, the CLI's config.toml beside it."""
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    if cli_config:
        (root / "supabase" / "config.toml").write_text('project_id = "app"\n', encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def codes_of(result: Any) -> list[str]:
    return sorted(f.code for f in result.findings)


def test_a_supabase_project_knows_the_platform_objects(tmp_path: Path) -> None:
    """auth.users, storage.objects, auth.uid() and storage.foldername() are the
    platform's: no MG406, no FN701, and nothing is placed in the platform's objects."""
    folder = supabase_project(tmp_path, {"20240101000000_profiles.sql": PROFILES})
    result = run_paths([(folder, Layer.BASE)])
    assert result.sources.platform == "supabase"
    assert not {"MG406", "FN701"} & set(codes_of(result))
    assert all(
        place.file.startswith(str(folder)) for f in result.findings for place in f.locations
    ), [f.locations for f in result.findings]
    assert result.statement_count() == 8  # the project's own statements only
    tables = result.simulation.catalog.tables
    assert ("auth", "users") in tables and ("storage", "objects") in tables


def test_the_platform_is_read_from_the_layout_or_named_in_the_config(tmp_path: Path) -> None:
    """Without the CLI's config.toml the folder is a plain one (its MG406 errors say the
    objects are missing); ``platform = "supabase"`` names the platform there, and
    ``platform = "none"`` turns it off in a Supabase project."""
    plain = supabase_project(tmp_path / "plain", {"0001_profiles.sql": PROFILES}, cli_config=False)
    cli = supabase_project(tmp_path / "cli", {"20240101000000_profiles.sql": PROFILES})
    alone = [f for f in run_paths([(plain, Layer.BASE)]).findings if f.code == "MG406"]
    assert alone and all(f.fix is not None for f in alone)
    # the error says how to tell schema-check the folder is a Supabase project's
    assert all('platform = "supabase"' in f.fix.title for f in alone if f.fix), alone
    named = run_paths([(plain, Layer.BASE)], Settings(platform=PlatformChoice.SUPABASE))
    assert "MG406" not in codes_of(named)
    off = run_paths([(cli, Layer.BASE)], Settings(platform=PlatformChoice.NONE))
    missing = {f.objects[0] for f in off.findings if f.code == "MG406"}
    assert missing == {"table:auth.users", "table:storage.objects"}, missing


def test_a_foreign_key_to_the_platform_is_checked_like_any_other(tmp_path: Path) -> None:
    """The model has auth.users' columns: a text column referencing its uuid id is a type
    mismatch (FK202), which the config's ``provided`` alone could not tell."""
    wrong = (
        "create table public.posts (id bigint primary key,"
        " author text references auth.users (id));\n"
    )
    folder = supabase_project(tmp_path, {"20240101000000_posts.sql": wrong})
    found = [f for f in run_paths([(folder, Layer.BASE)]).findings if f.code == "FK202"]
    assert len(found) == 1 and "auth.users" in found[0].message, found
    provided = supabase_project(tmp_path / "p", {"0001_posts.sql": wrong}, cli_config=False)
    only_named = run_paths([(provided, Layer.BASE)], Settings(provided=("auth",)))
    assert "FK202" not in codes_of(only_named)


def test_an_object_the_model_lacks_in_a_platform_schema_is_not_missing(tmp_path: Path) -> None:
    """auth.sessions is not modelled: the platform's schemas are provided, so a reference
    to it is no MG406 (the platform has it); a missing table of the project still is."""
    text = (
        "create view public.my_sessions as select id from auth.sessions;\n"
        "create view public.broken as select id from public.nowhere;\n"
    )
    folder = supabase_project(tmp_path, {"20240101000000_views.sql": text})
    missing = {
        f.objects[0] for f in run_paths([(folder, Layer.BASE)]).findings if f.code == "MG406"
    }
    assert missing == {"table:nowhere"}, missing


def test_a_typo_in_the_platform_is_a_config_error(tmp_path: Path) -> None:
    """A misspelt platform never switches the platform's objects off silently."""
    from checker.config import load_settings
    from checker.errors import InputError

    config = tmp_path / "schema-check.toml"
    config.write_text('platform = "supabse"\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_settings(config)
    message = str(raised.value)
    assert "platform" in message and "auto | supabase | none" in message, message
    assert "\n" not in message


def test_a_baseline_records_only_the_project_files(tmp_path: Path) -> None:
    """The platform's objects are no file of the project: a recorded baseline lists the
    migrations only, and checking against it finds no change."""
    from checker.baseline import migration_digests

    folder = supabase_project(tmp_path, {"20240101000000_profiles.sql": PROFILES})
    result = run_paths([(folder, Layer.BASE)])
    assert list(migration_digests(result.sources.migrations, result.sources.files)) == [
        "20240101000000_profiles.sql"
    ]


def test_since_in_a_supabase_repository_judges_the_change_only(tmp_path: Path) -> None:
    """A pull request adding a table with a foreign key to auth.users: the findings are
    the change's file's, none is placed in the platform's objects, and none is MG406."""
    from support import since_json

    repo = tmp_path / "repo"
    folder = supabase_project(repo, {"20240101000000_profiles.sql": PROFILES})
    git(repo, "init", "-q")
    commit_all(repo, "history")
    (folder / "20240102000000_notes.sql").write_text(NOTES, encoding="utf-8")
    code, document = since_json(folder, tmp_path)
    introduced = [f for f in document["findings"] if f["introduced"]]
    # the new public table has no row level security: the one error the change brings
    errors = [f["code"] for f in introduced if f["severity"] == "error"]
    assert (code, errors) == (1, ["RL901"]), introduced
    places = {
        place["file"]
        for f in document["findings"]
        for place in [f["location"], *f.get("related", [])]
        if place
    }
    assert all(Path(p).parent == folder for p in places), places
    assert {Path(f["location"]["file"]).name for f in introduced} <= {"20240102000000_notes.sql"}
    assert "MG406" not in {f["code"] for f in document["findings"]}


@pytest.mark.live
def test_a_supabase_history_applies_on_the_embedded_server(tmp_path: Path) -> None:
    """Live: the platform's objects, roles and search path are there before the history,
    so grants to authenticated, policies calling auth.uid(), a trigger on auth.users and
    an unqualified uuid_generate_v4() all apply, and so do the vault's secrets, the
    Realtime publication and messages, and pg_cron's, pg_net's, pgmq's and pg_jsonschema's
    calls (on the embedded server's stand-ins); the live catalog matches the static model,
    the platform's objects and a queue's tables included (no LV502)."""
    from test_live_populated import cli

    folder = supabase_project(
        tmp_path,
        {
            "20240101000000_profiles.sql": PROFILES,
            "20240102000000_notes.sql": NOTES,
            "20240103000000_jobs.sql": JOBS,
        },
    )
    done = cli("check", "--live", str(folder), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    document = json.loads(done.stdout)
    live = [f for f in document["findings"] if f["code"] in ("LV501", "LV502", "LV503")]
    assert live == [], live
    report = document["live"]
    assert report["failed"] == 0 and report["applied"] > 10, report
    made = [
        s
        for s in run_paths([(folder, Layer.BASE)]).sources.statements
        if s.origin.file == SUPABASE.label
    ]
    assert report["platform"] == {"name": "Supabase", "statements": len(made)}, report
    text = cli("check", "--live", str(folder))
    assert "of them the Supabase platform's objects), 0 failed" in text.stdout + text.stderr
    roles = {"authenticated", "service_role"}
    assert roles <= set(SUPABASE.roles)
