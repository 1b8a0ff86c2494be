"""The simulator: what the catalog looks like after statements, and the events it reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CORPUS_ABSENT, SIM_MIGRATIONS

from checker.catalog import FkAction, FkMatch, Identity, TypeRef
from checker.model import Layer
from checker.parsing import parse_statements
from checker.simulation import EventKind, SimulationResult
from checker.simulator import make_object_name, not_null_constraint_name, simulate
from checker.sources import SourceSet, load_sources


def run(tmp_path: Path, sql: str, *, name: str = "0001_test.sql") -> SimulationResult:
    return run_with_sources(tmp_path, sql, name=name)[1]


def run_with_sources(
    tmp_path: Path, sql: str, *, name: str = "0001_test.sql"
) -> tuple[SourceSet, SimulationResult]:
    path = tmp_path / name
    path.write_text(sql, encoding="utf-8")
    sources = load_sources([(path, Layer.BASE)])
    parsed = parse_statements(sources.applied_statements)
    assert all(p.error is None for p in parsed)
    return sources, simulate(parsed)


def events(result: SimulationResult, kind: EventKind) -> list[tuple[str, str]]:
    return [(e.object_kind, e.name) for e in result.events if e.kind is kind]


# ---- CREATE TABLE -------------------------------------------------------------


def test_create_table_with_every_constraint_form(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TYPE status AS ENUM ('active', 'archived');
        CREATE TABLE "user" (id text PRIMARY KEY, email varchar(255) UNIQUE NOT NULL);
        CREATE TABLE item (
            id serial PRIMARY KEY,
            owner_id text NOT NULL REFERENCES "user" ON DELETE CASCADE,
            parent_id integer,
            price numeric(10, 2) CHECK (price > 0),
            status status DEFAULT 'active' NOT NULL,
            tags text[],
            embedding vector(1536),
            created timestamptz DEFAULT now(),
            seq bigint GENERATED ALWAYS AS IDENTITY,
            CONSTRAINT item_parent_fk FOREIGN KEY (parent_id) REFERENCES item (id) MATCH FULL
                ON DELETE SET NULL ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
            UNIQUE (owner_id, parent_id),
            CHECK (price < 1000 OR status = 'archived')
        );
        """,
    )
    catalog = result.catalog
    item = catalog.table("item")
    assert item is not None
    by_name = {c.name: c for c in item.columns}
    assert by_name["id"].type == TypeRef("integer") and by_name["id"].not_null
    assert by_name["id"].default == "nextval('item_id_seq'::regclass)"
    assert ("public", "item_id_seq") in catalog.sequences
    assert by_name["price"].type == TypeRef("numeric", None, ("10", "2"))
    assert by_name["status"].type == TypeRef("status", "public")
    assert by_name["tags"].type.render() == "text[]"
    assert by_name["embedding"].type.render() == "vector(1536)"
    assert by_name["created"].type.name == "timestamp with time zone"
    assert by_name["seq"].identity is Identity.ALWAYS and by_name["seq"].not_null
    assert ("public", "item_seq_seq") in catalog.sequences
    names = {c.name: c for c in item.constraints}
    assert set(names) == {
        "item_pkey",
        "item_owner_id_parent_id_key",
        "item_price_check",
        "item_check",
        "item_owner_id_fkey",
        "item_parent_fk",
    }
    parent_fk = names["item_parent_fk"].foreign_key
    assert parent_fk is not None
    assert parent_fk.on_delete is FkAction.SET_NULL and parent_fk.on_update is FkAction.RESTRICT
    assert parent_fk.match is FkMatch.FULL
    assert names["item_parent_fk"].deferrable and names["item_parent_fk"].initially_deferred
    owner_fk = names["item_owner_id_fkey"].foreign_key
    assert owner_fk is not None and owner_fk.ref_columns == ("id",)
    assert owner_fk.on_delete is FkAction.CASCADE
    assert ("public", "item_pkey") in catalog.indexes
    assert catalog.indexes[("public", "user_email_key")].unique
    assert catalog.indexes[("public", "user_email_key")].constraint == "user_email_key"
    # the vector type comes from an extension that was never created
    assert ("extension", "vector") in events(result, EventKind.MISSING)


def test_implicit_names_are_truncated_and_suffixed_like_postgresql(tmp_path: Path) -> None:
    long_table = "a" * 40
    long_column = "b" * 40
    result = run(
        tmp_path,
        f"""
        CREATE TABLE {long_table} ({long_column} int UNIQUE, c int, d int);
        CREATE TABLE t (a int, b int, UNIQUE (a), UNIQUE (a, b));
        CREATE INDEX ON t (a);
        CREATE INDEX ON t (a);
        CREATE INDEX ON t (lower(b::text));
        """,
    )
    indexes = set(result.catalog.indexes)
    expected = make_object_name(long_table, long_column, "key")
    assert len(expected.encode()) == 63 and expected.endswith("_key")
    assert ("public", expected) in indexes
    assert {("public", "t_a_key"), ("public", "t_a_b_key")} <= indexes
    assert {("public", "t_a_idx"), ("public", "t_a_idx1"), ("public", "t_lower_idx")} <= indexes


def test_postgres_18_not_null_constraint_names() -> None:
    assert not_null_constraint_name("user", "email") == "user_email_not_null"
    taken = {"t_c_not_null"}
    assert not_null_constraint_name("t", "c", taken.__contains__) == "t_c_not_null1"


def test_quoted_and_schema_qualified_names_resolve_to_the_same_table(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        'CREATE TABLE "public"."user" (id text PRIMARY KEY);\n'
        'ALTER TABLE "user" ADD COLUMN name text;\n'
        "ALTER TABLE public.user ADD COLUMN age int;\n",
    )
    user = result.catalog.table("user")
    assert user is not None and [c.name for c in user.columns] == ["id", "name", "age"]


