"""DR608: a check constraint is missing or different on one side."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog_diff import Aspect
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


@register
class CheckDriftRule(Rule):
    """A check constraint exists on one side only, or its expression differs.

    What it does:
        Compares the CHECK constraints of the migrations with those of
        drizzle-kit's last snapshot and the ORM schema's export, blind to
        spelling (casts, table qualifiers, ``IN`` against ``= ANY``).

    Why it matters:
        A check only in the SQL rejects rows the application's types accept:
        inserts fail with 23514 where the code sees nothing wrong, and the
        next schema-driven rebuild of the table loses the rule. A check only
        in the ORM is a promise the database does not keep (warning either way).

    Example:
        ``ALTER TABLE invitation ADD CONSTRAINT invitation_kind_check CHECK
        (kind <> 'organization' OR organization_id IS NOT NULL);`` by hand, with
        no ``check('invitation_kind_check', ...)`` in ``schema.ts``.

    Use instead:
        Declare ``check('invitation_kind_check', sql`...`)`` in the table's extra
        config and generate the migration.

    References:
        https://orm.drizzle.team/docs/indexes-constraints#check
    """

    meta = RuleMeta("DR608", "check-drift", Severity.WARNING, "a check differs or is missing")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.CHECK):
            yield drift_finding(self, drift, self.meta.severity)
