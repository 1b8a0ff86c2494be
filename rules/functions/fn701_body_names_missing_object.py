"""FN701: a function body names a table, column or function that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

from checker.bodies import BodyUse, UseKind
from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.functions._common import functions_of, removal_of, use_label, use_place


@register
class BodyNamesMissingObjectRule(Rule):
    """A function body names a table, column or function that does not exist.

    What it does:
        Parses every PL/pgSQL and SQL function body of the final schema and
        resolves each table, column and function its statements and
        expressions name, against the schema the migrations build. Local
        variables, parameters, record fields, CTE names, aliases, transition
        tables and tables the body creates itself are not looked up; the text
        of an EXECUTE is not resolved. A name that a later migration dropped
        or renamed is FN703's. A missing name a body uses several times is
        one finding, at its first use, with the others as related places.
        What the config's ``provided`` names (a platform's schemas) exists, and
        so do a Supabase project's platform schemas.

    Why it matters:
        PostgreSQL does not check a PL/pgSQL body when the function is
        created: ``CREATE FUNCTION`` succeeds with a misspelt column, the
        migration, the live verification and CI all pass, and the error
        (42P01, 42703, 42883) comes in production the first time the function
        or its trigger runs.

    Example:
        CREATE TABLE account (id text PRIMARY KEY, balance integer NOT NULL);
        CREATE FUNCTION credit(p_id text, p_amount integer) RETURNS void AS $$
        BEGIN
            UPDATE account SET balanse = balance + p_amount WHERE id = p_id;
        END;
        $$ LANGUAGE plpgsql;

    Use instead:
        CREATE TABLE account (id text PRIMARY KEY, balance integer NOT NULL);
        CREATE FUNCTION credit(p_id text, p_amount integer) RETURNS void AS $$
        BEGIN
            UPDATE account SET balance = balance + p_amount WHERE id = p_id;
        END;
        $$ LANGUAGE plpgsql;

    References:
        https://www.postgresql.org/docs/current/plpgsql-implementation.html#PLPGSQL-PLAN-CACHING
        https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-CHECK-FUNCTION-BODIES
    """

    meta = RuleMeta(
        "FN701",
        "body-names-missing-object",
        Severity.ERROR,
        "function body names a table, column or function that does not exist",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for analysed in functions_of(context):
            function = analysed.function
            # one finding per missing object of a body, at its first use; the others
            # (an INSERT's column list and its SELECT list, say) are its related places
            missing: dict[str, list[BodyUse]] = {}
            for use in analysed.analysis.uses:
                if use.found or use.kind is UseKind.ROW_FIELD:
                    continue
                if removal_of(context, function, use) is not None:
                    continue  # FN703: a later migration took it away
                if _provided(context, use):
                    continue  # the platform's (the config's ``provided``)
                what = use_label(use)
                if use.kind is UseKind.COLUMN and use.table is None and use.searched:
                    tables = ", ".join(display_name(t) for t in use.searched)
                    what = f"column {use.name} (in none of {tables})"
                missing.setdefault(what, []).append(use)
            for what, (first, *again) in missing.items():
                yield self.finding(
                    f"{function.label} uses {what}, which does not exist: the function "
                    "fails the first time it runs",
                    [
                        use_place(function, first),
                        Location.of(function.origin, "function created here"),
                        *(
                            Location.of(use_place(function, use), "used again here")
                            for use in again
                        ),
                    ],
                    objects=[function.label],
                    fix=f"correct the name, or create the {first.kind.value} before the "
                    "function runs",
                )


def _provided(context: RuleContext, use: BodyUse) -> bool:
    """Whether the config's ``provided`` names what the use looks for (or its table)."""
    if use.table is not None:
        return context.settings.provides(".".join(use.table))
    return context.settings.provides(use.name)
