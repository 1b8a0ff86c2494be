"""DR601: a table only in the migrations, or only in the ORM schema / snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog_diff import Aspect, Form
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


@register
class TableDriftRule(Rule):
    """A table exists on one side only: the migrations, or the ORM schema (or its snapshot).

    What it does:
        Compares the tables the migrations create with those of drizzle-kit's
        newest snapshot (``meta/NNNN_snapshot.json`` of the latest journal entry
        that has one, whenever the check's input is one drizzle-kit folder) and with the ORM
        schema exported by ``drizzle-kit export`` (``--orm schema.ts``); in a
        Supabase project, with the declared schema (``supabase/schemas/*.sql``,
        or the files ``[db.migrations] schema_paths`` names). Each finding
        names both sides: the migration statement and the definition in the
        snapshot JSON, the TypeScript source or the schema file. The other DR
        rules compare the same sources.

    Why it matters:
        A table only in the ORM schema is one the application queries and no
        migration creates: every query of it fails with 42P01 (error). A table
        only in the migrations is invisible to the ORM's types, and the next
        ``drizzle-kit generate`` plans from a snapshot that lacks it, so a
        table of the same name in the schema becomes a CREATE that fails
        (warning). With a declared schema, a table only in a schema file has
        no migration yet, and one only in the migrations is dropped by the
        migration the next ``supabase db diff`` writes.

    Example:
        The migrations run ``CREATE TABLE audit_log (id text PRIMARY KEY);``
        by hand; ``schema.ts`` (and the snapshot) has no ``audit_log``.

    Use instead:
        Declare ``export const auditLog = pgTable('audit_log', {...})`` in the
        schema and let ``drizzle-kit generate`` write the migration (or run
        ``drizzle-kit generate --custom`` for hand-written SQL, so the snapshot
        follows).

    References:
        https://orm.drizzle.team/docs/drizzle-kit-generate
        https://orm.drizzle.team/docs/kit-custom-migrations
        https://supabase.com/docs/guides/local-development/declarative-database-schemas
    """

    meta = RuleMeta("DR601", "table-drift", Severity.ERROR, "a table exists on one side only")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.TABLE):
            only_in_orm = drift.difference.form is Form.RIGHT_ONLY
            yield drift_finding(self, drift, Severity.ERROR if only_in_orm else Severity.WARNING)
