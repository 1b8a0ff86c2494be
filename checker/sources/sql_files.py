"""Plain SQL: a ``.sql`` file, or a folder of them (natural sort; Prisma's layout of one
folder per migration holding ``migration.sql``), pg_dump output included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.files import read_text
from checker.model import (
    DatabaseUrl,
    JournalEntry,
    JournalStatus,
    Layer,
    Layout,
    MigrationFile,
    Origin,
    Statement,
)
from checker.sources.base import SourceSet, natural_key, sequence_of
from checker.sources.splitting import chunks, split_statements

PRISMA_LOCK = "migration_lock.toml"


@dataclass(frozen=True, slots=True)
class SqlFolder:
    """A folder of ``.sql`` files without a drizzle journal."""

    name: str = "SQL folder"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, Path) and given.is_dir()

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        load_sql_folder(sources, given, layer)


@dataclass(frozen=True, slots=True)
class SqlFile:
    """Any other file: SQL."""

    name: str = "SQL file"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, Path)

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        load_sql_file(sources, given, layer, JournalStatus.PLAIN, None, None, layout_of_file(given))


FOLDER = SqlFolder()
FILE = SqlFile()


def sql_files(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    files = [p for p in entries if p.suffix.lower() == ".sql" and not p.is_dir()]
    for file in files:
        if not file.is_file():
            # a loop, a dangling link or a FIFO: skipping it would drop a migration unsaid
            what = "broken symbolic link or loop" if file.is_symlink() else "not a regular file"
            raise InputError(f"{file}: {what}")
    return sorted(files, key=lambda p: natural_key(p.name))


def load_sql_folder(sources: SourceSet, folder: Path, layer: Layer) -> None:
    layout = Layout.SQL
    files = sql_files(folder)
    if not files:
        files = prisma_migrations(folder)
        layout = Layout.PRISMA
    elif (folder / PRISMA_LOCK).is_file():
        layout = Layout.PRISMA
    if not files:
        raise InputError(f"{folder}: no .sql files and no drizzle journal (meta/_journal.json)")
    for file in files:
        load_sql_file(sources, file, layer, JournalStatus.PLAIN, None, str(folder), layout)


def layout_of_file(path: Path) -> Layout:
    """A single ``migration.sql`` given alone is Prisma's when its migrations folder says so."""
    if path.name == "migration.sql" and (path.parent.parent / PRISMA_LOCK).is_file():
        return Layout.PRISMA
    return Layout.SQL


def prisma_migrations(folder: Path) -> list[Path]:
    """Prisma's layout: one folder per migration (``20240101000000_init/``), each
    holding ``migration.sql``; the folders' names give the order."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    found = [
        entry / "migration.sql"
        for entry in entries
        if entry.is_dir() and not entry.is_symlink() and (entry / "migration.sql").is_file()
    ]
    return sorted(found, key=lambda p: natural_key(p.parent.name))


def load_sql_file(
    sources: SourceSet,
    path: Path,
    layer: Layer,
    status: JournalStatus,
    entry: JournalEntry | None,
    folder: str | None,
    layout: Layout = Layout.SQL,
) -> None:
    text = read_text(path)
    if sources.is_change(path):
        layer = Layer.EXTENSION
    # Prisma names every file migration.sql: its folder carries the name
    name = path.parent.name if path.name == "migration.sql" else path.stem
    migration = MigrationFile(
        str(path), name, layer, status, sequence_of(name), entry, folder, layout
    )
    sources.migrations.append(migration)
    sources.add_text(str(path), text)
    sql_text = blank_copy_data(text)
    for start, end in chunks(sql_text):
        for s_start, s_end in split_statements(sql_text, start, end):
            origin = Origin(str(path), s_start, s_end, len(sources.statements), layer)
            sources.statements.append(Statement(text[s_start:s_end], origin, migration))


_COPY_FROM_STDIN = re.compile(r"^[ \t]*COPY\b[^;]*\bFROM[ \t]+stdin\b[^;\n]*;[ \t]*$", re.I | re.M)
_END_OF_COPY_DATA = re.compile(r"^\\\.[ \t]*$", re.M)


def blank_copy_data(text: str) -> str:
    """The text with the data rows of ``COPY ... FROM stdin;`` blocks (pg_dump
    output) blanked out up to their ``\\.`` line: data is not SQL. Lengths and
    line breaks are kept, so every offset still points into the file."""
    if "\\." not in text:
        return text
    parts: list[str] = []
    position = 0
    for copy in _COPY_FROM_STDIN.finditer(text):
        if copy.start() < position:
            continue
        data_start = copy.end()
        end = _END_OF_COPY_DATA.search(text, data_start)
        data_end = end.end() if end is not None else len(text)
        parts.append(text[position:data_start])
        parts.append(re.sub(r"[^\n]", " ", text[data_start:data_end]))
        position = data_end
    parts.append(text[position:])
    return "".join(parts)
