"""Read inputs into statements with exact locations.

Formats: plain ``.sql`` files and folders (natural sort; down migrations and other
databases' files left out, see ``sql_files``), drizzle-kit migration
folders (``meta/_journal.json`` decides the order; ``--> statement-breakpoint``
splits files), and markdown documents (their fenced sql blocks). Every
statement keeps the character offset of its first character in the original
file, so line numbers stay those of the file on disk. A base can also be a
ready catalog instead of statements: a drizzle-kit snapshot (``.json``) or a
live database (``postgresql://...``); the other inputs are simulated on top
of it. Sources only read.

One module per kind of input, each with a ``SourceKind`` (``checker.sources.base``):
``sql_files`` (files and folders, Prisma's and Diesel's layouts), ``drizzle_folder`` (journal
folders and their last snapshot), ``drizzle_snapshot``, ``database``, ``markdown``
(design documents' sql blocks) and ``orm`` (the ORM schema as drizzle-kit exports
it, compared by the drift checks). A new kind is one module added to ``kinds()``.
They are imported when inputs are read, not with this package: a run restored from
the cache reads none (its SourceSet comes from the cache).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from checker.errors import InputError
from checker.model import DatabaseUrl, Layer, Layout, input_argument
from checker.platforms import PlatformChoice, add_platform
from checker.sources.base import (
    DECLARED,
    ORM,
    SNAPSHOT,
    CatalogSource,
    ReferenceSchema,
    SourceKind,
    SourceSet,
    natural_key,
)
from checker.sources.splitting import BREAKPOINT, split_statements

__all__ = [
    "BREAKPOINT",
    "DECLARED",
    "ORM",
    "SNAPSHOT",
    "CatalogSource",
    "ReferenceSchema",
    "SourceKind",
    "SourceSet",
    "kinds",
    "load_sources",
    "natural_key",
    "split_statements",
]


@functools.cache
def kinds() -> tuple[SourceKind, ...]:
    """The kinds of input; the first that claims an input reads it (the ORM export is no
    input of a layer: ``checker.sources.orm`` adds it as a reference)."""
    from checker.sources import database, drizzle_folder, drizzle_snapshot, markdown, sql_files

    return (
        database.KIND,
        drizzle_folder.KIND,
        sql_files.FOLDER,
        markdown.KIND,
        drizzle_snapshot.KIND,
        sql_files.FILE,
    )


def load_sources(
    inputs: Iterable[tuple[str | Path | DatabaseUrl, Layer]],
    change_files: Iterable[str | Path] = (),
    platform: PlatformChoice = PlatformChoice.NONE,
) -> SourceSet:
    """Read every input with its layer, base first, into one SourceSet.

    ``change_files`` inside base folders are read as the extension layer (the change).
    ``platform``: whose objects the database holds before the first migration (the
    config's choice; AUTO reads it from the folders' layout), put first unless the base
    is a ready catalog (a database or a snapshot, which holds what it holds)."""
    order = {Layer.BASE: 0, Layer.EXTENSION: 1, Layer.PROPOSAL: 2}
    given = [(input_argument(p) if isinstance(p, str) else p, layer) for p, layer in inputs]
    ordered = sorted(given, key=lambda item: order[item[1]])
    sources = SourceSet(change_files=frozenset(str(Path(p).resolve()) for p in change_files))
    seen: set[Path | DatabaseUrl] = set()
    for source, layer in ordered:
        if isinstance(source, DatabaseUrl):
            if source not in seen:
                seen.add(source)
                _load(sources, source, layer)
            continue
        try:
            resolved = source.resolve()
        except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop
            raise InputError(f"{source}: symbolic link loop") from None
        if resolved in seen:
            continue
        seen.add(resolved)
        _load_path(sources, source, layer)
    if len(given) == 1 and len(sources.journals) == 1:
        from checker.sources import drizzle_folder

        drizzle_folder.load_last_snapshot(sources, sources.journals[0])
    if not sources.catalogs:
        add_platform(sources, platform)
    if any(m.layout is Layout.SUPABASE for m in sources.migrations):
        from checker.sources.declared import add_declared_schema

        add_declared_schema(sources)
    return sources


def _load_path(sources: SourceSet, path: Path, layer: Layer) -> None:
    if not path.exists():
        if str(path).startswith(("postgresql:/", "postgres:/")):
            raise InputError(f"{path}: a database URL can only be given as a base")
        if path.is_symlink():
            raise InputError(f"{path}: broken symbolic link or symbolic link loop")
        raise InputError(f"{path}: no such file or directory")
    _load(sources, path, layer)


def _load(sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
    """Read one input with the first kind that claims it."""
    for kind in kinds():
        if kind.claims(given):
            kind.load(sources, given, layer)
            return
    raise InputError(f"{given}: not a kind of input schema-check reads")  # pragma: no cover
