"""IX306: unique index or PK on a partitioned table without the partition key; PARTITION OF a
table that is not partitioned."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import ConstraintKind, Table, display_name
from checker.findings import Finding, Location, Severity
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import ParsedStatement
from checker.syntax import ast
from rules.migration._history import History, replay

_ATTACH_PARTITION = "AT_AttachPartition"


@register
class PartitionKeyRule(Rule):
    """A unique key on a partitioned table lacks the partition key, or a partition's parent is
    not partitioned.

    What it does:
        Reports a PRIMARY KEY, UNIQUE constraint or unique index on a table
        declared ``PARTITION BY`` whose columns do not include every
        partition-key column (or whose partition key is an expression), and a
        ``CREATE TABLE ... PARTITION OF`` or ``ATTACH PARTITION`` whose parent
        table is not declared ``PARTITION BY``, as that parent is when the
        statement runs (a later file that rebuilds it does not change how
        the statement went).

    Why it matters:
        PostgreSQL enforces uniqueness per partition only, so it refuses a
        unique key that does not contain the partition key ("unique constraint
        on partitioned table must include all partitioning columns"). A table
        created without ``PARTITION BY`` can never be partitioned in place:
        ``PARTITION OF`` fails ("is not partitioned") and the table has to be
        rebuilt and its data copied, which a later migration cannot do quietly.

    Example:
        CREATE TABLE event_log (
            id bigint NOT NULL,
            created_at timestamp NOT NULL,
            PRIMARY KEY (id)
        ) PARTITION BY RANGE (created_at);

    Use instead:
        CREATE TABLE event_log (
            id bigint NOT NULL,
            created_at timestamp NOT NULL,
            PRIMARY KEY (id, created_at)
        ) PARTITION BY RANGE (created_at);

    References:
        https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-LIMITATIONS
        https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-PARTITION
    """

    meta = RuleMeta(
        "IX306",
        "partition-key-rules",
        Severity.ERROR,
        "unique key without the partition key, or partition of a non-partitioned table",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table in sorted(context.catalog.tables.values(), key=lambda t: t.qualified):
            if table.partitioning is not None:
                yield from self._unique_keys(context, table)
        # the history before each statement, replayed only when a statement makes a
        # partition (most runs have none)
        histories: dict[int, History] | None = None
        for parsed in context.statements:
            target = _partition_target(parsed.node)
            if target is None:
                continue
            if histories is None:
                histories = {id(p): history for p, history, _ in replay(context)}
            yield from self._partition_of(context, parsed, target, histories.get(id(parsed)))

    def _unique_keys(self, context: RuleContext, table: Table) -> Iterator[Finding]:
        assert table.partitioning is not None
        partition_keys = table.partitioning.keys
        name = display_name(table.qualified)
        seen: set[str] = set()
        checks: list[tuple[str, str, tuple[str | None, ...], Origin]] = []
        for constraint in table.constraints:
            if constraint.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE):
                kind = "primary key" if constraint.kind is ConstraintKind.PRIMARY_KEY else "unique"
                checks.append(
                    (
                        f"{kind} {constraint.name}",
                        constraint.name,
                        constraint.columns,
                        constraint.origin,
                    )
                )
                if constraint.index:
                    seen.add(constraint.index)
        for index in context.catalog.indexes_of(table.qualified):
            if index.unique and index.name not in seen and index.constraint is None:
                checks.append(
                    (f"unique index {index.name}", index.name, index.key_columns, index.origin)
                )
        for label, object_name, columns, origin in checks:
            missing = [key for key in partition_keys if key not in columns]
            if not missing:
                continue
            keys = ", ".join(partition_keys)
            yield self.finding(
                f"The {label} on partitioned table {name} does not include the partition key "
                f"({', '.join(missing)}): PostgreSQL rejects it, because uniqueness is only "
                "enforced inside each partition",
                [Location.of(origin, label), Location.of(table.origin, f"PARTITION BY ({keys})")],
                objects=[name, object_name],
                fix=f"add {', '.join(missing)} to the key columns, or enforce uniqueness "
                "another way (a non-partitioned lookup table)",
            )

    def _partition_of(
        self,
        context: RuleContext,
        parsed: ParsedStatement,
        target: tuple[ast.RangeVar, str, bool],
        history: History | None,
    ) -> Iterator[Finding]:
        parent_var, child, attach = target
        key = (str(parent_var.schemaname or "public"), str(parent_var.relname))
        name = display_name(key)
        parent_origin = _plain_parent(context, key, history)
        if parent_origin is None:
            return
        location = getattr(parent_var, "location", None)
        place = (
            parsed.statement.span(location, location + len(str(parent_var.relname)))
            if isinstance(location, int) and location >= 0
            else parsed.origin
        )
        rejection = "the ATTACH PARTITION" if attach else f'it ("{name}" is not partitioned)'
        yield self.finding(
            f"{child} is declared a partition of {name}, but {name} is not a partitioned "
            f"table: PostgreSQL rejects {rejection}",
            [Location.of(place, "parent"), Location.of(parent_origin, f"{name} created here")],
            objects=[name, child],
            fix=(
                f"create {name} with PARTITION BY RANGE (...) from the start (a primary key must "
                "then include the partition column), or rebuild it: create a partitioned copy, "
                "move the rows, swap the names"
            ),
        )


def _partition_target(node: object) -> tuple[ast.RangeVar, str, bool] | None:
    """(the parent, the partition's name, whether by ATTACH) of a statement that makes a
    table a partition, else None."""
    parent: ast.RangeVar | None = None
    child, attach = "", False
    if isinstance(node, ast.CreateStmt) and node.partbound is not None and node.inhRelations:
        parent, child = node.inhRelations[0], str(getattr(node.relation, "relname", ""))
    elif isinstance(node, ast.AlterTableStmt):
        for command in node.cmds or ():
            subtype = getattr(command.subtype, "name", str(command.subtype))
            if subtype == _ATTACH_PARTITION and isinstance(command.def_, ast.PartitionCmd):
                parent, attach = node.relation, True
                child = str(getattr(command.def_.name, "relname", ""))
    return None if parent is None else (parent, child, attach)


def _plain_parent(
    context: RuleContext, key: tuple[str, str], history: History | None
) -> Origin | None:
    """Where the parent was created when it exists but is not partitioned, else None.

    An executed statement sees the parent as it is just before it runs; one inside a
    function body runs when the function is called, against the tables the run leaves.
    """
    if history is None:
        parent = context.catalog.tables.get(key)
        if parent is None or parent.partitioning is not None:
            return None
        return parent.origin
    creation = history.created("table", display_name(key))
    if creation is None or creation.partitioned:
        return None
    return creation.origin
