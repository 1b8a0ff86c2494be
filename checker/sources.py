"""Read inputs into statements with exact locations.

Formats: plain ``.sql`` files and folders (natural sort), drizzle-kit migration
folders (``meta/_journal.json`` decides the order; ``--> statement-breakpoint``
splits files), and markdown documents (their fenced sql blocks). Every
statement keeps the character offset of its first character in the original
file, so line numbers stay those of the file on disk. A base can also be a
ready catalog instead of statements: a drizzle-kit snapshot (``.json``) or a
live database (``postgresql://...``); the other inputs are simulated on top
of it. Sources only read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
    Origin,
    SourceFile,
    Statement,
    input_argument,
)

if TYPE_CHECKING:
    from checker.catalog import Catalog

BREAKPOINT = "--> statement-breakpoint"
PRISMA_LOCK = "migration_lock.toml"
_SEQUENCE = re.compile(r"^(\d+)")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$", re.M)
_SQL_INFO = {"sql", "postgresql", "postgres", "pgsql", "psql", "plpgsql"}


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
    a drizzle-kit folder's last snapshot, or the SQL ``drizzle-kit export`` printed of the
    ORM schema. Only its text is kept; ``checker.drift`` turns it into a catalog on demand."""

    kind: str  # SNAPSHOT | ORM
    label: str  # the snapshot's path, or the ORM schema's path as given
    text: str  # the snapshot's JSON, or the exported SQL
    # the ORM schema's TypeScript files (their text is in ``SourceSet.files``)
    schema_files: tuple[str, ...] = ()


SNAPSHOT = "snapshot"
ORM = "ORM"


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
    # other descriptions of the same schema the migrations must agree with
    references: list[ReferenceSchema] = field(default_factory=list)

    @property
    def initial_catalog(self) -> Catalog | None:
        return self.catalogs[0].catalog if self.catalogs else None

    @property
    def applied_statements(self) -> list[Statement]:
        """The statements a migration run executes: files the journal does not list are skipped."""
        return [
            s for s in self.statements if s.migration.status is not JournalStatus.NOT_IN_JOURNAL
        ]

    def add_text(self, path: str, text: str) -> SourceFile:
        source = SourceFile.of(path, text)
        self.files[path] = source
        return source


def load_sources(
    inputs: Iterable[tuple[str | Path | DatabaseUrl, Layer]],
    change_files: Iterable[str | Path] = (),
) -> SourceSet:
    """Read every input with its layer, base first, into one SourceSet.

    ``change_files`` inside base folders are read as the extension layer (the change)."""
    order = {Layer.BASE: 0, Layer.EXTENSION: 1, Layer.PROPOSAL: 2}
    given = [(input_argument(p) if isinstance(p, str) else p, layer) for p, layer in inputs]
    ordered = sorted(given, key=lambda item: order[item[1]])
    sources = SourceSet(change_files=frozenset(str(Path(p).resolve()) for p in change_files))
    seen: set[Path | DatabaseUrl] = set()
    for source, layer in ordered:
        if isinstance(source, DatabaseUrl):
            if source not in seen:
                seen.add(source)
                _load_database(sources, source, layer)
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
        _load_last_snapshot(sources, sources.journals[0])
    return sources


def _load_last_snapshot(sources: SourceSet, journal: Journal) -> None:
    """drizzle-kit's newest snapshot (``meta/NNNN_snapshot.json`` of the latest journal
    entry that has one), what the next ``drizzle-kit generate`` diffs against: compared
    with the migrations when the folder is the whole input. An unreadable one, or none,
    is no reference."""
    # A hand-written migration added to the journal has no snapshot of its own: the
    # newest snapshot on disk is still what the next generate diffs against, and the
    # hand-written changes are drift from it.
    for entry in reversed(journal.entries):
        number = _SEQUENCE.match(entry.tag)
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


def _check_catalog_place(sources: SourceSet, label: str, kind: str, layer: Layer) -> None:
    """A ready catalog is the starting point of the base: one, and only there.
    Checked before the (possibly slow) read."""
    if layer is not Layer.BASE:
        raise InputError(f"{label}: a {kind} is a whole schema; it can only be the base")
    if sources.catalogs:
        first = sources.catalogs[0]
        raise InputError(
            f"{label}: only one base can be a ready catalog; {first.label} ({first.kind}) is one"
        )


