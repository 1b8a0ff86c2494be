"""LV503: the server plans a documented query otherwise than predicted."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class PlanDiffersRule(Rule):
    """A documented query's plan on the server contradicts the static verdict.

    What it does:
        With ``--live``, runs ``EXPLAIN (FORMAT JSON)`` of every documented
        query (placeholders bound to typed literals) with sequential and bitmap
        scans disabled, and reports when the expected index is not the one the
        planner uses, or a Sort node remains that the static coverage verdict
        did not predict (or the other way round), or the query does not plan.

    Why it matters:
        IX301 and IX302 predict which index serves a query from the index
        definitions alone. The planner has the last word: an operator class,
        a collation or a predicate the static matcher reads differently shows
        up here.

    Example:
        CREATE INDEX session_user_idx ON session (user_id);

    Use instead:
        CREATE INDEX session_user_last_seen_idx ON session (user_id, last_seen DESC);

    References:
        https://www.postgresql.org/docs/current/using-explain.html
        https://www.postgresql.org/docs/current/runtime-config-query.html#RUNTIME-CONFIG-QUERY-ENABLE
    """

    meta = RuleMeta("LV503", "plan-differs", Severity.WARNING, "server plans a query otherwise")
    doc_setup = "CREATE TABLE session (id int PRIMARY KEY, user_id int, last_seen timestamp);"
    doc_contract = """
    [[query]]
    name = "recent sessions of a user"
    sql = "SELECT * FROM session WHERE user_id = ? ORDER BY last_seen DESC"
    expect_index = "session_user_last_seen_idx"
    """

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