def test_partitioned_table_and_partition_of(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE event (id bigint, at date NOT NULL, PRIMARY KEY (id, at))
            PARTITION BY RANGE (at);
        CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE INDEX event_at_idx ON event (at);
        """,
    )
    catalog = result.catalog
    parent, child = catalog.table("event"), catalog.table("event_2024")
    assert parent is not None and child is not None
    assert parent.partitioning is not None
    assert parent.partitioning.strategy == "range" and parent.partitioning.keys == ("at",)
    assert child.partition_of == ("public", "event")
    assert [c.name for c in child.columns] == ["id", "at"]
    assert {("public", "event_2024_pkey"), ("public", "event_2024_at_idx")} <= set(catalog.indexes)


# ---- ALTER TABLE ----------------------------------------------------------------


def test_alter_table_columns(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE t (a int, b text, c text);
        ALTER TABLE t ADD COLUMN d boolean DEFAULT false NOT NULL;
        ALTER TABLE t ALTER COLUMN a SET NOT NULL;
        ALTER TABLE t ALTER COLUMN d DROP NOT NULL;
        ALTER TABLE t ALTER COLUMN b SET DATA TYPE varchar(20);
        ALTER TABLE t ALTER COLUMN c SET DEFAULT 'x';
        ALTER TABLE t DROP COLUMN c;
        ALTER TABLE t RENAME COLUMN a TO alpha;
        """,
    )
    table = result.catalog.table("t")
    assert table is not None
    columns = {c.name: c for c in table.columns}
    assert list(columns) == ["alpha", "b", "d"]
    assert columns["alpha"].not_null and not columns["d"].not_null
    assert columns["d"].default == "false"
    assert columns["b"].type == TypeRef("character varying", None, ("20",))
    actions = [e.action for e in result.events if e.kind is EventKind.ALTERED]
    assert {"add column", "set not null", "drop not null", "alter column type"} <= set(actions)


def test_add_drop_rename_and_validate_constraints(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (id int, p_id int, n int);
        ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID;
        ALTER TABLE c ADD CONSTRAINT c_n_check CHECK (n > 0);
        ALTER TABLE c ADD UNIQUE (n);
        ALTER TABLE c VALIDATE CONSTRAINT c_p_fk;
        ALTER TABLE c RENAME CONSTRAINT c_n_key TO c_n_unique;
        ALTER TABLE c DROP CONSTRAINT c_n_check;
        """,
    )
    table = result.catalog.table("c")
    assert table is not None
    assert [c.name for c in table.constraints] == ["c_p_fk", "c_n_unique"]
    assert not table.constraints[0].not_valid
    # renaming a UNIQUE constraint renames its index too
    assert ("public", "c_n_unique") in result.catalog.indexes
    assert ("public", "c_n_key") not in result.catalog.indexes


def test_constraints_see_the_columns_their_alter_table_adds_after_them(tmp_path: Path) -> None:
    """PostgreSQL runs an ALTER TABLE's ADD COLUMN subcommands before its ADD CONSTRAINT
    ones, whatever the written order (schema-diffing tools write the constraints first):
    the CHECK and the foreign key exist, and dropping them later finds them."""
    result = run(
        tmp_path,
        """
        CREATE TABLE u (id int PRIMARY KEY);
        CREATE TABLE t (id int PRIMARY KEY, a text NOT NULL);
        ALTER TABLE t ADD CONSTRAINT b_not_empty CHECK (b IS NULL OR b <> ''),
            ALTER COLUMN a DROP NOT NULL, ADD COLUMN b text,
            ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id), ADD COLUMN u_id int;
        ALTER TABLE t DROP CONSTRAINT b_not_empty;
        """,
    )
    assert events(result, EventKind.MISSING) == []
    table = result.catalog.table("t")
    assert table is not None
    assert [c.name for c in table.columns] == ["id", "a", "b", "u_id"]
    assert [c.name for c in table.constraints if c.name != "t_pkey"] == ["t_u_fk"]


def test_like_copies_what_its_including_options_name(tmp_path: Path) -> None:
    """``LIKE`` copies columns with their NOT NULL; defaults, identity, generation, CHECK
    constraints and indexes only when included, the indexes (and the PRIMARY KEY and
    UNIQUE constraints behind them) named as PostgreSQL names an unnamed index of the new
    table, an expression key by its function. Names checked against PostgreSQL 18."""
    result = run(
        tmp_path,
        """
        CREATE TABLE src (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            code text NOT NULL DEFAULT 'x' CONSTRAINT code_not_empty CHECK (code <> ''),
            owner_id bigint,
            total int GENERATED ALWAYS AS (id * 2) STORED,
            UNIQUE (code, owner_id)
        );
        CREATE INDEX src_owner ON src (owner_id) WHERE owner_id IS NOT NULL;
        CREATE INDEX src_lower ON src (lower(code));
        CREATE TABLE plain (LIKE src);
        CREATE TABLE copy (LIKE src INCLUDING INDEXES INCLUDING CONSTRAINTS INCLUDING DEFAULTS);
        CREATE TABLE every (LIKE src INCLUDING ALL);
        """,
    )
    catalog = result.catalog
    plain = catalog.table("plain")
    assert plain is not None and plain.constraints == ()
    assert [(c.name, c.not_null, c.default, c.identity, c.generated) for c in plain.columns] == [
        ("id", True, None, None, None),
        ("code", True, None, None, None),
        ("owner_id", False, None, None, None),
        ("total", False, None, None, None),
    ]
    assert not [i for i in catalog.indexes.values() if i.table == ("public", "plain")]
    copy = catalog.table("copy")
    assert copy is not None
    assert [c.default for c in copy.columns] == [None, "'x'", None, None]
    assert sorted(c.name for c in copy.constraints) == [
        "code_not_empty",
        "copy_code_owner_id_key",
        "copy_pkey",
    ]
    copied = {i.name: i for i in catalog.indexes.values() if i.table == ("public", "copy")}
    assert sorted(copied) == [
        "copy_code_owner_id_key",
        "copy_lower_idx",
        "copy_owner_id_idx",
        "copy_pkey",
    ]
    assert copied["copy_owner_id_idx"].predicate == "owner_id IS NOT NULL"
    assert copied["copy_pkey"].constraint == "copy_pkey"
    every = catalog.table("every")
    assert every is not None and every.columns[0].identity is not None
    assert ("public", "every_id_seq") in catalog.sequences


def test_an_unnamed_expression_index_is_named_for_its_expression(tmp_path: Path) -> None:
    """PostgreSQL names an expression key of an unnamed index by its function, cast type,
    CASE or COALESCE, and ``expr`` only for the rest (operators): checked against
    PostgreSQL 18."""
    result = run(
        tmp_path,
        """
        CREATE TABLE t (id int PRIMARY KEY, email text, a int, b int);
        CREATE INDEX ON t (lower(email));
        CREATE INDEX ON t ((a + b));
        CREATE INDEX ON t ((email::varchar));
        CREATE INDEX ON t (coalesce(a, b), id);
        CREATE UNIQUE INDEX ON t (lower(email), pg_catalog.lower(email));
        CREATE INDEX ON t ((CASE WHEN a > 0 THEN 1 END));
        CREATE INDEX ON t ((1::int));
        """,
    )
    assert sorted(key[1] for key in result.catalog.indexes) == [
        "t_case_idx",
        "t_coalesce_id_idx",
        "t_email_idx",
        "t_expr_idx",
        "t_int4_idx",
        "t_lower_idx",
        "t_lower_lower1_idx",
        "t_pkey",
    ]


def test_drop_column_drops_indexes_and_constraints_using_it(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE t (a int, b int, c int, CHECK (b > 0), UNIQUE (a, b));
        CREATE INDEX t_b_partial ON t (a) WHERE b IS NOT NULL;
        CREATE INDEX t_a_idx ON t (a);
        ALTER TABLE t DROP COLUMN b;
        """,
    )
    table = result.catalog.table("t")
    assert table is not None and table.constraints == ()
    assert set(result.catalog.indexes) == {("public", "t_a_idx")}


