"""FN702: a trigger function uses NEW.col or OLD.col that its trigger's table lacks."""

from __future__ import annotations

from collections.abc import Iterator

from checker.bodies import BodyUse, UseKind
from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.functions._common import functions_of, use_place


@register
class TriggerRowFieldMissingRule(Rule):
    """A trigger function uses ``NEW.col`` or ``OLD.col`` that its trigger's table lacks.

    What it does:
        For each row-level trigger, checks every ``NEW.x`` and ``OLD.x`` its
        function reads or assigns against the columns of the trigger's table
        (a function shared by triggers on several tables is checked against
        each of them).

    Why it matters:
        ``CREATE FUNCTION`` and ``CREATE TRIGGER`` both succeed; the first
        INSERT or UPDATE of the table then fails with 'record "new" has no
        field' (42703), in production, and takes the application's write
        with it.

    Example:
        CREATE TABLE note (id text PRIMARY KEY, body text, updated_at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger AS $$
        BEGIN
            NEW.modified_at := now();
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION touch();

    Use instead:
        CREATE TABLE note (id text PRIMARY KEY, body text, updated_at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger AS $$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION touch();

    References:
        https://www.postgresql.org/docs/current/plpgsql-trigger.html
    """

    meta = RuleMeta(
        "FN702",
        "trigger-row-field-missing",
        Severity.ERROR,
        "trigger function uses NEW/OLD column its table lacks",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for analysed in functions_of(context):
            function = analysed.function
            # one finding per field: its first use, the others as related places
            fields: dict[tuple[str, str], list[BodyUse]] = {}
            for use in analysed.analysis.uses:
                if use.kind is UseKind.ROW_FIELD:
                    fields.setdefault((use.record, use.name), []).append(use)
            for trigger in analysed.triggers:
                if not trigger.for_each_row:
                    continue
                table = catalog.tables.get(trigger.table)
                view = catalog.views.get(trigger.table)
                if table is not None and table.columns_known:
                    columns = {c.name for c in table.columns}
                elif view is not None and view.columns:
                    columns = set(view.columns)
                else:
                    continue
                label = display_name(trigger.table)
                for uses in fields.values():
                    use = uses[0]
                    if use.name in columns:
                        continue
                    yield self.finding(
                        f"{function.label} uses {use.record.upper()}.{use.name}, but {label} "
                        f"(trigger {trigger.name}) has no column {use.name}: every "
                        f"{'/'.join(e.upper() for e in trigger.events)} of {label} fails "
                        "with 42703",
                        [
                            use_place(function, use),
                            *(
                                Location.of(use_place(function, again), "used again here")
                                for again in uses[1:]
                            ),
                            Location.of(trigger.origin, "trigger created here"),
                        ],
                        objects=[function.label, f"{label}.{trigger.name}"],
                        fix=f"use a column of {label}, or add {use.name} to it",
                    )
