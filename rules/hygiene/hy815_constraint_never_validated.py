"""HY815: a constraint added NOT VALID and never validated."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name, quote, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import tables


@register
class ConstraintNeverValidatedRule(Rule):
    """A CHECK or FOREIGN KEY constraint is still NOT VALID after the last migration.

    What it does:
        Reports every constraint that the final schema still holds as NOT
        VALID: added with NOT VALID and never followed by ALTER TABLE ...
        VALIDATE CONSTRAINT in any later statement.

    Why it matters:
        NOT VALID is the first half of a safe change: the constraint is
        checked for new and updated rows at once, without the long scan of
        the existing ones. Until VALIDATE CONSTRAINT runs (it takes only a
        SHARE UPDATE EXCLUSIVE lock), the old rows may break it, the planner
        cannot use a CHECK to skip partitions or prove conditions, and a
        restore of the data into a fresh schema can fail on rows the live
        database accepted.

    Example:
        CREATE TABLE invoice (id bigint PRIMARY KEY, total numeric NOT NULL);
        ALTER TABLE invoice ADD CONSTRAINT invoice_total_positive CHECK (total >= 0) NOT VALID;

    Use instead:
        CREATE TABLE invoice (id bigint PRIMARY KEY, total numeric NOT NULL);
        ALTER TABLE invoice ADD CONSTRAINT invoice_total_positive CHECK (total >= 0) NOT VALID;
        ALTER TABLE invoice VALIDATE CONSTRAINT invoice_total_positive;

    References:
        https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/not_valid_constraints.md
    """

    meta = RuleMeta(
        "HY815",
        "constraint-never-validated",
        Severity.WARNING,
        "constraint left NOT VALID, never validated",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table in tables(context.catalog):
            for constraint in table.constraints:
                if not constraint.not_valid:
                    continue
                name = display_name(table.qualified)
                yield self.finding(
                    f"Constraint {constraint.name} ({constraint.kind.value}) of {name} was "
                    f"added NOT VALID and is never validated: existing rows may break it",
                    constraint.origin,
                    objects=[constraint.name],
                    fix=Fix(
                        f"validate {constraint.name}",
                        statements=(
                            f"ALTER TABLE {relation_sql(table.qualified)} VALIDATE CONSTRAINT "
                            f"{quote(constraint.name)};",
                        ),
                    ),
                )
