"""Lock-heavy statements on tables that hold data before them: what MG409 reports, and
what LV505 reads to tell an ACCESS EXCLUSIVE lock held for long from a brief one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from checker.rule import RuleContext
from checker.simulation import ParsedStatement, SimEvent
from checker.syntax import ObjectType, ast
from rules.migration._history import Creation, replay, table_name
from rules.migration._locks import Heavy, NotNullChecks, alter_table_heavy
from rules.migration._transactions import concurrently_fix, steps_by_statement
from rules.migration._volatility import volatilities_at


@dataclass(frozen=True, slots=True)
class HeavyUse:
    """One heavy operation of a statement on a table created by an earlier statement."""

    parsed: ParsedStatement
    table: str
    creation: Creation  # where the table was made
    heavy: Heavy


def heavy_on_existing(context: RuleContext) -> list[HeavyUse]:
    """Every lock-heavy operation on a table that holds data before the statement's run
    starts, in order (a pure function of the context: share it with ``context.memo``)."""
    found: list[HeavyUse] = []
    not_null_checks = NotNullChecks()
    for parsed, history, events in replay(context):
        relation = getattr(parsed.node, "relation", None)
        if isinstance(relation, ast.RangeVar):
            table = table_name(relation)
            creation = history.created("table", table)
            if creation is not None and creation.before(parsed):
                for heavy in heavy_operations(context, parsed, table, events, not_null_checks):
                    found.append(HeavyUse(parsed, table, creation, heavy))
        not_null_checks.apply(parsed.node)
    return found


def heavy_operations(
    context: RuleContext,
    parsed: ParsedStatement,
    table: str,
    events: list[SimEvent],
    not_null_checks: NotNullChecks,
) -> Iterator[Heavy]:
    """What makes ``parsed`` lock-heavy on ``table`` (which holds data): a build, scan or
    rewrite under a strong lock, or a rename."""
    node = parsed.node
    if isinstance(node, ast.IndexStmt) and not node.concurrent:
        yield Heavy(
            "CREATE INDEX without CONCURRENTLY",
            f"its SHARE lock makes writes to {table} wait until the index is built and the run "
            "commits",
            concurrently_fix(context.memo(steps_by_statement).get(id(parsed)), "CREATE INDEX"),
            0,
        )
    elif isinstance(node, ast.RenameStmt) and node.renameType in (
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_COLUMN,
    ):
        what = "RENAME COLUMN" if node.renameType == ObjectType.OBJECT_COLUMN else "RENAME TABLE"
        yield Heavy(
            what,
            "it takes an ACCESS EXCLUSIVE lock, and every running application instance that "
            "still uses the old name fails until it is redeployed",
            "add the new name alongside the old one (a new column kept in sync, or a view), "
            "deploy code that uses it, and drop the old name in a later release",
            0,
        )
    elif isinstance(node, ast.AlterTableStmt):
        # a default's functions as they are at this statement, not as the run leaves them
        functions = volatilities_at(context, parsed)
        for cmd in node.cmds or ():
            yield from alter_table_heavy(functions, cmd, table, events, not_null_checks)
