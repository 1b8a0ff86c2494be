"""Helpers shared by the NC rules: describing catalog objects, comparing
definitions, and finding the identifier token that names an object."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from checker.catalog import (
    Catalog,
    CompositeType,
    Constraint,
    ConstraintKind,
    Domain,
    EnumType,
    Function,
    Index,
    Table,
    View,
    display_name,
)
from checker.catalog import (
    Sequence as SequenceObject,
)
from checker.findings import Location, Severity
from checker.model import Layer, Layout, Origin
from checker.rule import RuleContext
from checker.simulation import EventKind, Identifier, ParsedStatement, SimEvent


def kind_of(obj: Any) -> str:
    """What PostgreSQL would call the object in an error message."""
    if isinstance(obj, Table):
        return "table"
    if isinstance(obj, Index):
        return "index"
    if isinstance(obj, SequenceObject):
        return "sequence"
    if isinstance(obj, View):
        return "materialized view" if obj.materialized else "view"
    if isinstance(obj, CompositeType):
        return "composite type"
    if isinstance(obj, EnumType):
        return "enum"
    if isinstance(obj, Domain):
        return "domain"
    if isinstance(obj, Constraint):
        return f"{obj.kind.value} constraint"
    if isinstance(obj, Function):
        return "procedure" if obj.is_procedure else "function"
    return "object"


def name_of(obj: Any) -> str:
    schema = getattr(obj, "schema", "public")
    return display_name((schema, str(getattr(obj, "name", "?"))))


def describe(obj: Any) -> str:
    """A one-line definition of a catalog object, enough to compare two of them."""
    if isinstance(obj, Table):
        parts = [_column(c.name, c.type.render(), c.not_null, c.default) for c in obj.columns]
        parts += [describe(c) for c in obj.constraints]
        return f"table {name_of(obj)} ({', '.join(parts)})"
    if isinstance(obj, Index):
        unique = "unique " if obj.unique else ""
        keys = ", ".join(key.render() for key in obj.keys)
        text = (
            f"{unique}index {name_of(obj)} on {display_name(obj.table)} using {obj.method} ({keys})"
        )
        if obj.include:
            text += f" include ({', '.join(obj.include)})"
        if obj.predicate:
            text += f" where {obj.predicate}"
        if obj.constraint:
            text += f" (backs constraint {obj.constraint})"
        return text
    if isinstance(obj, EnumType):
        labels = ", ".join(f"'{label}'" for label in obj.labels)
        return f"enum {name_of(obj)} ({labels})"
    if isinstance(obj, Domain):
        return f"domain {name_of(obj)} as {obj.base.render()}"
    if isinstance(obj, CompositeType):
        attributes = ", ".join(f"{n} {t.render()}" for n, t in obj.attributes)
        return f"composite type {name_of(obj)} ({attributes})"
    if isinstance(obj, Constraint):
        return f"constraint {obj.name} {_constraint_body(obj)}"
    if isinstance(obj, SequenceObject):
        return f"sequence {name_of(obj)} as {obj.data_type}"
    return f"{kind_of(obj)} {name_of(obj)}"  # views, functions: compared by name alone


def _column(name: str, type_name: str, not_null: bool, default: str | None) -> str:
    text = f"{name} {type_name}"
    if not_null:
        text += " not null"
    if default is not None:
        text += f" default {default}"
    return text


def _constraint_body(constraint: Constraint) -> str:
    columns = ", ".join(constraint.columns)
    if constraint.kind is ConstraintKind.CHECK:
        return f"check ({constraint.expression})"
    if constraint.kind is ConstraintKind.FOREIGN_KEY and constraint.foreign_key is not None:
        fk = constraint.foreign_key
        target = f"{display_name(fk.ref_table)} ({', '.join(fk.ref_columns)})"
        return f"foreign key ({columns}) references {target} on delete {fk.on_delete.value}"
    return f"{constraint.kind.value} ({columns})"


def same_definition(kept: Any, skipped: Any) -> bool:
    """Whether two definitions are the same apart from where they were written."""
    if type(kept) is not type(skipped):
        return False
    return describe(kept) == describe(skipped)


def severity_for_layer(layer: Layer) -> Severity:
    """A design choice the extension can still change weighs more than the base's history."""
    return Severity.INFO if layer is Layer.BASE else Severity.WARNING


def order_key(origin: Origin) -> tuple[int, int]:
    return (origin.statement, origin.start)


