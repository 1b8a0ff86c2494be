"""A folder of Atlas's (``atlas.sum`` beside ``<version>_<name>.sql`` files), read as
``atlas migrate apply`` runs it: the names' character order, a transaction per file
unless its header says ``-- atlas:txmode none``, a new database started at the last
checkpoint file, statements split at the delimiter a first line
``-- atlas:delimiter`` sets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import REPO, run_paths

from checker.model import Layer
from checker.sources import load_sources
from checker.sources.base import BEFORE_CHECKPOINT

_SUM = "h1:0000\n"  # Atlas's integrity file: its content is not read
_INIT = "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int);\n"


def _write(folder: Path, files: dict[str, str], *, atlas: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if atlas:
        (folder / "atlas.sum").write_text(_SUM, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _applied(folder: Path) -> list[tuple[str, str, bool]]:
    sources = load_sources([(folder, Layer.BASE)])
    return [(m.name, m.layout.value, m.no_transaction) for m in sources.migrations]


def test_each_file_runs_in_its_own_transaction_unless_its_header_says_none(
    tmp_path: Path,
) -> None:
    """``--tx-mode file`` is Atlas's default; ``-- atlas:txmode none`` in a file's header
    (its leading comments, then a blank line) runs that file outside a transaction. The
    same line without the blank line after it belongs to the first statement: no
    directive."""
    folder = _write(
        tmp_path / "migrations",
        {
            "20240101000000_init.sql": _INIT,
            "20240102000000_index.sql": (
                "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n"
            ),
            "20240103000000_plain.sql": "CREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n",
            "20240104000000_glued.sql": (
                "-- atlas:txmode none\nCREATE INDEX CONCURRENTLY t_c_idx ON t (c);\n"
            ),
        },
    )
    assert _applied(folder) == [
        ("20240101000000_init", "atlas", False),
        ("20240102000000_index", "atlas", True),
        ("20240103000000_plain", "atlas", False),
        ("20240104000000_glued", "atlas", False),
    ]
    result = run_paths([(folder, Layer.BASE)])
    found = {f.primary.file.rsplit("/", 1)[-1]: f for f in result.findings if f.code == "MG407"}
    assert sorted(found) == ["20240103000000_plain.sql", "20240104000000_glued.sql"]
    message = found["20240103000000_plain.sql"].message
    assert "Atlas (atlas.sum in the folder) runs 20240103000000_plain in a transaction" in message
    assert "assumed" not in message
    fix = found["20240103000000_plain.sql"].fix
    assert fix is not None and "-- atlas:txmode none" in fix.title


def test_files_run_in_the_character_order_of_their_names(tmp_path: Path) -> None:
    """Atlas sorts its files by name, character by character: ``10_x`` before ``2_x``
    (a folder without ``atlas.sum`` keeps the natural order)."""
    files = {"1_a.sql": "SELECT 1;\n", "2_b.sql": "SELECT 2;\n", "10_c.sql": "SELECT 3;\n"}
    atlas = _write(tmp_path / "atlas", files)
    plain = _write(tmp_path / "plain", files, atlas=False)
    assert [name for name, _, _ in _applied(atlas)] == ["10_c", "1_a", "2_b"]
    assert [name for name, _, _ in _applied(plain)] == ["1_a", "2_b", "10_c"]


def test_a_new_database_starts_at_the_last_checkpoint(tmp_path: Path) -> None:
    """A checkpoint file (``-- atlas:checkpoint`` in its header) holds the schema of every
    file before it: Atlas applies a new database from the last one on. Read after those
    files, its CREATE TABLE would be a table created twice."""
    folder = _write(
        tmp_path / "migrations",
        {
            "1_init.sql": "CREATE TABLE t (id int PRIMARY KEY);\n",
            "2_more.sql": "ALTER TABLE t ADD COLUMN a int;\n",
            "3_checkpoint.sql": (
                "-- atlas:checkpoint v1\n\nCREATE TABLE t (id int PRIMARY KEY, a int);\n"
            ),
            "4_after.sql": "ALTER TABLE t ADD COLUMN b int;\n",
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    assert [m.name for m in sources.migrations] == ["3_checkpoint", "4_after"]
    assert [(Path(s.path).name, s.reason) for s in sources.not_applied] == [
        ("1_init.sql", BEFORE_CHECKPOINT),
        ("2_more.sql", BEFORE_CHECKPOINT),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(folder), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 files before the last checkpoint not applied (e.g. 1_init.sql)" in run.stderr


def test_a_delimiter_directive_splits_the_file_at_its_delimiter(tmp_path: Path) -> None:
    """``-- atlas:delimiter //`` as the first line: the statements end at ``//`` (not
    inside a string, a dollar-quoted body or a comment), which is no SQL of its own."""
    folder = _write(
        tmp_path / "migrations",
        {
            "1_init.sql": _INIT,
            "2_function.sql": (
                "-- atlas:delimiter //\n"
                "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $$\n"
                "BEGIN RETURN '//'; END;\n"
                "$$\n"
                "//\n"
                "-- a comment with // in it\n"
                "CREATE INDEX t_a_idx ON t (a)\n"
                "//\n"
            ),
        },
    )
    sources = load_sources([(folder, Layer.BASE)])
    texts = [s.text for s in sources.statements if s.migration.name == "2_function"]
    assert len(texts) == 2
    assert texts[0].startswith("CREATE FUNCTION f()") and texts[0].rstrip().endswith("$$")
    assert "CREATE INDEX t_a_idx ON t (a)" in texts[1] and "//" not in texts[1].split("\n")[-1]
    result = run_paths([(folder, Layer.BASE)])
    assert [f for f in result.findings if f.code == "PS001"] == []


def test_a_golang_migrate_folder_with_an_atlas_sum_is_not_read_as_atlas(tmp_path: Path) -> None:
    """Atlas keeps a sum beside golang-migrate's up/down pairs too; golang-migrate applies
    those: the folder is not Atlas's."""
    folder = _write(
        tmp_path / "migrations",
        {"1_init.up.sql": _INIT, "1_init.down.sql": "DROP TABLE t;\n"},
    )
    assert [layout for _, layout, _ in _applied(folder)] == ["sql"]


