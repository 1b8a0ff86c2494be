"""MG409: lock-heavy DDL on a table that existed before this migration."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import relative
from rules.migration._heavy import heavy_on_existing


@register
class LockHeavyOnExistingTableRule(Rule):
    """Lock-heavy DDL on a table that already holds data.

    What it does:
        Reports, on a table that holds data before the statement's run
        starts: for the change under review (extension and proposal layers,
        deployed together as one run), a table of the base; within the base,
        a table created by an earlier migration file, since a history is
        deployed file by file. The statements: CREATE INDEX without CONCURRENTLY,
        ADD FOREIGN KEY or CHECK without NOT VALID, ADD PRIMARY KEY / UNIQUE
        without USING INDEX, SET NOT NULL, a column type change that
        rewrites or re-checks the table, ADD COLUMN whose default is
        volatile (as its functions are at that statement), or a serial,
        identity or stored generated column, and
        RENAME of a table or column. Tables created in the same run are
        empty and exempt, and so is a foreign key from such a new table
        to an existing one: there are no rows to check, and the lock it takes
        on the referenced table only blocks that table's writes until commit.

    Why it matters:
        These statements hold a SHARE or ACCESS EXCLUSIVE lock while they
        build, scan or rewrite every row, and under a transactional runner
        until the whole run commits: the application's writes (or all of its
        queries) queue behind them, and requests time out on a large table.
        A rename is instant but breaks every running instance that still
        uses the old name. CREATE INDEX CONCURRENTLY cannot run inside a
        transaction block: under drizzle, after a ``COMMIT;``; under a runner
        that sends each file as one query (Prisma, per-file), in a file of its
        own, since what follows a ``COMMIT;`` there is a new implicit
        transaction.

    Example:
        CREATE INDEX account_email_idx ON account (email);

    Use instead:
        COMMIT;
        CREATE INDEX CONCURRENTLY account_email_idx ON account (email);

    References:
        https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
        https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
        https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    """

    meta = RuleMeta(
        "MG409",
        "lock-heavy-on-existing-table",
        Severity.WARNING,
        "lock-heavy DDL on an existing table",
        resumable=True,
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for use in context.memo(heavy_on_existing):
            parsed, heavy = use.parsed, use.heavy
            origin = parsed.statement.span(heavy.location, len(parsed.statement.text))
            yield self.finding(
                f"{heavy.what} on {use.table}, which exists before this migration (created at "
                f"{relative(context.sources, use.creation.origin)}): {heavy.lock}",
                [origin, Location.of(use.creation.origin, f"{use.table} created here")],
                objects=[use.table],
                fix=heavy.fix,
            )
