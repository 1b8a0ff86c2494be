"""RL905: a view the platform's API serves reads protected rows with its owner's rights."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import listed, platform_title, served_views


@register
class ViewBypassesRowSecurityRule(Rule):
    """A view the platform's Data API serves reads tables with row level security, or
    tables the API does not serve, with its owner's rights.

    What it does:
        In a Supabase project, reports each view of a schema the Data API
        serves that is not ``security_invoker`` when the migrations end, if
        what it reads, directly or through
        other views, holds a table with row level security on or a table of a
        schema the API does not serve (``auth.users``, say). The fix makes a
        view ``security_invoker``.

    Why it matters:
        A view runs its query with its owner's rights unless it is created
        ``WITH (security_invoker = true)`` (PostgreSQL 15 and later). Its owner,
        the role that ran the migrations, owns the tables, and a table's own
        policies do not apply to its owner: through the view, any client
        holding the project's public anon key reads every row the policies
        were meant to hide, or the users of ``auth.users``. Materialized views
        are RL906's.

    Example:
        CREATE TABLE invoice (id bigint PRIMARY KEY, owner uuid NOT NULL, total numeric);
        ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own invoices" ON invoice USING (owner = (SELECT auth.uid()));
        CREATE VIEW invoice_total AS SELECT owner, sum(total) AS total FROM invoice GROUP BY owner;

    Use instead:
        CREATE TABLE invoice (id bigint PRIMARY KEY, owner uuid NOT NULL, total numeric);
        ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own invoices" ON invoice USING (owner = (SELECT auth.uid()));
        CREATE VIEW invoice_total WITH (security_invoker = true) AS
            SELECT owner, sum(total) AS total FROM invoice GROUP BY owner;

    References:
        https://supabase.com/docs/guides/database/database-linter?lint=0010_security_definer_view
        https://www.postgresql.org/docs/current/sql-createview.html
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL905",
        "view-bypasses-row-security",
        Severity.ERROR,
        "a view the platform's API serves reads protected rows with its owner's rights",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        title = platform_title(context)
        for key, view, protected in served_views(context, materialized=False):
            names = listed(protected)
            yield self.finding(
                f"view {display_name(key)} is served by the {title} Data API and reads "
                f"{names} with its owner's rights, so the row security and schema boundaries "
                f"meant to guard {'it' if len(protected) == 1 else 'them'} do not apply: any "
                "client holding the project's public anon key reads every row of it",
                view.origin,
                objects=[display_name(key)],
                fix=Fix(
                    "make the view read with the caller's rights and row security",
                    statements=(f"ALTER VIEW {relation_sql(key)} SET (security_invoker = true);",),
                ),
            )
