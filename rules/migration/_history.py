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
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import ast
from rules.migration._transactions import outermost

TYPE_KINDS = frozenset({"enum", "domain", "composite", "type"})


@dataclass(frozen=True, slots=True)
class Creation:
    """The statement that created an object."""

    origin: Origin
    migration: MigrationFile

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
        objects[("table", display_name(table.qualified))] = Creation(origin, migration)
    return objects


def table_name(node: ast.RangeVar) -> str:
    """The display name the simulator uses: ``name`` in public, ``schema.name`` elsewhere."""
    schema = str(node.schemaname or "public")
    return str(node.relname) if schema == "public" else f"{schema}.{node.relname}"


def _group(kind: str) -> str:
    return "type" if kind in TYPE_KINDS else kind


@dataclass(slots=True)
class History:
    """Replays creation events; ``created(kind, name)`` answers for the current statement."""

    objects: dict[tuple[str, str], Creation]

    def created(self, kind: str, name: str) -> Creation | None:
        return self.objects.get((_group(kind), name))

    def apply(self, events: Sequence[SimEvent]) -> None:
        for event in events:
            key = (_group(event.object_kind), event.name)
            if event.object_kind == "relation":
                key = ("table", event.name)
            if event.kind is EventKind.CREATED:
                migration = event.statement.statement.migration
                self.objects[key] = Creation(event.origin, migration)
            elif event.kind is EventKind.DROPPED:
                self.objects.pop(key, None)
            elif event.kind is EventKind.RENAMED and event.detail:
                creation = self.objects.pop(key, None)
                if creation is not None:
                    schema = event.name.rsplit(".", 1)[0] + "." if "." in event.name else ""
                    if key[0] in ("table", "type", "index", "view", "sequence"):
                        self.objects[(key[0], schema + event.detail)] = creation


def replay(
    statements: Sequence[ParsedStatement],
    events: Sequence[SimEvent],
    initial: Catalog | None = None,
) -> Iterator[tuple[ParsedStatement, History, list[SimEvent]]]:
    """Each executed statement with the history as it was just before it, and its own events.

    Statements inside function bodies are skipped (they run when called). The
    objects of an ``initial`` catalog (a snapshot or database base) existed
    before every statement: they are the base, deployed long ago.
    """
    by_statement: dict[int, list[SimEvent]] = {}
    for event in events:
        by_statement.setdefault(id(event.statement), []).append(event)
    history = History(_initial_objects(initial) if initial is not None else {})
    for parsed in statements:
        own = by_statement.get(id(parsed), [])
        if parsed.parent is None or isinstance(outermost(parsed).node, ast.DoStmt):
            yield parsed, history, own
        history.apply(own)