def _load_database(sources: SourceSet, url: DatabaseUrl, layer: Layer) -> None:
    from checker.database_source import read_database

    kind = "live database"
    _check_catalog_place(sources, url.masked, kind, layer)
    sources.catalogs.append(CatalogSource(url.masked, kind, layer, read_database(url)))


def _load_json(sources: SourceSet, path: Path, layer: Layer) -> None:
    from checker.drizzle_snapshot import read_snapshot

    kind = "drizzle snapshot"
    _check_catalog_place(sources, str(path), kind, layer)
    text = read_text(path)
    catalog = read_snapshot(path, text)
    sources.add_text(str(path), text)
    sources.catalogs.append(CatalogSource(str(path), kind, layer, catalog))


def _load_path(sources: SourceSet, path: Path, layer: Layer) -> None:
    if not path.exists():
        if str(path).startswith(("postgresql:/", "postgres:/")):
            raise InputError(f"{path}: a database URL can only be given as a base")
        if path.is_symlink():
            raise InputError(f"{path}: broken symbolic link or symbolic link loop")
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir():
        journal = path / "meta" / "_journal.json"
        if journal.exists() or journal.is_symlink():
            _load_drizzle_folder(sources, path, layer)  # read_text says what is wrong with it
        elif any((path / "meta").glob("*_snapshot.json")):
            # drizzle-kit's migrator needs the journal; reading the folder in name
            # order instead would check an order nobody runs
            raise InputError(f"{journal}: no such file (the folder has drizzle snapshots)")
        else:
            _load_sql_folder(sources, path, layer)
    elif path.suffix.lower() in (".md", ".markdown"):
        _load_markdown(sources, path, layer)
    elif path.suffix.lower() == ".json":
        _load_json(sources, path, layer)
    else:
        _load_sql_file(sources, path, layer, JournalStatus.PLAIN, None, None, _layout_of_file(path))


def _sequence_of(name: str) -> int | None:
    match = _SEQUENCE.match(name)
    return int(match.group(1)) if match else None


