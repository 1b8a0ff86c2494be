"""RL906: a materialized view the platform's API serves holds protected rows."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import listed, platform_title, served_views


@register
class MaterializedViewServedRule(Rule):
    """A materialized view the platform's Data API serves holds a copy of protected rows.

    What it does:
        In a Supabase project, reports each materialized view of a schema the
        Data API serves when the migrations end, if what it reads, directly
        or through views, holds a table with row level security on or a table
        of a schema the API does not serve (``auth.users``, say).

    Why it matters:
        A materialized view stores the rows its query returned, and PostgreSQL
        has no row security for materialized views: every client holding the
        project's public anon key reads all of them through the API, whatever
        the policies of the tables they came from say.

    Example:
        CREATE TABLE invoice (id bigint PRIMARY KEY, owner uuid NOT NULL, total numeric);
        ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own invoices" ON invoice USING (owner = (SELECT auth.uid()));
        CREATE MATERIALIZED VIEW invoice_copy AS SELECT id, owner, total FROM invoice;

    Use instead:
        CREATE TABLE invoice (id bigint PRIMARY KEY, owner uuid NOT NULL, total numeric);
        ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own invoices" ON invoice USING (owner = (SELECT auth.uid()));
        CREATE SCHEMA private;
        CREATE MATERIALIZED VIEW private.invoice_copy AS SELECT id, owner, total FROM invoice;

    References:
        https://supabase.com/docs/guides/database/database-linter?lint=0016_materialized_view_in_api
        https://www.postgresql.org/docs/current/ddl-rowsecurity.html
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL906",
        "materialized-view-served",
        Severity.WARNING,
        "a materialized view the platform's API serves holds protected rows",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        title = platform_title(context)
        for key, view, protected in served_views(context, materialized=True):
            yield self.finding(
                f"materialized view {display_name(key)} is served by the {title} Data API and "
                f"holds a copy of rows of {listed(protected)} that no row security guards: any "
                "client holding the project's public anon key reads every row of it",
                view.origin,
                objects=[display_name(key)],
                fix=(
                    "move it to a schema the API does not serve, or revoke the API roles' "
                    "(anon, authenticated) privileges on it"
                ),
            )
