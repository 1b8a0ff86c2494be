"""A Supabase project's declared schema: the SQL files that say what its database should be.

With the Supabase CLI's declarative schemas, a project writes the schema it wants in
``supabase/schemas/*.sql`` (or the files ``[db.migrations] schema_paths`` of
``supabase/config.toml`` names) and ``supabase db diff`` writes the migration that gets
there. The two drift apart when a schema file is edited and no migration is written, or a
migration is written by hand and the schema files are not (the next ``supabase db diff``
then writes a DROP for it). The declared schema is a reference for the drift rules (DR6xx),
as a drizzle-kit snapshot is; ``checker.drift`` simulates its files on the platform's
objects and compares the result with the migrations'.

Which files, in which order, as the CLI takes them: each ``schema_paths`` entry (a path or
a glob, ``**`` included, relative to the ``supabase`` folder) in turn, its matches sorted,
a file matched twice kept at its first place; without ``schema_paths``, every ``.sql``
file under ``supabase/schemas``, folder by folder in name order.
"""

from __future__ import annotations

import glob
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.files import SUPABASE_CONFIG, read_text
from checker.sources.base import DECLARED, ReferenceSchema, SourceSet

SCHEMAS_FOLDER = "schemas"


@dataclass(frozen=True, slots=True)
class DeclaredFiles:
    """The declared schema's files, in the order the CLI runs them, and the
    ``schema_paths`` entries that match no file (a typo leaves a file out)."""

    files: tuple[Path, ...]
    unmatched: tuple[str, ...] = ()
    # where the list comes from: config.toml (``schema_paths``) or the schemas folder
    named_by: Path | None = None


def declared_files(supabase: Path) -> DeclaredFiles | None:
    """The declared schema of the Supabase folder ``supabase`` (the one holding
    ``config.toml`` and ``migrations``), or None when it declares none."""
    config = supabase / SUPABASE_CONFIG
    paths = schema_paths(config) if config.is_file() else None
    if paths is None:
        folder = supabase / SCHEMAS_FOLDER
        if not folder.is_dir():
            return None
        found = _walked(folder)
        return DeclaredFiles(tuple(found), named_by=folder) if found else None
    files: dict[Path, None] = {}
    unmatched: list[str] = []
    for entry in paths:
        pattern = os.path.normpath(os.path.join(str(supabase), entry))
        matches = [
            Path(match)
            for match in sorted(glob.glob(pattern, recursive=True))
            if os.path.isfile(match)
        ]
        if not matches:
            unmatched.append(entry)
        for match in matches:
            files.setdefault(match)
    return DeclaredFiles(tuple(files), tuple(unmatched), named_by=config)


def schema_paths(config: Path) -> list[str] | None:
    """``[db.migrations] schema_paths`` of ``config.toml``; None when it is not set."""
    try:
        settings = tomllib.loads(read_text(config))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{config}: not valid TOML: {exc}") from None
    database = settings.get("db", {})
    migrations = database.get("migrations", {}) if isinstance(database, dict) else {}
    if not isinstance(migrations, dict) or "schema_paths" not in migrations:
        return None
    paths = migrations["schema_paths"]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InputError(f"{config}: [db.migrations] schema_paths must be a list of paths")
    return paths or None


def _walked(folder: Path) -> list[Path]:
    """Every ``.sql`` file under ``folder``, as a walk in name order meets them (a
    folder's files and subfolders mixed, by name)."""
    found: list[Path] = []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        found += [Path(directory) / name for name in names if name.endswith(".sql")]
    return sorted(
        (path for path in found if path.is_file()),
        key=lambda path: path.relative_to(folder).parts,
    )


def add_declared_schema(sources: SourceSet) -> None:
    """The declared schema of every Supabase folder read, as a reference of the drift rules."""
    from checker.model import Layout

    folders = dict.fromkeys(
        m.folder for m in sources.migrations if m.folder and m.layout is Layout.SUPABASE
    )
    for folder in folders:
        assert folder is not None
        declared = declared_files(Path(folder).parent)
        if declared is None:
            continue
        for path in declared.files:
            if str(path) not in sources.files:
                sources.add_text(str(path), read_text(path))
        if declared.unmatched and declared.named_by is not None:
            # PS005 points at the entries in it
            sources.add_text(str(declared.named_by), read_text(declared.named_by))
        sources.references.append(
            ReferenceSchema(
                DECLARED,
                str(declared.named_by),
                "",
                tuple(str(path) for path in declared.files),
                declared.unmatched,
                sources.platform or "",
            )
        )