def test_drop_column_referenced_by_another_table_needs_cascade(tmp_path: Path) -> None:
    sql = """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (p_id int REFERENCES p);
        ALTER TABLE p DROP COLUMN id;
        ALTER TABLE p DROP COLUMN id CASCADE;
    """
    result = run(tmp_path, sql)
    assert [e.kind for e in result.events if e.name.startswith("p.id")][:1] == [EventKind.BLOCKED]
    child = result.catalog.table("c")
    assert child is not None and child.foreign_keys == ()


# ---- IF NOT EXISTS, DUPLICATE, MISSING ------------------------------------------


def test_if_not_exists_skips_but_keeps_the_skipped_definition(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE t (id int);
        CREATE TABLE IF NOT EXISTS t (id bigint, extra text);
        ALTER TABLE t ADD COLUMN IF NOT EXISTS id text;
        CREATE INDEX IF NOT EXISTS t_idx ON t (id);
        CREATE INDEX IF NOT EXISTS t_idx ON t (id DESC);
        """,
    )
    skipped = [e for e in result.events if e.kind is EventKind.SKIPPED_EXISTING]
    assert [(e.object_kind, e.name) for e in skipped] == [
        ("table", "t"),
        ("column", "t.id"),
        ("index", "t_idx"),
    ]
    table_event = skipped[0]
    assert [c.name for c in table_event.kept.columns] == ["id"]
    assert [c.type.name for c in table_event.skipped.columns] == ["bigint", "text"]
    assert skipped[1].skipped.type.name == "text"
    assert skipped[2].skipped.keys[0].descending
    table = result.catalog.table("t")
    assert table is not None and [c.type.name for c in table.columns] == ["integer"]


def test_duplicate_create_is_reported_and_not_applied(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE t (id int);
        CREATE TABLE t (other text);
        CREATE TYPE mood AS ENUM ('a');
        CREATE TYPE mood AS ENUM ('b');
        ALTER TABLE t ADD COLUMN id int;
        """,
    )
    assert events(result, EventKind.DUPLICATE) == [
        ("table", "t"),
        ("enum", "mood"),
        ("column", "t.id"),
    ]
    assert result.catalog.enums[("public", "mood")].labels == ("a",)
    table = result.catalog.table("t")
    assert table is not None and [c.name for c in table.columns] == ["id"]


def test_missing_references_name_the_later_creation(tmp_path: Path) -> None:
    sources, result = run_with_sources(
        tmp_path,
        "ALTER TABLE later ADD COLUMN x int;\n"
        "CREATE INDEX ON nowhere (a);\n"
        "CREATE TABLE later (id int);\n",
    )
    missing = [e for e in result.events if e.kind is EventKind.MISSING]
    assert [(e.object_kind, e.name) for e in missing] == [("table", "later"), ("table", "nowhere")]
    assert missing[0].created_later is not None
    source = sources.files[missing[0].created_later.file]
    assert source.line_col(missing[0].created_later.start) == (3, 1)
    assert missing[1].created_later is None
    assert source.line_col(missing[0].origin.start) == (1, 13)


# ---- DROP ... CASCADE, renames ---------------------------------------------------


