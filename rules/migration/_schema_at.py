"""Column types and foreign keys as they stood just before each statement of the run.

A rule that judges a statement of the history (a TRUNCATE ... CASCADE, an ALTER
DOMAIN, a use of a new enum value) must see the schema of that moment, not the
final one: a column added or a foreign key created by a later file did not exist
yet, and one dropped later still did. The simulator's CREATED / ALTERED / DROPPED /
RENAMED events say when each change happened; the statement's own parse tree says
what it wrote (a column's type, a foreign key's target). A ready base catalog
(``sources.initial_catalog``) is the state before the first statement; in a run resumed
from a checkpoint, the events of the statements before it (``context.earlier``) are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from checker.catalog import Catalog, ConstraintKind, QualifiedName, Table
from checker.rule import RuleContext
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import AlterTableType, ConstrType, all_nodes, ast
from rules.migration._enum_values import relation_key, type_key
from rules.migration._timeline import Timeline

_ColumnKey = tuple[QualifiedName, str]  # (table, column)
_EdgeKey = tuple[QualifiedName, str]  # (referencing table, constraint name)


_Changes = Timeline[Any, QualifiedName]  # key -> a table or type name, as of each step


@dataclass(frozen=True, slots=True)
class SchemaAt:
    """Ask what the schema held just before the statement at index ``step`` of
    ``context.statements`` (``index_of`` finds it)."""

    columns: _Changes  # (table, column) -> the column's type (schema, name)
    foreign_keys: _Changes  # (table, constraint) -> the referenced table
    positions: dict[int, int]  # id(parsed statement) -> its index
    # the keys above grouped once (asked per statement, a scan of every key of the run
    # grew with statements x columns): column keys by table, foreign keys by target
    columns_by_table: dict[Any, list[_ColumnKey]]
    keys_by_target: dict[Any, list[_EdgeKey]]

    def index_of(self, parsed: ParsedStatement) -> int:
        return self.positions[id(parsed)]

    def columns_of_type(self, type_name: QualifiedName, step: int) -> list[_ColumnKey]:
        """The (table, column) pairs whose type is ``type_name`` (arrays of it included)."""
        return sorted(key for key, value in self.columns.items_at(step) if value == type_name)

    def types_of_table(self, table: QualifiedName, step: int) -> set[QualifiedName]:
        """The types of ``table``'s columns."""
        found = {self.columns.value(key, step) for key in self.columns_by_table.get(table, ())}
        return {value for value in found if value is not None}

    def referencing(self, table: QualifiedName, step: int) -> set[QualifiedName]:
        """The tables with a foreign key to ``table``."""
        keys = self.keys_by_target.get(table, ())
        return {key[0] for key in keys if self.foreign_keys.value(key, step) == table}


def schema_at(context: RuleContext) -> SchemaAt:
    """The run's column and foreign-key timeline, built once per run."""
    return context.memo(_build)


