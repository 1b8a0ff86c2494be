"""What a hosting platform makes in a database before the project's first migration runs.

A Supabase project's migrations reference ``auth.users``, call ``auth.uid()`` in their
row-level security policies, insert into ``storage.buckets``, grant to ``authenticated``
and create extensions ``WITH SCHEMA extensions``: none of these is made by a migration,
the platform makes them when it creates the database. Read without them, every such
history fails its first reference (MG406 statically, and nothing past it applies on a
live server).

When a folder is laid out as the Supabase CLI's (``supabase/migrations`` beside
``supabase/config.toml``), or the config says ``platform = "supabase"``, the platform's
objects are read first, as statements of a file of their own (``PRELUDE_LABEL``): the
simulation knows ``auth.users``' columns and keys (a foreign key to it is checked like
any other), the live server is given the same objects before the history, and its
roles. No finding is reported inside that file. The model holds the objects projects
use (the tables' columns as the platform's own migrations leave them); the schemas it
models only in part are ``provided`` as the config's ``provided`` would name them, so a
reference to an object of them that the model lacks is never reported as missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from checker.model import JournalStatus, Layer, Layout, MigrationFile

if TYPE_CHECKING:
    from checker.config import Settings
    from checker.findings import Finding
    from checker.sources.base import SourceSet


class PlatformChoice(StrEnum):
    """The config's ``platform``: read from the folders' layout, named, or none."""

    AUTO = "auto"
    SUPABASE = "supabase"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Platform:
    name: str  # as the config names it
    layout: Layout  # the migration folders' layout that says a project is on it
    title: str  # as messages name it
    label: str  # the path its objects' statements are placed at
    sql: str = field(repr=False)  # the objects, as statements run before the first one
    schemas: tuple[str, ...]  # every schema the platform makes (provided)
    roles: tuple[str, ...]  # the roles it makes, which migrations grant to
    # the search path its database's roles have (unqualified names find the extensions)
    search_path: tuple[str, ...] = ()
    # the schemas its API serves to clients when the project's config does not say
    exposed: tuple[str, ...] = ()


# Written from the platform's documented schema: the columns of auth.users and
# auth.identities as the platform's auth migrations leave them, storage.buckets and
# storage.objects as its storage migrations do, realtime.messages (which Broadcast
# authorization policies guard), the extensions every project has (vault's secrets, the
# Realtime publication), and the helper functions policies call (their bodies here read
# the request's JWT claims from the settings the platform's API sets, as the platform's
# do).
_SUPABASE_TEMPLATE = """\
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS graphql;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS vault;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
DO $$
BEGIN
    -- the vault where the server offers it (a server without it fails its calls only)
    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'supabase_vault') THEN
        CREATE EXTENSION IF NOT EXISTS supabase_vault WITH SCHEMA vault;
    END IF;
