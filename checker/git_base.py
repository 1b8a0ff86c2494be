"""The base of a pull request, read through git: migration folders as they were at the merge base.

``schema-check check --since REF`` judges what changed since ``git merge-base REF HEAD``.
The folders' files at that commit are read with ``git archive`` into a temporary
directory that is removed when the run ends (no checkout, no worktree); the
change is every file of those folders that was added, edited or deleted since,
uncommitted edits and untracked files included, as a pull request would carry them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from checker.errors import InputError


@dataclass(frozen=True, slots=True)
class GitBase:
    """The folders at the merge base, and what the working tree changed in them."""

    ref: str
    merge_base: str  # full commit id
    folders: tuple[Path, ...]  # as the user gave them
    base_folders: tuple[Path, ...]  # the same folders at the merge base (temporary)
    added: tuple[str, ...] = ()  # paths as the run names them (the user's folder + name)
    edited: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    previous: dict[str, str] = field(default_factory=dict)  # edited or deleted path -> old text
    # each folder's extraction root (resolved) with the repository's root: a file read
    # above a base folder (a project manifest) is the repository's file there
    roots: tuple[tuple[Path, Path], ...] = ()
    # the files of a Supabase project's declared schema (``supabase/schemas``) that the
    # change added, edited or deleted: no migrations, but the drift rules compare with them
    declared: tuple[str, ...] = ()

    @property
    def change_files(self) -> frozenset[str]:
        return frozenset(self.added + self.edited)

    @property
    def short(self) -> str:
        return self.merge_base[:10]


def _git(root: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *arguments], capture_output=True, check=False
        )
    except FileNotFoundError:
        raise InputError("--since needs git, which is not installed (or not on PATH)") from None


def _text(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode("utf-8", "replace").strip()


def _error(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0].removeprefix("fatal: ") if lines else f"git exited with {result.returncode}"


def _repository_root(folder: Path) -> Path:
    probe = folder if folder.is_dir() else folder.parent
    if not probe.exists():
        raise InputError(f"{folder}: no such file or directory")
    result = _git(probe, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise InputError(f"{folder}: --since needs a git repository ({_error(result)})")
    return Path(_text(result))


def _merge_base(root: Path, ref: str) -> str:
    if ref.startswith("-"):
        raise InputError(f"--since {ref}: not a git revision")
    known = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if known.returncode != 0:
        shallow = _text(_git(root, "rev-parse", "--is-shallow-repository")) == "true"
        hint = (
            " (this is a shallow clone: fetch the branch, e.g. `git fetch origin "
            f"{ref.removeprefix('origin/')}`, or check out with fetch-depth: 0)"
            if shallow
            else " (fetch it first, e.g. `git fetch origin`)"
        )
        raise InputError(f"--since {ref}: unknown git revision in {root}{hint}")
    result = _git(root, "merge-base", ref, "HEAD")
    if result.returncode != 0 or not _text(result):
        shallow = _text(_git(root, "rev-parse", "--is-shallow-repository")) == "true"
        if shallow:
            raise InputError(
                f"--since {ref}: no merge base with HEAD in this shallow clone of {root}: fetch "
                "more history (`git fetch --unshallow`, or actions/checkout with fetch-depth: 0)"
            )
        raise InputError(f"--since {ref}: {ref} and HEAD have no common ancestor in {root}")
    return _text(result).splitlines()[0]


def _relevant(name: str) -> bool:
    """Files of a migration folder that a run reads: SQL files and drizzle's journal."""
    return name.endswith(".sql") or name.endswith("meta/_journal.json")


def _files_under(folder: Path) -> dict[str, Path]:
    """Relative path -> path of the folder's relevant files in the working tree."""
    if folder.is_file():
        return {folder.name: folder}
    found: dict[str, Path] = {}
    # os.walk rather than Path.rglob: a history's hundreds of files, twice per run
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        inside = os.path.relpath(directory, folder).replace(os.sep, "/")
        for name in sorted(names):
            relative = name if inside == "." else f"{inside}/{name}"
            if _relevant(relative) and os.path.isfile(os.path.join(directory, name)):
                found[relative] = folder / relative
    return dict(sorted(found.items(), key=lambda item: item[0].split("/")))  # as Paths sort


