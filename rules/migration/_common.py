"""Helpers shared by the MG rules: places in journals and files, and layer numbering."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from checker import syntax as pg_parser
from checker.model import (
    Journal,
    JournalEntry,
    Layer,
    MigrationFile,
    Origin,
    Statement,
    file_label,
)
from checker.sources import SourceSet

_NUMBER = re.compile(r"^(\d+)")


def sequence_of(name: str) -> int | None:
    """The leading number of a migration name: 91 for ``0091_backfill``."""
    match = _NUMBER.match(name)
    return int(match.group(1)) if match else None


def journal_entry_origin(journal: Journal, entry: JournalEntry) -> Origin:
    """The ``"tag"`` string of a journal entry: where the entry is in the journal file."""
    return Origin(
        journal.path, entry.offset, entry.offset + len(json.dumps(entry.tag)), -1, journal.layer
    )


def file_origin(sources: SourceSet, migration: MigrationFile) -> Origin:
    """The first line of a migration file (the file as a whole has no better place)."""
    source = sources.files.get(migration.path)
    text = source.text if source is not None else ""
    end = text.find("\n")
    return Origin(migration.path, 0, len(text) if end < 0 else end, -1, migration.layer)


def journals_by_folder(sources: SourceSet) -> dict[str, Journal]:
    return {journal.folder: journal for journal in sources.journals}


def migration_origin(sources: SourceSet, migration: MigrationFile) -> Origin:
    """Where a migration is declared: its journal entry when it has one, else its file."""
    if migration.journal is not None and migration.folder is not None:
        journal = journals_by_folder(sources).get(migration.folder)
        if journal is not None:
            return journal_entry_origin(journal, migration.journal)
    return file_origin(sources, migration)


def label(migration: MigrationFile) -> str:
    """How a message names a migration: its file name (Prisma's: its folder/migration.sql)."""
    return file_label(migration.path)


def relative(sources: SourceSet, origin: Origin) -> str:
    """``file:line`` of an origin, for messages that point at another place."""
    source = sources.files.get(origin.file)
    line = source.line_col(origin.start)[0] if source is not None else 1
    return f"{file_label(origin.file)}:{line}"


@dataclass(frozen=True, slots=True)
class Folder:
    """The numbered migration files of one folder (one layer's drizzle or SQL folder)."""

    path: str
    layer: Layer
    migrations: tuple[MigrationFile, ...]

    @property
    def numbered(self) -> list[MigrationFile]:
        return [m for m in self.migrations if m.sequence is not None]

    @property
    def sequences(self) -> list[int]:
        return sorted({m.sequence for m in self.migrations if m.sequence is not None})

    def continues_numbering(self) -> bool:
        """An extension folder whose first number is not 0 continues another folder's sequence.

        drizzle-kit numbers a fresh folder from 0000; a folder that starts at
        0092 was numbered to follow the base ("following Sim's pattern") and
        will be merged into the base's folder, so its numbers must fit there.
        """
        sequences = self.sequences
        return self.layer is Layer.EXTENSION and bool(sequences) and sequences[0] > 0


def migration_folders(sources: SourceSet) -> list[Folder]:
    """Every SQL or drizzle folder of the inputs, in input order (not markdown or lone files)."""
    grouped: dict[str, list[MigrationFile]] = {}
    for migration in sources.migrations:
        if migration.folder is None or migration.layer is Layer.PROPOSAL:
            continue
        grouped.setdefault(migration.folder, []).append(migration)
    # A base folder holding the change's files (``--since``) is still one base folder.
    return [
        Folder(path, min((m.layer for m in items), key=_LAYER_ORDER.index), tuple(items))
        for path, items in grouped.items()
    ]


_LAYER_ORDER = [Layer.BASE, Layer.EXTENSION, Layer.PROPOSAL]


def base_numbers(folders: Iterable[Folder]) -> dict[int, list[MigrationFile]]:
    """Every number the base layer's folders use, with the files that use it."""
    numbers: dict[int, list[MigrationFile]] = {}
    for folder in folders:
        if folder.layer is not Layer.BASE:
            continue
        for migration in folder.numbered:
            assert migration.sequence is not None
            numbers.setdefault(migration.sequence, []).append(migration)
    return numbers


def string_constants(statement: Statement) -> list[tuple[str, int, int]]:
    """Every string constant of a statement: (value, start, end) with offsets in its text.

    pglast keeps no location on constants, so they come from the scanner.
    """
    try:
        tokens = pg_parser.scan(statement.text)
    except pg_parser.ParseError:
        return []
    found: list[tuple[str, int, int]] = []
    for token in tokens:
        if token.name != "SCONST":
            continue
        raw = statement.text[token.start : token.end + 1]
        if raw.startswith("'") and raw.endswith("'"):
            found.append((raw[1:-1].replace("''", "'"), token.start, token.end + 1))
    return found


def item_end(statement: Statement, start: int) -> int:
    """Where the list item that starts at ``start`` ends (an offset in the statement's
    text): before the first comma outside parentheses, so a finding on one command of a
    multi-command ALTER TABLE marks that command, not the rest of the statement."""
    text = statement.text
    try:
        tokens = pg_parser.scan(text)
    except pg_parser.ParseError:
        return len(text)
    depth = 0
    end = len(text)
    for token in tokens:
        if token.start < start:
            continue
        piece = text[token.start : token.end + 1]
        if piece in ("(", "["):
            depth += 1
        elif piece in (")", "]"):
            depth -= 1
            if depth < 0:
                return end
        elif depth == 0 and piece in (",", ";"):
            return end
        end = token.end + 1
    return end
