"""DR602: a column only in the migrations, or only in the ORM schema / snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Column
from checker.catalog_diff import Aspect, Form
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import declared, drift_finding, drift_of


def _needs_a_value(column: Column) -> bool:
    """An insert that leaves the column out fails: NOT NULL and nothing fills it."""
    return (
        column.not_null
        and column.default is None
        and column.identity is None
        and column.generated is None
    )


@register
class ColumnDriftRule(Rule):
    """A column exists on one side only: the migrations, or the ORM schema (or its snapshot).

    What it does:
        For every table on both sides, compares the columns of the migrations
        with those of drizzle-kit's last snapshot and of the ORM schema's
        export. Each finding names the migration statement and the column's
        definition in the snapshot JSON or the TypeScript source.

    Why it matters:
        The severity follows the consequence. A column only in the migrations
        that is NOT NULL with no default makes every insert through the ORM
        fail with 23502, since the ORM never sends it (error); one that is
        nullable or has a default is only unknown to the ORM's types
        (warning). A column only in the ORM schema is selected by every query
        of its table, which then fails with 42703 (error).

    Example:
        ``ALTER TABLE account ADD COLUMN import_status text NOT NULL;`` in a
        migration, with no ``import_status`` in ``schema.ts``.

    Use instead:
        Add ``importStatus: text('import_status').notNull()`` to the table in
        the schema and generate the migration with ``drizzle-kit generate``.

    References:
        https://orm.drizzle.team/docs/column-types/pg
        https://www.postgresql.org/docs/current/errcodes-appendix.html
    """

    meta = RuleMeta("DR602", "column-drift", Severity.ERROR, "a column exists on one side only")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.COLUMN):
            difference = drift.difference
            if difference.form is Form.RIGHT_ONLY:
                yield drift_finding(self, drift, Severity.ERROR)
            elif declared(drift):
                yield drift_finding(self, drift, Severity.WARNING)
            elif isinstance(difference.left, Column) and _needs_a_value(difference.left):
                message = (
                    f"{difference.subject} is NOT NULL without a default {drift.left_in} but "
                    f"{drift.not_in_side}: every insert through the ORM fails"
                )
                yield drift_finding(self, drift, Severity.ERROR, message)
            else:
                yield drift_finding(self, drift, Severity.WARNING)
