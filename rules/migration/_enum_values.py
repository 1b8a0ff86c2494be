"""Enum values added by ALTER TYPE ... ADD VALUE, and uses of them before that commits.

PostgreSQL (12+) allows ADD VALUE in a transaction block but refuses to use the
new value until that transaction commits, unless the type itself was created
in the same transaction. A use is a string constant equal to the value in a
statement that names the type or a table with a column of that type (the
constant is then converted to the enum: a DEFAULT, CHECK, predicate, INSERT,
UPDATE or cast).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.catalog import QualifiedName, display_name
from checker.model import Origin
from checker.simulation import EventKind, SimEvent
from checker.syntax import all_nodes, ast
from rules.migration._common import string_constants
from rules.migration._transactions import Step

if TYPE_CHECKING:
    from rules.migration._schema_at import SchemaAt


@dataclass(frozen=True, slots=True)
class EnumUse:
    """A new enum label used in the same transaction that added it."""

    type_name: str
    value: str
    origin: Origin  # the string constant
    added: Origin  # the ALTER TYPE ... ADD VALUE


def type_key(names: Sequence[Any]) -> QualifiedName:
    parts = [str(getattr(part, "sval", part)) for part in names]
    if parts and parts[0] == "pg_catalog":
        parts = parts[1:]
    return (parts[-2], parts[-1]) if len(parts) >= 2 else ("public", parts[-1])


def relation_key(node: ast.RangeVar) -> QualifiedName:
    return (str(node.schemaname or "public"), str(node.relname))


class EnumValueTracker:
    """Feed it the steps of a transaction walk; it returns the unsafe uses of new values."""

    def __init__(self, schema: Callable[[], SchemaAt], events: Sequence[SimEvent]) -> None:
        # which tables have a column of the enum as of each statement, not at the end
        # of the run: a column added or retyped by a later file does not count yet; built
        # on first use (only a run that adds an enum value and uses it before a COMMIT
        # needs it)
        self.schema = schema
        self.really_added = {
            id(event.statement)
            for event in events
            if event.kind is EventKind.ALTERED and event.action == "add value"
        }
        self.created_in: dict[QualifiedName, int] = {}
        self.pending: dict[tuple[QualifiedName, str], tuple[int, Origin]] = {}

    def step(self, step: Step) -> list[EnumUse]:
        node = step.parsed.node
        if isinstance(node, ast.CreateEnumStmt) and node.typeName:
            self.created_in[type_key(node.typeName)] = step.transaction
            return []
        if (
            isinstance(node, ast.AlterEnumStmt)
            and node.typeName
            and node.newVal
            and not node.oldVal
        ):
            key = type_key(node.typeName)
            fresh_type = self.created_in.get(key) == step.transaction
            if step.in_transaction and not fresh_type and id(step.parsed) in self.really_added:
                self.pending[(key, str(node.newVal))] = (step.transaction, step.parsed.origin)
            return []
        live = {k: v for k, v in self.pending.items() if v[0] == step.transaction}
        if not live or node is None:
            return []
        return list(self._uses(step, live))

    def _uses(
        self, step: Step, live: dict[tuple[QualifiedName, str], tuple[int, Origin]]
    ) -> Iterator[EnumUse]:
        statement = step.parsed.statement
        constants = string_constants(statement)
        values = {added_value for _, added_value in live}
        if not any(value in values for value, _, _ in constants):
            return  # no constant spells a new value: nothing to relate to the types
        related: set[QualifiedName] = set()
        schema = self.schema()
        step_index = schema.index_of(step.parsed)
        for node in all_nodes(step.parsed.node):
            if isinstance(node, ast.TypeName) and node.names:
                related.add(type_key(node.names))
            elif isinstance(node, ast.RangeVar):
                related.update(schema.types_of_table(relation_key(node), step_index))
        if not related:
            return
        for value, start, end in constants:
            for (key, added_value), (_, added) in live.items():
                if added_value == value and key in related:
                    yield EnumUse(display_name(key), value, statement.span(start, end), added)