END
$$;
CREATE PUBLICATION supabase_realtime;
CREATE TABLE auth.users (
    instance_id uuid,
    id uuid NOT NULL,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text DEFAULT NULL,
    phone_confirmed_at timestamptz,
    phone_change text DEFAULT '',
    phone_change_token varchar(255) DEFAULT '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz
        GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    email_change_token_current varchar(255) DEFAULT '',
    email_change_confirm_status smallint DEFAULT 0
        CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
    banned_until timestamptz,
    reauthentication_token varchar(255) DEFAULT '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    is_anonymous boolean NOT NULL DEFAULT false,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_phone_key UNIQUE (phone)
);
CREATE TABLE auth.identities (
    provider_id text NOT NULL,
    user_id uuid NOT NULL,
    identity_data jsonb NOT NULL,
    provider text NOT NULL,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    CONSTRAINT identities_pkey PRIMARY KEY (id),
    CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider),
    CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES auth.users (id) ON DELETE CASCADE
);
CREATE INDEX identities_user_id_idx ON auth.identities (user_id);
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;
{claim_readers}CREATE TABLE storage.buckets (
    id text NOT NULL,
    name text NOT NULL,
    owner uuid,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    public boolean DEFAULT false,
    avif_autodetection boolean DEFAULT false,
    file_size_limit bigint,
    allowed_mime_types text[],
    owner_id text,
    CONSTRAINT buckets_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX bname ON storage.buckets (name);
CREATE TABLE storage.objects (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    bucket_id text,
    name text,
    owner uuid,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    last_accessed_at timestamptz DEFAULT now(),
    metadata jsonb,
    path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
    version text,
    owner_id text,
    user_metadata jsonb,
    CONSTRAINT objects_pkey PRIMARY KEY (id),
    CONSTRAINT "objects_bucketId_fkey" FOREIGN KEY (bucket_id) REFERENCES storage.buckets (id)
);
CREATE UNIQUE INDEX bucketid_objname ON storage.objects (bucket_id, name);
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE TABLE realtime.messages (
    topic text NOT NULL,
    extension text NOT NULL,
    payload jsonb,
    event text,
    private boolean DEFAULT false,
    updated_at timestamp NOT NULL DEFAULT now(),
    inserted_at timestamp NOT NULL DEFAULT now(),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    CONSTRAINT messages_pkey PRIMARY KEY (id, inserted_at)
);
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('realtime.topic', true), '')::text
$$;
CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO realtime.messages (payload, event, topic, private, extension)
    VALUES (payload, event, topic, private, 'broadcast')
$$;
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT (string_to_array(name, '/'))[1:cardinality(string_to_array(name, '/')) - 1]
$$;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))]
$$;
CREATE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN strpos(storage.filename(name), '.') = 0 THEN ''
        ELSE reverse(split_part(reverse(storage.filename(name)), '.', 1)) END
$$;
"""


def _claim_reader(name: str, claim: str, returns: str) -> str:
    """``auth.<name>()``: one claim of the request's JWT, from the settings the platform's
    API sets (the claim's own setting, else the claims object's key)."""
    return (
        f"CREATE FUNCTION auth.{name}() RETURNS {returns} LANGUAGE sql STABLE AS $$\n"
        "    SELECT nullif(coalesce(\n"
        f"        current_setting('request.jwt.claim.{claim}', true),\n"
        f"        current_setting('request.jwt.claims', true)::jsonb ->> '{claim}'\n"
        f"    ), '')::{returns}\n"
        "$$;\n"
    )


_SUPABASE_SQL = _SUPABASE_TEMPLATE.replace(
    "{claim_readers}",
    "".join(
        _claim_reader(*reader)
        for reader in (("uid", "sub", "uuid"), ("role", "role", "text"), ("email", "email", "text"))
    ),
)

SUPABASE = Platform(
    name="supabase",
    layout=Layout.SUPABASE,
    title="Supabase",
    label="<supabase platform>",
    sql=_SUPABASE_SQL,
    schemas=(
        "auth",
        "storage",
        "extensions",
        "graphql",
        "graphql_public",
        "realtime",
        "vault",
        "pgsodium",
        "supabase_functions",
    ),
    roles=(
        "anon",
        "authenticated",
        "service_role",
        "authenticator",
        "dashboard_user",
        "supabase_admin",
        "supabase_auth_admin",
        "supabase_storage_admin",
    ),
    search_path=("$user", "public", "extensions"),
    exposed=("public", "graphql_public"),
)
_BY_NAME = {SUPABASE.name: SUPABASE}
_BY_LAYOUT = {platform.layout: platform for platform in _BY_NAME.values()}


def platform_of(sources: SourceSet, choice: PlatformChoice) -> Platform | None:
    """The platform the inputs' database lives on: the config's, else the one a
    migration folder's layout names."""
    if choice is PlatformChoice.NONE:
        return None
    if choice is not PlatformChoice.AUTO:
        return _BY_NAME[choice.value]
    for migration in sources.migrations:
        found = _BY_LAYOUT.get(migration.layout)
        if found is not None:
            return found
    return None


