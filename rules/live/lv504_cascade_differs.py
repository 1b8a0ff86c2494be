"""LV504: the observed cascade differs from the predicted deletion closure."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class CascadeDiffersRule(Rule):
    """Deleting a row on the server touches other tables than predicted.

    What it does:
        For every contract delete root, inserts minimal rows that satisfy the
        NOT NULL, foreign key, CHECK and enum constraints in creation order,
        deletes the root row inside a transaction that is rolled back, counts
        the rows left per table, and compares with the static deletion
        closure (deleted, set null, blocking).

    Why it matters:
        The FK rules (FK205, FK206, FK207) judge delete intents from the
        static closure. Triggers, rules or a modelling gap can make the server
        behave otherwise; then the server is right and the static verdict is
        not to be trusted.

    Example:
        CREATE TABLE account (id int PRIMARY KEY);
        CREATE TABLE note (id int PRIMARY KEY, account_id int REFERENCES account);
        CREATE FUNCTION purge() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN DELETE FROM note WHERE account_id = OLD.id; RETURN OLD; END $$;
        CREATE TRIGGER account_purge BEFORE DELETE ON account
            FOR EACH ROW EXECUTE FUNCTION purge();

    Use instead:
        CREATE TABLE account (id int PRIMARY KEY);
        CREATE TABLE note (id int PRIMARY KEY,
            account_id int REFERENCES account ON DELETE CASCADE);

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
    """

    meta = RuleMeta("LV504", "cascade-differs", Severity.ERROR, "observed cascade differs")
    doc_contract = """
    [[delete]]
    root = "account"
    removes = ["note"]
    """

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
