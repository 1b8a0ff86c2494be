"""DR603: a column's type differs between the migrations and the ORM schema / snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog_diff import Aspect
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


@register
class ColumnTypeDriftRule(Rule):
    """A column has one type in the migrations and another in the ORM schema (or snapshot).

    What it does:
        Compares each column's type on both sides after resolving aliases
        (``int4`` is ``integer``, ``varchar`` is ``character varying``,
        ``timestamptz`` is ``timestamp with time zone``), with its length,
        precision and array-ness.

    Why it matters:
        The ORM converts values by the type it believes in: a ``bigint`` the
        schema calls ``integer`` overflows the application's numbers, a
        ``text`` the schema calls ``jsonb`` comes back as a string, and the
        next ``drizzle-kit generate`` writes an ALTER COLUMN TYPE the
        migrations already did, or undoes one (error).

    Example:
        ``ALTER TABLE account ALTER COLUMN balance TYPE bigint;`` by hand, while
        ``schema.ts`` still says ``balance: integer('balance')``.

    Use instead:
        Change the schema to ``bigint('balance', { mode: 'number' })`` and let
        ``drizzle-kit generate`` write the ALTER.

    References:
        https://orm.drizzle.team/docs/column-types/pg
    """

    meta = RuleMeta("DR603", "column-type-drift", Severity.ERROR, "a column's type differs")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.TYPE):
            yield drift_finding(self, drift, self.meta.severity)
