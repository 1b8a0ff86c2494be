"""LV507: a statement succeeds on empty tables and fails once they hold rows."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class FailsOnPopulatedTableRule(Rule):
    """A migration statement fails on the first deploy to a database that has data.

    What it does:
        Applies the change a second time, on a copy of the scratch database in
        which every table that existed before the change holds one valid row
        (a history checked alone: before each file, every table earlier files
        created). A statement that succeeded on the empty database and fails
        here with a data error (SQLSTATE class 22 or 23) is reported with the
        server's SQLSTATE and message. Tables no valid row could be built for
        are named in one info finding, never skipped silently. Then every
        trigger is fired once per event (INSERT, UPDATE of one row, DELETE,
        TRUNCATE, rolled back): a trigger whose function fails is reported at
        the failing line of the function body, naming the trigger, its table
        and function, with the SQLSTATE (a deliberate RAISE, class P0, is not
        judged; events that could not be fired are listed in one info finding).
        Where the server has the plpgsql_check extension, its errors for each
        trigger function are reported too.

    Why it matters:
        Scratch databases, CI databases and a developer's fresh setup are
        empty, so ``ADD COLUMN ... NOT NULL`` without a default, ``SET NOT
        NULL``, a CHECK or UNIQUE constraint the rows break, or a type change
        the values do not survive all pass there. The first deploy to a
        database with data fails (23502 not-null violation and friends), which
        is the most common failed migration of all. PostgreSQL checks a
        PL/pgSQL trigger body only when it runs, so a trigger that assigns
        ``NEW.modified_at`` on a table without that column fails at the first
        UPDATE in production, never in the migration.

    Example:
        ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;

    Use instead:
        ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL DEFAULT '';

    References:
        https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN
        https://www.postgresql.org/docs/current/errcodes-appendix.html
    """

    meta = RuleMeta(
        "LV507", "fails-on-populated-table", Severity.ERROR, "statement fails once tables hold rows"
    )
    doc_setup = 'CREATE TABLE "user" (id text PRIMARY KEY, name text NOT NULL);'

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