@contextmanager
def git_base(folders: Sequence[Path], ref: str, keep_in: Path | None = None) -> Iterator[GitBase]:
    """The folders at ``git merge-base REF HEAD``, extracted for the length of the block.

    With ``keep_in`` (the run cache's folder) the extraction is kept there, named by
    the commit and the folders, and reused by the next run against the same merge
    base: the same paths make the base's cached findings a hit."""
    if not folders:
        raise InputError("--since: give the migration folders (PATH ...) or [layers] base")
    roots = {_repository_root(folder) for folder in folders}
    if len(roots) > 1:
        listed = ", ".join(sorted(str(r) for r in roots))
        raise InputError(f"--since: the folders belong to different git repositories ({listed})")
    root = roots.pop()
    merge_base = _merge_base(root, ref)
    insides = [folder.resolve().relative_to(root.resolve()).as_posix() for folder in folders]
    with _scratch(root, merge_base, insides, keep_in) as scratch:
        base_folders: list[Path] = []
        added: list[str] = []
        edited: list[str] = []
        deleted: list[str] = []
        previous: dict[str, str] = {}
        declared: list[str] = []
        for position, folder in enumerate(folders):
            inside = insides[position]
            target = scratch / str(position)
            base_folder = target / inside if inside != "." else target
            if folder.is_file():
                base_folder = target / inside
            base_folders.append(base_folder)
            old = _files_under(base_folder) if base_folder.exists() else {}
            new = _files_under(folder)
            for relative, path in new.items():
                name = str(path)
                if relative not in old:
                    added.append(name)
                    continue
                before = old[relative].read_bytes()
                if before != path.read_bytes():
                    edited.append(name)
                    previous[name] = before.decode("utf-8", "replace")
            for relative in sorted(set(old) - set(new)):
                name = str(folder / relative) if folder.is_dir() else str(folder)
                deleted.append(name)
                previous[name] = old[relative].read_bytes().decode("utf-8", "replace")
            if folder.is_dir() and _supabase_inside(inside) is not None:
                declared += _declared_changes(folder.parent, base_folder.parent)
        yield GitBase(
            ref,
            merge_base,
            tuple(folders),
            tuple(base_folders),
            tuple(added),
            tuple(edited),
            tuple(deleted),
            previous,
            tuple((scratch.resolve() / str(p), root.resolve()) for p in range(len(folders))),
            tuple(dict.fromkeys(declared)),
        )


def _declared_changes(supabase: Path, base: Path) -> list[str]:
    """The declared schema's files (as the run names them) that differ from the merge
    base's: added, edited, or gone (then named where they were)."""
    from checker.sources.declared import declared_files

    def relative(root: Path) -> dict[str, Path]:
        try:
            found = declared_files(root) if root.is_dir() else None
        except InputError:
            return {}  # a config.toml that does not parse: the run itself says so
        if found is None:
            return {}
        return {os.path.relpath(path, root): path for path in found.files}

    now, then = relative(supabase), relative(base)
    changed = [
        str(path)
        for name, path in now.items()
        if name not in then or then[name].read_bytes() != path.read_bytes()
    ]
    return changed + [str(supabase / name) for name in then if name not in now]


@contextmanager
def _scratch(
    root: Path, commit: str, insides: Sequence[str], keep_in: Path | None
) -> Iterator[Path]:
    """A folder holding ``<position>/<inside>`` of each folder as of ``commit``."""
    if keep_in is None:
        with tempfile.TemporaryDirectory(prefix="schema-check-base-") as scratch:
            _extract_all(root, commit, insides, Path(scratch))
            yield Path(scratch)
        return
    import hashlib

    where = repr((str(root.resolve()), list(insides), _EXTRACTION))
    kept = keep_in / "git-base" / f"{commit}-{hashlib.sha256(where.encode()).hexdigest()[:16]}"
    if kept.is_dir():
        with contextlib.suppress(OSError):
            os.utime(kept)  # in use: the cache's pruning keeps it (Cache.prune)
    else:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".tmp-", dir=kept.parent) as scratch:
                _extract_all(root, commit, insides, Path(scratch))
                with contextlib.suppress(OSError):  # another run published it first
                    Path(scratch).rename(kept)
                    Path(scratch).mkdir()  # for the clean-up of TemporaryDirectory
        except OSError:  # the cache folder cannot be written: extract for this run only
            with tempfile.TemporaryDirectory(prefix="schema-check-base-") as scratch:
                _extract_all(root, commit, insides, Path(scratch))
                yield Path(scratch)
            return
    yield kept