class _Builder:
    def __init__(self, initial: Catalog | None, final: Catalog) -> None:
        self.columns: _Changes = Timeline()
        self.foreign_keys: _Changes = Timeline()
        self.tables: dict[QualifiedName, dict[str, QualifiedName]] = {}
        self.edges: dict[_EdgeKey, QualifiedName] = {}
        self.partitions: dict[QualifiedName, set[QualifiedName]] = {}
        self.final = final
        # id(parsed statement) -> the foreign keys it writes (see _foreign_keys_written)
        self.written: dict[int, list[tuple[int, str | None, QualifiedName]]] = {}
        self.user_types: dict[str, list[QualifiedName]] = {}
        for catalog in (initial, final):
            if catalog is None:
                continue
            for key in (*catalog.enums, *catalog.domains, *catalog.composites):
                self.user_types.setdefault(key[1], []).append(key)
        if initial is not None:
            for table in initial.tables.values():
                self._seed(table, -1)

    # ---- names ---------------------------------------------------------------

    def resolve_type(self, names: Iterable[Any]) -> QualifiedName:
        """A written type's (schema, name); an unqualified name is the user type of
        that name (public first), as the run's search_path most likely found it."""
        parts = [str(getattr(part, "sval", part)) for part in names]
        key = type_key(parts)
        if len(parts) > 1 and parts[0] != "pg_catalog":
            return key
        candidates = sorted(set(self.user_types.get(key[1], ())))
        if not candidates or key in candidates:
            return key
        return candidates[0]

    def table_key(self, bare: str, node: Any) -> QualifiedName:
        """The table an event names by its bare name (``name`` or ``schema.name``)."""
        if "." in bare:
            schema, name = bare.rsplit(".", 1)
            return (schema, name)
        relation = getattr(node, "relation", None)
        if isinstance(relation, ast.RangeVar) and str(relation.relname) == bare:
            return relation_key(relation)
        if ("public", bare) in self.tables:
            return ("public", bare)
        known = sorted(key for key in self.tables if key[1] == bare)
        return known[0] if known else ("public", bare)

    # ---- changes -------------------------------------------------------------

    def set_column(
        self, table: QualifiedName, column: str, value: QualifiedName, step: int
    ) -> None:
        self.tables.setdefault(table, {})[column] = value
        self.columns.record((table, column), step, value)

    def drop_column(self, table: QualifiedName, column: str, step: int) -> None:
        if self.tables.get(table, {}).pop(column, None) is not None:
            self.columns.record((table, column), step, None)

    def set_edge(self, key: _EdgeKey, parent: QualifiedName | None, step: int) -> None:
        if parent is None:
            if self.edges.pop(key, None) is not None:
                self.foreign_keys.record(key, step, None)
            return
        self.edges[key] = parent
        self.foreign_keys.record(key, step, parent)

    def _seed(self, table: Table, step: int) -> None:
        self.tables.setdefault(table.qualified, {})
        if table.partition_of is not None:
            self.partitions.setdefault(table.partition_of, set()).add(table.qualified)
        for column in table.columns:
            if column.type.schema is not None:
                key = (column.type.schema, column.type.name)
                self.set_column(table.qualified, column.name, key, step)
        for constraint in table.constraints:
            if constraint.kind is ConstraintKind.FOREIGN_KEY and constraint.foreign_key:
                edge = (table.qualified, constraint.name)
                self.set_edge(edge, constraint.foreign_key.ref_table, step)

    def add_foreign_key(self, key: _EdgeKey, parent: QualifiedName, step: int) -> None:
        """A foreign key, and its copies on the table's partitions (same name)."""
        self.set_edge(key, parent, step)
        for partition in sorted(self.partitions.get(key[0], ())):
            if (partition, key[1]) not in self.edges:
                self.add_foreign_key((partition, key[1]), parent, step)

    def attach(self, parent: QualifiedName, partition: QualifiedName, step: int) -> None:
        """A new partition gets its parent's foreign keys, as the server copies them."""
        self.partitions.setdefault(parent, set()).add(partition)
        for (child, name), target in sorted(self.edges.items()):
            if child == parent and (partition, name) not in self.edges:
                self.add_foreign_key((partition, name), target, step)

    def drop_table(self, table: QualifiedName, step: int) -> None:
        for column in list(self.tables.get(table, {})):
            self.drop_column(table, column, step)
        self.tables.pop(table, None)
        self.partitions.pop(table, None)
        for partitions in self.partitions.values():
            partitions.discard(table)
        for key, parent in list(self.edges.items()):
            if key[0] == table or parent == table:
                self.set_edge(key, None, step)

    def rename_table(self, old: QualifiedName, new: QualifiedName, step: int) -> None:
        columns = dict(self.tables.get(old, {}))
        edges = [(key, parent) for key, parent in self.edges.items() if old in (key[0], parent)]
        partitions = self.partitions.get(old, set())
        parents = [parent for parent, children in self.partitions.items() if old in children]
        self.drop_table(old, step)
        self.partitions[new] = partitions
        for parent in parents:
            self.partitions.setdefault(parent, set()).add(new)
        self.tables[new] = {}
        for column, value in columns.items():
            self.set_column(new, column, value, step)
        for (child, name), parent in edges:
            child = new if child == old else child
            self.set_edge((child, name), new if parent == old else parent, step)

    # ---- one statement -------------------------------------------------------

    def apply(self, event: SimEvent, step: int) -> None:
        node = event.statement.node
        kind, what = event.kind, event.object_kind
        table_part, _, member = event.name.rpartition(".")
        if what == "table":
            self._table_event(event, node, step)
        elif what == "column" and table_part:
            table = self.table_key(table_part, node)
            if kind is EventKind.CREATED or (
                kind is EventKind.ALTERED and event.action == "alter column type"
            ):
                written = _written_type(node, member)
                if written is None:
                    self.drop_column(table, member, step)
                else:
                    self.set_column(table, member, self.resolve_type(written), step)
            elif kind is EventKind.DROPPED:
                self.drop_column(table, member, step)
            elif kind is EventKind.RENAMED and event.detail:
                value = self.tables.get(table, {}).get(member)
                self.drop_column(table, member, step)
                if value is not None:
                    self.set_column(table, event.detail, value, step)
        elif what == "constraint" and table_part:
            edge = (self.table_key(table_part, node), member)
            if kind is EventKind.CREATED:
                parent = self._foreign_key_target(event, node)
                if parent is not None:
                    self.add_foreign_key(edge, parent, step)
            elif kind is EventKind.DROPPED:
                self.set_edge(edge, None, step)
            elif kind is EventKind.RENAMED and event.detail and edge in self.edges:
                parent = self.edges[edge]
                self.set_edge(edge, None, step)
                self.set_edge((edge[0], event.detail), parent, step)
        elif what == "type" and kind is EventKind.RENAMED and event.detail:
            old = _qualified(event.name)
            new = (old[0], event.detail)
            for table, columns in self.tables.items():
                for column, value in list(columns.items()):
                    if value == old:
                        self.set_column(table, column, new, step)

    def _table_event(self, event: SimEvent, node: Any, step: int) -> None:
        key = _qualified(event.name)
        if event.kind is EventKind.DROPPED:
            self.drop_table(key, step)
        elif event.kind is EventKind.ALTERED and event.detail:
            table = self.table_key(event.name, node)
            if event.action == "attach partition":
                self.attach(table, _qualified(event.detail), step)
            elif event.action == "detach partition":
                self.partitions.get(table, set()).discard(_qualified(event.detail))
        elif event.kind is EventKind.RENAMED and event.detail:
            self.rename_table(key, (key[0], event.detail), step)
        elif event.kind is EventKind.CREATED:
            # the statement's constraints come before its table in the events: keep them
            for column in list(self.tables.get(key, {})):
                self.drop_column(key, column, step)
            self.tables[key] = {}
            if isinstance(node, ast.CreateStmt):
                self._created_columns(key, node, step)
                parents = node.inhRelations or ()
                if node.partbound is not None and parents and isinstance(parents[0], ast.RangeVar):
                    self.attach(relation_key(parents[0]), key, step)
            else:  # made from a query: the final table, when it is this one
                final = self.final.tables.get(key)
                if final is not None and final.origin == event.origin:
                    self._seed(final, step)

    def _created_columns(self, key: QualifiedName, node: Any, step: int) -> None:
        for parent in node.inhRelations or ():  # INHERITS, PARTITION OF
            if isinstance(parent, ast.RangeVar):
                for column, value in self.tables.get(relation_key(parent), {}).items():
                    self.set_column(key, column, value, step)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                value = self.resolve_type(element.typeName.names or ())
                self.set_column(key, str(element.colname), value, step)
            elif isinstance(element, ast.TableLikeClause) and element.relation is not None:
                for column, value in self.tables.get(relation_key(element.relation), {}).items():
                    self.set_column(key, column, value, step)

    def _foreign_key_target(self, event: SimEvent, node: Any) -> QualifiedName | None:
        """The referenced table of the FOREIGN KEY the statement wrote at the event's place."""
        if node is None:
            return None
        named: QualifiedName | None = None
        name = event.name.rpartition(".")[2]
        for place, conname, target in self._foreign_keys_written(event.statement, node):
            if place == event.origin.start:
                return target
            if conname == name:
                named = target
        return named

    def _foreign_keys_written(
        self, parsed: ParsedStatement, node: Any
    ) -> list[tuple[int, str | None, QualifiedName]]:
        """(file offset, name, referenced table) of every FOREIGN KEY a statement writes,
        read once per statement (a CREATE TABLE with many keys has an event per key)."""
        found = self.written.get(id(parsed))
        if found is None:
            start = parsed.statement.origin.start
            found = [
                (
                    start + (constraint.location or 0),
                    str(constraint.conname) if constraint.conname else None,
                    relation_key(constraint.pktable),
                )
                for constraint in _written_constraints(node)
                if isinstance(constraint, ast.Constraint)
                and constraint.contype == ConstrType.CONSTR_FOREIGN
                and isinstance(constraint.pktable, ast.RangeVar)
            ]
            self.written[id(parsed)] = found
        return found