def add_platform(sources: SourceSet, choice: PlatformChoice) -> None:
    """Put the platform's objects (when there is one) before every other statement."""
    platform = platform_of(sources, choice)
    if platform is None or platform.label in sources.files:
        return
    from checker.sources.splitting import statements_of

    text = platform.sql
    migration = MigrationFile(
        platform.label,
        f"{platform.name} platform",
        Layer.BASE,
        JournalStatus.PLAIN,
        None,
        layout=platform.layout,
        own_transaction=True,
    )
    sources.add_text(platform.label, text)
    sources.migrations.insert(0, migration)
    made = statements_of(text, migration)
    shift = len(made)
    sources.statements[:] = made + [
        replace(s, origin=replace(s.origin, statement=s.origin.statement + shift))
        for s in sources.statements
    ]
    sources.platform = platform.name
    sources.exposed_schemas = _exposed_schemas(sources, platform)


def _exposed_schemas(sources: SourceSet, platform: Platform) -> tuple[str, ...]:
    """The schemas the platform's API serves: a Supabase project's ``[api] schemas`` in the
    ``supabase/config.toml`` beside its migrations (none when ``[api] enabled = false``),
    else the platform's default."""
    import tomllib

    from checker.errors import InputError
    from checker.files import read_text

    if platform is not SUPABASE:
        return platform.exposed
    for folder in dict.fromkeys(m.folder for m in sources.migrations if m.folder):
        config = Path(folder).parent / "config.toml"
        if not config.is_file():
            continue
        try:
            api = tomllib.loads(read_text(config)).get("api", {})
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{config}: not valid TOML: {exc}") from None
        if not isinstance(api, dict):
            raise InputError(f"{config}: [api] must be a table")
        if api.get("enabled") is False:
            return ()
        schemas = api.get("schemas", list(platform.exposed))
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise InputError(f"{config}: [api] schemas must be a list of schema names")
        return tuple(schemas)
    return platform.exposed


def platform_named(name: str | None) -> Platform | None:
    return _BY_NAME.get(name) if name else None


def with_platform(settings: Settings, sources: SourceSet) -> Settings:
    """``settings`` whose ``provided`` also names the platform's schemas."""
    platform = platform_named(sources.platform)
    if platform is None:
        return settings
    return replace(settings, provided=(*settings.provided, *platform.schemas))


def is_platform_file(path: str) -> bool:
    return path in _LABELS


_LABELS = frozenset(p.label for p in _BY_NAME.values())


def outside_platform(findings: Sequence[Finding]) -> list[Finding]:
    """The findings, without those placed in the platform's objects (nothing of the
    project's own) and without related places there. A live failure to build them
    (LV501) is kept: the run's other live findings cannot be trusted without them."""
    kept: list[Finding] = []
    for finding in findings:
        where = finding.locations
        if not where or not any(is_platform_file(place.file) for place in where):
            kept.append(finding)
            continue
        if is_platform_file(where[0].file):
            if finding.code == "LV501":
                kept.append(finding)
            continue
        kept.append(
            replace(finding, locations=tuple(p for p in where if not is_platform_file(p.file)))
        )
    return kept


def server_setup(platform: Platform) -> list[str]:
    """What a server of the platform has beyond its objects' statements, as SQL for a
    server schema-check owns (embedded, docker): the platform's roles, without login,
    and its search path as the connecting role's."""
    from psycopg import sql

    statements = [
        sql.SQL(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) "
            "THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
        .format(name=sql.Literal(role), role=sql.Identifier(role))
        .as_string(None)
        for role in platform.roles
    ]
    if platform.search_path:
        path = sql.SQL(", ").join(sql.Identifier(part) for part in platform.search_path)
        statements.append(
            sql.SQL("ALTER ROLE CURRENT_USER SET search_path = {}").format(path).as_string(None)
        )
    return statements


def platform_making(sources: SourceSet, name: str) -> Platform | None:
    """The platform whose schemas hold ``name`` (``auth.users``), when the run reads no
    platform: a hint for a folder checked away from its project's config."""
    if sources.platform is not None:
        return None
    schema = name.split(".", 1)[0] if "." in name else ""
    for platform in _BY_NAME.values():
        if schema in platform.schemas:
            return platform
    return None
