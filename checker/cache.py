"""The run cache: what a check of the same inputs already found, kept on disk.

A re-run of unchanged inputs, and the base of a ``--since`` or ``--extension``
run that was seen before, need neither parsing, simulation nor rules. Entries
are keyed by a SHA-256 of everything the result depends on: this tool's version,
pglast's and Python's versions, the settings, the ordered inputs with the bytes of
every file under them, the change's files and the rule selection. An entry holds
the inputs as read (files, statements) and the findings; never the parse trees,
which are slower to load than to rebuild.

An entry is ``MAGIC + SHA-256(payload) + payload`` (a pickle), written to a
temporary file and renamed into place, so concurrent runs never see half an
entry. A read that finds a wrong magic, a wrong digest or anything that fails
to load is a miss: the run computes the result as if there were no cache.
The digest only guards against damage (a truncated or flipped file, another
version's entry), not against someone who can write to the cache folder: such a
person can edit the inputs as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from checker import __version__

CACHE_DIR_NAME = ".schema_check_cache"
_MAGIC = b"schema-check cache 1\n"
_GITIGNORE = "# schema-check's cache (schema-check cache clean removes it)\n*\n"


_CODE_PACKAGES = ("checker", "rules")


def code_fingerprint() -> tuple[object, ...]:
    """What versions an entry besides ``__version__``, cheaply (no imports): the
    size and modification time of this tool's own modules (an edited rule must not
    see its old findings), the text of pglast's ``__init__`` (its version, which
    fixes the parser's), and the modification times of the import path's folders
    (installing or removing a package, a rule plugin too, changes them) but the
    working directory's and this tool's own."""
    here = Path(__file__).resolve().parent.parent
    stamps: list[tuple[str, int, int]] = []
    for package in _CODE_PACKAGES:
        stack = [here / package]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir() and entry.name != "__pycache__":
                    stack.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    stamps.append((entry.path, info.st_mtime_ns, info.st_size))
    # Not the working directory (``python -m`` puts it on the path, and a report written
    # there would change its time and empty the cache for the next run) nor the folder
    # of this tool's own packages (its modules are stamped one by one above).
    skip = {os.path.realpath("."), os.path.realpath(here)}
    folders: list[tuple[str, int]] = []
    for folder in sys.path:
        with contextlib.suppress(OSError):
            if os.path.realpath(folder or ".") not in skip:
                folders.append((folder, os.stat(folder or ".").st_mtime_ns))
    pglast_init = b""
    spec = importlib.util.find_spec("pglast")
    if spec is not None and spec.origin:
        with contextlib.suppress(OSError):
            pglast_init = Path(spec.origin).read_bytes()
    return (sorted(stamps), folders, hashlib.sha256(pglast_init).hexdigest())


def cache_location(config: Path | None, inputs: Iterable[Path]) -> Path:
    """Where the cache lives: ``$SCHEMA_CHECK_CACHE_DIR`` when set; else
    ``.schema_check_cache`` beside the config file; without a config, or when the
    config's folder is an input folder, inside one, or holds an input file (nothing
    the user gave is modified), ``$XDG_CACHE_HOME/schema-check``."""
    explicit = os.environ.get("SCHEMA_CHECK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "schema-check"
    if config is None:
        return xdg  # an ad-hoc run leaves nothing in the working directory
    home = config.parent.resolve()
    for given in inputs:
        try:
            folder = given.resolve()
        except (OSError, RuntimeError):
            continue
        if not folder.is_dir():
            folder = folder.parent  # the folder of an input file is the user's too
        if home == folder or folder in home.parents:
            return xdg
    return home / CACHE_DIR_NAME


# How large the cache may grow (``$SCHEMA_CHECK_CACHE_MAX_MB`` overrides it): every new
# head of a history adds its inputs as read, its findings and a checkpoint (a few MB for a
# history of 300 files), and a CI cache restored and saved commit after commit keeps them all
DEFAULT_MAX_MB = 256.0
# How often a run looks at the cache's size (a look lists every entry)
_PRUNE_EVERY = 600.0  # seconds
# A kept merge-base extraction, or an entry being written (``.tmp-*``), younger than this is
# never removed: a run may be reading or writing it
_STILL_IN_USE = 3600.0  # seconds
_ENTRY_KINDS = ("sources", "runs", "checkpoints", "rule-prefixes", "splits", "reference")


def max_bytes() -> int:
    """The cache's size limit, from ``$SCHEMA_CHECK_CACHE_MAX_MB`` or the default."""
    given = os.environ.get("SCHEMA_CHECK_CACHE_MAX_MB", "").strip()
    try:
        megabytes = float(given) if given else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(max(megabytes, 0.0) * 1024 * 1024)


