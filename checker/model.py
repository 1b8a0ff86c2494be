"""Where things come from: layers, origins and source statements.

Offsets are character offsets into the original file; reporters turn them into
1-based line and column at the edge (``SourceFile.line_col``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")


def pickled_as_tuple(cls: type[_T]) -> type[_T]:
    """Pickle a frozen slotted dataclass as its class and its field values.

    Loading then calls the generated ``__init__`` once per object, instead of the
    dataclass's generic ``__setstate__``, which looks the fields up again for
    every object: the run cache loads tens of thousands of findings, locations
    and statements, and this halves the time. Every field must be an ``__init__``
    argument (none is ``init=False``).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def reduce(self: _T) -> tuple[type[_T], tuple[object, ...]]:
        return cls, tuple([getattr(self, name) for name in names])

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


class Layer(StrEnum):
    """Which side of the composition a statement belongs to."""

    BASE = "base"
    EXTENSION = "extension"
    PROPOSAL = "proposal"


DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A live database given as an input (``postgresql://...``), read, never written.

    Kept apart from paths: ``Path`` would fold the URL's ``//``. It prints
    with its password masked.
    """

    dsn: str = field(repr=False)

    @staticmethod
    def recognise(text: str) -> bool:
        return text.startswith(DATABASE_URL_SCHEMES)

    @property
    def masked(self) -> str:
        from checker.live.backends import mask_dsn

        return mask_dsn(self.dsn)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.masked!r})"


def input_argument(text: str) -> Path | DatabaseUrl:
    """An input as given on the command line: a database URL stays whole (``Path``
    would fold its ``//``), anything else is a path."""
    return DatabaseUrl(text) if DatabaseUrl.recognise(text) else Path(text)


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Origin:
    """The place an object or finding comes from: a span of one file."""

    file: str
    start: int
    end: int
    statement: int = -1
    layer: Layer = Layer.BASE

    def narrowed(self, start: int, end: int) -> Origin:
        """The same origin, limited to a sub-span (offsets relative to the file)."""
        return Origin(self.file, start, end, self.statement, self.layer)


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one input file, kept so locations can be shown as line:col."""

    path: str
    text: str
    line_starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @staticmethod
    def of(path: str, text: str) -> SourceFile:
        starts = [0]
        pos = text.find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = text.find("\n", pos + 1)
        return SourceFile(path, text, tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self.line_starts):
            return ""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


class JournalStatus(StrEnum):
    """How a migration file relates to a drizzle-kit journal."""

    PLAIN = "plain"  # not in a drizzle folder
    JOURNALED = "journaled"  # listed in meta/_journal.json
    NOT_IN_JOURNAL = "not-in-journal"  # on disk, never applied by drizzle-kit migrate
    MISSING_FILE = "missing-file"  # in the journal, not on disk


# the file each folder of a folder-per-migration layout holds: Prisma's, Diesel's up
FOLDER_FILES = ("migration.sql", "up.sql")


def file_label(path: str) -> str:
    """How a message names a migration file: its name, with its folder's for the
    layouts whose files all share one name (``20240101_init/migration.sql``)."""
    pure = Path(path)
    shared = pure.name in FOLDER_FILES or pure.name == "down.sql"
    return f"{pure.parent.name}/{pure.name}" if shared else pure.name


class Layout(StrEnum):
    """The tool that wrote a migration folder, read from its layout."""

    DRIZZLE = "drizzle"  # meta/_journal.json
    PRISMA = "prisma"  # migration_lock.toml, <timestamp>_<name>/migration.sql
    FLYWAY = "flyway"  # V<version>__<name>.sql (and R__<name>.sql) files
    ATLAS = "atlas"  # <version>_<name>.sql files beside Atlas's atlas.sum
    # plain files whose project says which tool applies them: the nearest Cargo.toml
    # depends on sqlx or diesel, the nearest go.mod on golang-migrate
    SQLX = "sqlx"
    DIESEL = "diesel"
    GOLANG_MIGRATE = "golang-migrate"
    # supabase/migrations beside the Supabase CLI's supabase/config.toml
    SUPABASE = "supabase"
    SQL = "sql"  # plain .sql files, markdown documents


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One entry of a drizzle-kit ``meta/_journal.json``."""

    idx: int
    tag: str
    when: int | None
    breakpoints: bool
    offset: int  # character offset of the entry in the journal file


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One migration file (or markdown document) of a source, in apply order."""

    path: str
    name: str
    layer: Layer
    status: JournalStatus
    sequence: int | None  # the NNNN prefix of the file name, when there is one
    journal: JournalEntry | None = None
    folder: str | None = None  # the drizzle or SQL folder the file belongs to
    layout: Layout = Layout.SQL  # the tool that wrote it, read from the folder layout
    # the file says it runs outside a transaction (``-- +goose NO TRANSACTION``)
    no_transaction: bool = False
    # its up/down section markers (goose, sql-migrate, dbmate) name a tool that runs each
    # file in a transaction of its own
    own_transaction: bool = False

    @property
    def display_name(self) -> str:
        """How messages name the file: ``<folder>/migration.sql`` (Prisma) or
        ``<folder>/up.sql`` (Diesel), where every file has the same name; the
        migration's name elsewhere."""
        if Path(self.path).name in FOLDER_FILES:
            return file_label(self.path)
        return self.name


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Journal:
    """A drizzle-kit journal, as read from disk."""

    path: str
    folder: str
    layer: Layer
    entries: tuple[JournalEntry, ...]


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement with its exact place in its file.

    ``text`` is the statement itself (without the terminating semicolon's
    trailing whitespace); ``origin.start`` is the offset of its first character
    in the original file, so any offset inside ``text`` maps back by addition.
    """

    text: str
    origin: Origin
    migration: MigrationFile

    @property
    def index(self) -> int:
        return self.origin.statement

    @property
    def layer(self) -> Layer:
        return self.origin.layer

    def span(self, start: int, end: int) -> Origin:
        """Origin of a sub-span given as offsets relative to the statement text."""
        base = self.origin.start
        return self.origin.narrowed(base + start, base + max(start, end))
