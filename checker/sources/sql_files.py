"""Plain SQL: a ``.sql`` file, or a folder of them (natural sort; one folder per
migration holding ``migration.sql``, Prisma's layout, or ``up.sql``, Diesel's), pg_dump
output included. A folder with Atlas's ``atlas.sum`` beside ``<version>_<name>.sql`` files
is read as ``atlas migrate apply`` runs it: the names' character order, a new database
started at the last checkpoint file, each file's ``-- atlas:txmode`` and
``-- atlas:delimiter`` directives honoured.

A folder's files that its migrator never applies are left out and listed in
``SourceSet.not_applied``: down migrations (``0001_x.down.sql``, ``<migration>/down.sql``,
Flyway's ``U1__x.sql`` beside its ``V1__x.sql``), which undo their up migration, and the
variants written for another database (``0001_x.mysql.up.sql`` beside
``0001_x.postgres.up.sql``). A file given by itself is always read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.files import is_supabase_migrations, project_manifest, read_text
from checker.model import (
    FOLDER_FILES,
    DatabaseUrl,
    JournalEntry,
    JournalStatus,
    Layer,
    Layout,
    MigrationFile,
    Origin,
    Statement,
    file_label,
)
from checker.sources.base import (
    BEFORE_CHECKPOINT,
    DOWN,
    DOWN_SECTION,
    NOT_VERSIONED,
    OTHER_DATABASE,
    REPLACED,
    NotApplied,
    SourceSet,
    natural_key,
    sequence_of,
)
from checker.sources.splitting import chunks, split_statements

PRISMA_LOCK = "migration_lock.toml"
ATLAS_SUM = "atlas.sum"


@dataclass(frozen=True, slots=True)
class SqlFolder:
    """A folder of ``.sql`` files without a drizzle journal."""

    name: str = "SQL folder"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, Path) and given.is_dir()

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        load_sql_folder(sources, given, layer)


@dataclass(frozen=True, slots=True)
class SqlFile:
    """Any other file: SQL."""

    name: str = "SQL file"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, Path)

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        load_sql_file(sources, given, layer, JournalStatus.PLAIN, None, None, layout_of_file(given))


FOLDER = SqlFolder()
FILE = SqlFile()


def sql_files(folder: Path) -> list[Path]:
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


_MAX_DIRECTORIES_SEARCHED = 2000  # a repository root: bounded, so the error comes fast
_MAX_FOLDERS_NAMED = 5
_NOT_SEARCHED = frozenset({"node_modules", "vendor", "dist", "build", "target"})


def migration_folders_below(folder: Path) -> list[str]:
    """Folders under ``folder`` (relative paths) holding a drizzle journal or Prisma's lock
    file: what a user who gave a repository's root most likely meant."""
    found: list[str] = []
    pending = [folder]
    searched = 0
    while pending and searched < _MAX_DIRECTORIES_SEARCHED and len(found) < _MAX_FOLDERS_NAMED:
        current = pending.pop(0)
        searched += 1
        try:
            children = sorted(p for p in current.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        if current != folder and (
            (current / PRISMA_LOCK).is_file() or (current / "meta" / "_journal.json").is_file()
        ):
            found.append(current.relative_to(folder).as_posix())
            continue
        pending += [
            c for c in children if not c.name.startswith(".") and c.name not in _NOT_SEARCHED
        ]
    return found


def load_sql_folder(sources: SourceSet, folder: Path, layer: Layer) -> None:
    layout = Layout.SQL
    files = sql_files(folder)
    if not files:
        files = migration_folders(folder)
        if files and files[0].name == "migration.sql":
            layout = Layout.PRISMA
            # Prisma applies its folders in name order, character by character, not by
            # the number they start with: 20230912150657_init before 202310122339_x
            files.sort(key=lambda path: path.parent.name)
    elif (folder / PRISMA_LOCK).is_file():
        layout = Layout.PRISMA
    if not files:
        found = migration_folders_below(folder)
        hint = f"; migration folders below it: {', '.join(found)}" if found else ""
        raise InputError(
            f"{folder}: no .sql files, no folders of migrations (<name>/migration.sql or "
            f"<name>/up.sql) and no drizzle journal (meta/_journal.json){hint}"
        )
    applied, not_applied = applied_files(files)
    if not applied:
        first = not_applied[0]
        what = "a down migration" if first.reason == DOWN else f"written for {first.database}"
        raise InputError(
            f"{folder}: every .sql file is {what} (such as {file_label(first.path)}), "
            "which a migration run on PostgreSQL never applies; give the folder of the "
            "up migrations (docs/migration-layouts.md)"
        )
    sources.not_applied += not_applied
    if layout is Layout.SQL and _flyway_versions(applied):
        layout = Layout.FLYWAY
    elif layout is Layout.SQL and _atlas_folder(folder, files):
        layout = Layout.ATLAS
        applied = _from_last_checkpoint(sources, applied)
    elif layout is Layout.SQL:
        layout = tool_of_project(folder, per_folder=applied[0].name in FOLDER_FILES)
        if layout is Layout.SUPABASE:
            applied = _supabase_files(sources, folder, applied)
    for file in _repeatables_last(applied):
        load_sql_file(sources, file, layer, JournalStatus.PLAIN, None, str(folder), layout)


def _atlas_folder(folder: Path, files: list[Path]) -> bool:
    """Whether ``atlas migrate apply`` runs this folder in Atlas's own format: its
    ``atlas.sum`` beside ``<version>_<name>.sql`` files. Atlas also keeps a sum beside
    the up/down pairs of golang-migrate's or dbmate's formats (``x.up.sql``), which those
    tools apply: such a folder is not read as Atlas's."""
    return (folder / ATLAS_SUM).is_file() and not any(_UP_OR_DOWN.search(f.name) for f in files)


_UP_OR_DOWN = re.compile(r"[._-](?:up|down)\.sql$", re.I)


# the names the Supabase CLI applies: <version>_<name>.sql, the version all digits
_SUPABASE_MIGRATION = re.compile(r"[0-9]+_.*\.sql")


def _supabase_files(sources: SourceSet, folder: Path, files: list[Path]) -> list[Path]:
    """The files of a ``supabase/migrations`` folder the Supabase CLI applies, in its
    order: the names' character order (it lists the folder sorted by name, so
    ``20240108000000_a.sql`` runs before ``20240130_b.sql``), and only the names
    ``<digits>_<name>.sql``; it skips the others (``local_x.sql``), listed as not applied."""
    ordered = sorted(files, key=lambda path: path.name)
    kept = [path for path in ordered if _SUPABASE_MIGRATION.fullmatch(path.name)]
    sources.not_applied += [
        NotApplied(str(path), NOT_VERSIONED) for path in ordered if path not in kept
    ]
    if not kept:
        raise InputError(
            f"{folder}: no file is named <version>_<name>.sql (such as "
            f"{file_label(str(ordered[0]))}), and the Supabase CLI applies no other"
        )
    return kept


def _from_last_checkpoint(sources: SourceSet, files: list[Path]) -> list[Path]:
    """An Atlas folder's files in the order Atlas applies them to a new database: the
    names' character order (``10_x`` before ``2_x``, as Atlas sorts them), from its last
    checkpoint file (``-- atlas:checkpoint`` in the file's header) on; the files before
    that checkpoint are listed as not applied (a database that has them already skips
    the checkpoint and applies what follows: the same schema)."""
    ordered = sorted(files, key=lambda path: path.name)
    last = 0
    for index, file in enumerate(ordered):
        if any(name == "checkpoint" for name, _ in atlas_directives(read_text(file))):
            last = index
    sources.not_applied += [NotApplied(str(file), BEFORE_CHECKPOINT) for file in ordered[:last]]
    return ordered[last:]


# a directive of an Atlas file's header: ``-- atlas:txmode none``, ``-- atlas:checkpoint``
_ATLAS_DIRECTIVE = re.compile(r"^([ -~]*)atlas:(\w+)(?: +([ -~]*))?")


def atlas_directives(text: str) -> list[tuple[str, str]]:
    """The directives (name, argument) of an Atlas migration file's header: the comment
    lines it starts with (``--`` or ``#``), when a blank line separates them from the
    statements (else they belong to the first statement and say nothing)."""
    comments: list[str] = []
    content = text
    while content.startswith(("#", "--")):
        end = content.find("\n")
        if end == -1:
            return []  # nothing but comments: no statement to separate them from
        comments.append(content[:end].strip())
        content = content[end + 1 :]
    if not content.lstrip(" \t").startswith("\n"):
        return []
    found: list[tuple[str, str]] = []
    for comment in comments:
        match = _ATLAS_DIRECTIVE.match(comment)
        if match is not None:
            found.append((match.group(2), match.group(3) or ""))
    return found


# ``-- atlas:delimiter //`` as a file's first line: its statements end at ``//``, not at
# semicolons (``\n`` in the argument stands for a line break)
_ATLAS_DELIMITER = re.compile(r"-- atlas:delimiter +([ -~]+)")


def atlas_pieces(text: str) -> list[tuple[int, int]] | None:
    """The spans of an Atlas file between the delimiter its first line sets; None when
    it sets none (the file splits at semicolons). Delimiters inside quotes, dollar-quoted
    bodies and comments do not split, as in Atlas's scanner."""
    first_line, newline, _ = text.partition("\n")
    match = _ATLAS_DELIMITER.fullmatch(first_line.rstrip("\r"))
    if match is None or not newline:
        return None
    delimiter = match.group(1).strip().replace("\\n", "\n").replace("\\r", "\r")
    delimiter = delimiter.replace("\\t", "\t")
    if not delimiter:
        return None
    pieces: list[tuple[int, int]] = []
    start = position = len(first_line) + 1
    while position < len(text):
        if text.startswith(delimiter, position):
            pieces.append((start, position))
            position = start = position + len(delimiter)
            continue
        position = _skip_quoted(text, position)
    pieces.append((start, len(text)))
    return pieces


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


def _skip_quoted(text: str, position: int) -> int:
    """The position after the quoted string, identifier, dollar-quoted body or comment
    that starts at ``position``; else the next position."""
    char = text[position]
    if char in "'\"":
        end = position + 1
        while True:
            end = text.find(char, end)
            if end == -1:
                return len(text)
            if not text.startswith(char, end + 1):
                return end + 1
            end += 2  # a doubled quote stands for itself
    if text.startswith("--", position):
        end = text.find("\n", position)
        return len(text) if end == -1 else end
    if text.startswith("/*", position):
        end = text.find("*/", position + 2)
        return len(text) if end == -1 else end + 2
    tag = _DOLLAR_TAG.match(text, position) if char == "$" else None
    if tag is not None:
        end = text.find(tag.group(0), tag.end())
        return len(text) if end == -1 else end + len(tag.group(0))
    return position + 1


def _flyway_versions(files: list[Path]) -> bool:
    """Whether a folder's files are Flyway's versioned migrations (``V1__init.sql``)."""
    return any(m and m.group(1) in "Vv" for m in map(_FLYWAY.match, (f.name for f in files)))


def _repeatables_last(files: list[Path]) -> list[Path]:
    """Flyway applies its repeatable migrations (``R__views.sql``) after every versioned
    one (``V1__init.sql``), whatever their names' order: in a folder of versioned
    migrations, the repeatable ones go last, in name order."""
    if not _flyway_versions(files):
        return files
    repeatable = [f for f in files if _FLYWAY_REPEATABLE.match(f.name)]
    return [f for f in files if not _FLYWAY_REPEATABLE.match(f.name)] + repeatable


_FLYWAY_REPEATABLE = re.compile(r"^R__", re.I)
_DOWN_FILE = re.compile(r"(?:^|\.)down\.sql$", re.I)
# ``0021_x_down.sql`` beside ``0021_x_up.sql`` (or with a dash): a pair whose names a
# migrator matches loosely; a name that merely ends in "down" (``0005_slow_down.sql``)
# has no such sibling and is applied
_LOOSE_PAIR = re.compile(r"^(.*)[_-](up|down)\.sql$", re.I)
_FLYWAY = re.compile(r"^([VU])(\d+(?:[._]\d+)*)__", re.I)
# names a dotted part of a file name can give to the database a variant is written for
_POSTGRES = frozenset({"postgres", "postgresql", "pg", "pgsql"})
_OTHER_DATABASES = frozenset(
    {
        "mysql",
        "mariadb",
        "sqlite",
        "sqlite3",
        "cockroach",
        "cockroachdb",
        "crdb",
        "mssql",
        "sqlserver",
        "oracle",
        "h2",
        "clickhouse",
        "spanner",
    }
)


def applied_files(files: list[Path]) -> tuple[list[Path], list[NotApplied]]:
    """The files of one migration folder that its migrator applies, in order, and those
    it does not: down migrations, and, where a folder keeps one file per database (a
    dotted part of the name says which: ``0001_x.postgres.up.sql``), the other
    databases' files and the untagged file of a migration that has a PostgreSQL one for
    the same direction (up or down)."""
    flyway_up = {
        m.group(2) for m in map(_FLYWAY.match, (f.name for f in files)) if m and m.group(1) in "Vv"
    }
    # a PostgreSQL file replaces the untagged file of its migration and direction only: a
    # ``2_x.postgres.down.sql`` leaves ``2_x.up.sql`` the up migration PostgreSQL runs
    with_postgres = {
        (_migration_of(f), bool(_DOWN_FILE.search(f.name)))
        for f in files
        if _POSTGRES & _dotted_parts(f)
    }
    loose = [m for m in map(_LOOSE_PAIR.match, (f.name for f in files)) if m]
    loose_up = {m.group(1).lower() for m in loose if m.group(2).lower() == "up"}
    applied: list[Path] = []
    skipped: list[NotApplied] = []
    for file in files:
        flyway = _FLYWAY.match(file.name)
        parts = _dotted_parts(file)
        other = sorted(_OTHER_DATABASES & parts)
        pair = _LOOSE_PAIR.match(file.name)
        if (
            _DOWN_FILE.search(file.name)
            or (flyway is not None and flyway.group(1) in "Uu" and flyway.group(2) in flyway_up)
            or (
                pair is not None
                and pair.group(2).lower() == "down"
                and pair.group(1).lower() in loose_up
            )
        ):
            skipped.append(NotApplied(str(file), DOWN))
        elif other:
            skipped.append(NotApplied(str(file), OTHER_DATABASE, other[0]))
        elif (
            not _POSTGRES & parts
            and (_migration_of(file), bool(_DOWN_FILE.search(file.name))) in with_postgres
        ):
            skipped.append(NotApplied(str(file), REPLACED))
        else:
            applied.append(file)
    return applied, skipped


def _dotted_parts(file: Path) -> set[str]:
    """The dotted parts between a name's stem and ``.sql``: {"mysql", "up"} for
    ``0001_x.mysql.up.sql``."""
    return {part.lower() for part in file.name.split(".")[1:-1]}


def _migration_of(file: Path) -> str:
    """The migration a file belongs to, whatever its variant: ``0001_x`` of
    ``0001_x.postgres.up.sql``."""
    return file.name.split(".")[0].lower()


def layout_of_file(path: Path) -> Layout:
    """A single ``migration.sql`` given alone is Prisma's when its migrations folder says so."""
    if path.name == "migration.sql" and (path.parent.parent / PRISMA_LOCK).is_file():
        return Layout.PRISMA
    return Layout.SQL


def migration_folders(folder: Path) -> list[Path]:
    """One folder per migration (``20240101000000_init/``), each holding ``migration.sql``
    (Prisma) or ``up.sql`` (Diesel; its ``down.sql`` undoes it and is not applied);
    the folders' names give the order."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    found: list[Path] = []
    for entry in sorted(entries, key=lambda p: natural_key(p.name)):
        if not entry.is_dir() or entry.is_symlink():
            continue
        for name in FOLDER_FILES:
            if (entry / name).is_file():
                found.append(entry / name)
                if name == "up.sql" and (entry / "down.sql").is_file():
                    found.append(entry / "down.sql")  # left out by ``applied_files``, listed
                break
    return found


def load_sql_file(
    sources: SourceSet,
    path: Path,
    layer: Layer,
    status: JournalStatus,
    entry: JournalEntry | None,
    folder: str | None,
    layout: Layout = Layout.SQL,
) -> None:
    text = read_text(path)
    if sources.is_change(path):
        layer = Layer.EXTENSION
    # Prisma names every file migration.sql, Diesel up.sql: the folder carries the name
    name = path.parent.name if path.name in FOLDER_FILES else path.stem
    sections = up_sections(text)
    sql_text = blank_copy_data(text if sections is None else sections.text)
    pieces = atlas_pieces(sql_text) if layout is Layout.ATLAS else None
    spans = [
        span
        for start, end in (chunks(sql_text) if pieces is None else pieces)
        for span in split_statements(sql_text, start, end)
    ]
    no_transaction = (sections is not None and sections.no_transaction) or text.lstrip().startswith(
        _NO_TRANSACTION_HEADERS
    )
    if "autocommit" in _dotted_parts(path) and len(spans) == 1:
        # ory's popx runs ``x.autocommit.up.sql`` without a transaction, the file sent as
        # one query: its one statement runs on its own (several would share an implicit
        # transaction, which the runner's reading covers)
        no_transaction = True
    if layout is Layout.ATLAS:
        # ``atlas migrate apply`` runs a file outside a transaction when its header says
        # ``-- atlas:txmode none`` (``file``: in one of its own, the default)
        modes = [argument for name, argument in atlas_directives(text) if name == "txmode"]
        no_transaction = bool(modes) and modes[0].strip() == "none"
    elif layout is Layout.FLYWAY:
        no_transaction = flyway_runs_outside_transaction(
            path, [text[start:end] for start, end in spans]
        )
    elif layout is Layout.DIESEL and path.name == "up.sql":
        metadata = path.with_name("metadata.toml")
        no_transaction = metadata.is_file() and bool(
            _DIESEL_NO_TRANSACTION.search(read_text(metadata))
        )
    migration = MigrationFile(
        str(path),
        name,
        layer,
        status,
        sequence_of(name),
        entry,
        folder,
        layout,
        no_transaction=no_transaction,
        own_transaction=sections is not None,
    )
    sources.migrations.append(migration)
    sources.add_text(str(path), text)
    if sections is not None and sections.down:
        sources.not_applied.append(NotApplied(str(path), DOWN_SECTION))
    for s_start, s_end in spans:
        origin = Origin(str(path), s_start, s_end, len(sources.statements), layer)
        sources.statements.append(Statement(text[s_start:s_end], origin, migration))


# The statements Flyway's PostgreSQL support runs outside a transaction: a migration that
# holds one is run without a transaction (and one that mixes them with others is refused,
# unless Flyway's ``mixed`` is set). ``ALTER TYPE ... ADD VALUE`` is among them only before
# PostgreSQL 12, and REINDEX only of a schema, database or system.
_FLYWAY_NON_TRANSACTIONAL = re.compile(
    r"(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE|SUBSCRIPTION)\b|ALTER\s+SYSTEM\b"
    r"|(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\b"
    r"|REINDEX\s+(?:VERBOSE\s+)?(?:SCHEMA|DATABASE|SYSTEM)\b|VACUUM\b|DISCARD\s+ALL\b",
    re.IGNORECASE,
)
_FLYWAY_IN_TRANSACTION = re.compile(
    r"^\s*executeInTransaction\s*=\s*(true|false)\s*$", re.IGNORECASE | re.MULTILINE
)


_DIESEL_NO_TRANSACTION = re.compile(r"^\s*run_in_transaction\s*=\s*false\s*$", re.M)
# a dependency line of a Cargo.toml (``sqlx = "0.8"``, ``sqlx.workspace = true``) and the
# module path of golang-migrate in a go.mod
_CARGO_DEPENDENCY = re.compile(r"^\s*(sqlx|diesel)\s*[=.]", re.M)
_GOLANG_MIGRATE = "github.com/golang-migrate/migrate"


def tool_of_project(folder: Path, *, per_folder: bool) -> Layout:
    """The tool the project of a plain migrations folder applies it with, when its manifest
    names one: sqlx or Diesel in a Cargo.toml (Diesel when the folder holds a folder per
    migration), golang-migrate in a go.mod, the Supabase CLI for ``supabase/migrations``
    beside its ``supabase/config.toml``; else a plain folder (the worst case is assumed)."""
    if is_supabase_migrations(folder):
        return Layout.SUPABASE
    manifest = project_manifest(folder)
    if manifest is None:
        return Layout.SQL
    try:
        text = manifest.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Layout.SQL
    if manifest.name == "go.mod":
        return Layout.GOLANG_MIGRATE if _GOLANG_MIGRATE in text else Layout.SQL
    found = {match.group(1) for match in _CARGO_DEPENDENCY.finditer(text)}
    if "diesel" in found and (per_folder or "sqlx" not in found):
        return Layout.DIESEL
    return Layout.SQLX if "sqlx" in found else Layout.SQL


def flyway_runs_outside_transaction(path: Path, statements: list[str]) -> bool:
    """Whether Flyway runs this migration without a transaction: its script configuration
    (``V1__x.sql.conf``) says ``executeInTransaction=false``, or, when that file says
    nothing, every statement is one a transaction cannot hold (a file that mixes them with
    others Flyway refuses: in a transaction of its own here, its non-transactional
    statement fails as it would)."""
    script_config = path.with_name(f"{path.name}.conf")
    config = read_text(script_config) if script_config.is_file() else ""
    said = _FLYWAY_IN_TRANSACTION.search(config)
    if said is not None:
        return said.group(1).lower() == "false"
    return bool(statements) and all(_FLYWAY_NON_TRANSACTIONAL.match(s) for s in statements)


# The section markers of single-file up/down formats: goose (``-- +goose Up``), sql-migrate
# (``-- +migrate Up``) and dbmate (``-- migrate:up``), with what each says of transactions
# (``-- +goose NO TRANSACTION``, ``-- +migrate Up notransaction``, ``-- migrate:up
# transaction:false``).
_SECTION = re.compile(
    r"^[ \t]*--[ \t]*(?:\+goose[ \t]+(?P<goose>up|down|no[ \t]+transaction)\b"
    r"|\+migrate[ \t]+(?P<migrate>up|down)\b|migrate:(?P<dbmate>up|down)\b)(?P<rest>[^\n]*)$",
    re.I | re.M,
)
# a file that starts with one of these runs outside a transaction: sqlx's,
# graphile-migrate's and postgres-migrations' header lines
_NO_TRANSACTION_HEADERS = (
    "-- no-transaction",
    "--! no-transaction",
    "-- postgres-migrations disable-transaction",
)
_NO_TRANSACTION = re.compile(r"\bnotransaction\b|\btransaction:false\b", re.I)


@dataclass(frozen=True, slots=True)
class UpSections:
    """A single-file up/down migration as its tool runs it up: the text with everything
    but the up section(s) blanked (offsets and line breaks kept)."""

    text: str
    down: bool  # a down section was left out
    no_transaction: bool  # the file says it runs outside a transaction


def up_sections(text: str) -> UpSections | None:
    """The up section(s) of a goose, sql-migrate or dbmate file; None for a file with
    no section markers (every statement of it runs)."""
    lowered = text.lower()
    if "+goose" not in lowered and "+migrate" not in lowered and "migrate:" not in lowered:
        return None  # the cheap test first: most files have no markers
    markers = list(_SECTION.finditer(text))
    if not markers:
        return None
    parts: list[str] = []
    position = 0
    up = False
    down = no_transaction = False
    for marker in markers:
        word = (marker.group("goose") or marker.group("migrate") or marker.group("dbmate")).lower()
        if word.startswith("no"):
            no_transaction = True
            continue
        before = text[position : marker.start()]
        parts.append(before if up else _blank(before))
        parts.append(marker.group(0))
        position = marker.end()
        up = word == "up"
        down = down or not up
        if up and _NO_TRANSACTION.search(marker.group("rest")):
            no_transaction = True
    rest = text[position:]
    parts.append(rest if up else _blank(rest))
    return UpSections("".join(parts), down, no_transaction)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


_COPY_FROM_STDIN = re.compile(r"^[ \t]*COPY\b[^;]*\bFROM[ \t]+stdin\b[^;\n]*;[ \t]*$", re.I | re.M)
_END_OF_COPY_DATA = re.compile(r"^\\\.[ \t]*$", re.M)


def blank_copy_data(text: str) -> str:
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