def test_drop_table_cascade_drops_its_indexes_and_referencing_foreign_keys(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (id int, p_id int REFERENCES p);
        CREATE INDEX c_p_idx ON c (p_id);
        DROP TABLE p;
        DROP TABLE p CASCADE;
        """,
    )
    assert events(result, EventKind.BLOCKED) == [("table", "p")]
    assert result.catalog.table("p") is None
    child = result.catalog.table("c")
    assert child is not None and child.foreign_keys == ()
    assert set(result.catalog.indexes) == {("public", "c_p_idx")}


UNIQUE_INDEX_UNDER_FOREIGN_KEYS = """
    CREATE TABLE p (id int NOT NULL, parent int);
    CREATE UNIQUE INDEX p_id_uidx ON p (id);
    CREATE TABLE c (p_id int REFERENCES p (id));
    ALTER TABLE p ADD FOREIGN KEY (parent) REFERENCES p (id);
"""


def test_drop_unique_index_a_foreign_key_uses_is_blocked(tmp_path: Path) -> None:
    # PostgreSQL 18: cannot drop index p_id_uidx because other objects depend on it
    # (constraint c_p_id_fkey on table c, constraint p_parent_fkey on table p)
    result = run(tmp_path, UNIQUE_INDEX_UNDER_FOREIGN_KEYS + "DROP INDEX p_id_uidx;")
    blocked = [e for e in result.events if e.kind is EventKind.BLOCKED]
    assert [(e.object_kind, e.name) for e in blocked] == [("index", "p_id_uidx")]
    assert blocked[0].detail == "foreign keys depend on it: c.c_p_id_fkey, p.p_parent_fkey"
    assert ("public", "p_id_uidx") in result.catalog.indexes
    child, parent = result.catalog.table("c"), result.catalog.table("p")
    assert child is not None and [c.name for c in child.foreign_keys] == ["c_p_id_fkey"]
    assert parent is not None and [c.name for c in parent.foreign_keys] == ["p_parent_fkey"]


def test_drop_unique_index_cascade_drops_the_foreign_keys_using_it(tmp_path: Path) -> None:
    result = run(tmp_path, UNIQUE_INDEX_UNDER_FOREIGN_KEYS + "DROP INDEX p_id_uidx CASCADE;")
    assert events(result, EventKind.BLOCKED) == []
    assert events(result, EventKind.DROPPED) == [
        ("constraint", "c.c_p_id_fkey"),
        ("constraint", "p.p_parent_fkey"),
        ("index", "p_id_uidx"),
    ]
    assert ("public", "p_id_uidx") not in result.catalog.indexes
    child, parent = result.catalog.table("c"), result.catalog.table("p")
    assert child is not None and child.foreign_keys == ()
    assert parent is not None and parent.foreign_keys == ()


def test_drop_unique_index_is_free_when_the_foreign_key_uses_an_older_one(tmp_path: Path) -> None:
    # The server binds a foreign key to the oldest matching unique index (lowest OID):
    # here the primary key's, so the newer index goes without CASCADE and the key stays.
    result = run(
        tmp_path,
        """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE UNIQUE INDEX p_id_uidx ON p (id);
        CREATE TABLE c (p_id int REFERENCES p (id));
        DROP INDEX p_id_uidx;
        """,
    )
    assert events(result, EventKind.BLOCKED) == []
    assert ("public", "p_id_uidx") not in result.catalog.indexes
    child = result.catalog.table("c")
    assert child is not None and [c.name for c in child.foreign_keys] == ["c_p_id_fkey"]


def test_drop_index_of_a_constraint_is_refused_even_with_cascade(tmp_path: Path) -> None:
    # PostgreSQL 18, both times: cannot drop index p_pkey because constraint p_pkey on
    # table p requires it (HINT: You can drop constraint p_pkey on table p instead.)
    result = run(
        tmp_path,
        """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (p_id int REFERENCES p);
        DROP INDEX p_pkey;
        DROP INDEX p_pkey CASCADE;
        """,
    )
    assert events(result, EventKind.BLOCKED) == [("index", "p_pkey")]
    assert events(result, EventKind.REJECTED) == [("index", "p_pkey")]
    assert events(result, EventKind.DROPPED) == []
    assert ("public", "p_pkey") in result.catalog.indexes
    child = result.catalog.table("c")
    assert child is not None and [c.name for c in child.foreign_keys] == ["c_p_id_fkey"]


def test_drop_type_cascade_drops_columns_of_that_type(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TYPE mood AS ENUM ('ok');
        CREATE TABLE t (id int, m mood, ms mood[]);
        DROP TYPE mood;
        DROP TYPE mood CASCADE;
        DROP TYPE IF EXISTS mood;
        """,
    )
    assert ("type", "mood") in events(result, EventKind.BLOCKED)
    assert ("type", "mood") in events(result, EventKind.NO_OP)
    table = result.catalog.table("t")
    assert table is not None and [c.name for c in table.columns] == ["id"]
    assert result.catalog.enums == {}


def test_renames_of_tables_columns_indexes_and_types(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TYPE kind AS ENUM ('a');
        CREATE TABLE p (id int PRIMARY KEY, k kind);
        CREATE TABLE c (p_id int REFERENCES p (id));
        CREATE INDEX p_k_idx ON p (k);
        ALTER TABLE p RENAME TO parent;
        ALTER TABLE parent RENAME COLUMN id TO parent_id;
        ALTER INDEX p_k_idx RENAME TO parent_k_idx;
        ALTER INDEX p_pkey RENAME TO parent_pkey;
        ALTER TYPE kind RENAME TO category;
        """,
    )
    catalog = result.catalog
    parent = catalog.table("parent")
    assert parent is not None and catalog.table("p") is None
    assert [c.name for c in parent.columns] == ["parent_id", "k"]
    assert parent.columns[1].type == TypeRef("category", "public")
    assert parent.primary_key is not None and parent.primary_key.name == "parent_pkey"
    assert catalog.indexes[("public", "parent_k_idx")].table == ("public", "parent")
    child = catalog.table("c")
    assert child is not None
    fk = child.foreign_keys[0].foreign_key
    assert (
        fk is not None and fk.ref_table == ("public", "parent") and fk.ref_columns == ("parent_id",)
    )
    assert ("public", "category") in catalog.enums


# ---- enums, domains, composites, views, functions, triggers ----------------------


def test_enum_add_value_before_after_if_not_exists_and_rename(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TYPE level AS ENUM ('low', 'high');
        ALTER TYPE level ADD VALUE 'medium' BEFORE 'high';
        ALTER TYPE level ADD VALUE 'lowest' AFTER 'nothing';
        ALTER TYPE level ADD VALUE 'top';
        ALTER TYPE level ADD VALUE IF NOT EXISTS 'top';
        ALTER TYPE level RENAME VALUE 'low' TO 'minor';
        """,
    )
    assert result.catalog.enums[("public", "level")].labels == ("minor", "medium", "high", "top")
    assert ("enum value", "level.nothing") in events(result, EventKind.MISSING)
    assert ("enum value", "level.top") in events(result, EventKind.SKIPPED_EXISTING)