# What a kept extraction holds; bumped when that changes, so an older one is not reused
# (2: the project manifests above each folder, and the repository-root marker; 3: a
# Supabase project's declared schema)
_EXTRACTION = 3


def _extract_all(root: Path, commit: str, insides: Sequence[str], scratch: Path) -> None:
    for position, inside in enumerate(insides):
        target = scratch / str(position)
        target.mkdir()
        _extract(root, commit, inside, target)
        manifests = _manifests_above(root, commit, inside)
        if manifests:
            _extract(root, commit, manifests, target)
        supabase = _supabase_inside(inside)
        if supabase is not None:
            _extract_declared(root, commit, supabase, target)
        # the extraction's root is the repository's: the search for the project's manifest
        # (checker.files.project_manifest) stops here, as it does at the real one's .git
        (target / ".git").touch()


def _supabase_inside(inside: str) -> str | None:
    """The Supabase folder (``supabase``, ``app/supabase``) of a ``supabase/migrations``
    folder given as ``inside`` the repository; None for any other folder."""
    from checker.files import SUPABASE_FOLDER

    parts = [] if inside == "." else inside.split("/")
    if tuple(parts[-2:]) != SUPABASE_FOLDER:
        return None
    return "/".join(parts[:-1])


def _extract_declared(root: Path, commit: str, supabase: str, target: Path) -> None:
    """The declared schema's files as of ``commit`` (``checker.sources.declared``): the
    SQL files of the Supabase folder, and those its config.toml's ``schema_paths`` names
    outside it."""
    from checker.sources.declared import schema_paths

    specs = [f":(glob){supabase}/**/*.sql"]
    with contextlib.suppress(InputError):  # a config.toml that does not parse: said later
        config = target / supabase / "config.toml"
        for entry in (schema_paths(config) if config.is_file() else None) or ():
            path = os.path.normpath(f"{supabase}/{entry}").replace(os.sep, "/")
            if not path.startswith(f"{supabase}/") and not path.startswith(".."):
                specs.append(f":(glob){path}")
    for spec in specs:  # one by one: a pattern that matches nothing fails the whole archive
        _extract(root, commit, spec, target)


def _manifests_above(root: Path, commit: str, inside: str) -> list[str]:
    """The Cargo.toml and go.mod files, as of ``commit``, in the folders from ``inside``
    up to the repository's root, and the Supabase CLI's ``supabase/config.toml`` beside
    ``supabase/migrations``: they say which tool applies the folder."""
    from checker.files import MANIFESTS, SUPABASE_CONFIG, SUPABASE_FOLDER

    parts = [] if inside == "." else inside.split("/")
    candidates = [
        "/".join([*parts[:depth], name]) for depth in range(len(parts) + 1) for name in MANIFESTS
    ]
    if tuple(parts[-2:]) == SUPABASE_FOLDER:
        candidates.append("/".join([*parts[:-1], SUPABASE_CONFIG]))
    result = _git(root, "ls-tree", "--name-only", commit, "--", *candidates)
    return _text(result).splitlines() if result.returncode == 0 else []


def _extract(root: Path, commit: str, inside: str | list[str], target: Path) -> None:
    """Write ``inside`` (a folder or file of the repository, or several files) as of
    ``commit`` under ``target``."""
    paths = [inside] if isinstance(inside, str) else inside
    result = _git(root, "archive", "--format=tar", commit, "--", *paths)
    if result.returncode != 0:
        message = _error(result)
        if "did not match any files" in message or "pathspec" in message:
            return  # the folder is new since the merge base: the base has nothing there
        raise InputError(f"--since: cannot read {inside} at {commit[:10]}: {message}")
    import io
    import tarfile

    # Written member by member: tarfile's extractall (its "data" filter, modes and times
    # for each member) took 0.15 s for a history of 300 files. Only plain files and
    # folders are written, inside ``target`` (no absolute name, no ".."), into a folder
    # made for them: nothing else in it can redirect a write.
    made: set[Path] = set()
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        for member in archive:
            name = member.name
            if Path(name).is_absolute() or ".." in name:
                continue
            path = target / name
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                content = archive.extractfile(member)
                if content is None:
                    continue
                if path.parent not in made:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    made.add(path.parent)
                path.write_bytes(content.read())
