"""FN706: SECURITY DEFINER function without SET search_path."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Fix, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class SecurityDefinerSearchPathRule(Rule):
    """A SECURITY DEFINER function without its own ``SET search_path``.

    What it does:
        Reports functions and procedures of the final schema declared (or
        altered to) SECURITY DEFINER that have no ``SET search_path`` clause.

    Why it matters:
        The function runs with its owner's rights but resolves unqualified
        names through the caller's search_path: a caller who can create
        objects in a schema on that path (public, pg_temp) can shadow a table,
        function or operator the body uses and run code as the owner.

    Example:
        CREATE FUNCTION purge_sessions() RETURNS void SECURITY DEFINER AS $$
        BEGIN
            DELETE FROM session WHERE expires_at < now();
        END;
        $$ LANGUAGE plpgsql;

    Use instead:
        CREATE FUNCTION purge_sessions() RETURNS void SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        BEGIN
            DELETE FROM session WHERE expires_at < now();
        END;
        $$ LANGUAGE plpgsql;

    References:
        https://www.postgresql.org/docs/current/sql-createfunction.html#SQL-CREATEFUNCTION-SECURITY
    """

    meta = RuleMeta(
        "FN706",
        "security-definer-without-search-path",
        Severity.WARNING,
        "SECURITY DEFINER function without SET search_path",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for key in sorted(context.catalog.functions):
            function = context.catalog.functions[key]
            if not function.security_definer or function.setting("search_path") is not None:
                continue
            yield self.finding(
                f"{function.label} is SECURITY DEFINER without SET search_path: a caller's "
                "schema can shadow what it uses and run code with its owner's rights",
                function.origin,
                objects=[function.label],
                fix=Fix(
                    f"pin the search_path of {function.label}",
                    statements=(
                        f"ALTER FUNCTION {function.label} SET search_path = "
                        f"{function.schema}, pg_temp;",
                    ),
                ),
            )
