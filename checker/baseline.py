"""Baselines: accepted findings recorded so a CI gate fails only on new ones.

A finding's fingerprint leaves out line numbers and offsets, so that adding
or removing lines above it does not make an accepted finding "new": it hashes
the rule code, the file's name (not its folder), the text of the finding's
primary span with whitespace and comments normalised, and the objects the
finding names. Equal fingerprints are counted, so two accepted findings that
look alike accept exactly two occurrences, not any number.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from checker import __version__
from checker.change import ChangeFacts
from checker.errors import InputError
from checker.files import read_text
from checker.findings import Finding
from checker.model import MigrationFile, SourceFile
from checker.platforms import is_platform_file

BASELINE_VERSION = 1
FINGERPRINT_VERSION = "v1"
# Long spans (a whole CREATE TABLE) are identified well enough by their start;
# capping keeps unrelated edits far down a statement from changing it.
_SPAN_LIMIT = 400
_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding (or ``count`` identical-looking ones)."""

    fingerprint: str
    code: str
    file: str  # file name only, as in the fingerprint
    objects: tuple[str, ...] = ()
    message: str = ""  # for people reading the file; matching ignores it
    count: int = 1


@dataclass(frozen=True, slots=True)
class Baseline:
    """The findings a team accepted, and the digest of each migration file at the time."""

    entries: tuple[BaselineEntry, ...] = ()
    path: str = ""
    # migration file (relative to its folder) -> digest of its text when the baseline was
    # written: a later run knows which files are new or edited since, which is the change
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(entry.count for entry in self.entries)


def normalise_sql(text: str) -> str:
    """Whitespace runs collapsed, comments dropped: what survives reformatting."""
    text = _BLOCK_COMMENT.sub(" ", _LINE_COMMENT.sub(" ", text))
    return _WHITESPACE.sub(" ", text).strip()


def fingerprint(finding: Finding, files: Mapping[str, SourceFile]) -> str:
    """A stable identity for ``finding`` that survives line shifts."""
    primary = finding.primary
    file_name = PurePath(primary.file).name if primary else ""
    span = ""
    if primary is not None:
        source = files.get(primary.file)
        if source is not None:
            span = normalise_sql(source.text[primary.start : primary.end])[:_SPAN_LIMIT]
    if not span and not finding.objects:
        # Nothing else identifies it: fall back to the message, which names what it can.
        span = finding.message
    parts = [FINGERPRINT_VERSION, finding.code, file_name, span, *sorted(finding.objects)]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:20]


def migration_digests(
    migrations: Iterable[MigrationFile], files: Mapping[str, SourceFile]
) -> dict[str, str]:
    """Each migration file's name within its folder, and a digest of its text."""
    digests: dict[str, str] = {}
    for migration in migrations:
        source = files.get(migration.path)
        if source is None or is_platform_file(migration.path):
            continue  # unread, or the platform's objects (no file of the project)
        digests[_name_in_folder(migration)] = hashlib.sha256(
            source.text.encode("utf-8")
        ).hexdigest()[:20]
    return dict(sorted(digests.items()))


def _name_in_folder(migration: MigrationFile) -> str:
    """``0001_x.sql``, or ``20240101_init/migration.sql`` for Prisma's folder per migration."""
    if migration.folder is not None:
        try:
            return PurePath(migration.path).relative_to(migration.folder).as_posix()
        except ValueError:
            pass
    return PurePath(migration.path).name


def changed_since_baseline(
    baseline: Baseline, migrations: Iterable[MigrationFile], files: Mapping[str, SourceFile]
) -> ChangeFacts | None:
    """The change since the baseline was written: the migration files (paths as the run
    names them) new or edited since, those of them it recorded (edited: their text then
    is unknown, only its digest), and the files it recorded that are gone. None when
    nothing changed or the baseline records no files."""
    if not baseline.files:
        return None
    migrations = list(migrations)
    now = migration_digests(migrations, files)
    by_name = {_name_in_folder(m): m.path for m in migrations}
    changed = [name for name, digest in now.items() if baseline.files.get(name) != digest]
    # a recorded file that is gone, named as the run would name it in its folder
    folder = next((m.folder for m in migrations if m.folder is not None), None)
    gone = [name for name in baseline.files if name not in now]
    deleted = tuple(str(PurePath(folder) / name) for name in sorted(gone)) if folder else ()
    if not changed and not deleted:
        return None
    return ChangeFacts(
        files=frozenset(by_name[name] for name in changed),
        deleted=deleted,
        edited=tuple(sorted(by_name[name] for name in changed if name in baseline.files)),
        before="when the baseline was written",
    )