def related(origin: Origin | None, label: str) -> list[Location]:
    return [] if origin is None or not origin.file else [Location.of(origin, label)]


def where(origin: Origin | None) -> str:
    """``file`` of an origin, for messages that point at an earlier definition."""
    if origin is None or not origin.file:
        return "earlier"
    return f"in {origin.file.rsplit('/', 1)[-1]}"


@dataclass(frozen=True, slots=True)
class DefinedObject:
    """An object that exists at the end of the run, with the kind users know it by."""

    kind: str  # table, column, index, constraint, enum, domain, composite type, ...
    name: str  # its own name (a column's or constraint's without the table)
    label: str  # how a message names it (``parlant_event.offset``)
    origin: Origin
    owner: str | None = None  # the table of a column or constraint
    obj: Any = None


def defined_objects(catalog: Catalog) -> Iterator[DefinedObject]:
    """Every named object of the final catalog, tables before their parts."""
    for table in catalog.tables.values():
        yield DefinedObject("table", table.name, name_of(table), table.origin, obj=table)
        owner = name_of(table)
        for column in table.columns:
            label = f"{owner}.{column.name}"
            yield DefinedObject("column", column.name, label, column.origin, owner, column)
        for constraint in table.constraints:
            label = f"{owner}.{constraint.name}"
            kind = f"{constraint.kind.value} constraint"
            yield DefinedObject(kind, constraint.name, label, constraint.origin, owner, constraint)
    for index in catalog.indexes.values():
        if index.constraint is None:
            yield DefinedObject("index", index.name, name_of(index), index.origin, obj=index)
    spaces: Sequence[tuple[str, Any]] = (
        ("enum", catalog.enums),
        ("domain", catalog.domains),
        ("composite type", catalog.composites),
        ("sequence", catalog.sequences),
        ("view", catalog.views),
    )
    for kind, space in spaces:
        for obj in space.values():
            yield DefinedObject(kind, obj.name, name_of(obj), obj.origin, obj=obj)
    for function in catalog.functions.values():
        kind = "procedure" if function.is_procedure else "function"
        yield DefinedObject(kind, function.name, name_of(function), function.origin, obj=function)


def final_objects(context: RuleContext) -> tuple[DefinedObject, ...]:
    """``defined_objects`` of the run's catalog, listed once for every NC rule that reads it."""
    return context.memo(_list_defined_objects)


def _list_defined_objects(context: RuleContext) -> tuple[DefinedObject, ...]:
    return tuple(defined_objects(context.catalog))


class IdentifierIndex:
    """The identifier tokens of all statements, by file, to find the token naming an object.

    A file's tokens are scanned when a rule first asks about that file; ``tokens``
    scans only the statements a cheap test of their text lets through, so a rule
    that looks for rare tokens (too long, hidden characters) does not scan them all.
    """

    def __init__(self, statements: Sequence[ParsedStatement]) -> None:
        by_file: dict[str, list[ParsedStatement]] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        for parsed in statements:
            origin = parsed.statement.origin
            spans.setdefault(origin.file, []).append((origin.start, origin.end))
            by_file.setdefault(origin.file, []).append(parsed)
        self._by_file = by_file
        self._spans = spans
        self._files: dict[str, tuple[list[int], list[Identifier]]] = {}

    def _statement_end(self, origin: Origin) -> int:
        """End of the innermost statement holding ``origin`` (objects may point at one token)."""
        ends = [e for s, e in self._spans.get(origin.file, ()) if s <= origin.start < e]
        return min(ends, default=origin.end)

    def _file(self, file: str) -> tuple[list[int], list[Identifier]]:
        """The file's tokens in order, and where each starts."""
        found = self._files.get(file)
        if found is None:
            tokens = _ordered(self._by_file.get(file, ()))
            found = self._files[file] = ([t.origin.start for t in tokens], tokens)
        return found

    def naming(self, origin: Origin, name: str) -> Identifier | None:
        """The first token from ``origin`` to the end of its statement that spells ``name``."""
        starts, tokens = self._file(origin.file)
        if not starts:
            return None
        end = max(origin.end, self._statement_end(origin))
        low = bisect.bisect_left(starts, origin.start)
        high = bisect.bisect_left(starts, end)
        for identifier in tokens[low:high]:
            if identifier.text == name:
                return identifier
        return None

    def all(self) -> Iterator[Identifier]:
        for file in self._by_file:
            yield from self._file(file)[1]

    def tokens(self, may_hold: Callable[[str], bool]) -> Iterator[Identifier]:
        """The tokens of the statements whose text ``may_hold`` lets through, in the order
        of ``all()``: ``may_hold`` must be True for every statement holding a token the
        caller wants (it may be True for others)."""
        for statements in self._by_file.values():
            yield from _ordered([p for p in statements if may_hold(p.statement.text)])

    def long_tokens(
        self, may_hold: Callable[[str], bool], longer_than: int
    ) -> Iterator[Identifier]:
        """``tokens`` whose name is longer than ``longer_than`` bytes, without building the
        others (a statement's tokens are all equal in length at one place)."""
        for statements in self._by_file.values():
            chosen = [p for p in statements if may_hold(p.statement.text)]
            yield from _ordered(chosen, lambda p: p.long_identifiers(longer_than))


