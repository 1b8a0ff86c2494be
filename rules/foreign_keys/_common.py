"""Helpers shared by the FK2xx rules: quoting, key coverage, type compatibility, globs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from checker.catalog import (
    Catalog,
    Constraint,
    ConstraintKind,
    FkAction,
    ForeignKeyDetails,
    Index,
    QualifiedName,
    Table,
    TypeRef,
    display_name,
    quote,
    relation_sql,
)
from checker.config import DeleteIntent, Settings
from checker.findings import Location
from checker.graph import DeletionClosure, FkEdge
from checker.rule import RuleContext
from checker.types import BUILTIN_TYPES


def columns_sql(columns: Iterable[str]) -> str:
    return ", ".join(quote(c) for c in columns)


def action_sql(action: FkAction) -> str:
    return action.value.upper()


def foreign_keys(catalog: Catalog) -> Iterator[tuple[Table, Constraint, ForeignKeyDetails]]:
    """Every foreign key, in a stable order (table, then constraint name)."""
    for table in sorted(catalog.tables.values(), key=lambda t: t.qualified):
        for constraint in sorted(table.foreign_keys, key=lambda c: c.name):
            if constraint.foreign_key is not None:
                yield table, constraint, constraint.foreign_key


def referenced_columns(catalog: Catalog, details: ForeignKeyDetails) -> tuple[str, ...]:
    """The referenced columns; ``REFERENCES t`` without a list means t's primary key."""
    if details.ref_columns:
        return details.ref_columns
    parent = catalog.tables.get(details.ref_table)
    primary = parent.primary_key if parent is not None else None
    return primary.columns if primary is not None else ()


def fk_clause(
    child: Table,
    constraint: Constraint,
    details: ForeignKeyDetails,
    on_delete: FkAction,
    on_update: FkAction | None = None,
) -> str:
    """The foreign key re-created with other actions, as one ALTER TABLE."""
    update = (
        "" if on_update in (None, FkAction.NO_ACTION) else f" ON UPDATE {action_sql(on_update)}"
    )
    return (
        f"ALTER TABLE {relation_sql(child.qualified)} DROP CONSTRAINT {quote(constraint.name)}, "
        f"ADD CONSTRAINT {quote(constraint.name)} FOREIGN KEY ({columns_sql(constraint.columns)}) "
        f"REFERENCES {relation_sql(details.ref_table)} ({columns_sql(details.ref_columns)}) "
        f"ON DELETE {action_sql(on_delete)}{update};"
    )


def non_nullable_written(
    table: Table,
    constraint: Constraint,
    details: ForeignKeyDetails,
    action: FkAction,
    event: str,
) -> list[tuple[str, str]]:
    """The columns the action would set to NULL that cannot be NULL, with the reason."""
    written = details.delete_set_columns if event == "delete" and details.delete_set_columns else ()
    columns = written or constraint.columns
    primary = table.primary_key
    key_columns = set(primary.columns) if primary is not None else set()
    found: list[tuple[str, str]] = []
    for name in columns:
        column = table.column(name)
        if column is None:
            continue
        default = (column.default or "null").strip().lower()
        if action is FkAction.SET_DEFAULT and default != "null":
            continue  # sets a real value; whether a parent row has it is data
        if name in key_columns:
            found.append((name, "part of the primary key"))
        elif column.not_null:
            found.append((name, "NOT NULL"))
    return found


def nulling_fails(catalog: Catalog, edge: FkEdge) -> bool:
    """True when the edge's ON DELETE SET NULL / SET DEFAULT writes NULL into a NOT NULL column.

    Reads the constraint from the catalog: ``FkEdge.nullable`` looks at every
    column, while ``SET NULL (col, ...)`` writes only the listed ones.
    """
    table = catalog.tables.get(edge.child)
    constraint = table.constraint(edge.constraint) if table is not None else None
    if table is None or constraint is None or constraint.foreign_key is None:
        return not edge.nullable
    details = constraint.foreign_key
    return bool(non_nullable_written(table, constraint, details, details.on_delete, "delete"))


# -- keys and indexes ---------------------------------------------------------


def leading_columns_cover(keys: Sequence[str | None], columns: Sequence[str]) -> bool:
    """True when the first len(columns) keys are exactly ``columns``, in any order.

    The lookup the referential trigger runs is ``WHERE a = $1 AND b = $2``: a
    btree whose leading keys are those columns serves it whatever their order.
    """
    width = len(columns)
    if width == 0 or len(keys) < width:
        return False
    leading = keys[:width]
    return None not in leading and set(leading) == set(columns)