def _written_constraints(node: Any) -> Iterator[Any]:
    """The constraints a CREATE TABLE or ALTER TABLE writes (of the table and of its
    columns), read where they stand instead of walking every expression of the
    statement; any other statement is walked whole."""
    if isinstance(node, ast.CreateStmt):
        elements: Iterable[Any] = node.tableElts or ()
    elif isinstance(node, ast.AlterTableStmt):
        elements = (getattr(command, "def_", None) for command in node.cmds or ())
    else:
        yield from all_nodes(node)
        return
    for element in elements:
        if isinstance(element, ast.Constraint):
            yield element
        elif isinstance(element, ast.ColumnDef):
            yield from element.constraints or ()


def _qualified(display: str) -> QualifiedName:
    schema, _, name = display.rpartition(".")
    return (schema or "public", name)


def _written_type(node: Any, column: str) -> Any:
    """The type names an ALTER TABLE writes for ``column`` (ADD COLUMN, ALTER ... TYPE)."""
    if not isinstance(node, ast.AlterTableStmt):
        return None
    for cmd in node.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        definition = cmd.def_
        if not isinstance(definition, ast.ColumnDef) or definition.typeName is None:
            continue
        if cmd.subtype == AlterTableType.AT_AddColumn and str(definition.colname) == column:
            return definition.typeName.names or ()
        if cmd.subtype == AlterTableType.AT_AlterColumnType and str(cmd.name) == column:
            return definition.typeName.names or ()
    return None


def _build(context: RuleContext) -> SchemaAt:
    earlier = context.earlier
    if earlier is None:
        builder = _Builder(context.sources.initial_catalog, context.catalog)
    else:
        # a resumed run (its base is never a ready catalog): the state the statements
        # before the checkpoint left, from their events, as a whole run builds it
        builder = _Builder(None, context.catalog)
        for event in earlier:
            builder.apply(event, -1)
    positions: dict[int, int] = {}
    by_statement: dict[int, list[SimEvent]] = {}
    for event in context.events:
        by_statement.setdefault(id(event.statement), []).append(event)
    for index, parsed in enumerate(context.statements):
        positions[id(parsed)] = index
        for event in by_statement.get(id(parsed), ()):
            builder.apply(event, index + 1)
    return SchemaAt(
        builder.columns,
        builder.foreign_keys,
        positions,
        builder.columns.grouped(lambda key, _type: key[0]),
        builder.foreign_keys.grouped(lambda _key, target: target),
    )