class Cache:
    """Entries under ``root``: a failure to read is a miss, a failure to write is ignored."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._code: tuple[object, ...] | None = None
        self.wrote = False  # an entry was written: the cache may have outgrown its limit

    def key(self, *parts: object) -> str:
        """The SHA-256 of ``parts`` (their reprs) and of everything that versions an entry."""
        digest = hashlib.sha256()
        if self._code is None:
            self._code = code_fingerprint()
        for part in (__version__, sys.version, self._code, *parts):
            digest.update(repr(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
        return digest.hexdigest()

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key[2:]

    def get(self, kind: str, key: str) -> object | None:
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the last entries ``prune`` removes
        head = len(_MAGIC)
        if not data.startswith(_MAGIC) or len(data) < head + 32:
            return None
        digest, payload = data[head : head + 32], data[head + 32 :]
        if hashlib.sha256(payload).digest() != digest:
            return None
        try:
            value: object = pickle.loads(payload)  # integrity checked just above
            return value
        except Exception:  # an entry that does not load is a miss
            return None

    def holds(self, kind: str, key: str) -> bool:
        """Whether an entry is there (it may still turn out damaged: ``get`` says)."""
        return self._path(kind, key).is_file()

    def put(self, kind: str, key: str, value: object) -> None:
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return
        import tempfile

        target = self._path(kind, key)
        try:
            self.prepare()
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a read-only or full disk: the run goes on without caching
        self.wrote = True

    def prune(self, limit: int | None = None, *, now: float | None = None) -> int:
        """Remove the entries used longest ago (written or read) until the cache holds at
        most three quarters of ``limit`` bytes (``max_bytes()``), when it holds more; a
        merge-base extraction only when unused for an hour. Returns the bytes removed.

        Another run may be reading an entry removed here: its read is a miss."""
        limit = max_bytes() if limit is None else limit
        now = time.time() if now is None else now
        held: list[tuple[float, int, Path, bool]] = []  # (last use, bytes, path, a folder)
        for kind in _ENTRY_KINDS:
            for folder in _subfolders(self.root / kind):
                held += [(*entry, False) for entry in _files(folder)]
        for extraction in _subfolders(self.root / "git-base"):  # ".tmp-*": one being made
            with contextlib.suppress(OSError):
                size = sum(size for _, size, _ in _files(extraction, deep=True))
                held.append((extraction.stat().st_mtime, size, extraction, True))
        total = sum(size for _, size, _, _ in held)
        if total <= limit:
            return 0
        removed = 0
        for used, size, path, is_folder in sorted(held, key=lambda entry: entry[0]):
            if total - removed <= limit * 3 // 4:
                break
            # an extraction a run may be reading, an entry another run is writing (a killed
            # run's half-written entry goes once it is old)
            if (is_folder or path.name.startswith(".tmp-")) and now - used < _STILL_IN_USE:
                continue
            if is_folder:
                import shutil

                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            removed += size
        return removed

    def prune_now_and_then(self) -> None:
        """``prune`` after a run that wrote, at most once in ``_PRUNE_EVERY`` seconds (a
        look lists every entry); a cache restored by CI is looked at on its first run."""
        if not self.wrote:
            return
        marker = self.root / ".pruned"
        with contextlib.suppress(OSError):
            if time.time() - marker.stat().st_mtime < _PRUNE_EVERY:
                return
        with contextlib.suppress(OSError):
            marker.touch()
            self.prune()

    def prepare(self) -> None:
        """Create the folder with its ``.gitignore`` (and a CACHEDIR.TAG for backup tools)."""
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            ignore.write_text(_GITIGNORE, encoding="utf-8")
            tag = self.root / "CACHEDIR.TAG"
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n# schema-check's cache\n",
                encoding="utf-8",
            )

    def clean(self) -> bool:
        """Remove the cache folder; False when there was none."""
        if not self.root.exists():
            return False
        if not (self.root / ".gitignore").exists() and not (self.root / "CACHEDIR.TAG").exists():
            raise OSError(f"{self.root} does not look like schema-check's cache; not removing it")
        import shutil

        shutil.rmtree(self.root)
        return True


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder) if entry.is_dir()]
    except OSError:
        return []


def _files(folder: Path, *, deep: bool = False) -> list[tuple[float, int, Path]]:
    """(modification time, size, path) of the files in ``folder`` (and below, ``deep``)."""
    found: list[tuple[float, int, Path]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                if deep:
                    found += _files(Path(entry.path), deep=True)
            elif entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                found.append((info.st_mtime, info.st_size, Path(entry.path)))
    return found


def _declared(supabase: Path) -> list[Path]:
    """The declared schema's files of a Supabase folder (the drift rules read them), and
    the schemas folder's SQL files besides: a file added there changes the list."""
    from checker.errors import InputError
    from checker.sources.declared import SCHEMAS_FOLDER, declared_files

    try:
        declared = declared_files(supabase)
    except InputError:
        return []  # a config.toml that does not parse: its own bytes are in the key
    listed = list(declared.files) if declared is not None else []
    folder = supabase / SCHEMAS_FOLDER
    if folder.is_dir():
        listed += sorted(set(folder.rglob("*.sql")) - set(listed))
    return listed


