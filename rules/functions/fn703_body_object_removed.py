"""FN703: a later migration drops or renames a table or column a function body uses."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind
from rules.functions._common import functions_of, removal_of, use_label, use_place
from rules.migration._common import relative


@register
class BodyObjectRemovedRule(Rule):
    """A migration drops or renames a table or column that a function body still uses.

    What it does:
        Resolves every function body of the final schema; when a table or
        column it names is gone because a migration after the function's
        creation dropped or renamed it, reports that DROP or RENAME, with the
        place in the body that still uses the old name. A trigger function
        that no trigger calls any more is left out: PostgreSQL runs it only
        as a trigger, so nothing can call it and nothing fails.

    Why it matters:
        PostgreSQL records no dependency for a function body held as a
        string: ``DROP COLUMN`` and ``RENAME`` succeed without CASCADE and
        without a warning, and every call of the function (every write, for
        a trigger function) fails from then on.

    Example:
        CREATE TABLE account (id text PRIMARY KEY, balance integer NOT NULL);
        CREATE FUNCTION balance_of(p_id text) RETURNS integer AS $$
        BEGIN
            RETURN (SELECT balance FROM account WHERE id = p_id);
        END;
        $$ LANGUAGE plpgsql;
        ALTER TABLE account RENAME COLUMN balance TO amount;

    Use instead:
        CREATE TABLE account (id text PRIMARY KEY, balance integer NOT NULL);
        CREATE FUNCTION balance_of(p_id text) RETURNS integer AS $$
        BEGIN
            RETURN (SELECT balance FROM account WHERE id = p_id);
        END;
        $$ LANGUAGE plpgsql;
        ALTER TABLE account RENAME COLUMN balance TO amount;
        CREATE OR REPLACE FUNCTION balance_of(p_id text) RETURNS integer AS $$
        BEGIN
            RETURN (SELECT amount FROM account WHERE id = p_id);
        END;
        $$ LANGUAGE plpgsql;

    References:
        https://www.postgresql.org/docs/current/ddl-depend.html
        https://www.postgresql.org/docs/current/sql-altertable.html
    """

    meta = RuleMeta(
        "FN703",
        "body-object-removed",
        Severity.ERROR,
        "a table or column a function body uses is dropped or renamed",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for analysed in functions_of(context):
            function = analysed.function
            if not analysed.triggers and (function.returns or "").lower() == "trigger":
                # dropping its triggers first, then what it used, is the safe order
                continue
            for use in analysed.analysis.uses:
                if use.found:
                    continue
                event = removal_of(context, function, use)
                if event is None:
                    continue
                what = use_label(use)
                done = (
                    f"renames it to {event.detail}"
                    if event.kind is EventKind.RENAMED
                    else "drops it"
                )
                place = use_place(function, use)
                yield self.finding(
                    f"this statement {done}, but {function.label} still uses {what} "
                    f"(at {relative(context.sources, place)}): the function fails from now on",
                    [event.origin, Location.of(place, f"{function.label} uses it here")],
                    objects=[function.label, what.split(" ", 1)[1]],
                    fix=f"CREATE OR REPLACE FUNCTION {function.name} without {what} in the "
                    "same migration, or keep it",
                )
