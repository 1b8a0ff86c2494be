"""DR604: a column is NOT NULL on one side and nullable on the other."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Catalog, display_name
from checker.catalog_diff import Aspect
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import declared, declared_consequence, drift_finding, drift_of


@register
class NullabilityDriftRule(Rule):
    """A column is NOT NULL in the migrations and nullable in the ORM schema, or the reverse.

    What it does:
        Compares each column's NOT NULL on both sides (a primary key column
        is NOT NULL on both).

    Why it matters:
        NOT NULL in the database but nullable in the ORM: the application's
        types let it insert or update a NULL, which fails with 23502; an error
        when the column has no default either. Nullable in the database but
        NOT NULL in the ORM: the application reads NULL from a column its
        types promise never is, and crashes far from the cause (warning).

    Example:
        ``ALTER TABLE embedding ALTER COLUMN embedding SET NOT NULL;`` by hand,
        while ``schema.ts`` says ``embedding: vector('embedding', { dimensions: 3 })``
        with no ``.notNull()``.

    Use instead:
        Add ``.notNull()`` to the column in the schema, so the types and the
        database agree, and generate the migration from it.

    References:
        https://orm.drizzle.team/docs/indexes-constraints#not-null
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-NOT-NULL
    """

    meta = RuleMeta("DR604", "nullability-drift", Severity.ERROR, "a column's NOT NULL differs")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.NULLABILITY):
            difference = drift.difference
            table, _, column = difference.objects[0].rpartition(".")
            name = f"column {difference.objects[0]}"
            if declared(drift):
                state = "NOT NULL" if difference.left is True else "nullable"
                other = "nullable" if difference.left is True else "NOT NULL"
                message = (
                    f"{name} is {state} {drift.left_in} but {other} in {drift.side}: "
                    f"{declared_consequence(drift)}"
                )
                yield drift_finding(self, drift, Severity.WARNING, message)
                continue
            if difference.left is True:
                catalog = context.live_catalog if drift.on_server else context.catalog
                default = _migration_default(catalog or context.catalog, table, column)
                severity = Severity.ERROR if default is None else Severity.WARNING
                message = (
                    f"{name} is NOT NULL {drift.left_in} but nullable in {drift.side}: "
                    "the ORM lets the application write NULL, which fails"
                )
            else:
                severity = Severity.WARNING
                message = (
                    f"{name} is nullable {drift.left_in} but NOT NULL in {drift.side}: "
                    "the application may read NULL where its types say it cannot"
                )
            yield drift_finding(self, drift, severity, message)


def _migration_default(catalog: Catalog, table: str, column: str) -> str | None:
    """The column's default in the migrations, or on the server for a drift found
    there (``table`` as the message shows it)."""
    for candidate in catalog.tables.values():
        if display_name(candidate.qualified) == table:
            return next((c.default for c in candidate.columns if c.name == column), None)
    return None