def fingerprint_inputs(paths: Iterable[Path]) -> tuple[tuple[str, str], ...] | None:
    """(path, SHA-256 of the bytes) of every file a run reads from the given inputs,
    in order; None when something cannot be read (the run then reads it and says why).

    A folder's files are those the sources read: its ``.sql`` files, ``meta/*.json``
    (drizzle's journal and snapshots), ``*/migration.sql`` and ``migration_lock.toml``
    (Prisma's layout), ``*/up.sql``, ``*/down.sql`` and ``*/metadata.toml`` (Diesel's),
    ``*.sql.conf`` (Flyway's script configurations), ``atlas.sum`` (Atlas's), and what
    names the tool applying the folder: the project's Cargo.toml or go.mod
    (``checker.files.project_manifest``), the Supabase CLI's ``config.toml`` beside
    ``supabase/migrations`` and the declared schema's files (``supabase/schemas``)."""
    found: list[tuple[str, str]] = []
    for given in paths:
        try:
            if given.is_dir():
                files = sorted(
                    {
                        *(p for p in given.glob("*") if p.suffix.lower() == ".sql"),
                        *given.glob("meta/*.json"),
                        *given.glob("*/migration.sql"),
                        *given.glob("*/up.sql"),
                        *given.glob("*/down.sql"),  # listed as not applied
                        *given.glob("*.sql.conf"),
                        *given.glob("migration_lock.toml"),
                        *given.glob("atlas.sum"),
                        *given.glob("*/metadata.toml"),
                    }
                )
                from checker.files import SUPABASE_CONFIG, is_supabase_migrations, project_manifest

                manifest = project_manifest(given)
                if manifest is not None:
                    files.append(manifest)
                if is_supabase_migrations(given):  # it names the tool too
                    files.append(given.resolve().parent / SUPABASE_CONFIG)
                    files += _declared(given.resolve().parent)
            else:
                files = [given]
            if not all(file.is_file() for file in files):
                return None  # a FIFO, a broken link: reading it is the sources' business
            for file in files:
                found.append((str(file), hashlib.sha256(file.read_bytes()).hexdigest()))
        except (OSError, RuntimeError):
            return None
    return tuple(found)
