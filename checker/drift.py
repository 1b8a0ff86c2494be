"""Drift: where the migrations and another description of the same schema disagree.

A drizzle-kit project describes one schema three times: the TypeScript ORM
schema, drizzle-kit's last snapshot and the SQL migrations. The references
(``SourceSet.references``: the snapshot's JSON, the SQL ``drizzle-kit export``
printed of the ORM schema) become catalogs here, simulated like the migrations,
and ``checker.catalog_diff`` compares them with the migrations' catalog. Only
what a reference can express counts as drift (tables, columns, types,
nullability, defaults, indexes, keys, foreign keys, checks, enums); a name that
differs while the definition agrees is spelling, not drift.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from checker.catalog import (
    Catalog,
    Column,
    Constraint,
    EnumType,
    Index,
    QualifiedName,
    Table,
)
from checker.catalog_diff import Aspect, Difference, Form, Sides, diff_catalogs
from checker.drift_table import DriftRow as DriftRow  # re-exported
from checker.drift_table import DriftTable as DriftTable  # re-exported
from checker.errors import InputError
from checker.findings import Location
from checker.model import JournalStatus, Layer, MigrationFile, Origin, SourceFile, Statement
from checker.parallel import Background
from checker.sources import DECLARED, ORM, SNAPSHOT, ReferenceSchema

if TYPE_CHECKING:
    from checker.cache import Cache

DRIFT_ASPECTS = frozenset(
    {
        Aspect.TABLE,
        Aspect.COLUMN,
        Aspect.TYPE,
        Aspect.NULLABILITY,
        Aspect.DEFAULT,
        Aspect.INDEX,
        Aspect.KEY,
        Aspect.FOREIGN_KEY,
        Aspect.CHECK,
        Aspect.ENUM,
    }
)


# What only a declared schema expresses among the references (an ORM schema's export and
# its snapshot are not read for row security): compared with that alone
DECLARED_ASPECTS = DRIFT_ASPECTS | {Aspect.ROW_SECURITY}


def compared_aspects(reference: ReferenceSchema) -> frozenset[Aspect]:
    return DECLARED_ASPECTS if reference.kind == DECLARED else DRIFT_ASPECTS


def _reference_drift(
    left: Catalog, reference: ReferenceSchema, catalog: Catalog, *, server: bool = False
) -> list[Difference]:
    """The drift of ``left`` from one reference's catalog: what that kind of reference says."""
    aspects = compared_aspects(reference)
    return [d for d in _drift_differences(left, catalog, server=server) if d.aspect in aspects]


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between the migrations (left) and a reference (right)."""

    reference: ReferenceSchema
    difference: Difference
    # the same difference with other references (the snapshot agreeing with the ORM)
    also: tuple[Drift, ...] = ()
    # the left side is the live server's catalog (``--live``), not the migrations'
    on_server: bool = False

    @property
    def side(self) -> str:
        """How messages name the reference(s): "the snapshot", "the ORM schema" or both."""
        names = [_side_name(self.reference), *(_side_name(d.reference) for d in self.also)]
        return " and ".join(names)

    @property
    def not_in_side(self) -> str:
        """ "not in the snapshot", or "in neither the ORM schema nor the snapshot"."""
        names = [_side_name(self.reference), *(_side_name(d.reference) for d in self.also)]
        if len(names) == 1:
            return f"not in {names[0]}"
        return f"in neither {', '.join(names[:-1])} nor {names[-1]}"

    @property
    def left(self) -> str:
        """How messages name the left side: "the migrations" or "the server"."""
        return "the server" if self.on_server else "the migrations"

    @property
    def left_in(self) -> str:
        return "on the server" if self.on_server else "in the migrations"

    @property
    def sides(self) -> Sides:
        return Sides(self.left, self.side, self.left_in, f"in {self.side}")

    def places(self) -> list[Location]:
        """Both sides, labelled: the migration statement first, then the reference's
        definition (its file alone when the definition cannot be found in it)."""
        found: list[Location] = []
        left = self.difference.left_origin
        if left is not None:
            found.append(Location.of(left, "server" if self.on_server else "migrations"))
        right = self.difference.right_origin
        if right is None:
            file = self.reference.schema_files[0] if self.reference.schema_files else None
            right = Origin(file or self.reference.label, 0, 0, -1, Layer.BASE)
        found.append(Location.of(right, _side_name(self.reference).removeprefix("the ")))
        for other in self.also:
            found.extend(other.places()[1:])
        return found

    def key(self) -> tuple[object, ...]:
        difference = self.difference
        same = (repr(difference.left), repr(difference.right))
        if difference.form is not Form.DIFFERS:
            same = ("", "")
        return (self.on_server, difference.aspect, difference.form, difference.subject, *same)


def _side_name(reference: ReferenceSchema) -> str:
    return side_name(reference.kind)


def side_name(kind: str) -> str:
    """How messages name a kind of reference: "the snapshot", "the ORM schema", "the
    declared schema"."""
    return {SNAPSHOT: "the snapshot", DECLARED: "the declared schema"}.get(kind, "the ORM schema")


