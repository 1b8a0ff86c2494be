"""FN705: a function body runs a command that cannot run inside a function."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.functions._common import functions_of


@register
class NonTransactionalInFunctionRule(Rule):
    """A function body runs a command that cannot run inside a function.

    What it does:
        Reports ``CREATE INDEX CONCURRENTLY``, ``DROP INDEX CONCURRENTLY``,
        ``REINDEX ... CONCURRENTLY``, ``DETACH PARTITION ... CONCURRENTLY``,
        ``VACUUM``, ``CREATE``/``DROP DATABASE``, tablespaces and
        ``ALTER SYSTEM`` in a function or procedure body (as a statement or
        an EXECUTE of a constant string).

    Why it matters:
        A function always runs inside a transaction; these commands refuse
        to (25001, "cannot run inside a transaction block"). The function is
        created without complaint and fails on every call, so the
        maintenance it was written for never happens.

    Example:
        CREATE TABLE event (id bigint PRIMARY KEY, created_at timestamptz);
        CREATE FUNCTION add_event_index() RETURNS void AS $$
        BEGIN
            CREATE INDEX CONCURRENTLY event_created_idx ON event (created_at);
        END;
        $$ LANGUAGE plpgsql;

    Use instead:
        CREATE TABLE event (id bigint PRIMARY KEY, created_at timestamptz);
        CREATE INDEX CONCURRENTLY event_created_idx ON event (created_at);

    References:
        https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
        https://www.postgresql.org/docs/current/sql-vacuum.html
    """

    meta = RuleMeta(
        "FN705",
        "non-transactional-in-function",
        Severity.ERROR,
        "function body runs a command that cannot run in a transaction",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for analysed in functions_of(context):
            function = analysed.function
            for command in analysed.analysis.commands:
                yield self.finding(
                    f"{function.label} runs {command.what}, which cannot run inside a "
                    "function: every call fails with 25001",
                    [
                        function.body_place(command.start, command.length),
                        Location.of(function.origin, "function created here"),
                    ],
                    objects=[function.label],
                    fix=f"run {command.what} as its own statement, outside any transaction",
                )