def test_domains_composites_views_functions_triggers(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE DOMAIN email AS text NOT NULL CHECK (VALUE LIKE '%@%');
        CREATE TYPE pair AS (a int, b text);
        CREATE TABLE t (id int, e email, p pair);
        CREATE VIEW v AS SELECT id FROM t;
        CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE TRIGGER t_other BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION nothing();
        COMMENT ON TABLE t IS 'things';
        COMMENT ON COLUMN t.id IS 'the id';
        """,
    )
    catalog = result.catalog
    assert catalog.domains[("public", "email")].not_null
    assert catalog.composites[("public", "pair")].attributes[0] == ("a", TypeRef("integer"))
    table = catalog.table("t")
    assert table is not None and table.comment == "things"
    assert table.columns[0].comment == "the id"
    assert table.columns[1].type == TypeRef("email", "public")
    assert catalog.views[("public", "mv")].materialized
    assert ("public", "touch", "") in catalog.functions
    assert (("public", "t"), "t_touch") in catalog.triggers
    assert ("function", "nothing") in events(result, EventKind.MISSING)


# ---- DO blocks ------------------------------------------------------------------


def test_do_block_with_exception_wrapper_applies_and_swallows_duplicates(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE p (id text PRIMARY KEY);\n"
        "CREATE TABLE c (p_id text);\n"
        "DO $$ BEGIN\n"
        ' ALTER TABLE "c" ADD CONSTRAINT "c_p_fk" FOREIGN KEY ("p_id") REFERENCES p("id");\n'
        "EXCEPTION\n"
        " WHEN duplicate_object THEN null;\n"
        "END $$;\n"
        "DO $$ BEGIN\n"
        ' ALTER TABLE "c" ADD CONSTRAINT "c_p_fk" FOREIGN KEY ("p_id") REFERENCES p("id");\n'
        "EXCEPTION WHEN duplicate_object THEN null;\n"
        "END $$;\n"
    )
    sources, result = run_with_sources(tmp_path, sql)
    child = result.catalog.table("c")
    assert child is not None and [c.name for c in child.foreign_keys] == ["c_p_fk"]
    assert events(result, EventKind.DUPLICATE) == []
    assert ("constraint", "c.c_p_fk") in events(result, EventKind.SKIPPED_EXISTING)
    inner = [p for p in result.statements if p.parent is not None]
    assert len(inner) == 2
    source = sources.files[inner[0].origin.file]
    assert source.line_col(inner[0].origin.start) == (4, 2)
    assert inner[0].statement.text.startswith('ALTER TABLE "c"')
    assert inner[0].parent is not None and inner[0].parent.statement.text.startswith("DO $$")


def test_do_block_guards_are_decided_against_the_catalog(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE t (id int, a int);
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 't_a_check') THEN
            ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);
          END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 't_a_check') THEN
            ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 1);
          END IF;
          IF EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_name = 't' AND column_name = 'a')
             AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_name = 't' AND column_name = 'b') THEN
            EXECUTE 'ALTER TABLE t RENAME COLUMN a TO b';
          END IF;
          IF to_regclass('public.gone') IS NULL THEN
            RETURN;
          END IF;
          CREATE TABLE never (id int);
        END $$;
        """,
    )
    table = result.catalog.table("t")
    assert table is not None
    assert [c.expression for c in table.checks] == ["a > 0"]
    assert [c.name for c in table.columns] == ["id", "b"]
    assert result.catalog.table("never") is None
    assert events(result, EventKind.DUPLICATE) == []