def reference_catalog(
    reference: ReferenceSchema, files: Mapping[str, SourceFile], postgres_version: int
) -> Catalog:
    """The catalog a reference describes, with origins in its own files (``files``
    holds the text of the ORM schema's TypeScript files). Built once per run: the
    drift rules and the report's drift section read the same catalog. An unreadable
    reference raises its InputError."""
    built = _reference_catalog(*_reference_key(reference, files, postgres_version))
    if isinstance(built, InputError):
        raise built
    return built


_ReferenceKey = tuple[ReferenceSchema, tuple[SourceFile, ...], int]


def references_built(
    references: Iterable[ReferenceSchema], files: Mapping[str, SourceFile], postgres_version: int
) -> list[tuple[ReferenceSchema, Catalog | InputError]]:
    """Each reference with its catalog, or with why it has none (a snapshot the server
    would refuse, say: PS005 reports it, and the drift rules compare nothing with it)."""
    return [
        (reference, _reference_catalog(*_reference_key(reference, files, postgres_version)))
        for reference in references
    ]


def readable_references(
    references: Iterable[ReferenceSchema], files: Mapping[str, SourceFile], postgres_version: int
) -> list[tuple[ReferenceSchema, Catalog]]:
    """The references whose catalog can be built, each with it."""
    return [
        (reference, built)
        for reference, built in references_built(references, files, postgres_version)
        if not isinstance(built, InputError)
    ]


def _reference_key(
    reference: ReferenceSchema, files: Mapping[str, SourceFile], postgres_version: int
) -> _ReferenceKey:
    """What a reference's catalog depends on: itself, its schema files' text, the version."""
    schema = tuple(files[path] for path in reference.schema_files if path in files)
    return reference, schema, postgres_version


_STORE: Cache | None = None


def use_cache(cache: Cache | None) -> None:
    """Keep the snapshots' catalogs in ``cache`` (None: build them every run)."""
    global _STORE
    _STORE = cache


def prefetch_references(
    references: Sequence[ReferenceSchema], files: Mapping[str, SourceFile], postgres_version: int
) -> None:
    """Start building the references' catalogs in a forked copy of this process, so that
    the migrations are parsed and simulated meanwhile (a snapshot of Sim's 70 tables takes
    as long to build as half the migrations take to simulate). ``reference_catalog``
    then waits for the copy's answer instead of building it."""
    for reference in references:
        key = _reference_key(reference, files, postgres_version)
        if key not in _PREFETCHED and not _kept(*key):
            _PREFETCHED[key] = Background(functools.partial(_build_reference, *key))


_PREFETCHED: dict[_ReferenceKey, Background[Catalog]] = {}


def drop_prefetched() -> None:
    """Let go of the prefetches no rule asked for (the drift rules crashed, say): their
    copies are waited for, not left behind."""
    while _PREFETCHED:
        _PREFETCHED.popitem()[1].close()


# One object per reference in a process: the rules and the report get the same catalog,
# so ``_drift_differences`` compares it once; an unreadable one's error is kept as well.
@functools.lru_cache(maxsize=4)
def _reference_catalog(
    reference: ReferenceSchema, schema: tuple[SourceFile, ...], postgres_version: int
) -> Catalog | InputError:
    try:
        prefetched = _PREFETCHED.pop((reference, schema, postgres_version), None)
        if prefetched is not None:
            return prefetched.result()
        return _build_reference(reference, schema, postgres_version)
    except InputError as error:
        return error


def _build_reference(
    reference: ReferenceSchema, schema: tuple[SourceFile, ...], postgres_version: int
) -> Catalog:
    if reference.kind == SNAPSHOT:
        from checker.drizzle_snapshot import read_snapshot

        return _stored(
            reference,
            schema,
            postgres_version,
            lambda: read_snapshot(Path(reference.label), reference.text),
        )
    if reference.kind == DECLARED:
        return _stored(
            reference,
            schema,
            postgres_version,
            lambda: _declared_catalog(reference, schema, postgres_version),
        )
    catalog = _simulate_sql(reference.label, reference.text, postgres_version)
    return _placed_in_schema(catalog, reference, schema)


