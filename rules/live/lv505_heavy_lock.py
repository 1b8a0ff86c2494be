"""LV505: an extension statement takes a heavy lock on a pre-existing table."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class HeavyLockRule(Rule):
    """An extension statement locks a table that existed before it.

    What it does:
        While the extension is applied inside the runner's own transaction
        on the live server, reads ``pg_locks`` after each statement and
        reports the locks it newly takes on relations that existed before the
        extension: ACCESS EXCLUSIVE (error), SHARE and SHARE ROW EXCLUSIVE
        (warning). They are held until the runner commits the whole run.
        Statements that run outside a transaction are counted as unobserved.

    Why it matters:
        An ACCESS EXCLUSIVE lock blocks every read and write of the table
        until the migration commits; a SHARE lock blocks writes. On a busy
        base table that is an outage for the application, however "additive"
        the extension is said to be.

    Example:
        CREATE INDEX workspace_name_idx ON workspace (name);

    Use instead:
        COMMIT;
        CREATE INDEX CONCURRENTLY workspace_name_idx ON workspace (name);

    References:
        https://www.postgresql.org/docs/current/explicit-locking.html
    """

    meta = RuleMeta("LV505", "heavy-lock-live", Severity.WARNING, "heavy lock on existing table")
    doc_setup = "CREATE TABLE workspace (id text PRIMARY KEY, name text NOT NULL);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
