"""RL903: a table the platform's API serves has row level security and no policy."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import (
    api_roles_with_access,
    exposed_tables,
    label,
    platform_title,
    where_set,
)


@register
class RowSecurityWithoutPolicyRule(Rule):
    """A table the platform's Data API serves has row level security but no policy.

    What it does:
        In a Supabase project, reports each table of a schema the Data API
        serves whose row level security is on and that has no policy when the
        migrations end, at the statement that enabled it.

    Why it matters:
        With row level security on and no policy, PostgreSQL denies every row
        to every role but the table's owner and roles with BYPASSRLS (the
        platform's service role): the API's clients read nothing and change
        nothing. That is right for a table only the server uses, and a bug for
        one the application's clients were meant to read.

    Example:
        CREATE TABLE todo (id bigint PRIMARY KEY, task text NOT NULL);
        ALTER TABLE todo ENABLE ROW LEVEL SECURITY;

    Use instead:
        CREATE TABLE todo (id bigint PRIMARY KEY, task text NOT NULL);
        ALTER TABLE todo ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "signed-in users read todos" ON todo FOR SELECT TO authenticated
            USING (true);

    References:
        https://supabase.com/docs/guides/database/postgres/row-level-security
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL903",
        "row-security-without-policy",
        Severity.INFO,
        "a table the platform's API serves has row level security and no policy",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        with_policies = {key for key, _ in context.catalog.policies}
        title = platform_title(context)
        for table in exposed_tables(context):
            if not table.row_security or table.qualified in with_policies:
                continue
            if not api_roles_with_access(table):
                continue  # the API's roles were refused it: meant for the server alone
            yield self.finding(
                f"table {label(table)} has row level security and no policy: the {title} "
                "Data API's clients (anon, authenticated) read no row of it and change none; "
                "only the service role and the table's owner reach it",
                where_set(table),
                objects=[label(table)],
                fix=(
                    "create the policies the API's clients need, or, for a table only the "
                    "server uses, leave it so (and revoke the API roles' privileges on it)"
                ),
            )
