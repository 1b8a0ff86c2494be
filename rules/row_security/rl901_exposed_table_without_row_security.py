"""RL901: a table the platform's API serves, without row level security."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Table, relation_sql
from checker.findings import Finding, Location, Severity
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import (
    api_roles_with_access,
    exposed_tables,
    label,
    platform_title,
)


@register
class ExposedTableWithoutRowSecurityRule(Rule):
    """A table the platform's Data API serves has row level security off.

    What it does:
        In a Supabase project (docs/migration-layouts.md), reports each table
        of a schema the project's Data API serves (``[api] schemas`` of
        ``supabase/config.toml``; ``public`` and ``graphql_public`` by
        default) whose row level security is off when the migrations end: at
        the statement that turned it off, or else where the table was created.
        A table whose data privileges were all revoked from the API's roles
        (``REVOKE ALL ON t FROM anon, authenticated``, or ALTER DEFAULT
        PRIVILEGES before it was made) is not reported. Elsewhere the rule is
        silent: no API serves the tables.

    Why it matters:
        The platform grants the API's roles (``anon``, ``authenticated``) every
        privilege on the tables of those schemas. Without row level security,
        any client holding the project's public anon key, which ships in every
        browser bundle, reads and changes every row through the API. Policies
        only apply once row level security is enabled.

    Example:
        CREATE TABLE profile (id uuid PRIMARY KEY, email text NOT NULL);

    Use instead:
        CREATE TABLE profile (id uuid PRIMARY KEY, email text NOT NULL);
        ALTER TABLE profile ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "read own profile" ON profile FOR SELECT TO authenticated
            USING (id = (SELECT auth.uid()));

    References:
        https://supabase.com/docs/guides/database/postgres/row-level-security
        https://www.postgresql.org/docs/current/ddl-rowsecurity.html
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL901",
        "exposed-table-without-row-security",
        Severity.ERROR,
        "a table the platform's API serves has row level security off",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        title = platform_title(context)
        for table in exposed_tables(context):
            roles = api_roles_with_access(table)
            if table.row_security or not roles:
                continue  # guarded, or no API role may touch its rows
            name = label(table)
            served = (
                f"schema {table.schema} is served by the {title} Data API, whose role"
                f"{'s' if len(roles) > 1 else ''} {' and '.join(roles)} "
                f"{'have' if len(roles) > 1 else 'has'} privileges on the table"
            )
            places: list[Origin | Location]
            if table.row_security_set.file:
                message = f"row level security of table {name} is turned off here, and {served}"
                places = [
                    table.row_security_set,
                    Location.of(table.origin, "table created here"),
                ]
            else:
                message = f"table {name} has no row level security, and {served}"
                places = [table.origin]
            yield self.finding(
                f"{message}: any client holding the project's public anon key can "
                f"{_can(table, roles)} every row",
                places,
                objects=[name],
                fix=(
                    f"ALTER TABLE {relation_sql(table.qualified)} ENABLE ROW LEVEL SECURITY, "
                    "then create the policies of who may read and write which rows (a table "
                    "only the server reads needs none: the service role bypasses row security)"
                ),
            )


def _can(table: Table, roles: list[str]) -> str:
    """What the roles' remaining privileges let a client do with the rows."""

    def held(privilege: str) -> bool:
        return any((role, privilege) not in table.revoked for role in roles)

    read = held("select")
    change = any(held(p) for p in ("insert", "update", "delete"))
    return "read and change" if read and change else "read" if read else "change"
