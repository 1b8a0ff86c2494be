"""HY809: two foreign keys to the same table that share some columns but not all."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Constraint, display_name, quote, relation_sql
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import tables


@register
class IntersectedForeignKeysRule(Rule):
    """Two foreign keys of a table reference the same table through overlapping columns.

    What it does:
        Reports a pair of foreign keys of one table that reference the same
        table and share at least one column without having the same columns
        (identical ones are FK210's). The finding is at the one created
        later, which is usually the one that replaced the other.

    Why it matters:
        Overlapping keys to one parent are what a changed key leaves behind:
        a composite key (tenant_id, project_id) was added and the old key on
        (project_id) stayed. Both are checked on every insert and update,
        both block or cascade deletes of the parent, and a reader cannot
        tell which one states the rule.

    Example:
        CREATE TABLE project (
            id bigint PRIMARY KEY, tenant_id bigint NOT NULL, UNIQUE (tenant_id, id)
        );
        CREATE TABLE task (
            id bigint PRIMARY KEY,
            tenant_id bigint NOT NULL,
            project_id bigint NOT NULL REFERENCES project (id),
            FOREIGN KEY (tenant_id, project_id) REFERENCES project (tenant_id, id)
        );

    Use instead:
        CREATE TABLE project (
            id bigint PRIMARY KEY, tenant_id bigint NOT NULL, UNIQUE (tenant_id, id)
        );
        CREATE TABLE task (
            id bigint PRIMARY KEY,
            tenant_id bigint NOT NULL,
            project_id bigint NOT NULL,
            FOREIGN KEY (tenant_id, project_id) REFERENCES project (tenant_id, id)
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/intersected_foreign_keys.md
    """

    meta = RuleMeta(
        "HY809",
        "intersected-foreign-keys",
        Severity.WARNING,
        "foreign keys to one table share some of their columns",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table in tables(context.catalog):
            keys = sorted(table.foreign_keys, key=_creation)
            for position, later in enumerate(keys):
                for earlier in keys[:position]:
                    if not _intersect(earlier, later):
                        continue
                    shared = [c for c in later.columns if c in earlier.columns]
                    yield self.finding(
                        f"Foreign keys {later.name} ({', '.join(later.columns)}) and "
                        f"{earlier.name} ({', '.join(earlier.columns)}) of "
                        f"{display_name(table.qualified)} both reference "
                        f"{display_name(_target(later))} through {', '.join(shared)}: "
                        f"keep the one that states the rule",
                        [
                            Location.of(later.origin, later.name),
                            Location.of(earlier.origin, earlier.name),
                        ],
                        objects=[later.name, earlier.name],
                        fix=Fix(
                            f"drop {earlier.name} (or {later.name})",
                            statements=(
                                f"ALTER TABLE {relation_sql(table.qualified)} DROP CONSTRAINT "
                                f"{quote(earlier.name)};",
                            ),
                        ),
                    )


def _creation(constraint: Constraint) -> tuple[int, int, str, str]:
    origin = constraint.origin
    return (origin.statement, origin.start, origin.file, constraint.name)


def _target(constraint: Constraint) -> tuple[str, str]:
    assert constraint.foreign_key is not None
    return constraint.foreign_key.ref_table


def _intersect(first: Constraint, second: Constraint) -> bool:
    if _target(first) != _target(second):
        return False
    a, b = set(first.columns), set(second.columns)
    return a != b and bool(a & b)
