"""What every kind of source shares: the SourceSet they read into and the one
interface (``SourceKind``) each kind of input implements."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from checker.errors import InputError
from checker.model import (
    DatabaseUrl,
    Journal,
    JournalStatus,
    Layer,
    MigrationFile,
    SourceFile,
    Statement,
)

if TYPE_CHECKING:
    from checker.catalog import Catalog

SEQUENCE = re.compile(r"^(\d+)")


class SourceKind(Protocol):
    """One kind of input (SQL folders and files, drizzle-kit journal folders, drizzle
    snapshots, databases, design documents, ORM exports): a new kind is one module
    with one of these, listed in ``checker.sources.kinds()``.

    ``claims`` says, without reading it, whether an input (known to exist when it
    is a path) is of this kind; ``load`` reads it into ``sources`` with its layer,
    raising InputError (one line) for bad input."""

    @property
    def name(self) -> str:
        """What the kind is called in messages ("drizzle-kit folder")."""
        ...

    def claims(self, given: Path | DatabaseUrl) -> bool: ...

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None: ...


def natural_key(name: str) -> list[int | str]:
    """Sort key that puts ``2_x`` before ``10_x``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


@dataclass(frozen=True, slots=True)
class CatalogSource:
    """A base read as a ready catalog rather than as statements."""

    label: str  # the snapshot's path, or the database URL with its password masked
    kind: str  # "drizzle snapshot" | "live database"
    layer: Layer
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class ReferenceSchema:
    """Another description of the schema the migrations build, for the drift checks (DR6xx):
    a drizzle-kit folder's last snapshot, the SQL ``drizzle-kit export`` printed of the
    ORM schema, or a Supabase project's declared schema (``supabase/schemas``). Only its
    text is kept; ``checker.drift`` turns it into a catalog on demand."""

    kind: str  # SNAPSHOT | ORM | DECLARED
    # the snapshot's path, the ORM schema's path as given, or what names the declared
    # schema's files (config.toml's ``schema_paths``, else the schemas folder)
    label: str
    text: str  # the snapshot's JSON, or the exported SQL ("" for a declared schema)
    # the ORM schema's TypeScript files, or the declared schema's SQL files, in the order
    # they run (their text is in ``SourceSet.files``)
    schema_files: tuple[str, ...] = ()
    # ``schema_paths`` entries that match no file (PS005 says so)
    unmatched: tuple[str, ...] = ()
    # the platform the declared schema's files run on: the migrations' own ("supabase"),
    # or "" for none
    platform: str = ""


@dataclass(frozen=True, slots=True)
class NotApplied:
    """A file in a migration folder that the folder's migrator does not apply."""

    path: str
    reason: str  # DOWN | DOWN_SECTION | OTHER_DATABASE | REPLACED | BEFORE_CHECKPOINT
    database: str | None = None  # OTHER_DATABASE: the database the file is for


DOWN = "down"  # undoes its up migration
OTHER_DATABASE = "other database"  # written for another database (``x.mysql.up.sql``)
REPLACED = "replaced"  # untagged, and the same migration has a PostgreSQL variant
# the file's down section (``-- +goose Down``, ``-- migrate:down``): the file is applied,
# that section is not
DOWN_SECTION = "down section"
# Atlas starts a new database at the folder's last checkpoint file (``-- atlas:checkpoint``):
# the files before it are never applied there
BEFORE_CHECKPOINT = "before checkpoint"
# the Supabase CLI applies only files named <digits>_<name>.sql and skips the others
NOT_VERSIONED = "not versioned"

SNAPSHOT = "snapshot"
ORM = "ORM"
DECLARED = "declared schema"


@dataclass(slots=True)
class SourceSet:
    """Everything read from the inputs, in apply order (base, extension, proposal)."""

    files: dict[str, SourceFile] = field(default_factory=dict)
    migrations: list[MigrationFile] = field(default_factory=list)
    journals: list[Journal] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    # at most one: the catalog the statements are simulated on top of
    catalogs: list[CatalogSource] = field(default_factory=list)
    # files (resolved paths) that are the change under review although they sit in a
    # base folder (``--since``, or a baseline's new files): their statements are the
    # extension layer, deployed as one run on top of everything before them
    change_files: frozenset[str] = frozenset()
    _change_names: set[str] = field(default_factory=set, compare=False, repr=False)
    # other descriptions of the same schema the migrations must agree with
    references: list[ReferenceSchema] = field(default_factory=list)
    # files of migration folders that a migration run does not apply (down migrations,
    # another database's variants): never read, listed so the run can say so
    not_applied: list[NotApplied] = field(default_factory=list)
    # the hosting platform whose objects the first statements make (checker/platforms.py)
    platform: str | None = None
    # the schemas the platform's API serves to its clients (Supabase's [api] schemas)
    exposed_schemas: tuple[str, ...] = ()

    @property
    def initial_catalog(self) -> Catalog | None:
        return self.catalogs[0].catalog if self.catalogs else None

    @property
    def applied_statements(self) -> list[Statement]:
        """The statements a migration run executes: files the journal does not list are skipped."""
        return [
            s for s in self.statements if s.migration.status is not JournalStatus.NOT_IN_JOURNAL
        ]

    def is_change(self, path: Path) -> bool:
        """Whether ``path`` is one of the change's files. Resolving a path costs a system
        call per folder of it: only a file whose name is a change file's, or a link, is
        resolved (a link's name need not be its target's)."""
        if not self.change_files:
            return False
        names = self._change_names
        if not names:
            names.update(posixpath.basename(p) for p in self.change_files)
        if path.name not in names and not path.is_symlink():
            return False
        return str(path.resolve()) in self.change_files

    def add_text(self, path: str, text: str) -> SourceFile:
        source = SourceFile.of(path, text)
        self.files[path] = source
        return source


def sequence_of(name: str) -> int | None:
    """The ``NNNN`` a migration's name starts with; None for no number, for a dotted
    version (``00.05.00_01_x.sql``) and for a dashed date (Diesel's
    ``2019-02-26-002946_x``), which order the files but are no sequence numbers."""
    if _VERSION.match(name):
        return None
    match = SEQUENCE.match(name)
    return int(match.group(1)) if match else None


_VERSION = re.compile(r"^\d+[.-]\d")


def check_catalog_place(sources: SourceSet, label: str, kind: str, layer: Layer) -> None:
    """A ready catalog is the starting point of the base: one, and only there.
    Checked before the (possibly slow) read."""
    if layer is not Layer.BASE:
        raise InputError(f"{label}: a {kind} is a whole schema; it can only be the base")
    if sources.catalogs:
        first = sources.catalogs[0]
        raise InputError(
            f"{label}: only one base can be a ready catalog; {first.label} ({first.kind}) is one"
        )