def _sql_files(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    files = [p for p in entries if p.suffix.lower() == ".sql" and not p.is_dir()]
    for file in files:
        if not file.is_file():
            # a loop, a dangling link or a FIFO: skipping it would drop a migration unsaid
            what = "broken symbolic link or loop" if file.is_symlink() else "not a regular file"
            raise InputError(f"{file}: {what}")
    return sorted(files, key=lambda p: natural_key(p.name))


def _load_sql_folder(sources: SourceSet, folder: Path, layer: Layer) -> None:
    layout = Layout.SQL
    files = _sql_files(folder)
    if not files:
        files = _prisma_migrations(folder)
        layout = Layout.PRISMA
    elif (folder / PRISMA_LOCK).is_file():
        layout = Layout.PRISMA
    if not files:
        raise InputError(f"{folder}: no .sql files and no drizzle journal (meta/_journal.json)")
    for file in files:
        _load_sql_file(sources, file, layer, JournalStatus.PLAIN, None, str(folder), layout)


def _layout_of_file(path: Path) -> Layout:
    """A single ``migration.sql`` given alone is Prisma's when its migrations folder says so."""
    if path.name == "migration.sql" and (path.parent.parent / PRISMA_LOCK).is_file():
        return Layout.PRISMA
    return Layout.SQL


def _prisma_migrations(folder: Path) -> list[Path]:
    """Prisma's layout: one folder per migration (``20240101000000_init/``), each
    holding ``migration.sql``; the folders' names give the order."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    found = [
        entry / "migration.sql"
        for entry in entries
        if entry.is_dir() and not entry.is_symlink() and (entry / "migration.sql").is_file()
    ]
    return sorted(found, key=lambda p: natural_key(p.parent.name))


def _load_sql_file(
    sources: SourceSet,
    path: Path,
    layer: Layer,
    status: JournalStatus,
    entry: JournalEntry | None,
    folder: str | None,
    layout: Layout = Layout.SQL,
) -> None:
    text = read_text(path)
    if sources.change_files and str(path.resolve()) in sources.change_files:
        layer = Layer.EXTENSION
    # Prisma names every file migration.sql: its folder carries the name
    name = path.parent.name if path.name == "migration.sql" else path.stem
    migration = MigrationFile(
        str(path), name, layer, status, _sequence_of(name), entry, folder, layout
    )
    sources.migrations.append(migration)
    sources.add_text(str(path), text)
    sql_text = _blank_copy_data(text)
    for start, end in _chunks(sql_text):
        for s_start, s_end in split_statements(sql_text, start, end):
            origin = Origin(str(path), s_start, s_end, len(sources.statements), layer)
            sources.statements.append(Statement(text[s_start:s_end], origin, migration))


_COPY_FROM_STDIN = re.compile(r"^[ \t]*COPY\b[^;]*\bFROM[ \t]+stdin\b[^;\n]*;[ \t]*$", re.I | re.M)
_END_OF_COPY_DATA = re.compile(r"^\\\.[ \t]*$", re.M)


def _blank_copy_data(text: str) -> str:
    """The text with the data rows of ``COPY ... FROM stdin;`` blocks (pg_dump
    output) blanked out up to their ``\\.`` line: data is not SQL. Lengths and
    line breaks are kept, so every offset still points into the file."""
    if "\\." not in text:
        return text
    parts: list[str] = []
    position = 0
    for copy in _COPY_FROM_STDIN.finditer(text):
        if copy.start() < position:
            continue
        data_start = copy.end()
        end = _END_OF_COPY_DATA.search(text, data_start)
        data_end = end.end() if end is not None else len(text)
        parts.append(text[position:data_start])
        parts.append(re.sub(r"[^\n]", " ", text[data_start:data_end]))
        position = data_end
    parts.append(text[position:])
    return "".join(parts)


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """Spans between drizzle's ``--> statement-breakpoint`` marker lines."""
    start = 0
    for match in re.finditer(r"^[ \t]*-->[ \t]*statement-breakpoint[^\n]*$", text, re.M):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


_ATOMIC_BODY = re.compile(r"\bbegin\s+atomic\b", re.IGNORECASE)


def split_statements(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into statements on top-level semicolons.

    Uses PostgreSQL's own scanner, so semicolons in strings, comments and
    dollar-quoted bodies do not split. Leading comments and whitespace are
    not part of a statement; a chunk with nothing but comments yields none.
    When the scanner fails (an unterminated string), the rest of the chunk is
    one statement and the parser reports the error.
    """
    from pglast import parser as pg_parser  # here: a run restored from the cache reads no SQL

    chunk = text[start:end]
    if chunk.isascii():
        fast = _split_plain(chunk)
        if fast is not None:
            return [(start + s, start + e) for s, e in fast]
    try:
        tokens = pg_parser.scan(chunk)
    except pg_parser.ParseError:
        tokens = None
    spans: list[tuple[int, int]] = []
    if tokens is None:
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((start + lead, start + lead + len(stripped)))
        return spans
    stmt_start: int | None = None
    last_end = 0
    leading: list[str] = []  # the statement's first keywords
    depth = 0  # BEGIN (ATOMIC) / CASE ... END nesting inside CREATE FUNCTION/PROCEDURE
    for token in tokens:
        name = token.name
        if name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if name == "ASCII_59" and depth == 0:  # ';' outside a SQL-standard body
            if stmt_start is not None:
                spans.append((start + stmt_start, start + last_end))
            stmt_start = None
            leading = []
            continue
        if stmt_start is None:
            stmt_start = token.start
        if len(leading) < 4:
            leading.append(name)
        if _routine(leading):
            # as psql does: a body written BEGIN ATOMIC ... END holds semicolons
            if name in ("BEGIN_P", "CASE"):
                depth += 1
            elif name == "END_P" and depth > 0:
                depth -= 1
        last_end = token.end + 1
    if stmt_start is not None:
        spans.append((start + stmt_start, start + last_end))
    return spans


def _routine(leading: list[str]) -> bool:
    """Whether a statement's first keywords are CREATE [OR REPLACE] FUNCTION/PROCEDURE."""
    words = leading[3:4] if leading[1:3] == ["OR", "REPLACE"] else leading[1:2]
    return leading[:1] == ["CREATE"] and words[:1] in (["FUNCTION"], ["PROCEDURE"])


def _split_plain(chunk: str) -> list[tuple[int, int]] | None:
    """Statement spans of an ASCII chunk, or None to take the token-by-token path.

    pglast's scanner-based split does in C what split_statements does per token
    in Python. Its slices keep leading comments (skipped here) and would keep a
    comment before a statement's ``;`` (then this gives up), and it drops a
    statement that starts with a plain identifier (``x; SELECT 1``), so the
    slices must leave nothing but whitespace, comments and semicolons between them.
    """
    from pglast import parser as pg_parser

    if _ATOMIC_BODY.search(chunk):
        return None  # BEGIN ATOMIC ... END holds semicolons: the token path keeps it whole
    try:
        slices = pg_parser.split(chunk, with_parser=False, only_slices=True)
    except pg_parser.ParseError:
        return None
    spans: list[tuple[int, int]] = []
    covered = 0
    for piece in slices:
        if _skip_filler(chunk, covered, piece.start, semicolons=True) != piece.start:
            return None
        start = _skip_filler(chunk, piece.start, piece.stop, semicolons=False)
        if start < piece.stop:
            body = chunk[start : piece.stop]
            if "--" in body or "/*" in body or ";" in body:
                # a comment before the statement's end, or a ';' inside parentheses
                # (pglast does not split there; PostgreSQL's scanner does)
                return None
            spans.append((start, piece.stop))
        covered = piece.stop
    if _skip_filler(chunk, covered, len(chunk), semicolons=True) != len(chunk):
        return None
    return spans


def _skip_filler(text: str, position: int, end: int, *, semicolons: bool) -> int:
    """The first offset from ``position`` that is not whitespace, a comment (block
    comments nest, as in PostgreSQL) or, when ``semicolons``, a semicolon."""
    while position < end:
        char = text[position]
        if char in " \t\n\r\f\v" or (semicolons and char == ";"):
            position += 1
        elif text.startswith("--", position):
            newline = text.find("\n", position, end)
            position = end if newline < 0 else newline + 1
        elif text.startswith("/*", position):
            depth, position = 1, position + 2
            while depth and position < end:
                if text.startswith("/*", position):
                    depth, position = depth + 1, position + 2
                elif text.startswith("*/", position):
                    depth, position = depth - 1, position + 2
                else:
                    position += 1
            if depth:
                return position  # unterminated: not filler the fast path understands
        else:
            return position
    return position


def _load_drizzle_folder(sources: SourceSet, folder: Path, layer: Layer) -> None:
    journal_path = folder / "meta" / "_journal.json"
    journal = _read_journal(journal_path, folder, layer)
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
                    _sequence_of(entry.tag),
                    entry,
                    str(folder),
                    Layout.DRIZZLE,
                )
            )
            continue
        _load_sql_file(
            sources, file, layer, JournalStatus.JOURNALED, entry, str(folder), Layout.DRIZZLE
        )
    for file in _sql_files(folder):
        if file.name not in listed:
            _load_sql_file(
                sources,
                file,
                layer,
                JournalStatus.NOT_IN_JOURNAL,
                None,
                str(folder),
                Layout.DRIZZLE,
            )


