"""RL908: a SECURITY DEFINER function the platform's API lets its clients call."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Function, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.platforms import is_platform_file
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import API_ROLES, platform_title

_NOT_CALLABLE = {"trigger", "event_trigger"}  # the API serves no trigger function


@register
class ExposedSecurityDefinerFunctionRule(Rule):
    """The platform's Data API lets its clients call a SECURITY DEFINER function.

    What it does:
        In a Supabase project, reports each SECURITY DEFINER function (not a
        trigger function, not a procedure) of a schema the Data API serves
        that ``anon`` or ``authenticated`` may still execute when the
        migrations end: the platform grants them EXECUTE on every new
        function, and a REVOKE from ``public`` alone leaves those grants. The
        fix revokes EXECUTE from the three.

    Why it matters:
        The Data API serves every such function as a remote procedure call
        (``POST /rest/v1/rpc/<name>``). SECURITY DEFINER runs it with its
        owner's rights, past row level security: any client holding the
        project's public anon key can call it with arguments of their choice.
        A helper meant for policies or for the server belongs in a schema the
        API does not serve, or needs its EXECUTE revoked.

    Example:
        CREATE TABLE invoice (id bigint PRIMARY KEY, owner uuid NOT NULL);
        ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
        CREATE FUNCTION delete_invoice(target bigint) RETURNS void
            LANGUAGE sql SECURITY DEFINER SET search_path = ''
            AS $$ DELETE FROM public.invoice WHERE id = target $$;

    Use instead:
        CREATE TABLE invoice (id bigint PRIMARY KEY, owner uuid NOT NULL);
        ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
        CREATE FUNCTION delete_invoice(target bigint) RETURNS void
            LANGUAGE sql SECURITY DEFINER SET search_path = ''
            AS $$ DELETE FROM public.invoice WHERE id = target $$;
        REVOKE EXECUTE ON FUNCTION delete_invoice(bigint) FROM public, anon, authenticated;

    References:
        https://supabase.com/docs/guides/database/database-linter?lint=0028_anon_security_definer_function_executable
        https://www.postgresql.org/docs/current/sql-createfunction.html#SQL-CREATEFUNCTION-SECURITY
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL908",
        "exposed-security-definer-function",
        Severity.WARNING,
        "the platform's API lets its clients call a SECURITY DEFINER function",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        title = platform_title(context)
        served = set(context.sources.exposed_schemas)
        if title is None or not served:
            return
        for key in sorted(context.catalog.functions):
            function = context.catalog.functions[key]
            if (
                not function.security_definer
                or function.is_procedure
                or key[0] not in served
                or (function.returns or "").lower() in _NOT_CALLABLE
                or is_platform_file(function.origin.file)
            ):
                continue
            roles = [role for role in API_ROLES if role not in function.revoked_execute]
            if not roles:
                continue
            yield self.finding(
                f"{function.label} is SECURITY DEFINER and the {title} Data API lets "
                f"{' and '.join(roles)} call it (POST /rest/v1/rpc/{function.name}): "
                f"{_who(roles)} runs it with its owner's rights, past row level security, "
                "with arguments of their choice",
                function.origin,
                objects=[function.label],
                fix=Fix(
                    "revoke EXECUTE from the API's roles (grant it back to the roles that "
                    "need it), or move the function to a schema the API does not serve",
                    statements=(
                        f"REVOKE EXECUTE ON FUNCTION {_signature(function)} "
                        "FROM public, anon, authenticated;",
                    ),
                ),
            )


def _signature(function: Function) -> str:
    return f"{relation_sql(function.qualified)}({function.arguments})"


def _who(roles: list[str]) -> str:
    if "anon" in roles:
        return "any client holding the project's public anon key"
    return "any signed-in user"
