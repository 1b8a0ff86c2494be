"""FN708: a trigger whose function does not return trigger."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class TriggerFunctionNotTriggerRule(Rule):
    """A trigger whose function does not return ``trigger``.

    What it does:
        For each trigger, looks up the function it executes (with no
        arguments) and reports one whose declared return type is not
        ``trigger``.

    Why it matters:
        The server refuses the CREATE TRIGGER with 42P17 (function must
        return type trigger): the migration fails where it runs, and a
        ``void`` or ``boolean`` helper cannot be made a trigger by
        replacing it, since CREATE OR REPLACE cannot change a return type.

    Example:
        CREATE TABLE note (id text PRIMARY KEY, updated_at timestamptz);
        CREATE FUNCTION touch() RETURNS void AS $$
        BEGIN
            NULL;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION touch();

    Use instead:
        CREATE TABLE note (id text PRIMARY KEY, updated_at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger AS $$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION touch();

    References:
        https://www.postgresql.org/docs/current/sql-createtrigger.html
        https://www.postgresql.org/docs/current/plpgsql-trigger.html
    """

    meta = RuleMeta(
        "FN708",
        "trigger-function-not-trigger",
        Severity.ERROR,
        "trigger function does not return trigger",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for key in sorted(catalog.triggers):
            trigger = catalog.triggers[key]
            if trigger.function is None:
                continue
            function = catalog.functions.get((*trigger.function, ""))
            if function is None or (function.returns or "").lower() == "trigger":
                continue
            label = f"{display_name(trigger.table)}.{trigger.name}"
            yield self.finding(
                f"trigger {label} executes {function.label}, which returns "
                f"{function.returns or 'nothing'}, not trigger: CREATE TRIGGER fails with 42P17",
                [trigger.origin, Location.of(function.origin, "function created here")],
                objects=[label, function.label],
                fix=f"declare {function.name}() RETURNS trigger (drop and recreate it)",
            )
