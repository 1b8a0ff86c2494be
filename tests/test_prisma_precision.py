"""Prisma migration folders as Prisma Migrate deploys them: each ``migration.sql`` sent as
one query (one statement alone, several as one implicit transaction), folders recorded
and applied by their whole names."""

from __future__ import annotations

import textwrap
from pathlib import Path

from checker.model import Layer
from tests.support import run_paths

_LOCK = 'provider = "postgresql"\n'


def prisma_folder(root: Path, migrations: dict[str, str]) -> Path:
    """A Prisma migrations folder: ``migration_lock.toml`` and ``<name>/migration.sql``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "migration_lock.toml").write_text(_LOCK, encoding="utf-8")
    for name, text in migrations.items():
        (root / name).mkdir()
        (root / name / "migration.sql").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


_INIT = """
    CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT NOT NULL, "name" TEXT,
        CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
    CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
    CREATE INDEX "User_name_idx" ON "User"("name");
"""


def test_concurrently_advice_fits_a_file_sent_as_one_query(tmp_path: Path) -> None:
    """A COMMIT; inside a migration.sql of several statements does not leave the implicit
    transaction: the advice is a folder of its own, never COMMIT;."""
    folder = prisma_folder(
        tmp_path / "migrations",
        {
            "20240101000000_init": _INIT,
            "20240201000000_indexes": """
                ALTER TABLE "User" ADD COLUMN "nickname" TEXT;
                CREATE INDEX "User_email_name_idx" ON "User"("email", "name");
                DROP INDEX "User_name_idx";
            """,
        },
    )
    result = run_paths([(folder, Layer.BASE)])
    fixes = {f.code: f.fix.title for f in result.findings if f.fix and f.code in ("MG409", "MG413")}
    assert set(fixes) == {"MG409", "MG413"}
    for fix in fixes.values():
        assert "COMMIT" not in fix
        assert "migration folder of its own" in fix
    assert fixes["MG409"].startswith("write CREATE INDEX CONCURRENTLY")
    assert fixes["MG413"].startswith("write DROP INDEX CONCURRENTLY")


def test_concurrently_advice_for_a_statement_alone_in_its_file(tmp_path: Path) -> None:
    """Prisma runs a migration.sql holding one statement outside any transaction block:
    CONCURRENTLY can be written right there."""
    folder = prisma_folder(
        tmp_path / "migrations",
        {
            "20240101000000_init": _INIT,
            "20240201000000_email_name_index": (
                'CREATE INDEX "User_email_name_idx" ON "User"("email", "name");\n'
            ),
            "20240201000001_drop_name_index": 'DROP INDEX "User_name_idx";\n',
        },
    )
    result = run_paths([(folder, Layer.BASE)])
    fixes = {f.code: f.fix.title for f in result.findings if f.fix and f.code in ("MG409", "MG413")}
    assert fixes == {
        "MG409": (
            "write CREATE INDEX CONCURRENTLY: this statement already runs outside any "
            "transaction block"
        ),
        "MG413": (
            "write DROP INDEX CONCURRENTLY: this statement already runs outside any "
            "transaction block"
        ),
    }


def test_drizzle_keeps_its_commit_advice(tmp_path: Path) -> None:
    from tests.support import drizzle_folder

    folder = drizzle_folder(
        tmp_path / "drizzle",
        {
            "0000_init": _INIT,
            "0001_index": 'CREATE INDEX "User_email_name_idx" ON "User"("email", "name");\n',
        },
    )
    result = run_paths([(folder, Layer.BASE)], only="MG409")
    [finding] = result.findings
    assert finding.fix is not None
    assert finding.fix.title == (
        "build it with CREATE INDEX CONCURRENTLY outside the transaction (after COMMIT;)"
    )


def test_folders_sharing_a_timestamp_are_not_duplicate_numbers(tmp_path: Path) -> None:
    """Prisma records and orders migrations by the whole folder name: a shared timestamp
    is two distinct migrations in one fixed order (MG403 is for numbered files)."""
    folder = prisma_folder(
        tmp_path / "migrations",
        {
            "20240101000000_init": _INIT,
            "20240301000000_index_01": (
                'CREATE INDEX CONCURRENTLY "User_email_name_idx" ON "User"("email", "name");\n'
            ),
            "20240301000000_index_02": (
                'CREATE INDEX CONCURRENTLY "User_name_email_idx" ON "User"("name", "email");\n'
            ),
        },
    )
    assert run_paths([(folder, Layer.BASE)], only="MG403").findings == []
    numbered = tmp_path / "numbered"
    numbered.mkdir()
    (numbered / "20240101000000_init.sql").write_text(textwrap.dedent(_INIT), encoding="utf-8")
    (numbered / "20240301000000_index_01.sql").write_text("SELECT 1;\n", encoding="utf-8")
    (numbered / "20240301000000_index_02.sql").write_text("SELECT 2;\n", encoding="utf-8")
    [duplicate] = run_paths([(numbered, Layer.BASE)], only="MG403").findings
    assert "20240301000000_index_02.sql" in duplicate.message


def test_a_finding_on_one_command_marks_that_command_only(tmp_path: Path) -> None:
    """Prisma writes several ADD COLUMNs into one ALTER TABLE: each MG411 marks its own
    column definition, not everything from it to the end of the statement."""
    folder = prisma_folder(
        tmp_path / "migrations",
        {
            "20240101000000_init": _INIT,
            "20240201000000_session": """
                ALTER TABLE "User" DROP COLUMN "name",
                ADD COLUMN     "session_token" TEXT NOT NULL,
                ADD COLUMN     "org_id" VARCHAR(36) NOT NULL;
            """,
        },
    )
    result = run_paths([(folder, Layer.BASE)], only="MG411")
    text = (folder / "20240201000000_session" / "migration.sql").read_text(encoding="utf-8")
    marked = []
    for finding in result.findings:
        assert finding.primary is not None
        marked.append(text[finding.primary.start : finding.primary.end])
    assert marked == ['"session_token" TEXT NOT NULL', '"org_id" VARCHAR(36) NOT NULL']