def test_undecidable_guard_applies_the_ddl_branch_and_says_so(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE t (id int);
        DO $$
        BEGIN
          IF (SELECT count(*) FROM t) = 0 THEN
            CREATE INDEX t_id_idx ON t (id);
          END IF;
        END $$;
        """,
    )
    assert ("public", "t_id_idx") in result.catalog.indexes
    assert ("condition", "IF") in events(result, EventKind.NOT_ANALYSED)


def test_dynamic_execute_is_not_analysed_at_its_location(tmp_path: Path) -> None:
    sources, result = run_with_sources(
        tmp_path,
        "CREATE TABLE t (id int);\n"
        "DO $$\n"
        "BEGIN\n"
        "  EXECUTE format('ALTER TABLE %I ADD COLUMN x int', 't');\n"
        "END $$;\n"
        "CALL refresh_everything();\n",
    )
    not_analysed = [e for e in result.events if e.kind is EventKind.NOT_ANALYSED]
    assert [e.name for e in not_analysed] == ["EXECUTE", "Call"]
    source = sources.files[not_analysed[0].origin.file]
    assert source.line_col(not_analysed[0].origin.start) == (4, 11)


def test_built_constraint_drop_lets_a_later_key_of_that_table_replace_one(tmp_path: Path) -> None:
    """A DO block that drops a constraint whose name it reads at run time (the usual way
    to drop an auto-named primary key) clears the way for the key added after it: the
    simulator assumes the built DROP took the key the new one clashes with, and says so."""
    sources, result = run_with_sources(
        tmp_path,
        "CREATE SCHEMA s;\n"
        "CREATE TABLE s.t (name text PRIMARY KEY);\n"
        "CREATE TABLE s.u (t_id uuid);\n"
        "DO $$\n"
        "DECLARE sql text;\n"
        "BEGIN\n"
        "  SELECT concat('ALTER TABLE s.t DROP CONSTRAINT ', constraint_name) INTO sql\n"
        "    FROM information_schema.table_constraints\n"
        "   WHERE table_name = 't' AND constraint_type = 'PRIMARY KEY';\n"
        "  IF sql IS NOT NULL THEN\n"
        "    EXECUTE sql;\n"
        "  END IF;\n"
        "  ALTER TABLE s.t ADD COLUMN id uuid NOT NULL;\n"
        "  ALTER TABLE s.t ADD PRIMARY KEY (id);\n"
        "  ALTER TABLE s.u ADD CONSTRAINT u_t_fkey FOREIGN KEY (t_id) REFERENCES s.t (id);\n"
        "END $$;\n",
    )
    table = result.catalog.tables[("s", "t")]
    assert table.primary_key is not None and table.primary_key.columns == ("id",)
    assert [c.name for c in table.constraints if c.kind.name == "PRIMARY_KEY"] == ["t_pkey"]
    assert ("s", "t_pkey") in result.catalog.indexes
    assert events(result, EventKind.DUPLICATE) == []
    assert result.catalog.tables[("s", "u")].constraint("u_t_fkey") is not None
    assumed = [e for e in result.events if e.kind is EventKind.NOT_ANALYSED and e.previous]
    assert [e.name for e in assumed] == ["t.t_pkey"]
    assert "EXECUTE" in assumed[0].detail and "t_pkey" in assumed[0].detail
    source = sources.files[assumed[0].origin.file]
    assert source.line_col(assumed[0].origin.start) == (14, 23)
    assert assumed[0].previous is not None
    assert source.line_col(assumed[0].previous.start) == (11, 13)


@pytest.mark.parametrize(
    ("drop", "clash"),
    [
        # format() with the table written out; a unique constraint named as the old one
        (
            "EXECUTE format('ALTER TABLE t DROP CONSTRAINT IF EXISTS %I', r.conname);",
            "ALTER TABLE t ADD CONSTRAINT t_key UNIQUE (b);",
        ),
        # the table built at run time too
        (
            "EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', 't', r.conname);",
            "ALTER TABLE t ADD CONSTRAINT t_key UNIQUE (b);",
        ),
        # || with a quoted table name
        (
            "EXECUTE 'ALTER TABLE \"t\" DROP CONSTRAINT ' || quote_ident(r.conname);",
            "ALTER TABLE t ADD PRIMARY KEY (b);",
        ),
    ],
)
def test_built_constraint_drops_in_a_loop(tmp_path: Path, drop: str, clash: str) -> None:
    result = run(
        tmp_path,
        "CREATE TABLE t (a int CONSTRAINT t_key UNIQUE, b int, c int PRIMARY KEY);\n"
        "DO $$ DECLARE r record; BEGIN\n"
        "  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = 't'::regclass LOOP\n"
        f"    {drop}\n"
        "  END LOOP;\n"
        "END $$;\n"
        f"{clash}\n",
    )
    assert events(result, EventKind.DUPLICATE) == []
    assert [e.name for e in result.events if e.kind is EventKind.NOT_ANALYSED and e.previous]


@pytest.mark.parametrize(
    "sql",
    [
        # no built drop at all: the clash is the statement's own failure
        "DO $$ BEGIN EXECUTE 'SELECT ' || 1; END $$;\nALTER TABLE t ADD PRIMARY KEY (b);\n",
        # the built drop names another table
        "DO $$ DECLARE n text; BEGIN\n"
        "  EXECUTE 'ALTER TABLE other DROP CONSTRAINT ' || n; END $$;\n"
        "ALTER TABLE t ADD PRIMARY KEY (b);\n",
        # a built drop outside a loop excuses one clash, not two
        "DO $$ DECLARE n text; BEGIN\n"
        "  EXECUTE 'ALTER TABLE t DROP CONSTRAINT ' || n; END $$;\n"
        "ALTER TABLE t ADD CONSTRAINT t_key UNIQUE (b);\n"
        "ALTER TABLE t ADD PRIMARY KEY (b);\n",
        # a foreign key leans on the key: a plain drop of it would fail
        "CREATE TABLE r (t_id int REFERENCES t (c));\n"
        "DO $$ DECLARE n text; BEGIN\n"
        "  EXECUTE 'ALTER TABLE t DROP CONSTRAINT ' || n; END $$;\n"
        "ALTER TABLE t ADD PRIMARY KEY (b);\n",
    ],
)
def test_clash_stays_without_a_matching_built_drop(tmp_path: Path, sql: str) -> None:
    table = "CREATE TABLE t (a int CONSTRAINT t_key UNIQUE, b int, c int PRIMARY KEY);\n"
    result = run(tmp_path, f"{table}{sql}")
    assert events(result, EventKind.DUPLICATE)


def test_built_drop_of_an_earlier_file_does_not_excuse_a_clash(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "1_a.sql").write_text(
        "CREATE TABLE t (b int, c int PRIMARY KEY);\n"
        "DO $$ DECLARE n text; BEGIN EXECUTE 'ALTER TABLE t DROP CONSTRAINT ' || n; END $$;\n",
        encoding="utf-8",
    )
    (folder / "2_b.sql").write_text("ALTER TABLE t ADD PRIMARY KEY (b);\n", encoding="utf-8")
    sources = load_sources([(folder, Layer.BASE)])
    result = simulate(parse_statements(sources.applied_statements))
    assert events(result, EventKind.DUPLICATE)


# ---- the upstream corpus --------------------------------------------------------


def test_upstream_sim_migrations_give_the_live_counts() -> None:
    if not SIM_MIGRATIONS.is_dir():
        pytest.skip(CORPUS_ABSENT)
    folder = str(SIM_MIGRATIONS)
    sources = load_sources([(folder, Layer.BASE)])
    parsed = parse_statements(sources.applied_statements)
    assert [p for p in parsed if p.error is not None] == []
    counts = simulate(parsed).catalog.counts()
    assert {
        k: counts[k] for k in ("tables", "columns", "foreign_keys", "enums", "checks", "indexes")
    } == {
        "tables": 112,
        "columns": 1330,
        "foreign_keys": 203,
        "enums": 39,
        "checks": 27,
        "indexes": 541,
    }


def test_alter_column_type_sets_or_resets_the_collation(tmp_path: Path) -> None:
    # as the server does: COLLATE in SET DATA TYPE sets it; without, the new
    # type's default applies (upstream Sim's 0228 relies on the first form)
    result = run(
        tmp_path,
        'CREATE TABLE t (a text, b varchar(10) COLLATE "C");\n'
        'ALTER TABLE t ALTER COLUMN a SET DATA TYPE text COLLATE "C";\n'
        "ALTER TABLE t ALTER COLUMN b SET DATA TYPE text;\n",
    )
    table = result.catalog.tables[("public", "t")]
    assert [(c.name, c.collation) for c in table.columns] == [("a", "C"), ("b", None)]


# ---- pg_dump output ----------------------------------------------------------------


def test_pg_dump_schema_qualified_extension_types_are_the_extension_types(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
        CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
        CREATE DOMAIN email AS public.citext;
        CREATE TABLE doc (id bigint, address public.citext, embedding public.vector(3));
        """,
    )
    assert events(result, EventKind.MISSING) == []
    columns = {c.name: c.type for c in result.catalog.tables["public", "doc"].columns}
    assert columns["address"] == TypeRef("citext")
    assert columns["embedding"] == TypeRef("vector", None, ("3",))


