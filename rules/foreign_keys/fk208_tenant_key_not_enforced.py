"""FK208: a reference between two tenant-scoped tables does not carry the tenant key."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Catalog, FkAction, QualifiedName, display_name, quote, relation_sql
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    action_sql,
    columns_sql,
    foreign_keys,
    referenced_columns,
    tables_matching,
)


@register
class TenantKeyNotEnforcedRule(Rule):
    """Two tenant-scoped tables are related by a foreign key on the id alone.

    What it does:
        With ``contract.tenant_key`` set (e.g. ``workspace_id``), the tenant-
        scoped tables are those matching ``contract.tenant_tables`` (globs), or
        every table with a column of that name. Reports each foreign key from
        one tenant-scoped table to another whose columns do not include the
        tenant key on both sides, and suggests the composite foreign key
        ``(workspace_id, parent_id) → parent (workspace_id, id)`` with the
        unique constraint it needs.

    Why it matters:
        The database then accepts a child row of workspace A that points at a
        parent row of workspace B: one application bug (or a guessed id) is
        enough to read or attach another tenant's data, and deleting B's
        parent reaches into A. A composite foreign key makes the tenant
        boundary a constraint instead of a convention.

    Example:
        CREATE TABLE agent (id text PRIMARY KEY, workspace_id text NOT NULL);
        CREATE TABLE session (
            id text PRIMARY KEY,
            workspace_id text NOT NULL,
            agent_id text NOT NULL REFERENCES agent (id) ON DELETE CASCADE
        );

    Use instead:
        CREATE TABLE agent (
            id text PRIMARY KEY,
            workspace_id text NOT NULL,
            UNIQUE (workspace_id, id)
        );
        CREATE TABLE session (
            id text PRIMARY KEY,
            workspace_id text NOT NULL,
            agent_id text NOT NULL,
            FOREIGN KEY (workspace_id, agent_id) REFERENCES agent (workspace_id, id)
                ON DELETE CASCADE
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/ddl-rowsecurity.html
    """

    meta = RuleMeta(
        "FK208",
        "tenant-key-not-enforced",
        Severity.WARNING,
        "a reference between tenant-scoped tables ignores the tenant key",
    )
    doc_contract = 'tenant_key = "workspace_id"\n'

    def check(self, context: RuleContext) -> Iterator[Finding]:
        contract = context.settings.contract
        key = contract.tenant_key
        if not key:
            return
        catalog = context.catalog
        scoped = _scoped_tables(catalog, key, contract.tenant_tables)
        for table, constraint, details in foreign_keys(catalog):
            parent = catalog.tables.get(details.ref_table)
            if parent is None or table.qualified == parent.qualified:
                continue  # a tree inside one table: the row's own tenant is the same check
            if table.qualified not in scoped or parent.qualified not in scoped:
                continue
            ref_columns = referenced_columns(catalog, details)
            pairs = dict(zip(constraint.columns, ref_columns, strict=False))
            if pairs.get(key) == key:
                continue
            if table.column(key) is None or parent.column(key) is None:
                continue  # scoped by contract glob but without the column: nothing to carry
            child = display_name(table.qualified)
            parent_name = display_name(parent.qualified)
            unique_name = f"{parent.name}_{key}_{'_'.join(ref_columns)}_unique"[:63]
            new_columns = (key, *constraint.columns)
            new_refs = (key, *ref_columns)
            on_delete = action_sql(details.on_delete)
            if details.on_delete is FkAction.SET_NULL:
                # Nulling the tenant key too would break NOT NULL; PostgreSQL 15 can limit it,
                # older servers cannot, so there the rows must be cleared before the delete.
                on_delete = (
                    f"SET NULL ({columns_sql(constraint.columns)})"
                    if context.settings.postgres >= 15
                    else "NO ACTION"
                )
            fix = (
                f"ALTER TABLE {relation_sql(parent.qualified)} ADD CONSTRAINT {quote(unique_name)} "
                f"UNIQUE ({columns_sql(new_refs)}); "
                f"ALTER TABLE {relation_sql(table.qualified)} "
                f"DROP CONSTRAINT {quote(constraint.name)}, "
                f"ADD CONSTRAINT {quote(constraint.name)} FOREIGN KEY ({columns_sql(new_columns)}) "
                f"REFERENCES {relation_sql(parent.qualified)} ({columns_sql(new_refs)}) "
                f"ON DELETE {on_delete};"
            )
            yield self.finding(
                f"{constraint.name}: {child} ({', '.join(constraint.columns)}) references "
                f"{parent_name} ({', '.join(ref_columns)}) without {key}: both tables are scoped "
                f"by {key}, yet a {child} row of one tenant may point at a {parent_name} row of "
                "another",
                constraint.origin,
                objects=[f"{child}.{constraint.name}", child, parent_name],
                fix=fix,
            )


def _scoped_tables(catalog: Catalog, key: str, patterns: tuple[str, ...]) -> set[QualifiedName]:
    if patterns:
        return set(tables_matching(catalog, patterns))
    return {name for name, table in catalog.tables.items() if table.column(key) is not None}
