"""FN707: EXECUTE of a string concatenating a parameter or variable without quoting."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.functions._common import functions_of


@register
class ExecuteConcatenatedStringRule(Rule):
    """EXECUTE of a string that concatenates a parameter or variable without quoting it.

    What it does:
        Looks at how each dynamic SQL string of a PL/pgSQL body (EXECUTE,
        FOR ... IN EXECUTE, RETURN QUERY EXECUTE, OPEN ... FOR EXECUTE) is
        built, and reports a text variable or parameter joined in with
        ``||`` or through ``format('%s')`` rather than through
        ``quote_ident``, ``quote_literal``, ``quote_nullable``,
        ``format('%I')``/``format('%L')`` or ``USING``. Variables of numeric,
        boolean, uuid, date/time and regclass types are not reported.

    Why it matters:
        Whatever the variable holds becomes SQL: a name or value with a
        quote in it breaks the statement, and one chosen by an attacker runs
        their SQL with the function's rights (SQL injection).

    Example:
        CREATE FUNCTION count_rows(p_table text) RETURNS bigint AS $$
        DECLARE
            total bigint;
        BEGIN
            EXECUTE 'SELECT count(*) FROM ' || p_table INTO total;
            RETURN total;
        END;
        $$ LANGUAGE plpgsql;

    Use instead:
        CREATE FUNCTION count_rows(p_table text) RETURNS bigint AS $$
        DECLARE
            total bigint;
        BEGIN
            EXECUTE format('SELECT count(*) FROM %I', p_table) INTO total;
            RETURN total;
        END;
        $$ LANGUAGE plpgsql;

    References:
        https://www.postgresql.org/docs/current/plpgsql-statements.html#PLPGSQL-QUOTE-LITERAL-EXAMPLE
        https://www.postgresql.org/docs/current/functions-string.html#FUNCTIONS-STRING-FORMAT
    """

    meta = RuleMeta(
        "FN707",
        "execute-concatenated-string",
        Severity.WARNING,
        "EXECUTE of a string concatenating an unquoted variable",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for analysed in functions_of(context):
            function = analysed.function
            for dynamic in analysed.analysis.dynamic:
                if not dynamic.unquoted:
                    continue
                names = ", ".join(dynamic.unquoted)
                yield self.finding(
                    f"{function.label} builds SQL for EXECUTE from {names} without quoting: "
                    "a quote in the value breaks the statement or injects SQL",
                    [
                        function.body_place(dynamic.start, dynamic.length),
                        Location.of(function.origin, "function created here"),
                    ],
                    objects=[function.label],
                    fix="use format() with %I for identifiers and %L for values, or pass "
                    "values with EXECUTE ... USING",
                )