def test_pg_dump_alter_sequence_owned_by_and_as(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE SCHEMA app;
        CREATE TABLE app.customer (id bigint NOT NULL);
        CREATE SEQUENCE app.customer_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE CACHE 1;
        ALTER SEQUENCE app.customer_id_seq OWNED BY app.customer.id;
        ALTER SEQUENCE app.customer_id_seq AS integer;
        CREATE SEQUENCE loose_seq OWNED BY app.customer.id;
        ALTER SEQUENCE loose_seq OWNED BY NONE;
        ALTER SEQUENCE IF EXISTS never_made_seq RESTART;
        ALTER SEQUENCE absent_seq RESTART;
        """,
    )
    sequence = result.catalog.sequences["app", "customer_id_seq"]
    assert sequence.owned_by == (("app", "customer"), "id")
    assert sequence.data_type == "integer"
    assert result.catalog.sequences["public", "loose_seq"].owned_by is None
    assert events(result, EventKind.MISSING) == [("sequence", "absent_seq")]


def test_serial_default_names_its_sequence_the_way_the_server_prints_it(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE SCHEMA "Billing";
        CREATE TABLE "Category" (id SERIAL NOT NULL);
        CREATE TABLE "Billing".invoice (id bigserial, "position" serial);
        CREATE TABLE plain (id serial);
        """,
    )
    tables = result.catalog.tables
    assert tables["public", "Category"].columns[0].default == (
        """nextval('"Category_id_seq"'::regclass)"""
    )
    invoice = tables["Billing", "invoice"].columns
    assert invoice[0].default == """nextval('"Billing".invoice_id_seq'::regclass)"""
    assert invoice[1].default == """nextval('"Billing".invoice_position_seq'::regclass)"""
    assert tables["public", "plain"].columns[0].default == "nextval('plain_id_seq'::regclass)"


# ---- search_path -----------------------------------------------------------------


def test_search_path_decides_where_unqualified_names_are_created_and_found(
    tmp_path: Path,
) -> None:
    result = run(
        tmp_path,
        """
        SELECT pg_catalog.set_config('search_path', '', false);
        CREATE SCHEMA billing;
        CREATE TABLE public.account (id bigint PRIMARY KEY);
        CREATE TABLE billing.tenant (id bigint PRIMARY KEY);
        SET search_path TO billing, public;
        CREATE TYPE state AS ENUM ('open', 'paid');
        CREATE TABLE account (id bigint PRIMARY KEY);
        CREATE TABLE payment (
            id serial PRIMARY KEY,
            tenant_id bigint REFERENCES tenant (id),
            status state NOT NULL
        );
        CREATE INDEX payment_tenant_idx ON payment (tenant_id);
        RESET search_path;
        BEGIN;
        SET LOCAL search_path = billing;
        CREATE TABLE refund (id bigint);
        COMMIT;
        CREATE TABLE note (id bigint);
        """,
    )
    assert events(result, EventKind.MISSING) == []
    assert events(result, EventKind.DUPLICATE) == []
    tables = result.catalog.tables
    assert {("billing", "account"), ("public", "account")} <= set(tables)
    payment = tables["billing", "payment"]
    assert payment.foreign_keys[0].foreign_key.ref_table == ("billing", "tenant")
    assert payment.column("status").type == TypeRef("state", "billing")
    assert payment.column("id").default == "nextval('billing.payment_id_seq'::regclass)"
    assert ("billing", "payment_tenant_idx") in result.catalog.indexes
    assert ("billing", "refund") in tables and ("public", "note") in tables


