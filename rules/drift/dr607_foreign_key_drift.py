"""DR607: a foreign key is missing or different on one side."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog_diff import Aspect, Form
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


@register
class ForeignKeyDriftRule(Rule):
    """A foreign key exists on one side only, or differs (columns, target, ON DELETE/UPDATE).

    What it does:
        Compares the foreign keys of the migrations with those of drizzle-kit's
        last snapshot and the ORM schema's export: presence, columns,
        referenced table and columns, ON DELETE and ON UPDATE actions. A
        foreign key under another name with the same definition is not drift
        (drizzle-kit's long names are truncated to 63 bytes by PostgreSQL).

    Why it matters:
        A foreign key the ORM declares but the database lacks leaves orphans
        the application believes impossible (error). One only in the SQL, or
        with other actions, makes deletes behave otherwise than the code
        reviewed against the schema expects: a CASCADE the schema does not
        show, or a delete blocked by a RESTRICT it does not mention (warning).

    Example:
        ``ALTER TABLE api_key ADD CONSTRAINT api_key_user_fk FOREIGN KEY (user_id)
        REFERENCES "user"(id) ON DELETE CASCADE;`` while ``schema.ts`` says
        ``.references(() => user.id, { onDelete: 'set null' })``.

    Use instead:
        State the action in the schema, ``{ onDelete: 'cascade' }``, and generate
        the migration from it.

    References:
        https://orm.drizzle.team/docs/indexes-constraints#foreign-key
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
    """

    meta = RuleMeta(
        "DR607", "foreign-key-drift", Severity.WARNING, "a foreign key differs or is missing"
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.FOREIGN_KEY):
            only_in_orm = drift.difference.form is Form.RIGHT_ONLY
            yield drift_finding(self, drift, Severity.ERROR if only_in_orm else Severity.WARNING)
