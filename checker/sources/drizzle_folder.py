"""drizzle-kit migration folders: ``meta/_journal.json`` decides the order and which
files run; the journal's newest snapshot is what the drift checks compare with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.files import read_text
from checker.model import (
    DatabaseUrl,
    Journal,
    JournalEntry,
    JournalStatus,
    Layer,
    Layout,
    MigrationFile,
)
from checker.sources.base import SEQUENCE, SNAPSHOT, ReferenceSchema, SourceSet, sequence_of
from checker.sources.sql_files import load_sql_file, sql_files


@dataclass(frozen=True, slots=True)
class DrizzleFolder:
    """A folder with ``meta/_journal.json`` (or drizzle snapshots, whose missing
    journal is then the error: reading the folder in name order would check an
    order nobody runs)."""

    name: str = "drizzle-kit folder"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        if not isinstance(given, Path) or not given.is_dir():
            return False
        journal = given / "meta" / "_journal.json"
        return (
            journal.exists()
            or journal.is_symlink()
            or any((given / "meta").glob("*_snapshot.json"))
        )

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        journal = given / "meta" / "_journal.json"
        if not (journal.exists() or journal.is_symlink()):
            raise InputError(f"{journal}: no such file (the folder has drizzle snapshots)")
        load_drizzle_folder(sources, given, layer)  # read_text says what is wrong with it


KIND = DrizzleFolder()


def load_last_snapshot(sources: SourceSet, journal: Journal) -> None:
    """drizzle-kit's newest snapshot (``meta/NNNN_snapshot.json`` of the latest journal
    entry that has one), what the next ``drizzle-kit generate`` diffs against: compared
    with the migrations when the folder is the whole input. An unreadable one, or none,
    is no reference."""
    # A hand-written migration added to the journal has no snapshot of its own: the
    # newest snapshot on disk is still what the next generate diffs against, and the
    # hand-written changes are drift from it.
    for entry in reversed(journal.entries):
        number = SEQUENCE.match(entry.tag)
        if number is None:
            continue
        path = Path(journal.folder) / "meta" / f"{number.group(1)}_snapshot.json"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            return
        sources.add_text(str(path), text)
        sources.references.append(ReferenceSchema(SNAPSHOT, str(path), text))
        return


def load_drizzle_folder(sources: SourceSet, folder: Path, layer: Layer) -> None:
    journal_path = folder / "meta" / "_journal.json"
    journal = read_journal(journal_path, folder, layer)
    sources.journals.append(journal)
    sources.add_text(str(journal_path), read_text(journal_path))
    listed: set[str] = set()
    for entry in journal.entries:
        file = folder / f"{entry.tag}.sql"
        listed.add(f"{entry.tag}.sql")
        if not file.is_file():
            sources.migrations.append(
                MigrationFile(
                    str(file),
                    entry.tag,
                    layer,
                    JournalStatus.MISSING_FILE,
                    sequence_of(entry.tag),
                    entry,
                    str(folder),
                    Layout.DRIZZLE,
                )
            )
            continue
        load_sql_file(
            sources, file, layer, JournalStatus.JOURNALED, entry, str(folder), Layout.DRIZZLE
        )
    for file in sql_files(folder):
        if file.name not in listed:
            load_sql_file(
                sources,
                file,
                layer,
                JournalStatus.NOT_IN_JOURNAL,
                None,
                str(folder),
                Layout.DRIZZLE,
            )


def read_journal(path: Path, folder: Path, layer: Layer) -> Journal:
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: bad journal JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{path}:1:1: bad journal JSON: nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise InputError(f'{path}:1:1: bad journal: expected an object with an "entries" list')
    entries: list[JournalEntry] = []
    search_from = 0
    for position, raw in enumerate(data["entries"]):
        where = f"{path}: entries[{position}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: expected an object")
        tag = raw.get("tag")
        if not isinstance(tag, str) or not tag:
            raise InputError(f'{where}: "tag" must be a non-empty string')
        if (
            "/" in tag
            or "\\" in tag
            or tag.startswith(".")
            or any(ord(ch) < 32 for ch in tag)  # NUL and control characters
        ):
            raise InputError(
                f"{where}: tag {tag!r} names a file outside {folder}; refusing to read it"
            )
        idx = raw.get("idx", position)
        when = raw.get("when")
        if not isinstance(idx, int) or isinstance(idx, bool):
            raise InputError(f'{where}: "idx" must be an integer')
        if when is not None and (not isinstance(when, int) or isinstance(when, bool)):
            raise InputError(f'{where}: "when" must be an integer (epoch milliseconds)')
        found = text.find(json.dumps(tag), search_from)
        offset = found if found >= 0 else 0
        search_from = max(search_from, found + 1)
        entries.append(JournalEntry(idx, tag, when, bool(raw.get("breakpoints", True)), offset))
    return Journal(str(path), str(folder), layer, tuple(entries))
