"""DR610: row level security, a policy or a view's security_invoker differs from the declared
schema."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Policy
from checker.catalog_diff import Aspect, Form
from checker.drift import Drift
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import declared_consequence, describe, drift_finding, drift_of


@register
class RowSecurityDriftRule(Rule):
    """Row level security, a policy or a view's security_invoker differs from the declared schema.

    What it does:
        In a Supabase project with declarative schemas (``supabase/schemas``,
        see DR601), compares what decides who reads which rows: each table's
        row level security (and whether it is forced), its policies (their
        presence, command, PERMISSIVE or RESTRICTIVE, roles, USING and WITH
        CHECK, blind to spelling) and each view's ``security_invoker``.
        Compared with a declared schema only: an ORM schema's export and a
        drizzle-kit snapshot are not read for them.

    Why it matters:
        The migrations are what the database runs; the declared schema is
        what the team reviews. Row level security off in the migrations but
        on in a schema file leaves every row of the table to every client
        its grants allow (error). A view declared ``security_invoker`` whose
        migration lost the option (``supabase db diff`` does not carry it)
        reads its tables with its owner's rights, past their row level
        security (error). A RESTRICTIVE policy on one side only narrows
        access on that side alone (error). Other policy differences change
        who may do what once the next ``supabase db diff`` runs (warning).

    Example:
        ``supabase/schemas/reports.sql`` declares
        ``create view public.my_reports with (security_invoker = true) as ...``
        while the migration ``supabase db diff`` wrote says
        ``create or replace view "public"."my_reports" as ...``.

    Use instead:
        Write the missing part in a migration by hand:
        ``alter view public.my_reports set (security_invoker = true);``.

    References:
        https://supabase.com/docs/guides/local-development/declarative-database-schemas
        https://www.postgresql.org/docs/current/ddl-rowsecurity.html
        https://www.postgresql.org/docs/current/sql-createview.html
    """

    meta = RuleMeta(
        "DR610",
        "row-security-drift",
        Severity.ERROR,
        "row level security, a policy or a view's security_invoker differs from the declared "
        "schema",
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.ROW_SECURITY):
            severity, message = _judged(drift)
            yield drift_finding(self, drift, severity, message)


def _judged(drift: Drift) -> tuple[Severity, str]:
    difference = drift.difference
    subject = difference.subject
    name = difference.objects[0] if difference.objects else ""
    if subject.startswith(f"table {name} ") and difference.form is Form.DIFFERS:
        on = "on" if difference.left else "off"
        other = "off" if difference.left else "on"
        table, setting = name, subject.removeprefix(f"table {name} ")
        if difference.left:
            effect = f"the next `supabase db diff` writes a migration that turns it {other}"
        else:
            effect = (
                f"the database the migrations build leaves every row of {table} to every "
                "client its grants allow: write the migration that turns it on"
            )
        message = f"{setting} of table {table} is {on} {drift.left_in} but {other} in {drift.side}"
        return Severity.ERROR, f"{message}: {effect}"
    if subject == f"view {name} security_invoker":
        view = name
        if not difference.left:
            return Severity.ERROR, (
                f"view {view} is security_invoker in {drift.side} but not {drift.left_in}: it "
                "reads its tables with its owner's rights, past their row level security, and "
                "`supabase db diff` does not carry the option: write "
                f"`alter view {view} set (security_invoker = true)` in a migration"
            )
        return Severity.WARNING, (
            f"view {view} is security_invoker {drift.left_in} but not in {drift.side}: a view "
            "made again from the declared schema reads its tables with its owner's rights"
        )
    policy = difference.left if difference.left is not None else difference.right
    restrictive = isinstance(policy, Policy) and not policy.permissive
    message = f"{describe(drift)}: {declared_consequence(drift)}"
    if restrictive and difference.form is not Form.DIFFERS:
        return Severity.ERROR, f"{message}; without this RESTRICTIVE policy, more rows are open"
    return Severity.WARNING, message
