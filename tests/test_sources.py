"""Sources: statements keep their place in the original file, in apply order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.errors import InputError
from checker.model import JournalStatus, Layer
from checker.sources import load_sources, natural_key


def _journal(folder: Path, tags: list[str], whens: list[int] | None = None) -> None:
    meta = folder / "meta"
    meta.mkdir(parents=True)
    entries = [
        {
            "idx": i,
            "version": "7",
            "when": (whens or [1000 + i for i in range(len(tags))])[i],
            "tag": tag,
            "breakpoints": True,
        }
        for i, tag in enumerate(tags)
    ]
    (meta / "_journal.json").write_text(
        json.dumps({"version": "7", "dialect": "postgresql", "entries": entries}, indent=2)
    )


def _line_col(sources, statement):  # type: ignore[no-untyped-def]
    return sources.files[statement.origin.file].line_col(statement.origin.start)


def test_breakpoints_keep_original_lines(tmp_path: Path) -> None:
    folder = tmp_path / "drizzle"
    folder.mkdir()
    (folder / "0000_init.sql").write_text(
        'CREATE TABLE "a" (\n\t"id" text PRIMARY KEY\n);\n'
        "--> statement-breakpoint\n"
        "-- a comment before the next statement\n"
        'CREATE TABLE "b" ("id" text);\n'
        "--> statement-breakpoint\n"
        '   ALTER TABLE "b" ADD COLUMN "x" int; ALTER TABLE "b" ADD COLUMN "y" int;\n'
    )
    _journal(folder, ["0000_init"])
    sources = load_sources([(folder, Layer.BASE)])
    texts = [s.text for s in sources.statements]
    assert texts == [
        'CREATE TABLE "a" (\n\t"id" text PRIMARY KEY\n)',
        'CREATE TABLE "b" ("id" text)',
        'ALTER TABLE "b" ADD COLUMN "x" int',
        'ALTER TABLE "b" ADD COLUMN "y" int',
    ]
    assert [_line_col(sources, s) for s in sources.statements] == [(1, 1), (6, 1), (8, 4), (8, 40)]
    assert [s.index for s in sources.statements] == [0, 1, 2, 3]


def test_semicolons_inside_strings_and_bodies_do_not_split(tmp_path: Path) -> None:
    file = tmp_path / "one.sql"
    file.write_text(
        "CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql;\n"
        "COMMENT ON TABLE t IS 'a; b';\n/* ; */ SELECT 1"
    )
    sources = load_sources([(file, Layer.BASE)])
    assert len(sources.statements) == 3
    assert sources.statements[1].text == "COMMENT ON TABLE t IS 'a; b'"
    assert sources.statements[2].text == "SELECT 1"


@pytest.mark.parametrize("ascii_only", [True, False])
def test_a_begin_atomic_body_is_one_statement(tmp_path: Path, ascii_only: bool) -> None:
    file = tmp_path / "one.sql"
    note = "" if ascii_only else "-- café\n"
    file.write_text(
        f"{note}CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\n"
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n"
        'CREATE TABLE t (begin_at int, "end" int);\n'
    )
    sources = load_sources([(file, Layer.BASE)])
    texts = [s.text for s in sources.statements]
    assert len(texts) == 3, texts
    assert texts[0].endswith("SELECT 2;\nEND") and texts[1].endswith("VALUES (1); END")


def test_plain_folder_is_naturally_sorted(tmp_path: Path) -> None:
    for name in ["10_late.sql", "2_early.sql", "1_first.sql"]:
        (tmp_path / name).write_text(f"SELECT '{name}';")
    sources = load_sources([(tmp_path, Layer.BASE)])
    assert [Path(m.path).name for m in sources.migrations] == [
        "1_first.sql",
        "2_early.sql",
        "10_late.sql",
    ]
    assert natural_key("2_a") < natural_key("10_a")


def test_journal_order_wins_over_file_names_and_orphans_are_marked(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0000_b.sql").write_text("SELECT 1;")
    (folder / "0001_a.sql").write_text("SELECT 2;")
    (folder / "0001_orphan.sql").write_text("SELECT 3;")
    _journal(folder, ["0001_a", "0000_b", "0002_gone"])
    sources = load_sources([(folder, Layer.BASE)])
    assert [(m.name, m.status) for m in sources.migrations] == [
        ("0001_a", JournalStatus.JOURNALED),
        ("0000_b", JournalStatus.JOURNALED),
        ("0002_gone", JournalStatus.MISSING_FILE),
        ("0001_orphan", JournalStatus.NOT_IN_JOURNAL),
    ]
    assert [s.text for s in sources.statements] == ["SELECT 2", "SELECT 1", "SELECT 3"]
    assert [s.text for s in sources.applied_statements] == ["SELECT 2", "SELECT 1"]


def test_markdown_sql_blocks_become_proposal_statements(tmp_path: Path) -> None:
    doc = tmp_path / "design.md"
    doc.write_text(
        "# Design\n\nSome text.\n\n```sql\nCREATE INDEX a_idx ON a (x);\n\n"
        "CREATE INDEX b_idx ON b (y);\n```\n"
        "\n```typescript\nconst x = 1;\n```\n\n~~~SQL\nALTER SYSTEM SET work_mem = '1GB';\n~~~\n"
    )
    sources = load_sources([(doc, Layer.PROPOSAL)])
    assert [s.text for s in sources.statements] == [
        "CREATE INDEX a_idx ON a (x)",
        "CREATE INDEX b_idx ON b (y)",
        "ALTER SYSTEM SET work_mem = '1GB'",
    ]
    assert [_line_col(sources, s) for s in sources.statements] == [(6, 1), (8, 1), (16, 1)]
    assert {s.layer for s in sources.statements} == {Layer.PROPOSAL}


def test_layers_are_applied_base_first(tmp_path: Path) -> None:
    ext = tmp_path / "ext.sql"
    base = tmp_path / "base.sql"
    ext.write_text("SELECT 'ext';")
    base.write_text("SELECT 'base';")
    sources = load_sources([(ext, Layer.EXTENSION), (base, Layer.BASE)])
    assert [s.layer for s in sources.statements] == [Layer.BASE, Layer.EXTENSION]


@pytest.mark.parametrize(
    ("journal", "message"),
    [
        ("{not json", "_journal.json:1:2: bad journal JSON"),
        ('{"entries": 3}', 'expected an object with an "entries" list'),
        ('{"entries": [{"tag": "../../etc/passwd"}]}', "names a file outside"),
        ('{"entries": [{"tag": "0000_x", "when": "soon"}]}', '"when" must be an integer'),
    ],
)
def test_bad_journal_is_one_clear_error(tmp_path: Path, journal: str, message: str) -> None:
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "_journal.json").write_text(journal)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_sources([(tmp_path, Layer.BASE)])


def test_missing_path_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        load_sources([(tmp_path / "nope.sql", Layer.BASE)])
    bad = tmp_path / "latin1.sql"
    bad.write_bytes(b"SELECT 1;\nSELECT '\xe9';\n")
    with pytest.raises(InputError, match=r"latin1.sql:2:9: not valid UTF-8 \(byte 0xe9\)"):
        load_sources([(bad, Layer.BASE)])


def test_pg_dump_copy_data_is_not_read_as_sql(tmp_path: Path) -> None:
    dump = tmp_path / "dump.sql"
    dump.write_text(
        "CREATE TABLE public.note (id integer NOT NULL, body text);\n"
        "COPY public.note (id, body) FROM stdin;\n"
        "1\thello; world\n"
        "2\t'unterminated\n"
        "\\.\n"
        "ALTER TABLE ONLY public.note ADD CONSTRAINT note_pkey PRIMARY KEY (id);\n"
    )
    sources = load_sources([(dump, Layer.BASE)])
    assert [s.text.split(" (")[0] for s in sources.statements] == [
        "CREATE TABLE public.note",
        "COPY public.note",
        "ALTER TABLE ONLY public.note ADD CONSTRAINT note_pkey PRIMARY KEY",
    ]
    assert _line_col(sources, sources.statements[2]) == (6, 1)


def test_prisma_migration_folders(tmp_path: Path) -> None:
    for name, sql in [
        ("20240110000000_add_post", 'CREATE TABLE "Post" (id text PRIMARY KEY);'),
        ("20240101000000_init", 'CREATE TABLE "User" (id text PRIMARY KEY);'),
    ]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "migration.sql").write_text(sql)
    (tmp_path / "migration_lock.toml").write_text('provider = "postgresql"\n')
    sources = load_sources([(tmp_path, Layer.BASE)])
    assert [m.name for m in sources.migrations] == [
        "20240101000000_init",
        "20240110000000_add_post",
    ]


def test_a_change_file_is_known_through_a_link_of_another_name(tmp_path: Path) -> None:
    from checker.sources import SourceSet

    elsewhere = tmp_path / "elsewhere"
    folder = tmp_path / "migrations"
    elsewhere.mkdir()
    folder.mkdir()
    (elsewhere / "shared.sql").write_text("SELECT 1;\n")
    (folder / "0002_link.sql").symlink_to(elsewhere / "shared.sql")
    (folder / "0001_plain.sql").write_text("SELECT 1;\n")
    sources = SourceSet(change_files=frozenset({str((elsewhere / "shared.sql").resolve())}))
    assert sources.is_change(folder / "0002_link.sql")
    assert not sources.is_change(folder / "0001_plain.sql")
    assert not SourceSet().is_change(folder / "0002_link.sql")


def test_the_fast_split_agrees_with_the_token_by_token_split() -> None:
    """Where the split through pglast's C splitter answers, it gives the spans the exact
    token-by-token path gives: on every chunk of the corpus and the fixtures, non-ASCII
    text (accents, emoji, hidden characters in names) included."""
    from checker.sources.splitting import _split_plain, _split_tokens, chunks
    from tests.support import FIXTURES, SIM_MIGRATIONS

    paths = sorted(FIXTURES.rglob("*.sql")) + sorted(FIXTURES.rglob("*.md"))
    if SIM_MIGRATIONS.is_dir():
        paths += sorted(SIM_MIGRATIONS.glob("*.sql"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths]
    texts.append('SELECT \'été\'; -- ünïcode\nCREATE TABLE "naïve" ("ça" int);\n/* 😀 */ SELECT 1;')
    compared = non_ascii = 0
    for text in texts:
        for start, end in chunks(text):
            chunk = text[start:end]
            fast = _split_plain(chunk)
            if fast is None:
                continue
            assert fast == _split_tokens(chunk), chunk[:80]
            compared += 1
            non_ascii += not chunk.isascii()
    assert compared > 100 and non_ascii > 5, (compared, non_ascii)


def test_a_repository_root_names_the_migration_folders_below_it(tmp_path: Path) -> None:
    prisma = tmp_path / "packages" / "db" / "prisma" / "migrations"
    (prisma / "20240101000000_init").mkdir(parents=True)
    (prisma / "migration_lock.toml").write_text('provider = "postgresql"\n')
    (prisma / "20240101000000_init" / "migration.sql").write_text("CREATE TABLE t (id int);\n")
    drizzle = tmp_path / "apps" / "web" / "drizzle"
    (drizzle / "meta").mkdir(parents=True)
    (drizzle / "meta" / "_journal.json").write_text('{"version": "7", "entries": []}')
    (tmp_path / "node_modules" / "lib" / "drizzle" / "meta").mkdir(parents=True)
    (tmp_path / "node_modules" / "lib" / "drizzle" / "meta" / "_journal.json").write_text("{}")
    with pytest.raises(InputError) as raised:
        load_sources([(tmp_path, Layer.BASE)])
    assert str(raised.value).endswith(
        "; migration folders below it: apps/web/drizzle, packages/db/prisma/migrations"
    )
