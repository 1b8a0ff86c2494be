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
        server's SQLSTATE and message.

        The probe's row holds values it made up, so the finding says how sure
        it is. It is an error ("statement fails once the table holds rows")
        only when every row fails the same way, whatever it holds: 23502 on a
        column the statement leaves NULL in every row (ADD COLUMN ... NOT NULL,
        or of a NOT NULL domain, with no DEFAULT or DEFAULT NULL, not identity
        or generated; a type change whose USING reads no column and calls no
        function), 23502 on SET NOT NULL of a column an earlier statement of
        the same file added without a default, with only statements between
        them that write no rows (no INSERT, UPDATE, DELETE, MERGE, COPY,
        SELECT, DO, CALL, EXECUTE, nor a type change of that column), and 23514
        on a CHECK written on a column the statement adds with a constant
        default, reading that column alone. Any other data failure depends on
        the values in the rows (a cast, a CHECK, a foreign key, SET NOT NULL on
        a column that may hold NULL): a warning, "statement fails if a row
        holds ...: on the probe's row, ...", quoting the server's DETAIL, which
        shows the value the probe used where the server gives one.

        A value-dependent failure that follows an earlier failure of the same
        file on the probe, on the same table (by name, without schema), is a
        cascade unless both statements' columns are known and disjoint (the
        columns the earlier one sets with UPDATE, ADD COLUMN or a type change;
        the column the server names, or those the later one reads): it is not
        reported on its own but attached to the first failure's finding, as a
        related location and a detail (an UPDATE that fails on the probe's
        row leaves the column it was to fill NULL, so the SET NOT NULL after
        it fails too). A failure every row hits is never a cascade. (A type
        change with no cast at all is refused on the empty database already,
        42804: LV501, not this rule.)

        Tables no valid row could be built for are named in one info finding,
        never skipped silently. Then every
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