def _predicate_allows_lookup(index: Index, columns: Sequence[str]) -> bool:
    """A partial index serves ``col = $1`` only if its predicate follows from it.

    ``col IS NOT NULL`` does (equality is strict); anything else does not.
    """
    if index.predicate is None:
        return True
    text = " ".join(index.predicate.replace('"', "").split()).lower()
    allowed = {f"{c} is not null" for c in columns}
    parts = {p.strip().strip("()") for p in text.split(" and ")}
    return parts <= allowed


_INDEX_MAPS: dict[int, tuple[Catalog, dict[QualifiedName, list[Index]]]] = {}


def indexes_of(catalog: Catalog, table: QualifiedName) -> list[Index]:
    """The table's indexes by name; one pass over the catalog per catalog, not per call.

    ``Catalog.indexes_of`` scans every index: per foreign key of upstream Sim
    that is 203 × 541 visits.
    """
    cached = _INDEX_MAPS.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        by_table: dict[QualifiedName, list[Index]] = {}
        for index in catalog.indexes.values():
            by_table.setdefault(index.table, []).append(index)
        for found in by_table.values():
            found.sort(key=lambda i: i.name)
        _INDEX_MAPS.clear()  # keep one catalog: rules run over one at a time
        cached = _INDEX_MAPS[id(catalog)] = (catalog, by_table)
    return cached[1].get(table, [])


def covering_index(catalog: Catalog, table: Table, columns: Sequence[str]) -> str | None:
    """Name of an index or key constraint whose leading columns are ``columns``."""
    for index in indexes_of(catalog, table.qualified):
        if index.method not in ("btree", "hash"):
            continue
        if index.method == "hash" and len(columns) != 1:
            continue
        if leading_columns_cover(index.key_columns, columns) and _predicate_allows_lookup(
            index, columns
        ):
            return index.name
    for constraint in table.constraints:
        is_key = constraint.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)
        if is_key and leading_columns_cover(constraint.columns, columns):
            return constraint.name
    return None


@dataclass(frozen=True, slots=True)
class UniqueKey:
    """A PK/UNIQUE constraint or unique index a foreign key may reference."""

    name: str
    columns: frozenset[str]
    deferrable: bool
    statement: int  # where it was created (statement index), -1 when unknown


def unique_keys(catalog: Catalog, table: Table) -> list[UniqueKey]:
    found: list[UniqueKey] = []
    for constraint in table.constraints:
        if constraint.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE):
            found.append(
                UniqueKey(
                    constraint.name,
                    frozenset(constraint.columns),
                    constraint.deferrable,
                    constraint.origin.statement,
                )
            )
    for index in indexes_of(catalog, table.qualified):
        if index.constraint is not None:
            continue  # backs a PK/UNIQUE constraint, counted above with its deferrability
        if index.unique and index.predicate is None and None not in index.key_columns:
            columns = frozenset(c for c in index.key_columns if c is not None)
            found.append(UniqueKey(index.name, columns, False, index.origin.statement))
    return found


# -- types ----------------------------------------------------------------------


class TypeVerdict(StrEnum):
    SAME = "same"
    DIFFERENT = "different"  # PostgreSQL accepts the foreign key; the types still differ
    REJECTED = "rejected"  # CREATE/ALTER fails: no equality operator for the pair
    UNKNOWN = "unknown"  # a type we cannot reason about (extension or unresolved)


_INTEGERS = frozenset({"smallint", "integer", "bigint"})
_STRINGS = frozenset({"text", "character varying", "character", "name"})
_DATETIMES = frozenset({"date", "timestamp without time zone", "timestamp with time zone"})
# Referenced type → referencing types PostgreSQL accepts (an equality operator of
# the referenced key's btree family, or an implicit cast to the referenced type).
# Measured on PostgreSQL 18 by creating every pair.
_ACCEPTS: dict[str, frozenset[str]] = {
    **{t: _INTEGERS for t in _INTEGERS},
    "numeric": _INTEGERS | {"numeric"},
    "real": _INTEGERS | {"numeric", "real", "double precision"},
    "double precision": _INTEGERS | {"numeric", "real", "double precision"},
    **{t: _STRINGS for t in _STRINGS - {"character"}},
    "character": _STRINGS - {"name"},
    **{t: _DATETIMES for t in _DATETIMES},
    "oid": _INTEGERS | {"oid"},
    "interval": frozenset({"interval", "time without time zone"}),
}


