"""LV506: a failed extension run leaves objects behind after its rollback."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class RollbackResidueRule(Rule):
    """Rolling back a failed extension run does not restore the base.

    What it does:
        With ``--live`` and a transactional runner, rehearses a failed
        deployment: on a copy of the database as the base left it, runs the
        extension as the runner would but rolls back every transaction the
        runner would commit, then compares the catalog with the base's and
        reports every object created, changed or dropped that survived, at
        the statement that made it. With ``--rollback PATH`` (the change's own
        rollback scripts), also applies them after every other probe and
        reports what they leave behind, change, or remove that the base had.

    Why it matters:
        "Each migration can be reversed" holds only for what runs inside the
        runner's transaction. Statements after drizzle's deliberate
        ``COMMIT;``, and statements that cannot run in a transaction, are
        committed on their own: when a later statement fails, they stay, and
        the next deployment meets half an extension.

    Example:
        CREATE TABLE agent (id int PRIMARY KEY, workspace_id int);
        COMMIT;
        CREATE INDEX CONCURRENTLY agent_workspace_idx ON agent (workspace_id);
        ALTER TABLE agent ADD CONSTRAINT agent_workspace_fk
            FOREIGN KEY (workspace_id) REFERENCES missing_table (id);

    Use instead:
        CREATE TABLE agent (id int PRIMARY KEY, workspace_id int);
        CREATE INDEX agent_workspace_idx ON agent (workspace_id);

    References:
        https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
        https://orm.drizzle.team/docs/migrations
    """

    meta = RuleMeta("LV506", "rollback-residue", Severity.WARNING, "rollback leaves residue")
    doc_setup = "CREATE TABLE workspace (id int PRIMARY KEY);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
