"""What the row-security rules share: the tables a platform's API serves, each table's
policies, and where a table's row security was last set."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import NO_ORIGIN, Catalog, Policy, QualifiedName, Table, View, display_name
from checker.model import Origin
from checker.platforms import is_platform_file, platform_named
from checker.rule import RuleContext


def platform_title(context: RuleContext) -> str | None:
    """The name of the platform whose API serves the exposed schemas (None: no platform)."""
    platform = platform_named(context.sources.platform)
    return platform.title if platform is not None else None


# the roles the platform's API runs its clients' requests as
API_ROLES = ("anon", "authenticated")
_DATA = ("select", "insert", "update", "delete")


def api_roles_with_access(table: Table) -> list[str]:
    """The API's roles that still hold a data privilege on the table (the platform grants
    them all; a REVOKE of every one from a role takes it away)."""
    return [role for role in API_ROLES if any((role, p) not in table.revoked for p in _DATA)]


def exposed_tables(context: RuleContext) -> list[Table]:
    """The project's tables in the schemas the platform's API serves, by name."""
    schemas = set(context.sources.exposed_schemas)
    if not schemas or platform_title(context) is None:
        return []
    return [
        table
        for key, table in sorted(context.catalog.tables.items())
        if key[0] in schemas and not is_platform_file(table.origin.file)
    ]


def policies_by_table(context: RuleContext) -> dict[QualifiedName, list[Policy]]:
    """Each table's policies, in the order they were created."""
    found: dict[QualifiedName, list[Policy]] = {}
    for (table, _), policy in context.catalog.policies.items():
        found.setdefault(table, []).append(policy)
    for policies in found.values():
        policies.sort(key=lambda p: (p.origin.file, p.origin.start))
    return found


def where_set(table: Table) -> Origin:
    """The statement that last turned the table's row security on or off, else the one
    that created the table."""
    return table.row_security_set if table.row_security_set != NO_ORIGIN else table.origin


def label(table: Table) -> str:
    return display_name(table.qualified)


def served_views(
    context: RuleContext, *, materialized: bool
) -> Iterator[tuple[QualifiedName, View, list[QualifiedName]]]:
    """The project's views (or materialized views) of the schemas the platform's API
    serves that read, with their owner's rights, protected rows: tables with row security
    on, or tables of schemas the API does not serve; each with those tables, by name."""
    served = set(context.sources.exposed_schemas)
    if platform_title(context) is None or not served:
        return
    catalog = context.catalog
    for key in sorted(catalog.views):
        view = catalog.views[key]
        if view.materialized is not materialized or key[0] not in served:
            continue
        if is_platform_file(view.origin.file) or (view.security_invoker and not materialized):
            continue
        protected = sorted(
            table
            for table in tables_read(catalog, view)
            if table[0] not in served or _row_security(catalog, table)
        )
        if protected:
            yield key, view, protected


def tables_read(catalog: Catalog, view: View) -> set[QualifiedName]:
    """The tables a view reads, directly or through the views it reads."""
    tables: set[QualifiedName] = set()
    seen: set[QualifiedName] = set()
    stack = [read.table for read in view.reads]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        inner = catalog.views.get(name)
        if inner is not None:
            stack.extend(read.table for read in inner.reads)
        elif name in catalog.tables:
            tables.add(name)
    return tables


def _row_security(catalog: Catalog, table: QualifiedName) -> bool:
    found = catalog.tables.get(table)
    return found is not None and found.row_security


def listed(tables: list[QualifiedName], most: int = 4) -> str:
    names = ", ".join(display_name(t) for t in tables[:most])
    return names + (f" and {len(tables) - most} more" if len(tables) > most else "")