def _stored_key(
    reference: ReferenceSchema, schema: tuple[SourceFile, ...], postgres_version: int, store: Cache
) -> str | None:
    """The run cache's key of a reference's catalog: a snapshot's depends on its text alone,
    a declared schema's on its files' paths and text; an ORM schema's is not kept."""
    if reference.kind == SNAPSHOT:
        return store.key("snapshot-catalog", reference.label, reference.text)
    if reference.kind == DECLARED:
        files = tuple((source.path, source.text) for source in schema)
        return store.key("declared-catalog", reference, files, postgres_version)
    return None


def _kept(
    reference: ReferenceSchema, schema: tuple[SourceFile, ...], postgres_version: int
) -> bool:
    """Whether the run cache holds the reference's catalog: loading it here costs less
    than a forked copy's loading it and sending it back through a pipe."""
    if _STORE is None:
        return False
    key = _stored_key(reference, schema, postgres_version, _STORE)
    return key is not None and _STORE.holds("reference", key)


def _stored(
    reference: ReferenceSchema,
    schema: tuple[SourceFile, ...],
    postgres_version: int,
    build: Callable[[], Catalog],
) -> Catalog:
    """``build()``, kept in the run cache: a run that re-checks the same folder (a --since
    run, say) loads the catalog instead of building it again."""
    key = _stored_key(reference, schema, postgres_version, _STORE) if _STORE is not None else None
    if _STORE is None or key is None:
        return build()
    kept = _STORE.get("reference", key)
    if isinstance(kept, Catalog):
        return kept
    catalog = build()
    _STORE.put("reference", key, catalog)
    return catalog


def _drift_differences(left: Catalog, right: Catalog, *, server: bool = False) -> list[Difference]:
    """The differences of ``right`` from ``left`` that are drift: what a reference can
    express, no renames, and no index of a table that is on one side only (the
    table's own difference says it all). ``server``: one side is a server's catalog,
    whose policies' USING and WITH CHECK are printed by the server (not compared).

    The DR rules and the reports' drift table compare the same two catalogs: the last
    few comparisons are kept (with the catalogs themselves, so an ``id`` is never
    reused while its entry lives), and the second asker gets the first's answer."""
    key = (id(left), id(right), server)
    kept = _COMPARED.get(key)
    if kept is not None and kept[0] is left and kept[1] is right:
        return list(kept[2])
    found = _compare(left, right, not server)
    _COMPARED[key] = (left, right, tuple(found))
    while len(_COMPARED) > 4:
        del _COMPARED[next(iter(_COMPARED))]
    return found


_COMPARED: dict[tuple[int, int, bool], tuple[Catalog, Catalog, tuple[Difference, ...]]] = {}


def _compare(left: Catalog, right: Catalog, expressions: bool) -> list[Difference]:
    one_side = set(left.tables) ^ set(right.tables)
    found: list[Difference] = []
    for difference in diff_catalogs(left, right, policy_expressions=expressions):
        if difference.aspect not in DECLARED_ASPECTS or difference.form is Form.RENAMED:
            continue
        index = difference.left if difference.left is not None else difference.right
        if isinstance(index, Index) and index.table in one_side:
            continue
        found.append(difference)
    return found


def _subject_key(difference: Difference) -> tuple[Aspect, str]:
    """What one row of the drift table is about; the same on every pair of sides."""
    return (difference.aspect, difference.subject)


def find_drift(
    migrations: Catalog,
    references: Iterable[ReferenceSchema],
    files: Mapping[str, SourceFile],
    postgres_version: int,
    live: Catalog | None = None,
) -> list[Drift]:
    """Every drift between the migrations' catalog and each reference.

    With ``live`` (the server's catalog after ``--live`` applied the migrations),
    each reference is also compared with the server, where the server differs
    from the migrations (what the static model could not see, such as a column
    added by dynamic SQL): elsewhere the server says what the migrations say."""
    found: list[Drift] = []
    catalogs = readable_references(references, files, postgres_version)
    for reference, catalog in catalogs:
        found += [Drift(reference, d) for d in _reference_drift(migrations, reference, catalog)]
    if live is not None and catalogs:
        on_server = {_subject_key(d) for d in _drift_differences(migrations, live, server=True)}
        for reference, catalog in catalogs:
            found += [
                Drift(reference, d, on_server=True)
                for d in _reference_drift(live, reference, catalog, server=True)
                if _subject_key(d) in on_server
            ]
    return _merged(found)