def test_a_re_run_of_an_atlas_file_outside_a_transaction_resumes_where_it_failed(
    tmp_path: Path,
) -> None:
    """Atlas records how many statements of a file run without a transaction succeeded,
    and the next run goes on from the one that failed: an index built before a later
    failure is not built again, so no MG417. A file that another tool runs outside a
    transaction (sqlx's ``-- no-transaction``) re-runs from its start: MG417."""
    indexes = (
        "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nCREATE INDEX CONCURRENTLY t_b_idx ON t (b);\n"
    )
    atlas = _write(
        tmp_path / "atlas",
        {"1_init.sql": _INIT, "2_indexes.sql": f"-- atlas:txmode none\n\n{indexes}"},
    )
    other = _write(
        tmp_path / "other",
        {"1_init.sql": _INIT, "2_indexes.sql": f"-- no-transaction\n\n{indexes}"},
        atlas=False,
    )
    assert [f.code for f in run_paths([(atlas, Layer.BASE)]).findings if f.code == "MG417"] == []
    assert [f.code for f in run_paths([(other, Layer.BASE)]).findings if f.code == "MG417"] == [
        "MG417"
    ]


def test_atlas_revisions_table_is_the_migrators_own(tmp_path: Path) -> None:
    """``atlas_schema_revisions`` exists wherever Atlas ran, though no migration creates it."""
    folder = _write(
        tmp_path / "migrations",
        {
            "1_guard.sql": (
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RETURN NULL; END $$;\n"
                "CREATE TRIGGER no_writes BEFORE INSERT ON atlas_schema_revisions "
                "FOR EACH ROW EXECUTE FUNCTION refuse();\n"
            )
        },
    )
    assert [f for f in run_paths([(folder, Layer.BASE)]).findings if f.code == "MG406"] == []


def test_the_atlas_sum_is_part_of_the_cache_key(tmp_path: Path) -> None:
    """Adding ``atlas.sum`` changes how the folder runs: a cached run must not be reused."""
    from checker.cache import fingerprint_inputs

    folder = _write(tmp_path / "migrations", {"1_x.sql": _INIT}, atlas=False)
    before = fingerprint_inputs([folder])
    (folder / "atlas.sum").write_text(_SUM, encoding="utf-8")
    assert before is not None and fingerprint_inputs([folder]) != before
