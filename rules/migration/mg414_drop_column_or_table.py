"""MG414: DROP COLUMN or DROP TABLE on a column or table that existed before the run."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import ObjectType, ast
from rules.migration._history import Creation, History, replay

_TABLES = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE)


@register
class DropColumnOrTableRule(Rule):
    """A column or table the running application still reads is dropped.

    What it does:
        Reports ``ALTER TABLE ... DROP COLUMN`` and ``DROP TABLE`` when the
        column or table exists before the statement's run starts: for the
        change under review, one of the base; within a history deployed file
        by file, one created by an earlier file (or held by the snapshot or
        database the check starts from). What the same run created is exempt:
        no deployed code knows it yet. A column dropped by a DROP TABLE is
        not reported on its own.

    Why it matters:
        The application is deployed before or after its migration, never at
        the same instant. The instances that run while the migration applies
        were built against the old schema: their SELECT, INSERT and ORM
        queries name the dropped column or table and fail with 42703 or
        42P01 until every instance is replaced, and a rollback of the code
        cannot bring the data back. Drizzle and Prisma select every column
        of a table by name, so even code that never uses the column breaks.

    Example:
        ALTER TABLE account DROP COLUMN nickname;

    Use instead:
        -- release 1: the code stops reading and writing account.nickname,
        -- and new rows may leave it out
        ALTER TABLE account ALTER COLUMN nickname DROP NOT NULL;
        -- release 2, once no running instance uses it: DROP COLUMN nickname

    References:
        https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-COLUMN
        https://www.postgresql.org/docs/current/sql-droptable.html
        https://martinfowler.com/bliki/ParallelChange.html
    """

    meta = RuleMeta(
        "MG414",
        "drop-column-or-table",
        Severity.WARNING,
        "DROP COLUMN or DROP TABLE on an existing column or table",
        resumable=True,
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text, nickname text NOT NULL);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed, history, events in replay(context):
            node = parsed.node
            if isinstance(node, ast.DropStmt) and node.removeType in _TABLES:
                wanted = "table"
            elif isinstance(node, ast.AlterTableStmt):
                wanted = "column"
            else:
                continue
            for event in events:
                if event.kind is EventKind.DROPPED and event.object_kind == wanted:
                    finding = self._dropped(context, parsed, history, event)
                    if finding is not None:
                        yield finding

    def _dropped(
        self, context: RuleContext, parsed: ParsedStatement, history: History, event: SimEvent
    ) -> Finding | None:
        if event.object_kind == "table":
            table, column = event.name, None
        else:
            table, _, column = event.name.rpartition(".")
        creation: Creation | None = history.created("table", table)
        if creation is None or not creation.before(parsed):
            return None
        if column is None and _renamed_in_run(context, parsed, table):
            return None  # no deployed code knows this name: the RENAME is what it sees
        if column is not None:
            added = history.created("column", event.name)
            if added is not None and not added.before(parsed):
                return None  # added by this same run: no deployed code reads it
            creation = added or creation
        if column is None:
            what, error = f"DROP TABLE {table}", "42P01 (relation does not exist)"
            fix = (
                f"expand/contract: deploy code that no longer reads or writes {table} first, "
                "then drop it in a later migration, once no running instance uses it (rename "
                "it aside first if you want a way back)"
            )
        else:
            what, error = f"DROP COLUMN {event.name}", "42703 (column does not exist)"
            fix = (
                f"expand/contract: deploy code that no longer reads or writes {column} (remove "
                "it from the ORM schema, so its queries stop naming it), then drop it in a "
                "later migration"
            )
        return self.finding(
            f"{what}, which exists before this migration: the "
            "application instances still running the previous release read it, and their "
            f"queries fail with {error} until every instance is replaced",
            [
                Location.of(event.origin),
                Location.of(creation.origin, f"{event.name} created here"),
            ],
            objects=[event.name],
            fix=fix,
        )


def _renamed_in_run(context: RuleContext, parsed: ParsedStatement, table: str) -> bool:
    """Whether ``table`` got its name from a RENAME of the run that drops it (renamed
    aside, copied, dropped): the previous release never read it under this name."""
    name = table.rpartition(".")[2]
    for event in context.memo(_table_renames).get(name, ()):
        if event.origin.statement < parsed.statement.origin.statement:
            renamed = Creation(event.origin, event.statement.statement.migration)
            if not renamed.before(parsed):
                return True
    return False


def _table_renames(context: RuleContext) -> dict[str, list[SimEvent]]:
    """The run's table renames by the name they gave (in run order), those before a
    checkpoint the run resumed from included."""
    by_name: dict[str, list[SimEvent]] = {}
    for event in (*(context.earlier or ()), *context.events):
        if event.kind is EventKind.RENAMED and event.object_kind == "table":
            by_name.setdefault(event.detail, []).append(event)
    return by_name