def _merged(found: list[Drift]) -> list[Drift]:
    """One drift per difference: the ORM schema's first, the snapshot's joined to it."""
    by_key: dict[tuple[object, ...], Drift] = {}
    for drift in sorted(found, key=lambda d: d.reference.kind != ORM):
        first = by_key.get(drift.key())
        if first is None:
            by_key[drift.key()] = drift
        else:
            by_key[drift.key()] = replace(first, also=(*first.also, drift))
    return list(by_key.values())


# ---- the drift table of the reports ------------------------------------------------

MIGRATIONS = "migrations"
LIVE = "live"
ABSENT = "absent"


def drift_table(
    migrations: Catalog,
    references: Sequence[ReferenceSchema],
    files: Mapping[str, SourceFile],
    postgres_version: int,
    live: Catalog | None = None,
) -> DriftTable | None:
    """The drift table: one row per object on which the sources disagree (None
    without a reference). Every source is compared with the migrations; where a
    source has no difference from them, it says what they say."""
    if not references:
        return None
    ordered = sorted(references, key=lambda r: (r.kind != ORM, r.label))
    compared: list[tuple[str, list[Difference]]] = []
    for reference, catalog in readable_references(ordered, files, postgres_version):
        compared.append((reference.kind, _reference_drift(migrations, reference, catalog)))
    if live is not None:
        aspects = frozenset().union(*(compared_aspects(r) for r in references))
        differences = _drift_differences(migrations, live, server=True)
        compared.append((LIVE, [d for d in differences if d.aspect in aspects]))
    sources = [kind for kind, _ in compared]
    sources.insert(len(ordered), MIGRATIONS)
    subjects: dict[tuple[Aspect, str], Difference] = {}
    right: dict[tuple[str, tuple[Aspect, str]], str] = {}
    for kind, differences in compared:
        for difference in differences:
            key = _subject_key(difference)
            subjects.setdefault(key, difference)
            right[(kind, key)] = _state(difference.right)
    rows: list[DriftRow] = []
    for key, difference in sorted(subjects.items(), key=lambda item: _row_order(item[1])):
        in_migrations = _state(difference.left)
        states = tuple(
            in_migrations if kind == MIGRATIONS else right.get((kind, key), in_migrations)
            for kind in sources
        )
        rows.append(DriftRow(difference.aspect, difference.subject, difference.objects, states))
    return DriftTable(tuple(sources), tuple(rows))


def _row_order(difference: Difference) -> tuple[str, str, str]:
    objects = difference.objects[0] if difference.objects else ""
    return (objects, difference.aspect.value, difference.subject)


def _state(value: object) -> str:
    """One cell of the drift table."""
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Column):
        return value.type.render() + (" NOT NULL" if value.not_null else "")
    if isinstance(value, (Table, Index, Constraint, EnumType)):
        return "present"
    return str(value)


def _simulate_sql(label: str, text: str, postgres_version: int) -> Catalog:
    from checker.parsing import parse_statements
    from checker.simulator import simulate
    from checker.sources.splitting import statements_of

    migration = MigrationFile(label, Path(label).stem, Layer.BASE, JournalStatus.PLAIN, None)
    parsed = parse_statements(statements_of(text, migration))
    for item in parsed:
        if item.error is not None:
            raise InputError(
                f"{label}: drizzle-kit export gave SQL that does not parse: {item.error.message}"
            )
    return simulate(parsed, postgres_version=postgres_version).catalog


def _declared_catalog(
    reference: ReferenceSchema, schema: Sequence[SourceFile], postgres_version: int
) -> Catalog:
    """A declared schema's files simulated in their order, on the objects of the platform
    the migrations run on (the files name ``auth.users`` and ``extensions`` as the
    migrations do); a statement that does not parse makes it unreadable (PS005)."""
    from checker.parsing import parse_statements
    from checker.platforms import platform_named
    from checker.simulator import simulate
    from checker.sources.splitting import statements_of

    platform = platform_named(reference.platform)
    texts = [(platform.label, platform.sql)] if platform is not None else []
    texts += [(source.path, source.text) for source in schema]
    statements: list[Statement] = []
    for path, text in texts:
        migration = MigrationFile(path, Path(path).stem, Layer.BASE, JournalStatus.PLAIN, None)
        statements += statements_of(text, migration, len(statements))
    parsed = parse_statements(statements)
    for item in parsed:
        if item.error is not None:
            origin = item.error.origin
            source = next((s for s in schema if s.path == origin.file), None)
            line, column = source.line_col(origin.start) if source is not None else (1, 1)
            what = f"a statement does not parse: {item.error.message}"
            raise InputError(f"{origin.file}:{line}:{column}: {what}", origin, what)
    return simulate(parsed, postgres_version=postgres_version).catalog