def resolve_type(catalog: Catalog, ref: TypeRef) -> tuple[TypeRef, bool]:
    """The type with domains replaced by their base type; and whether it is known.

    Known: a built-in type or an enum/composite of this catalog.
    """
    seen = 0
    while ref.schema is not None and (ref.schema, ref.name) in catalog.domains and seen < 8:
        base = catalog.domains[(ref.schema, ref.name)].base
        ref = TypeRef(base.name, base.schema, base.modifiers, base.array_dims + ref.array_dims)
        seen += 1
    if ref.schema is not None:
        known = (ref.schema, ref.name) in catalog.enums or (
            ref.schema,
            ref.name,
        ) in catalog.composites
        return ref, known
    return ref, ref.name in BUILTIN_TYPES


def type_verdict(catalog: Catalog, referencing: TypeRef, referenced: TypeRef) -> TypeVerdict:
    child, child_known = resolve_type(catalog, referencing)
    parent, parent_known = resolve_type(catalog, referenced)
    if child == parent:
        return TypeVerdict.SAME
    same_base = (child.name, child.schema, child.array_dims) == (
        parent.name,
        parent.schema,
        parent.array_dims,
    )
    if same_base:
        return TypeVerdict.DIFFERENT  # only the modifiers differ: varchar(10) vs varchar(20)
    if not (child_known and parent_known):
        return TypeVerdict.UNKNOWN
    if child.array_dims or parent.array_dims or child.schema or parent.schema:
        return TypeVerdict.REJECTED  # arrays, enums, composites: only the same type has "="
    if child.name in _ACCEPTS.get(parent.name, frozenset({parent.name})):
        if {child.name, parent.name} == {"text", "character varying"} and not (
            child.modifiers or parent.modifiers
        ):
            return TypeVerdict.SAME  # unbounded varchar and text compare with text's "="
        return TypeVerdict.DIFFERENT
    return TypeVerdict.REJECTED


# -- contract ---------------------------------------------------------------------


def matches(name: str, patterns: Iterable[str]) -> bool:
    """Table name against contract globs (``parlant_*``); schema-qualified names too."""
    return any(fnmatchcase(name, p) for p in patterns)


def tables_matching(catalog: Catalog, patterns: Sequence[str]) -> list[QualifiedName]:
    return sorted(
        key
        for key in catalog.tables
        if matches(display_name(key), patterns) or matches(key[1], patterns)
    )


def contract_location(settings: Settings, intent: DeleteIntent | None = None) -> Location | None:
    """Where an intent is stated (its ``root =`` line), else the config file, for
    findings about the contract rather than a statement."""
    if intent is not None and intent.origin is not None:
        return Location.of(intent.origin, "contract")
    if settings.path is None:
        return None
    return Location(str(settings.path), 0, 0, label="contract")


def closure_of(context: RuleContext, root: QualifiedName) -> DeletionClosure:
    """The deletion closure of ``root``, computed once per run for FK205-FK207."""
    closures = context.memo(_closure_cache)
    if root not in closures:
        closures[root] = context.graph.deletion_closure(root)
    return closures[root]


def _closure_cache(context: RuleContext) -> dict[QualifiedName, DeletionClosure]:
    # filled lazily by closure_of; every entry is a pure function of the graph
    return {}


def root_key(root: str) -> QualifiedName:
    schema, dot, name = root.partition(".")
    return (schema, name) if dot else ("public", root)


def edge_location(edge: FkEdge, label: str = "") -> Location:
    return Location.of(edge.origin, label or edge.constraint)


def format_rows(rows: int) -> str:
    return f"{rows:,}"


def cascade_note(edge: FkEdge, closure: DeletionClosure) -> str:
    """Why the same delete cascading into the child does not make this key harmless.

    PostgreSQL queues one trigger per foreign key of the deleted table and fires
    them in creation order; rows deleted by a cascade queued deeper (through
    another table) are still there when this key is checked. Measured on 18.
    """
    child = display_name(edge.child)
    twins = [
        path.edges[-1]
        for path in closure.deleted.get(edge.child, ())
        if path.edges[-1].parent == edge.parent
    ]
    if not twins:
        return (
            f"; {child} is also reached by CASCADE, but only through other tables: "
            f"PostgreSQL checks this key before that cascade reaches the rows"
        )
    earlier = [
        e.constraint
        for e in twins
        if (e.origin.statement, e.origin.start) < (edge.origin.statement, edge.origin.start)
    ]
    if earlier:
        return (
            f"; rows that {', '.join(sorted(set(earlier)))} (CASCADE, created earlier) also "
            f"deletes are gone before this check, the others block"
        )
    return (
        f"; {', '.join(sorted({e.constraint for e in twins}))} (CASCADE) was created later, so "
        f"PostgreSQL checks this key first and even rows it would delete block"
    )
