"""HY814 (opt-in): a table no foreign key links to any other."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import QualifiedName, display_name
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import tables


@register
class TableNotLinkedRule(Rule):
    """A table has no foreign key, and no foreign key references it.

    What it does:
        Reports each table that neither references another table nor is
        referenced by one (a partition is judged by its partitioned table).
        Opt-in (group ``hygiene-preferences``), and only information:
        dictionaries, logs, queues and caches stand alone on purpose.

    Why it matters:
        A table with no link often lacks a foreign key someone meant to add:
        a ``user_id`` column that nothing checks keeps rows of deleted users
        forever and accepts ids that never existed, and no ON DELETE action
        reaches it when its owner is removed.

    Example:
        CREATE TABLE account (id bigint PRIMARY KEY);
        CREATE TABLE login_attempt (id bigint PRIMARY KEY, account_id bigint NOT NULL);

    Use instead:
        CREATE TABLE account (id bigint PRIMARY KEY);
        CREATE TABLE login_attempt (
            id bigint PRIMARY KEY,
            account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/tables_not_linked_to_others.md
    """

    meta = RuleMeta(
        "HY814",
        "table-not-linked",
        Severity.INFO,
        "table linked to no other table",
        group="hygiene-preferences",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        linked: set[QualifiedName] = set()
        for table, constraint in catalog.foreign_keys():
            details = constraint.foreign_key
            linked.add(table.partition_of or table.qualified)
            if details is not None:
                parent = catalog.tables.get(details.ref_table)
                linked.add(
                    parent.partition_of if parent and parent.partition_of else details.ref_table
                )
        for table in tables(catalog):
            if table.qualified in linked:
                continue
            name = display_name(table.qualified)
            yield self.finding(
                f"Table {name} references no table and no table references it: check for "
                f"a forgotten foreign key",
                table.origin,
                objects=[name],
            )