def _ordered(
    statements: Iterable[ParsedStatement],
    tokens_of: Callable[[ParsedStatement], Iterable[Identifier]] = lambda p: p.identifiers,
) -> list[Identifier]:
    """The statements' tokens by place (one token per place: a later statement's wins)."""
    by_start: dict[int, Identifier] = {}
    for parsed in statements:
        for identifier in tokens_of(parsed):
            by_start[identifier.origin.start] = identifier
    return [token for _, token in sorted(by_start.items())]


def identifier_index(context: RuleContext) -> IdentifierIndex:
    """The run's IdentifierIndex, built once and shared by the NC rules that read it."""
    return context.memo(_build_identifier_index)


def _build_identifier_index(context: RuleContext) -> IdentifierIndex:
    return IdentifierIndex(context.statements)


RELATION_KINDS = frozenset({"table", "index", "sequence", "view", "materialized view", "composite"})
TYPE_CLASSES = (EnumType, Domain, CompositeType)


def collision_code(kind: str, kept: Any, skipped: Any) -> str | None:
    """Which NC rule owns a DUPLICATE / SKIPPED_EXISTING event, so each clash is told once.

    Constraint names (and the index a PK/UNIQUE/EXCLUDE constraint creates) are
    NC103's; clashes in pg_type (enums, domains, composites, row types) are
    NC102's; the rest of pg_class (tables, indexes, sequences, views) is NC101's.
    """
    if kind == "constraint" or isinstance(skipped, Constraint):
        return "NC103"
    if isinstance(skipped, Index) and skipped.constraint is not None:
        return "NC103"
    if isinstance(kept, Index | SequenceObject) or isinstance(skipped, Index | SequenceObject):
        return "NC101"
    if isinstance(kept, TYPE_CLASSES) or isinstance(skipped, TYPE_CLASSES):
        return "NC102"
    if kind in ("enum", "domain", "composite", "type"):
        return "NC102"
    if kind in RELATION_KINDS:
        return "NC101"
    return None


def both_definitions(kept: Any, skipped: Any) -> list[str]:
    """The ``details`` lines of a clash: the definition that exists and the new one."""
    lines = []
    if kept is not None:
        lines.append(f"existing: {describe(kept)}")
    if skipped is not None:
        lines.append(f"this statement: {describe(skipped)}")
    return lines


def written_name(index: IdentifierIndex, obj: DefinedObject) -> Origin | None:
    """The identifier that names the object in its defining statement; None when the
    name was never written there (``t_pkey``, a partition's inherited columns)."""
    token = index.naming(obj.origin, obj.name)
    return token.origin if token is not None else None


def collisions(context: RuleContext, code: str) -> Iterator[SimEvent]:
    """The DUPLICATE and SKIPPED_EXISTING events that rule ``code`` owns: every
    duplicate, and the IF NOT EXISTS skips that kept a different definition."""
    for event in context.events:
        if event.kind not in (EventKind.DUPLICATE, EventKind.SKIPPED_EXISTING):
            continue
        if collision_code(event.object_kind, event.kept, event.skipped) != code:
            continue
        if event.kind is EventKind.DUPLICATE or not same_definition(event.kept, event.skipped):
            yield event


def _layout_by_file(context: RuleContext) -> dict[str, Layout]:
    return {migration.path: migration.layout for migration in context.sources.migrations}


def written_by(context: RuleContext, origin: Origin) -> Layout:
    """The tool that wrote the migration an object comes from (its folder's layout)."""
    return context.memo(_layout_by_file).get(origin.file, Layout.SQL)