def _read_journal(path: Path, folder: Path, layer: Layer) -> Journal:
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


def _load_markdown(sources: SourceSet, path: Path, layer: Layer) -> None:
    """Fenced sql blocks of a markdown document become proposal statements."""
    text = read_text(path)
    layer = Layer.PROPOSAL if layer is Layer.PROPOSAL else layer
    migration = MigrationFile(str(path), path.stem, layer, JournalStatus.PLAIN, None, None, None)
    sources.migrations.append(migration)
    sources.add_text(str(path), text)
    for body_start, body_end in markdown_sql_blocks(text):
        for s_start, s_end in split_statements(text, body_start, body_end):
            origin = Origin(str(path), s_start, s_end, len(sources.statements), layer)
            sources.statements.append(Statement(text[s_start:s_end], origin, migration))


def markdown_sql_blocks(text: str) -> Sequence[tuple[int, int]]:
    """Spans of the bodies of fenced code blocks whose info string says sql."""
    blocks: list[tuple[int, int]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks
        fence = opening.group("fence")
        body_start = opening.end() + 1
        closing_pattern = re.compile(
            rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M
        )
        closing = closing_pattern.search(text, body_start)
        body_end = closing.start() if closing else len(text)
        info = opening.group("info").strip().split()
        if info and info[0].lower() in _SQL_INFO:
            blocks.append((min(body_start, len(text)), body_end))
        position = closing.end() if closing else len(text)
