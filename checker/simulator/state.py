"""The simulator's working state: mutable maps of frozen catalog objects.

Every object stays a frozen dataclass; a change replaces it. Side indexes
(indexes per table, tables referencing a table, constraint names per schema)
are kept in step so that each statement costs dict lookups, not catalog scans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from checker.catalog import (
    Catalog,
    CompositeType,
    Constraint,
    Domain,
    EnumType,
    Extension,
    Function,
    Index,
    Policy,
    QualifiedName,
    Sequence,
    Table,
    Trigger,
    View,
    display_name,
)
from checker.model import Origin, pickled_as_tuple
from checker.parsing import identifier_end
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.types import PgNode

TEMP_SCHEMA = "pg_temp"

# Which exception condition of a PL/pgSQL handler swallows a duplicate of each kind.
DUPLICATE_CONDITION = {
    "table": "duplicate_table",
    "index": "duplicate_table",
    "sequence": "duplicate_table",
    "view": "duplicate_table",
    "column": "duplicate_column",
    "function": "duplicate_function",
    "schema": "duplicate_schema",
}


@dataclass(slots=True)
class Creations:
    """Where each object is (first) created, to say a missing object comes later."""

    places: dict[tuple[str, ...], list[Origin]] = field(default_factory=dict)

    def add(self, key: tuple[str, ...], origin: Origin) -> None:
        self.places.setdefault(key, []).append(origin)

    def after(self, key: tuple[str, ...], origin: Origin) -> Origin | None:
        for place in self.places.get(key, ()):
            if (place.statement, place.start) > (origin.statement, origin.start):
                return place
        return None


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class OtherType:
    """A type made by CREATE TYPE ... AS RANGE (and the multirange made with it), or a
    base or shell type: its name and where it was made, nothing more."""

    schema: str
    name: str
    kind: str  # "range" | "multirange" | "base"
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class UnknownDrop:
    """A constraint of ``table`` that SQL built at run time (a DO block's EXECUTE) drops,
    its name not known statically: ``table`` as written, () when it is built too."""

    table: tuple[str, ...]
    origin: Origin  # the EXECUTE
    repeats: bool  # inside a loop: it may drop any number of them


@dataclass(slots=True)
class State:
    """The simulator's working catalog, mutable while the statements are applied."""

    postgres_version: int = 17
    schemas: set[str] = field(default_factory=lambda: {"public"})
    # schemas an unqualified name is looked up in (SET search_path), "$user" left out
    search_path: tuple[str, ...] = ("public",)
    saved_search_path: tuple[str, ...] | None = None  # to restore when SET LOCAL's transaction ends
    tables: dict[QualifiedName, Table] = field(default_factory=dict)
    indexes: dict[QualifiedName, Index] = field(default_factory=dict)
    enums: dict[QualifiedName, EnumType] = field(default_factory=dict)
    domains: dict[QualifiedName, Domain] = field(default_factory=dict)
    composites: dict[QualifiedName, CompositeType] = field(default_factory=dict)
    # types the catalog does not model (range and multirange, base, shell types): known
    # by name, so columns and casts of them resolve
    other_types: dict[QualifiedName, OtherType] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)
    sequences: dict[QualifiedName, Sequence] = field(default_factory=dict)
    views: dict[QualifiedName, View] = field(default_factory=dict)
    functions: dict[tuple[str, str, str], Function] = field(default_factory=dict)
    triggers: dict[tuple[QualifiedName, str], Trigger] = field(default_factory=dict)
    policies: dict[tuple[QualifiedName, str], Policy] = field(default_factory=dict)
    # per schema, the (role, privilege) pairs ALTER DEFAULT PRIVILEGES revoked from the
    # tables made there later (see Table.revoked)
    default_revoked: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    # per schema, the roles ALTER DEFAULT PRIVILEGES revoked EXECUTE on later functions from
    default_revoked_execute: dict[str, frozenset[str]] = field(default_factory=dict)
    # side indexes
    indexes_by_table: dict[QualifiedName, dict[QualifiedName, None]] = field(default_factory=dict)
    referencing: dict[QualifiedName, Counter[QualifiedName]] = field(default_factory=dict)
    constraint_names: Counter[tuple[str, str]] = field(default_factory=Counter)
    # columns each index uses (keys, INCLUDE, expressions, predicate): DROP COLUMN drops it
    index_columns: dict[QualifiedName, frozenset[str]] = field(default_factory=dict)
    # output
    events: list[SimEvent] = field(default_factory=list)
    statements: list[ParsedStatement] = field(default_factory=list)
    creations: Creations = field(default_factory=Creations)
    current: ParsedStatement | None = None
    # condition names of the PL/pgSQL exception handlers around the current statement
    handlers: list[frozenset[str]] = field(default_factory=list)
    # constraint drops of SQL built at run time, earlier in the current file (a file
    # boundary ends them; not carried by a checkpoint, which is taken at one)
    unknown_drops: list[UnknownDrop] = field(default_factory=list)

    # ---- names -------------------------------------------------------------

    def creation_schema(self) -> str:
        """Where an unqualified CREATE puts its object: the first existing schema of
        the search_path (public when none exists, where the server would fail)."""
        return next((schema for schema in self.search_path if schema in self.schemas), "public")

    def _on_path(self, name: str, exists: Callable[[QualifiedName], Any], create: bool) -> str:
        """The schema an unqualified name resolves to: on lookup, the first schema of
        the search_path that holds it; on CREATE (or when none does), the creation schema."""
        if not create:
            for schema in self.search_path:
                if exists((schema, name)) is not None:
                    return schema
        return self.creation_schema()

    def relation_key(self, node: PgNode, *, create: bool = False) -> QualifiedName:
        """(schema, name) of a relation as written; unqualified names see temp tables
        first, then the search_path."""
        if node.schemaname:
            return (str(node.schemaname), str(node.relname))
        if getattr(node, "relpersistence", "p") == "t":
            return (TEMP_SCHEMA, str(node.relname))
        if (TEMP_SCHEMA, node.relname) in self.tables:
            return (TEMP_SCHEMA, str(node.relname))
        name = str(node.relname)
        return (self._on_path(name, self.relation_exists, create), name)

    def object_key(self, names: Iterable[Any], *, create: bool = False) -> QualifiedName:
        """(schema, name) from a list of String nodes (``a`` or ``s.a``); an unqualified
        name is looked up along the search_path (types, relations and functions)."""
        parts = [str(getattr(part, "sval", part)) for part in names]
        if len(parts) >= 2:
            return (parts[-2], parts[-1])
        return (self._on_path(parts[-1], self._object_exists, create), parts[-1])

    def _object_exists(self, key: QualifiedName) -> Any:
        found = self.type_exists(key) or self.relation_exists(key)
        if found is None and any(f[:2] == key for f in self.functions):
            return key
        return found

    def relation_exists(self, key: QualifiedName) -> Any:
        """The pg_class object of that name (table, index, sequence, view, composite)."""
        for space in (self.tables, self.indexes, self.sequences, self.views, self.composites):
            found = space.get(key)
            if found is not None:
                return found
        return None

    def type_exists(self, key: QualifiedName) -> Any:
        """The pg_type object of that name; tables and views have a row type too."""
        spaces = (self.enums, self.domains, self.composites, self.other_types, self.tables)
        for space in (*spaces, self.views):
            found = space.get(key)
            if found is not None:
                return found
        return None

    def relation_taken(self, schema: str, *, constraint: bool = False) -> Any:
        def taken(name: str) -> bool:
            if self.relation_exists((schema, name)) is not None:
                return True
            return constraint and self.constraint_names[(schema, name)] > 0

        return taken

    def constraint_taken(self, schema: str, extra: Iterable[str] = ()) -> Any:
        others = set(extra)

        def taken(name: str) -> bool:
            return name in others or self.constraint_names[(schema, name)] > 0

        return taken

    def take_unknown_drop(self, table: QualifiedName) -> UnknownDrop | None:
        """The constraint drop of SQL built at run time, earlier in this file, that may
        have dropped a constraint of ``table`` (used up unless it repeats); None if none."""
        assert self.current is not None
        path = self.current.statement.origin.file
        for position, drop in enumerate(self.unknown_drops):
            if drop.origin.file != path:
                continue
            named = drop.table
            if named and (named[-1] != table[1] or (len(named) > 1 and named[0] != table[0])):
                continue
            if not drop.repeats:
                del self.unknown_drops[position]
            return drop
        return None

    # ---- events ------------------------------------------------------------

    def origin_at(self, location: int | None, length: int = 0) -> Origin:
        """Origin of a place in the current statement (pglast ``location``)."""
        assert self.current is not None
        statement = self.current.statement
        if location is None or location < 0 or location >= len(statement.text):
            return statement.origin
        end = identifier_end(statement.text, location) if self.current.scanned else None
        if end is not None:  # the identifier token written there, whole
            return statement.span(location, end)
        return statement.span(location, location + max(1, length))

    def event(
        self,
        kind: EventKind,
        object_kind: str,
        name: str,
        *,
        location: int | None = None,
        origin: Origin | None = None,
        action: str = "",
        detail: str = "",
        previous: Origin | None = None,
        kept: Any = None,
        skipped: Any = None,
        created_later: Origin | None = None,
        wanted: tuple[str, ...] | None = None,
    ) -> None:
        assert self.current is not None
        self.events.append(
            SimEvent(
                kind=kind,
                object_kind=object_kind,
                name=name,
                origin=origin or self.origin_at(location),
                statement=self.current,
                action=action,
                detail=detail,
                previous=previous,
                kept=kept,
                skipped=skipped,
                created_later=created_later,
                wanted=wanted,
            )
        )

    def absent_columns(
        self, table: Table, names: Iterable[str], *, location: int | None = None
    ) -> list[str]:
        """The columns of ``names`` that ``table`` lacks, each reported missing (the
        statement naming them fails). None for a table made from a query whose columns
        were not all derived: they may well exist, so what names them is applied."""
        if not table.columns_known:
            return []
        absent = [name for name in names if table.column(name) is None]
        for name in absent:
            self.missing(
                "column", (*table.qualified, name), f"{table.name}.{name}", location=location
            )
        return absent

    def missing(
        self, object_kind: str, key: tuple[str, ...], name: str, *, location: int | None = None
    ) -> None:
        """A reference to something that does not exist here (maybe later)."""
        if object_kind == "column" and len(key) == 3:
            table = self.tables.get((key[0], key[1]))
            if table is not None and not table.columns_known:
                return  # made from a query whose columns were not derived: may well exist
        origin = self.origin_at(location)
        later = self.creations.after((object_kind, *key), origin)
        detail = "created later" if later else "never created"
        self.event(
            EventKind.MISSING,
            object_kind,
            name,
            origin=origin,
            detail=detail,
            created_later=later,
            wanted=(object_kind, *key),
        )

    def duplicate(
        self,
        object_kind: str,
        name: str,
        kept: Any,
        skipped: Any,
        *,
        location: int | None = None,
    ) -> None:
        """CREATE of a name that exists: the server fails, unless a handler catches it."""
        condition = DUPLICATE_CONDITION.get(object_kind, "duplicate_object")
        caught = any(condition in h or "others" in h for h in self.handlers)
        previous = getattr(kept, "origin", None)
        if caught:
            self.event(
                EventKind.SKIPPED_EXISTING,
                object_kind,
                name,
                location=location,
                detail=f"{condition} caught by the DO block's exception handler",
                previous=previous,
                kept=kept,
                skipped=skipped,
            )
        else:
            self.event(
                EventKind.DUPLICATE,
                object_kind,
                name,
                location=location,
                previous=previous,
                kept=kept,
                skipped=skipped,
            )

    # ---- tables and indexes ------------------------------------------------

    def put_table(self, table: Table) -> None:
        """Store a new or changed table, keeping the side indexes in step."""
        key = table.qualified
        old = self.tables.get(key)
        if old is not None:
            self._forget_constraints(old)
        self.tables[key] = table
        for constraint in table.constraints:
            self.constraint_names[(table.schema, constraint.name)] += 1
            if constraint.foreign_key is not None:
                ref = constraint.foreign_key.ref_table
                self.referencing.setdefault(ref, Counter())[key] += 1

    def _forget_constraints(self, table: Table) -> None:
        key = table.qualified
        for constraint in table.constraints:
            self.constraint_names[(table.schema, constraint.name)] -= 1
            if constraint.foreign_key is not None:
                counter = self.referencing.get(constraint.foreign_key.ref_table)
                if counter is not None:
                    counter[key] -= 1
                    if counter[key] <= 0:
                        del counter[key]

    def drop_cascaded_foreign_key(
        self,
        table_key: QualifiedName,
        foreign_key: Constraint,
        *,
        detail: str,
        location: int | None = None,
        previous: Origin | None = None,
    ) -> None:
        """Remove a foreign key that a DROP ... CASCADE took with it, and say so."""
        table = self.tables[table_key]
        self.put_table(
            replace(table, constraints=tuple(c for c in table.constraints if c is not foreign_key))
        )
        self.event(
            EventKind.DROPPED,
            "constraint",
            f"{table.name}.{foreign_key.name}",
            location=location,
            detail=detail,
            previous=previous,
        )

    def remove_table(self, key: QualifiedName) -> Table | None:
        table = self.tables.pop(key, None)
        if table is not None:
            self._forget_constraints(table)
        return table

    def referencing_tables(self, key: QualifiedName) -> list[QualifiedName]:
        """Tables (other than ``key`` itself) with a foreign key to ``key``."""
        counter = self.referencing.get(key)
        return [name for name, count in (counter or {}).items() if count > 0 and name != key]

    def put_index(self, index: Index, columns: Iterable[str] | None = None) -> None:
        self.indexes[index.qualified] = index
        if columns is not None:
            self.index_columns[index.qualified] = frozenset(columns)
        elif index.qualified not in self.index_columns:
            used = {key.column for key in index.keys if key.column is not None}
            self.index_columns[index.qualified] = frozenset(used | set(index.include))
        self.indexes_by_table.setdefault(index.table, {})[index.qualified] = None

    def remove_index(self, key: QualifiedName) -> Index | None:
        index = self.indexes.pop(key, None)
        if index is not None:
            self.indexes_by_table.get(index.table, {}).pop(key, None)
            self.index_columns.pop(key, None)
        return index

    def table_indexes(self, table: QualifiedName) -> list[Index]:
        return [self.indexes[key] for key in self.indexes_by_table.get(table, {})]

    def release_index(
        self,
        index: Index,
        *,
        cascade: bool,
        kind: str,
        label: str,
        what: str,
        previous: Origin | None,
        cascade_detail: str,
        cascade_previous: bool = False,
    ) -> bool:
        """Before an index goes (DROP INDEX, DROP CONSTRAINT): the foreign keys
        bound to it block the drop (a BLOCKED event on ``kind`` ``label``, False),
        or with CASCADE are dropped with it (True)."""
        dependents = self.foreign_keys_using(index)
        if dependents and not cascade:
            self.event(
                EventKind.BLOCKED,
                kind,
                label,
                detail=f"foreign keys depend on {what}: "
                + ", ".join(f"{display_name(k)}.{c.name}" for k, c in dependents),
                previous=previous,
            )
            return False
        for table_key, foreign_key in dependents:
            self.drop_cascaded_foreign_key(
                table_key,
                foreign_key,
                detail=cascade_detail,
                previous=foreign_key.origin if cascade_previous else None,
            )
        return True

    def foreign_keys_using(self, index: Index) -> list[tuple[QualifiedName, Constraint]]:
        """The foreign keys (with their tables) that depend on ``index``.

        PostgreSQL binds a foreign key to the first unique index of the referenced
        table (the lowest OID; here the oldest origin) that is immediate, non-partial,
        on plain columns, and whose keys are the referenced columns. While an older
        such index exists, the foreign keys use it and not a newer one.
        """
        if not self._fk_can_use(index):
            return []
        columns = _plain_key_columns(index)
        age = (index.origin.statement, index.origin.start)
        if any(
            other.qualified != index.qualified
            and self._fk_can_use(other)
            and _plain_key_columns(other) == columns
            and (other.origin.statement, other.origin.start) < age
            for other in self.table_indexes(index.table)
        ):
            return []
        dependents = []
        for table_key in [*self.referencing_tables(index.table), index.table]:
            table = self.tables.get(table_key)
            for constraint in table.foreign_keys if table is not None else ():
                fk = constraint.foreign_key
                if (
                    fk is not None
                    and fk.ref_table == index.table
                    and sorted(fk.ref_columns) == columns
                ):
                    dependents.append((table_key, constraint))
        return dependents

    def _fk_can_use(self, index: Index) -> bool:
        """Whether a foreign key can be bound to ``index`` (transformFkeyCheckAttrs)."""
        if not index.unique or index.predicate is not None or None in index.key_columns:
            return False
        if index.constraint is None:
            return True
        table = self.tables.get(index.table)
        constraint = table.constraint(index.constraint) if table is not None else None
        return constraint is None or not constraint.deferrable

    # ---- views that depend on tables ------------------------------------------

    def views_reading(
        self, table: QualifiedName, columns: Iterable[str] | None = None
    ) -> list[QualifiedName]:
        """Views whose query reads ``table`` (any of ``columns`` when given)."""
        wanted = None if columns is None else set(columns)
        found = []
        for key, view in self.views.items():
            for read in view.reads:
                if read.table == table and (wanted is None or wanted & set(read.columns)):
                    found.append(key)
                    break
        return found

    def views_blocking(
        self,
        kind: str,
        key: QualifiedName,
        named: Iterable[QualifiedName],
        cascade: bool,
        previous: Origin | None,
        location: int | None = None,
    ) -> list[QualifiedName] | None:
        """The views reading ``key`` (but those in ``named``, which the same DROP drops),
        for a CASCADE to take along; None when, without CASCADE, they block the drop
        (a BLOCKED event: "cannot drop ... because other objects depend on it")."""
        skipped = set(named)
        views = [v for v in self.views_reading(key) if v != key and v not in skipped]
        if views and not cascade:
            self.event(
                EventKind.BLOCKED,
                kind,
                display_name(key),
                location=location,
                detail="views depend on it: " + ", ".join(display_name(v) for v in views),
                previous=previous,
            )
            return None
        return views

    def drop_dependent_views(
        self, keys: Iterable[QualifiedName], *, detail: str, location: int | None
    ) -> None:
        """DROP ... CASCADE of what views read: the views go too, and the views reading them."""
        for key in keys:
            view = self.views.pop(key, None)
            if view is None:
                continue
            for index in self.table_indexes(key):
                self.remove_index(index.qualified)
            self.event(
                EventKind.DROPPED,
                "view",
                display_name(key),
                location=location,
                detail=detail,
                previous=view.origin,
            )
            self.drop_dependent_views(
                self.views_reading(key),
                detail=f"cascade from dropping view {display_name(key)}",
                location=location,
            )

    # ---- a ready catalog as the starting point ---------------------------------

    def seed(self, catalog: Catalog) -> None:
        """Start from ``catalog`` (a drizzle snapshot, a live database) instead of
        nothing; its objects keep their origins, and no events are recorded."""
        self.schemas |= set(catalog.schemas)
        for table in catalog.tables.values():
            self.put_table(table)
        for index in catalog.indexes.values():
            self.put_index(index, _index_columns(index))
        self.enums.update(catalog.enums)
        self.domains.update(catalog.domains)
        self.composites.update(catalog.composites)
        self.extensions.update(catalog.extensions)
        self.sequences.update(catalog.sequences)
        self.views.update(catalog.views)
        self.functions.update(catalog.functions)
        self.triggers.update(catalog.triggers)
        self.policies.update(catalog.policies)

    # ---- output ------------------------------------------------------------

    def catalog(self) -> Catalog:
        """The frozen result; temporary tables end with the session, so they are left out."""
        return Catalog(
            schemas=frozenset(self.schemas),
            tables={k: v for k, v in self.tables.items() if k[0] != TEMP_SCHEMA},
            indexes={k: v for k, v in self.indexes.items() if v.table[0] != TEMP_SCHEMA},
            enums=dict(self.enums),
            domains=dict(self.domains),
            composites=dict(self.composites),
            extensions=dict(self.extensions),
            sequences={k: v for k, v in self.sequences.items() if k[0] != TEMP_SCHEMA},
            views=dict(self.views),
            functions=dict(self.functions),
            triggers=dict(self.triggers),
            policies=dict(self.policies),
        )


def table_label(key: QualifiedName) -> str:
    return display_name(key)


def _plain_key_columns(index: Index) -> list[str]:
    """The key columns of an index as a sorted list (a foreign key's columns may
    name them in any order); expression keys are left out."""
    return sorted(column for column in index.key_columns if column is not None)


def _index_columns(index: Index) -> set[str]:
    """The columns an index uses, expressions and predicate included (a DROP COLUMN
    of any of them drops the index), read back from the expressions' text."""
    from pglast import parser as pg_parser

    from checker.simulator.expressions import column_refs

    used = {key.column for key in index.keys if key.column is not None} | set(index.include)
    texts = [key.expression for key in index.keys if key.expression is not None]
    if index.predicate is not None:
        texts.append(index.predicate)
    for text in texts:
        try:
            tree = pg_parser.parse_sql(f"SELECT {text}")
        except pg_parser.ParseError:
            continue  # text a server printed that pglast's parser does not take: keys only
        used.update(column_refs(tree[0].stmt))
    return used
