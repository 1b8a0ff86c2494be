"""LV501: a statement fails on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class StatementFailsRule(Rule):
    """A statement fails when applied to a real PostgreSQL + pgvector server.

    What it does:
        With ``--live``, applies base, extension and proposal statements to a
        scratch server the way the configured runner does (drizzle: one
        transaction for the run, ending at a deliberate ``COMMIT;``; per-file;
        autocommit) and reports every statement the server rejects, at its
        place in the source, naming what it creates or changes (``creating
        trigger touch on post``, ``altering table user``), with the SQLSTATE
        and the server's message (narrowed to the server's error position,
        inside a function body too). After a failure the
        transaction is replayed with a savepoint per statement, so every
        failing statement is reported, not only the first; each message says
        what the real runner would have done instead.

    Why it matters:
        The real runner stops at the first failure and rolls the whole run
        back: nothing of the migration lands. The static rules predict such
        failures; this proves them.

    Example:
        CREATE TABLE parlant_event (id uuid PRIMARY KEY, created_at timestamp NOT NULL);
        CREATE TABLE parlant_event_y2024m01 PARTITION OF parlant_event
            FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');

    Use instead:
        CREATE TABLE parlant_event (id uuid, created_at timestamp NOT NULL,
            PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
        CREATE TABLE parlant_event_y2024m01 PARTITION OF parlant_event
            FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');

    References:
        https://www.postgresql.org/docs/current/errcodes-appendix.html
        https://orm.drizzle.team/docs/migrations
    """

    meta = RuleMeta("LV501", "statement-fails-live", Severity.ERROR, "statement fails on a server")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
