"""Where each table (and type) was created, as of each statement of the run.

MG408 and MG409 ask the same question about the target of a statement: was it
created in this same file (new), in an earlier file of the layer, or by the base
layer? The answer comes from the simulator's CREATED / DROPPED / RENAMED events,
replayed in statement order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from checker.catalog import Catalog, display_name
from checker.model import JournalStatus, Layer, MigrationFile, Origin
from checker.rule import RuleContext
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import ast
from rules.migration._timeline import Timeline
from rules.migration._transactions import outermost

TYPE_KINDS = frozenset({"enum", "domain", "composite", "type"})


@dataclass(frozen=True, slots=True)
class Creation:
    """The statement that created an object."""

    origin: Origin
    migration: MigrationFile
    # a table created PARTITION BY (a table never becomes partitioned, or stops being so)
    partitioned: bool = False

    @property
    def layer(self) -> Layer:
        return self.origin.layer

    def before(self, parsed: ParsedStatement) -> bool:
        """True when the object existed before the run that applies ``parsed`` could have started.

        The change under review (extension and proposal layers) is deployed as
        one run on top of the base: what it creates itself is new, whichever of
        its files creates it, and only base objects are pre-existing. Within the
        base, a history deployed file by file, a run may start at any file: an
        object created by an earlier file is pre-existing; one created earlier
        in the same file is new.
        """
        if parsed.statement.layer is not Layer.BASE:
            return self.layer is Layer.BASE
        return self.migration.path != parsed.statement.migration.path


def _initial_objects(catalog: Catalog) -> dict[tuple[str, str], Creation]:
    """Creations for what a ready catalog holds, as if one earlier file of the base made it."""
    objects: dict[tuple[str, str], Creation] = {}
    for table in catalog.tables.values():
        origin = table.origin
        migration = MigrationFile(origin.file, "base", Layer.BASE, JournalStatus.PLAIN, None)
        partitioned = table.partitioning is not None
        objects[("table", display_name(table.qualified))] = Creation(origin, migration, partitioned)
    return objects


def table_name(node: ast.RangeVar) -> str:
    """The display name the simulator uses: ``name`` in public, ``schema.name`` elsewhere."""
    schema = str(node.schemaname or "public")
    return str(node.relname) if schema == "public" else f"{schema}.{node.relname}"


def _partitioned(event: SimEvent) -> bool:
    node = event.statement.node
    table = event.object_kind in ("table", "relation")
    return table and isinstance(node, ast.CreateStmt) and node.partspec is not None


def _group(kind: str) -> str:
    return "type" if kind in TYPE_KINDS else kind


@dataclass(frozen=True, slots=True)
class History:
    """The objects as they were just before one statement: ``created(kind, name)``."""

    timeline: Timeline[tuple[str, str], Creation]
    step: int  # the statement's index: what the statements before it did is visible

    def created(self, kind: str, name: str) -> Creation | None:
        return self.timeline.value((_group(kind), name), self.step)


def _timeline(
    statements: Sequence[ParsedStatement],
    by_statement: dict[int, list[SimEvent]],
    initial: Catalog | None,
    earlier: Sequence[SimEvent] | None = None,
) -> Timeline[tuple[str, str], Creation]:
    """``earlier``: the events of the statements before ``statements`` (a resumed run, whose
    base is never a ready catalog), which say where what exists as the first statement
    runs was created; else the objects of ``initial`` (a ready catalog) existed before
    everything."""
    timeline: Timeline[tuple[str, str], Creation] = Timeline()
    current: dict[tuple[str, str], Creation] = {}
    if earlier is not None:
        for event in earlier:
            _follow(current, event)
    elif initial is not None:
        current = _initial_objects(initial)
    for key, creation in current.items():
        timeline.record(key, -1, creation)
    for index, parsed in enumerate(statements):
        for event in by_statement.get(id(parsed), ()):
            for key, now in _follow(current, event):
                timeline.record(key, index + 1, now)
    return timeline


def _follow(
    current: dict[tuple[str, str], Creation], event: SimEvent
) -> list[tuple[tuple[str, str], Creation | None]]:
    """Apply one event to the objects that exist (``current``); returns what changed."""
    key = (_group(event.object_kind), event.name)
    if event.object_kind == "relation":
        key = ("table", event.name)
    if event.kind is EventKind.CREATED:
        migration = event.statement.statement.migration
        current[key] = Creation(event.origin, migration, _partitioned(event))
        return [(key, current[key])]
    if event.kind is EventKind.DROPPED:
        if key in current:
            del current[key]
            return [(key, None)]
    elif event.kind is EventKind.RENAMED and event.detail and key in current:
        creation = current.pop(key)
        changed: list[tuple[tuple[str, str], Creation | None]] = [(key, None)]
        schema = event.name.rsplit(".", 1)[0] + "." if "." in event.name else ""
        if key[0] in ("table", "type", "index", "view", "sequence"):
            renamed = (key[0], schema + event.detail)
            current[renamed] = creation
            changed.append((renamed, creation))
        return changed
    return []


@dataclass(frozen=True, slots=True)
class _Replay:
    """Every statement of the run with the history before it and the events it caused."""

    steps: tuple[tuple[ParsedStatement, History, list[SimEvent]], ...]


def _replay_of(context: RuleContext) -> _Replay:
    statements = context.statements
    by_statement: dict[int, list[SimEvent]] = {}
    for event in context.events:
        by_statement.setdefault(id(event.statement), []).append(event)
    timeline = _timeline(statements, by_statement, context.sources.initial_catalog, context.earlier)
    steps = tuple(
        (parsed, History(timeline, index), by_statement.get(id(parsed), []))
        for index, parsed in enumerate(statements)
        if parsed.parent is None or isinstance(outermost(parsed).node, ast.DoStmt)
    )
    return _Replay(steps)


def replay(context: RuleContext) -> Iterator[tuple[ParsedStatement, History, list[SimEvent]]]:
    """Each executed statement with the history as it was just before it, and its own events.

    Statements inside function bodies are skipped (they run when called). The
    objects of an initial catalog (a snapshot or database base) existed before
    every statement: they are the base, deployed long ago. Computed once per run.
    """
    return iter(context.memo(_replay_of).steps)
