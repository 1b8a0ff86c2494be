"""FK204: a foreign key's columns lead no index of the referencing table."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import FkAction, display_name, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.fixes import new_name, sql_name
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    action_sql,
    columns_sql,
    covering_index,
    foreign_keys,
    format_rows,
)

# Rows per day of the referencing table from which the missing index weighs more.
MEDIUM_VOLUME = 1_000
HIGH_VOLUME = 100_000
_SEVERITY_BY_SCORE = {0: Severity.INFO, 1: Severity.INFO, 2: Severity.WARNING}


@register
class UnindexedForeignKeyRule(Rule):
    """A foreign key has no index whose leading columns are its columns.

    What it does:
        Reports foreign keys for which the referencing table has no btree
        (or single-column hash) index, primary key or unique constraint whose
        leading columns are exactly the foreign key's columns, in any order.
        A partial index counts only when its predicate is ``col IS NOT NULL``.
        Severity rises with the ON DELETE action and the referencing table's
        volume from the contract: info for NO ACTION / RESTRICT, warning for
        CASCADE / SET NULL / SET DEFAULT; one step more from 1,000 rows per
        day, two steps from 100,000.

    Why it matters:
        PostgreSQL indexes the referenced key, never the referencing columns.
        Every DELETE of a parent row (and every change of its key) runs
        ``SELECT ... FROM child WHERE fk = $1``: without an index that is a
        sequential scan of the child, once per deleted parent row. With
        CASCADE or SET NULL the scan, and the writes, happen inside the
        parent's DELETE, holding its locks; deleting a user or a workspace
        then scans every large table that hangs off it.

    Example:
        CREATE TABLE project (id text PRIMARY KEY);
        CREATE TABLE task (
            id text PRIMARY KEY,
            project_id text REFERENCES project (id) ON DELETE CASCADE
        );

    Use instead:
        CREATE TABLE project (id text PRIMARY KEY);
        CREATE TABLE task (
            id text PRIMARY KEY,
            project_id text REFERENCES project (id) ON DELETE CASCADE
        );
        CREATE INDEX task_project_id_idx ON task (project_id);

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/indexes-multicolumn.html
    """

    meta = RuleMeta(
        "FK204", "unindexed-foreign-key", Severity.WARNING, "foreign key columns lead no index"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        contract = context.settings.contract
        for table, constraint, details in foreign_keys(catalog):
            if covering_index(catalog, table, constraint.columns) is not None:
                continue
            child = display_name(table.qualified)
            parent = display_name(details.ref_table)
            volume = contract.volume_of(table.name)
            score = 2 if details.on_delete not in (FkAction.NO_ACTION, FkAction.RESTRICT) else 1
            if volume is not None:
                score += 2 if volume >= HIGH_VOLUME else 1 if volume >= MEDIUM_VOLUME else 0
            severity = _SEVERITY_BY_SCORE.get(score, Severity.ERROR)
            action = action_sql(details.on_delete)
            if details.on_delete is FkAction.CASCADE:
                effect = f"scans {child} and deletes the matching rows inside that DELETE"
            elif details.on_delete in (FkAction.SET_NULL, FkAction.SET_DEFAULT):
                effect = f"scans {child} and updates the matching rows inside that DELETE"
            else:
                effect = f"scans {child} to check that no row still references it"
            rows = (
                f" ({format_rows(volume)} rows/day in the contract)" if volume is not None else ""
            )
            columns = ", ".join(constraint.columns)
            index_name = new_name(table.name, *constraint.columns, suffix="_idx")
            yield self.finding(
                f"{constraint.name}: no index on {child} ({columns}){rows}: every delete or key "
                f"change of a row in {parent} (ON DELETE {action}) {effect}, sequentially",
                constraint.origin,
                severity=severity,
                objects=[f"{child}.{constraint.name}", child],
                fix=Fix(
                    f"index the foreign key columns of {child}",
                    statements=(
                        f"CREATE INDEX {sql_name(index_name)} ON "
                        f"{relation_sql(table.qualified)} USING btree "
                        f"({columns_sql(constraint.columns)});",
                    ),
                ),
            )