# ---- placing the ORM's objects in its TypeScript source --------------------------


@dataclass(frozen=True, slots=True)
class _Definition:
    """Where one table's definition is in an ORM schema file."""

    file: str
    start: int
    end: int  # where the next table's definition starts (or the file's end)


class _SchemaText:
    """Finds a table, column, index or constraint of the ORM schema in its source text.

    Drizzle schemas name every object in a string literal: ``pgTable('user', {``,
    ``email: text('email')``, ``index('user_email_idx')``, ``pgEnum('status', [``.
    A table's definition runs to the next table's; its objects are searched there.
    """

    _TABLE = re.compile(r"""\b(?:pgTable|table)\s*\(\s*(['"`])(?P<name>[^'"`]+)\1""")
    _ENUM = re.compile(r"""\bpgEnum\s*\(\s*(['"`])(?P<name>[^'"`]+)\1""")

    def __init__(self, files: Sequence[SourceFile]) -> None:
        self.files = files
        self.tables: dict[str, _Definition] = {}
        self.enum_files: dict[str, tuple[str, int]] = {}
        for source in files:
            starts = [(m.group("name"), m.start()) for m in self._TABLE.finditer(source.text)]
            for position, (name, start) in enumerate(starts):
                end = starts[position + 1][1] if position + 1 < len(starts) else len(source.text)
                self.tables.setdefault(name, _Definition(source.path, start, end))
            for match in self._ENUM.finditer(source.text):
                self.enum_files.setdefault(match.group("name"), (source.path, match.start()))

    def _text(self, path: str) -> str:
        return next(source.text for source in self.files if source.path == path)

    def table(self, name: str) -> Origin | None:
        found = self.tables.get(name)
        if found is None:
            return None
        return Origin(found.file, found.start, found.start + 1, -1, Layer.BASE)

    def inside(self, table: str, name: str) -> Origin | None:
        """The first string literal ``name`` inside the table's definition."""
        found = self.tables.get(table)
        if found is None:
            return None
        text = self._text(found.file)
        pattern = re.compile(r"""(['"`])""" + re.escape(name) + r"\1")
        match = pattern.search(text, found.start, found.end)
        if match is None:
            return None
        return Origin(found.file, match.start(), match.end(), -1, Layer.BASE)

    def enum(self, name: str) -> Origin | None:
        found = self.enum_files.get(name)
        if found is None:
            return None
        return Origin(found[0], found[1], found[1] + 1, -1, Layer.BASE)


def _placed_in_schema(
    catalog: Catalog, reference: ReferenceSchema, files: Sequence[SourceFile]
) -> Catalog:
    """The export's catalog with every origin moved into the TypeScript source."""
    schema = _SchemaText(files)
    fallback = Origin(
        reference.schema_files[0] if reference.schema_files else reference.label,
        0,
        0,
        -1,
        Layer.BASE,
    )

    def table_origin(name: QualifiedName) -> Origin:
        return schema.table(name[1]) or fallback

    tables: dict[QualifiedName, Table] = {}
    for key, table in catalog.tables.items():
        origin = table_origin(key)
        columns = tuple(
            replace(c, origin=schema.inside(key[1], c.name) or origin) for c in table.columns
        )
        constraints: list[Constraint] = [
            replace(
                c, origin=schema.inside(key[1], c.name) or _first_column(schema, key, c) or origin
            )
            for c in table.constraints
        ]
        tables[key] = replace(table, origin=origin, columns=columns, constraints=tuple(constraints))
    indexes: dict[QualifiedName, Index] = {
        key: replace(
            index, origin=schema.inside(index.table[1], index.name) or table_origin(index.table)
        )
        for key, index in catalog.indexes.items()
    }
    enums = {
        key: replace(enum, origin=schema.enum(key[1]) or fallback)
        for key, enum in catalog.enums.items()
    }
    return replace(catalog, tables=tables, indexes=indexes, enums=enums)


def _first_column(
    schema: _SchemaText, table: QualifiedName, constraint: Constraint
) -> Origin | None:
    """A constraint drizzle names itself (a foreign key of ``.references()``): at its column."""
    if not constraint.columns:
        return None
    return schema.inside(table[1], constraint.columns[0])
