"""RL907: a policy decides on the user's own metadata, which the user can rewrite."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.catalog import display_name
from checker.findings import Finding, Severity
from checker.names import quote_identifier
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import platform_title

# the JWT's user_metadata claim, or auth.users' column behind it
_USER_METADATA = re.compile(r"'user_metadata'|\braw_user_meta_data\b", re.IGNORECASE)


@register
class PolicyTrustsUserMetadataRule(Rule):
    """A policy grants rows on the user's own metadata, which the user can rewrite.

    What it does:
        In a Supabase project, reports each policy whose USING or WITH CHECK
        expression reads ``user_metadata`` (``auth.jwt() -> 'user_metadata'``)
        or ``auth.users.raw_user_meta_data``, at the statement that last wrote
        the expression.

    Why it matters:
        A signed-in user can change their own ``user_metadata`` at any time
        with the client library (``supabase.auth.updateUser({ data })``), and
        the next token carries it. A policy that checks a role, a team or a
        plan there lets every user grant themselves that access.
        ``app_metadata`` is written only by the server.

    Example:
        CREATE TABLE report (id bigint PRIMARY KEY, body text);
        ALTER TABLE report ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "admins read reports" ON report FOR SELECT
            USING ((SELECT auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');

    Use instead:
        CREATE TABLE report (id bigint PRIMARY KEY, body text);
        ALTER TABLE report ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "admins read reports" ON report FOR SELECT
            USING ((SELECT auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');

    References:
        https://supabase.com/docs/guides/database/database-linter?lint=0015_rls_references_user_metadata
        https://supabase.com/docs/guides/auth/managing-user-data
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL907",
        "policy-trusts-user-metadata",
        Severity.ERROR,
        "a policy decides on user_metadata, which the user can rewrite",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if platform_title(context) is None:
            return
        for key in sorted(context.catalog.policies):
            policy = context.catalog.policies[key]
            expressions = " ".join(e for e in (policy.using, policy.check) if e)
            if not _USER_METADATA.search(expressions):
                continue
            where = policy.expressions_at if policy.expressions_at.file else policy.origin
            yield self.finding(
                f"policy {quote_identifier(policy.name)} on {display_name(policy.table)} "
                "decides on the user's user_metadata, which every signed-in user can rewrite "
                "for themselves: any user can give themselves the access it guards",
                where,
                objects=[f"{display_name(policy.table)}.{policy.name}"],
                fix=(
                    "keep what grants access in app_metadata (only the server writes it), or in "
                    "a table the user cannot write, and read it from there"
                ),
            )
