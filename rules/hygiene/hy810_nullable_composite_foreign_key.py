"""HY810: a multi-column foreign key with nullable columns and MATCH SIMPLE."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import FkMatch, display_name
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import not_null_columns, tables


@register
class NullableCompositeForeignKeyRule(Rule):
    """A foreign key over several columns, some nullable, is not MATCH FULL.

    What it does:
        Reports a foreign key of two or more columns, at least one of them
        nullable, declared with the default MATCH SIMPLE.

    Why it matters:
        Under MATCH SIMPLE a row whose key has any NULL column is not checked
        at all: (tenant_id, project_id) = (7, NULL) and (NULL, 42) are
        accepted whether or not tenant 7 or project 42 exist, and an ON
        DELETE action never reaches them. MATCH FULL accepts a key that is
        entirely NULL or entirely present, nothing in between; NOT NULL on
        the columns forbids the NULL key altogether.

    Example:
        CREATE TABLE project (tenant_id bigint, id bigint, PRIMARY KEY (tenant_id, id));
        CREATE TABLE task (
            id bigint PRIMARY KEY,
            tenant_id bigint NOT NULL,
            project_id bigint,
            FOREIGN KEY (tenant_id, project_id) REFERENCES project (tenant_id, id)
        );

    Use instead:
        CREATE TABLE project (tenant_id bigint, id bigint, PRIMARY KEY (tenant_id, id));
        CREATE TABLE task (
            id bigint PRIMARY KEY,
            tenant_id bigint NOT NULL,
            project_id bigint,
            FOREIGN KEY (tenant_id, project_id) REFERENCES project (tenant_id, id) MATCH FULL
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/foreign_keys_with_null_values.md
    """

    meta = RuleMeta(
        "HY810",
        "nullable-composite-foreign-key",
        Severity.WARNING,
        "multi-column foreign key with nullable columns, not MATCH FULL",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table in tables(context.catalog):
            required = not_null_columns(table)
            for constraint in table.foreign_keys:
                details = constraint.foreign_key
                if details is None or len(constraint.columns) < 2:
                    continue
                if details.match is FkMatch.FULL:
                    continue
                nullable = [c for c in constraint.columns if c not in required]
                if not nullable:
                    continue
                yield self.finding(
                    f"Foreign key {constraint.name} ({', '.join(constraint.columns)}) of "
                    f"{display_name(table.qualified)} is MATCH SIMPLE with nullable "
                    f"{', '.join(nullable)}: a row with any of its columns NULL is not "
                    f"checked at all",
                    constraint.origin,
                    objects=[constraint.name],
                    fix=(
                        "declare the foreign key MATCH FULL, or make "
                        f"{', '.join(nullable)} NOT NULL"
                    ),
                )
