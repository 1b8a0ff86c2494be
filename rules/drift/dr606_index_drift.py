"""DR606: an index (or a primary key / unique constraint) is missing or different on one side."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Constraint, ConstraintKind, Index
from checker.catalog_diff import Aspect, Form
from checker.drift import Drift
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


def _unique(value: object) -> bool:
    if isinstance(value, Index):
        return value.unique
    if isinstance(value, Constraint):
        return value.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)
    return False


def _orm_relies_on_uniqueness(drift: Drift) -> bool:
    """The ORM side is unique where the migrations are not: ON CONFLICT and the
    application's own assumptions break."""
    difference = drift.difference
    if difference.form is Form.RIGHT_ONLY:
        return _unique(difference.right)
    return difference.subject.endswith(" UNIQUE") and difference.right is True


@register
class IndexDriftRule(Rule):
    """An index exists on one side only, or differs (keys, method, predicate, uniqueness).

    What it does:
        Compares the indexes (and primary key and unique constraints) of the
        migrations with those of drizzle-kit's last snapshot and the ORM
        schema's export: presence, key columns and expressions with their
        order and operator classes, access method, partial-index predicate,
        uniqueness, INCLUDE and WITH options. Names do not matter (an index
        renamed with the same definition is not drift), nor does spelling in a
        predicate (``"doc"."storage_key" IS NOT NULL`` is ``storage_key IS NOT NULL``).

    Why it matters:
        An index only in the SQL is unknown to drizzle-kit: ``drizzle-kit push``
        drops it, and a table regenerated from the schema comes back without
        it, silently slowing the queries it served (warning). A unique index
        or key the ORM declares but the database lacks lets duplicates in and
        makes ``onConflictDoUpdate`` fail with 42P10 (error).

    Example:
        ``CREATE INDEX workflow_edges_source_idx ON workflow_edges (source_block_id);``
        in a hand-edited migration, with no ``index(...)`` for it in ``schema.ts``.

    Use instead:
        Declare ``index('workflow_edges_source_idx').on(table.sourceBlockId)``
        in the table's extra config and generate the migration.

    References:
        https://orm.drizzle.team/docs/indexes-constraints#indexes
        https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT
    """

    meta = RuleMeta("DR606", "index-drift", Severity.WARNING, "an index differs or is missing")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.INDEX, Aspect.KEY):
            severity = Severity.ERROR if _orm_relies_on_uniqueness(drift) else Severity.WARNING
            yield drift_finding(self, drift, severity)
