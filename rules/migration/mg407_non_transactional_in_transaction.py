"""MG407: a statement that cannot run in a transaction block, inside the runner's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import ObjectType, ast
from rules.migration._common import relative
from rules.migration._enum_values import EnumValueTracker
from rules.migration._schema_at import schema_at
from rules.migration._transactions import enum_way_out, steps_by_statement, way_out


def non_transactional(node: Any) -> str | None:
    """The name of the command when PostgreSQL refuses to run it in a transaction block."""
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and any(
        getattr(p, "defname", "") == "concurrently" for p in node.params or ()
    ):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.AlterSystemStmt):
        return "ALTER SYSTEM"
    if isinstance(node, ast.CreatedbStmt):
        return "CREATE DATABASE"
    if isinstance(node, ast.DropdbStmt):
        return "DROP DATABASE"
    if isinstance(node, ast.CreateTableSpaceStmt):
        return "CREATE TABLESPACE"
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLESPACE:
        return "DROP TABLESPACE"
    if isinstance(node, ast.DropTableSpaceStmt):
        return "DROP TABLESPACE"
    return None


@register
class NonTransactionalInTransactionRule(Rule):
    """A statement that cannot run in a transaction block runs inside one.

    What it does:
        Follows the transaction state of the runner of each file (the config's
        ``runner``, else the folder's layout: drizzle runs all pending
        migrations of a folder in one transaction; prisma and per-file send
        each file as one query, so a file holding one statement runs it
        outside any transaction block and a file holding several runs them in
        one implicit transaction; transaction-per-file (goose, dbmate,
        sql-migrate files) wraps each file, one statement or several, in a
        transaction of its own; autocommit runs each statement alone, as does a
        file that says it runs outside a transaction; a plain SQL folder with
        no runner configured is read as one transaction, the worst case) and of
        explicit BEGIN / COMMIT / ROLLBACK,
        and reports CREATE / DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY,
        VACUUM, ALTER SYSTEM, CREATE / DROP DATABASE and tablespaces inside a
        transaction block or a DO block. It also reports an enum value added
        by ALTER TYPE ... ADD VALUE and used before that transaction commits.
        A ``COMMIT;`` in a drizzle migration ends drizzle's transaction: what
        follows it in the file runs outside, and is not reported. In a file
        sent as one query (prisma, per-file), PostgreSQL runs what follows a
        COMMIT as a new implicit transaction, and it is reported.

    Why it matters:
        PostgreSQL refuses these commands in a transaction block ("cannot run
        inside a transaction block"); a new enum value cannot be used until
        the transaction that added it commits ("unsafe use of new value").
        The migration fails on deploy and the whole run rolls back, often
        only on a fresh database, where every migration runs in one go.

    Example:
        CREATE INDEX CONCURRENTLY account_email_idx ON account (email);

    Use instead:
        COMMIT;
        CREATE INDEX CONCURRENTLY account_email_idx ON account (email);

    References:
        https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
        https://www.postgresql.org/docs/current/sql-altertype.html#id-1.9.3.42.7
        https://orm.drizzle.team/docs/migrations
        https://github.com/simstudioai/sim/issues/3897
    """

    meta = RuleMeta(
        "MG407",
        "non-transactional-in-transaction",
        Severity.ERROR,
        "statement that cannot run in a transaction block runs inside one",
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        enums = EnumValueTracker(lambda: schema_at(context), context.events)
        for step in context.memo(steps_by_statement).values():
            node = step.parsed.node
            if node is None:
                continue
            command = non_transactional(node)
            # what a failure undoes: the file's own transaction where the runner commits
            # file by file (and stops at the failing one), the whole run where one
            # transaction holds every pending migration
            undone = (
                "the whole run rolls back"
                if step.runner.one_transaction_per_folder
                else "its file rolls back and the run stops"
            )
            if command is not None and step.in_transaction:
                yield self.finding(
                    f"{command} cannot run inside a transaction block or a function, and this "
                    f"one runs inside one ({step.reason}): PostgreSQL rejects it and {undone}",
                    step.parsed.origin,
                    objects=[command],
                    fix=way_out(step.runner),
                )
            for use in enums.step(step):
                added = use.added
                yield self.finding(
                    f"enum value {use.value!r} of {use.type_name} is used here, but the "
                    f"ALTER TYPE ... ADD VALUE at {relative(context.sources, added)} has not "
                    f"committed yet ({step.reason}): PostgreSQL fails with 'unsafe use of new "
                    f"value' and {undone}",
                    [use.origin, Location.of(added, "value added here, in the same transaction")],
                    objects=[f"{use.type_name}.{use.value}"],
                    fix=enum_way_out(step.runner),
                )
