"""HY802: a column of type json where jsonb is meant."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import alter_column_type, column_label, column_place, typed_columns


@register
class JsonColumnRule(Rule):
    """A column stores ``json`` rather than ``jsonb``.

    What it does:
        Reports every column of the final schema whose type is ``json`` (or
        an array of it, or a domain over it), at the statement that gave the
        column that type.

    Why it matters:
        ``json`` keeps the input text and reparses it on every access;
        ``jsonb`` is stored parsed. Only ``jsonb`` has the equality operator,
        so DISTINCT, GROUP BY, UNION and comparisons fail on ``json``
        ("could not identify an equality operator for type json"), and only
        ``jsonb`` has GIN operator classes and the containment and existence
        operators (``@>``, ``?``). PostgreSQL's documentation recommends
        ``jsonb`` unless key order or duplicate keys must survive.

    Example:
        CREATE TABLE workflow (id text PRIMARY KEY, state json NOT NULL);

    Use instead:
        CREATE TABLE workflow (id text PRIMARY KEY, state jsonb NOT NULL);

    References:
        https://www.postgresql.org/docs/current/datatype-json.html
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/columns_with_json_type.md
    """

    meta = RuleMeta("HY802", "json-column", Severity.WARNING, "json column instead of jsonb")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, column, stored in typed_columns(context.catalog, frozenset({"json"})):
            label = column_label(table, column.name)
            new_type = "jsonb" + "[]" * stored.array_dims
            yield self.finding(
                f"Column {label} is {column.type}: json is reparsed on every access, has no "
                f"equality operator (DISTINCT, GROUP BY fail) and no GIN index; use jsonb",
                column_place(context, table, column),
                objects=[label],
                fix=alter_column_type(table, column.name, new_type),
            )
