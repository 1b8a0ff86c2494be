"""The ORM schema as SQL: ``drizzle-kit export`` run from the project's own node_modules.

drizzle-kit itself turns the TypeScript schema into the DDL it would generate,
so no TypeScript is parsed here. It runs from the ``node_modules`` found upwards
from the schema's path (or the one ``SCHEMA_CHECK_NODE_MODULES`` names), never
installed at check time; a missing Node or drizzle-kit is one line saying how
to install them. The export is no input of a layer: ``add_orm_reference`` adds it
to the SourceSet as a reference the drift checks compare the migrations with.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.model import DatabaseUrl, Layer
from checker.sources.base import ORM, ReferenceSchema, SourceSet

NODE_MODULES_VARIABLE = "SCHEMA_CHECK_NODE_MODULES"
_INSTALL = "npm install --save-dev drizzle-kit drizzle-orm"
_TIMEOUT_SECONDS = 300


@dataclass(frozen=True, slots=True)
class OrmExport:
    sql: str
    schema_files: tuple[Path, ...]  # the TypeScript files the schema is made of
    seconds: float


def find_node_modules(start: Path) -> Path | None:
    """The first ``node_modules`` with drizzle-kit, upwards from ``start``, else the
    folder ``SCHEMA_CHECK_NODE_MODULES`` names."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        found = candidate / "node_modules"
        if (found / ".bin" / "drizzle-kit").exists():
            return found
    given = os.environ.get(NODE_MODULES_VARIABLE)
    if given and (Path(given) / ".bin" / "drizzle-kit").exists():
        return Path(given)
    return None


def schema_files(path: Path) -> tuple[Path, ...]:
    """The TypeScript files of a schema given as a file or a folder."""
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.suffix in (".ts", ".mts", ".js", ".mjs")]
        return tuple(sorted(p for p in found if "node_modules" not in p.parts))
    return (path,)


def export_orm(path: Path) -> OrmExport:
    """The SQL drizzle-kit exports of the ORM schema at ``path`` (a file or a folder)."""
    import time

    if not path.exists():
        raise InputError(f"{path}: no such file or directory (--orm)")
    if shutil.which("node") is None:
        raise InputError(
            f"--orm {path}: Node.js is not installed; install Node 20+ and, in the project, "
            f"`{_INSTALL}`"
        )
    node_modules = find_node_modules(path if path.is_dir() else path.parent)
    if node_modules is None:
        raise InputError(
            f"--orm {path}: drizzle-kit not found in any node_modules above it; run "
            f"`{_INSTALL}` in the project (or set {NODE_MODULES_VARIABLE})"
        )
    environment = dict(os.environ)
    # the schema's imports (drizzle-orm) resolve from this node_modules too
    paths = [str(node_modules), environment.get("NODE_PATH", "")]
    environment["NODE_PATH"] = os.pathsep.join(p for p in paths if p)
    command = [
        str(node_modules / ".bin" / "drizzle-kit"),
        "export",
        "--dialect",
        "postgresql",
        "--schema",
        str(path),
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=environment,
            timeout=_TIMEOUT_SECONDS,
            check=False,
            cwd=str(path if path.is_dir() else path.parent),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"--orm {path}: drizzle-kit export could not run: {exc}") from None
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"exit status {done.returncode}"
        raise InputError(f"--orm {path}: drizzle-kit export failed: {last}")
    return OrmExport(done.stdout, schema_files(path), seconds)


def add_orm_reference(sources: SourceSet, orm: Path) -> float:
    """The ORM schema as drizzle-kit exports it, for the drift rules; its seconds."""
    export = export_orm(orm)
    for path in export.schema_files:
        try:
            sources.add_text(str(path), path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue  # drizzle-kit read it; without its text, findings name the file alone
    files = tuple(str(path) for path in export.schema_files)
    sources.references.append(ReferenceSchema(ORM, str(orm), export.sql, files))
    return export.seconds


@dataclass(frozen=True, slots=True)
class OrmSchema:
    """The ORM schema (``--orm`` or the config's ``orm``): never an input of a layer,
    so it claims none; ``load`` adds its export as a reference."""

    name: str = "ORM schema"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return False

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        add_orm_reference(sources, given)


KIND = OrmSchema()