def test_check_added_to_a_partitioned_table_reaches_its_partitions(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE log (at date NOT NULL, data jsonb) PARTITION BY RANGE (at);
        CREATE TABLE log_2025 PARTITION OF log
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (at);
        CREATE TABLE log_2025_01 PARTITION OF log_2025
            FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
        ALTER TABLE log ADD CONSTRAINT log_data_is_object CHECK (jsonb_typeof(data) = 'object');
        """,
    )
    for name in ("log", "log_2025", "log_2025_01"):
        table = result.catalog.tables["public", name]
        assert [c.name for c in table.checks] == ["log_data_is_object"]


def test_a_do_block_inside_a_do_body_is_applied_and_a_call_there_is_not_analysed(
    tmp_path: Path,
) -> None:
    # PL/pgSQL reads both as a call statement, not as embedded SQL
    result = run(
        tmp_path,
        'DO $$ BEGIN DO $i$ BEGIN CREATE TABLE "inner_made" ("id" int); END $i$; END $$;\n'
        "DO $$ BEGIN CALL app_setup(); END $$;\n",
    )
    assert ("public", "inner_made") in result.catalog.tables
    assert ("statement", "Call") in [
        (e.object_kind, e.name) for e in result.events if e.kind is EventKind.NOT_ANALYSED
    ]


# ---- tables made from a query, views dropped together ---------------------------------

_TABLE_FROM_QUERY = """
CREATE TABLE person (id int PRIMARY KEY);
CREATE TABLE post_like (
    person_id int NOT NULL, post_id int NOT NULL, published timestamptz, score int
);
CREATE TABLE post_actions AS
SELECT max(published) AS liked, person_id, post_id, max(score) = 1 AS vote_is_upvote
FROM (SELECT person_id, post_id, published, score FROM post_like) AS merged
GROUP BY person_id, post_id;
ALTER TABLE post_actions
    ADD PRIMARY KEY (person_id, post_id),
    ADD CONSTRAINT post_actions_check_liked CHECK ((liked IS NULL) = (vote_is_upvote IS NULL));
CREATE INDEX post_actions_liked_nn ON post_actions (person_id) WHERE liked IS NOT NULL;
ALTER TABLE post_actions RENAME COLUMN liked TO voted_at;
"""


def test_objects_on_underived_columns_of_a_table_made_from_a_query(tmp_path: Path) -> None:
    # The query's columns are not derived (aggregates over a subquery); the server
    # has them, so the key, the check and the index exist, and follow the rename.
    result = run(tmp_path, _TABLE_FROM_QUERY)
    table = result.catalog.tables[("public", "post_actions")]
    assert not table.columns_known
    assert table.primary_key is not None
    assert table.primary_key.columns == ("person_id", "post_id")
    assert table.constraint("post_actions_check_liked") is not None
    index = result.catalog.indexes[("public", "post_actions_liked_nn")]
    assert index.predicate is not None and "liked" in index.predicate
    assert not events(result, EventKind.MISSING)
    later = run(
        tmp_path,
        _TABLE_FROM_QUERY
        + "DROP INDEX post_actions_liked_nn;\n"
        + "ALTER TABLE post_actions DROP CONSTRAINT post_actions_check_liked;\n",
    )
    assert not events(later, EventKind.MISSING)


_VIEWS = """
CREATE TABLE account (id int PRIMARY KEY, name text);
CREATE VIEW account_view AS SELECT id, name FROM account;
CREATE MATERIALIZED VIEW account_mview AS SELECT * FROM account_view;
CREATE UNIQUE INDEX account_mview_id ON account_mview (id);
"""


def test_drop_view_cascade_drops_the_views_that_read_it(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        _VIEWS
        + "DROP VIEW account_view CASCADE;\n"
        + "CREATE VIEW account_view AS SELECT id, name FROM account;\n"
        + "CREATE MATERIALIZED VIEW account_mview AS SELECT * FROM account_view;\n"
        + "CREATE UNIQUE INDEX account_mview_id ON account_mview (id);\n",
    )
    assert not events(result, EventKind.DUPLICATE)
    assert ("public", "account_mview") in result.catalog.views
    assert ("view", "account_mview") in events(result, EventKind.DROPPED)


def test_drop_view_without_cascade_is_blocked_by_a_view_that_reads_it(tmp_path: Path) -> None:
    result = run(tmp_path, _VIEWS + "DROP VIEW account_view;\n")
    assert ("view", "account_view") in events(result, EventKind.BLOCKED)
    assert ("public", "account_view") in result.catalog.views


def test_one_drop_of_a_view_and_the_view_reading_it_needs_no_cascade(tmp_path: Path) -> None:
    together = run(
        tmp_path,
        "CREATE TABLE account (id int PRIMARY KEY);\n"
        "CREATE TABLE login (id int PRIMARY KEY, account_id int REFERENCES account);\n"
        "CREATE VIEW a AS SELECT id FROM account;\n"
        "CREATE VIEW b AS SELECT id FROM a;\n"
        "DROP VIEW a, b;\n"
        "DROP TABLE account, login;\n",
    )
    assert not events(together, EventKind.BLOCKED)
    assert not together.catalog.views and not together.catalog.tables


# ---- range, base and shell types ------------------------------------------------


def test_range_types_and_their_multiranges_exist_for_columns(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TYPE uuidrange AS RANGE (subtype = uuid);
        CREATE TYPE floatrange AS RANGE (subtype = float8, multirange_type_name = floats);
        CREATE TYPE pair;
        CREATE TABLE block (
            ids uuidrange NOT NULL, many uuidmultirange, f floatrange, fs floats, p pair
        );
        DROP TABLE block;
        DROP TYPE uuidrange;
        CREATE TABLE again (m uuidmultirange);
        CREATE TYPE floatrange AS RANGE (subtype = float4);
        """,
    )
    # the multirange went with its range; a second range of a taken name is a duplicate
    assert events(result, EventKind.MISSING) == [("type", "uuidmultirange")]
    assert events(result, EventKind.DUPLICATE) == [("type", "floatrange")]
    assert ("type", "uuidmultirange") in events(result, EventKind.CREATED)


def test_a_multirange_is_made_from_postgresql_14_on(tmp_path: Path) -> None:
    path = tmp_path / "0001_range.sql"
    path.write_text(
        "CREATE TYPE textrange AS RANGE (subtype = text);\nCREATE TABLE t (m textmultirange);\n",
        encoding="utf-8",
    )
    parsed = parse_statements(load_sources([(path, Layer.BASE)]).applied_statements)
    on_13 = simulate(parsed, postgres_version=13)
    assert events(on_13, EventKind.MISSING) == [("type", "textmultirange")]
    parsed = parse_statements(load_sources([(path, Layer.BASE)]).applied_statements)
    assert events(simulate(parsed, postgres_version=14), EventKind.MISSING) == []


def test_policies_need_their_table_and_are_not_reported_as_unmodelled(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE TABLE note (id bigint PRIMARY KEY, owner text);
        CREATE POLICY own ON note USING (owner = current_user);
        ALTER POLICY own ON note USING (true);
        CREATE POLICY ghost ON ghost_table USING (true);
        DROP POLICY own ON note;
        DROP POLICY IF EXISTS x ON nothing_here;
        DROP POLICY y ON missing_too;
        """,
    )
    assert events(result, EventKind.MISSING) == [
        ("table", "ghost_table"),
        ("table", "missing_too"),
    ]
    assert events(result, EventKind.NOT_ANALYSED) == []


def test_a_view_over_a_missing_table_or_column_is_missing(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        CREATE VIEW early AS SELECT x FROM not_yet;
        CREATE TABLE post (id int PRIMARY KEY, community_id int);
        CREATE TABLE comment (id int PRIMARY KEY, post_id int);
        CREATE VIEW typo AS SELECT nope FROM post;
        CREATE VIEW comment_view AS
            SELECT c.*, (SELECT community_id FROM post p WHERE p.id = c.post_id) FROM comment c;
        CREATE VIEW mention_view AS SELECT v.community_id FROM comment_view v;
        CREATE TABLE not_yet (x int);
        """,
    )
    # a view's derived output names are not checked against (the server names the
    # scalar subquery's column community_id; the model may not)
    assert events(result, EventKind.MISSING) == [
        ("table", "not_yet"),
        ("column", "post.nope"),
    ]
