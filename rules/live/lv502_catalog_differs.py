"""LV502: the static model differs from the live catalog."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class CatalogDiffersRule(Rule):
    """The simulated catalog differs from what the server built.

    What it does:
        After the live apply, reads the server's catalog (tables, columns with
        type, nullability and default, constraints with their actions, indexes
        with keys, operator classes and predicates, enums with their labels,
        checks, row level security and its policies, views' security_invoker)
        and reports every difference from the static model, at the static
        object's origin.

    Why it matters:
        Every static rule reasons about the simulated catalog. A difference
        means a static verdict may rest on a wrong picture of the schema: an
        object created by SQL the simulator could not see (dynamic EXECUTE),
        a default the server rewrote, or a simulator defect.

    Example:
        DO $$ BEGIN EXECUTE format('CREATE TABLE %I (id int)', 'made_at_run_time'); END $$;

    Use instead:
        CREATE TABLE made_at_run_time (id int);

    References:
        https://www.postgresql.org/docs/current/catalogs.html
    """

    meta = RuleMeta("LV502", "catalog-differs", Severity.WARNING, "static model differs from live")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