def build_baseline(findings: Iterable[Finding], files: Mapping[str, SourceFile]) -> Baseline:
    """The baseline that accepts exactly ``findings``."""
    counts: Counter[str] = Counter()
    first: dict[str, Finding] = {}
    for finding in findings:
        key = fingerprint(finding, files)
        counts[key] += 1
        first.setdefault(key, finding)
    entries = []
    for key, finding in first.items():
        primary = finding.primary
        entries.append(
            BaselineEntry(
                fingerprint=key,
                code=finding.code,
                file=PurePath(primary.file).name if primary else "",
                objects=tuple(sorted(finding.objects)),
                message=finding.message,
                count=counts[key],
            )
        )
    entries.sort(key=lambda e: (e.code, e.file, e.objects, e.fingerprint))
    return Baseline(tuple(entries))


def render_baseline(baseline: Baseline) -> str:
    """The baseline file's text: sorted, no timestamps, byte-identical for equal input."""
    document = {
        "schema_check_baseline": BASELINE_VERSION,
        "fingerprint": FINGERPRINT_VERSION,
        "tool": {"name": "schema-check", "version": __version__},
        "total": baseline.total,
        "files": dict(baseline.files),
        "findings": [
            {
                "fingerprint": entry.fingerprint,
                "code": entry.code,
                "file": entry.file,
                "objects": list(entry.objects),
                "count": entry.count,
                "message": entry.message,
            }
            for entry in baseline.entries
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(
    findings: Iterable[Finding],
    files: Mapping[str, SourceFile],
    path: Path,
    migrations: Iterable[MigrationFile] = (),
) -> Baseline:
    """Record ``findings`` as accepted in ``path`` (and the migration files they were found
    in, so a later run knows what changed since); returns what was written."""
    baseline = build_baseline(findings, files)
    baseline = Baseline(baseline.entries, files=migration_digests(migrations, files))
    try:
        path.write_text(render_baseline(baseline), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return Baseline(baseline.entries, str(path), baseline.files)


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; every problem is an InputError naming the place."""
    if not path.exists() and not path.is_symlink():
        raise InputError(
            f"{path}: no such baseline file (create one with `schema-check baseline -o {path}`)"
        )
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: bad baseline JSON: {exc.msg}") from None
    if not isinstance(data, dict) or "schema_check_baseline" not in data:
        raise InputError(
            f'{path}:1:1: not a schema-check baseline (no "schema_check_baseline" key)'
        )
    version = data["schema_check_baseline"]
    if version != BASELINE_VERSION:
        raise InputError(
            f"{path}: baseline format {version!r} is not supported (expected {BASELINE_VERSION}); "
            "regenerate it with `schema-check baseline`"
        )
    if data.get("fingerprint", FINGERPRINT_VERSION) != FINGERPRINT_VERSION:
        raise InputError(
            f"{path}: fingerprints of kind {data.get('fingerprint')!r} are not supported "
            f"(expected {FINGERPRINT_VERSION!r}); regenerate it with `schema-check baseline`"
        )
    raw_entries = data.get("findings")
    if not isinstance(raw_entries, list):
        raise InputError(f'{path}: "findings" must be a list')
    entries = [_entry(raw, f"{path}: findings[{index}]") for index, raw in enumerate(raw_entries)]
    recorded = data.get("files", {})
    if not isinstance(recorded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in recorded.items()
    ):
        raise InputError(f'{path}: "files" must map file names to digests')
    return Baseline(tuple(entries), str(path), recorded)


def _entry(raw: Any, where: str) -> BaselineEntry:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object")
    key = raw.get("fingerprint")
    code = raw.get("code")
    if not isinstance(key, str) or not key:
        raise InputError(f'{where}: "fingerprint" must be a non-empty string')
    if not isinstance(code, str) or not code:
        raise InputError(f'{where}: "code" must be a non-empty string')
    count = raw.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise InputError(f'{where}: "count" must be a positive integer')
    objects = raw.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, str) for o in objects):
        raise InputError(f'{where}: "objects" must be a list of strings')
    file = raw.get("file", "")
    message = raw.get("message", "")
    if not isinstance(file, str) or not isinstance(message, str):
        raise InputError(f'{where}: "file" and "message" must be strings')
    return BaselineEntry(key, code, file, tuple(objects), message, count)


def apply_baseline(
    findings: Sequence[Finding], baseline: Baseline, files: Mapping[str, SourceFile]
) -> tuple[list[Finding], list[BaselineEntry]]:
    """Split off accepted findings.

    Returns the findings the baseline does not accept (in their order) and
    the baseline entries that no longer occur (``count`` says how many of
    the recorded occurrences are gone), so a gate can report them as fixed.
    """
    remaining: Counter[str] = Counter()
    for entry in baseline.entries:
        remaining[entry.fingerprint] += entry.count
    new: list[Finding] = []
    for finding in findings:
        key = fingerprint(finding, files)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            new.append(finding)
    fixed: list[BaselineEntry] = []
    seen: set[str] = set()
    for entry in baseline.entries:
        if entry.fingerprint in seen:
            continue
        seen.add(entry.fingerprint)
        gone = remaining[entry.fingerprint]
        if gone > 0:
            fixed.append(
                BaselineEntry(
                    entry.fingerprint, entry.code, entry.file, entry.objects, entry.message, gone
                )
            )
    return new, fixed
