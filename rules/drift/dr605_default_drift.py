"""DR605: a column's default differs between the migrations and the ORM schema / snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog_diff import Aspect
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


@register
class DefaultDriftRule(Rule):
    """A column's default differs between the migrations and the ORM schema (or snapshot).

    What it does:
        Compares each column's DEFAULT on both sides, blind to spelling: a
        literal cast to the column's own type (``'pending'::status`` and
        ``'pending'``), ``now()`` and ``CURRENT_TIMESTAMP``, parentheses and
        letter case are the same default.

    Why it matters:
        Rows inserted through the ORM and rows inserted by SQL (a backfill, a
        trigger, another service) get different values, and the next
        ``drizzle-kit generate`` writes a SET DEFAULT that undoes the hand-made
        one (warning).

    Example:
        ``ALTER TABLE account ALTER COLUMN plan SET DEFAULT 'free';`` by hand,
        while ``schema.ts`` says ``plan: text('plan').default('trial')``.

    Use instead:
        Change ``.default('free')`` in the schema and generate the migration.

    References:
        https://orm.drizzle.team/docs/indexes-constraints#default
    """

    meta = RuleMeta("DR605", "default-drift", Severity.WARNING, "a column's default differs")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.DEFAULT):
            yield drift_finding(self, drift, self.meta.severity)
