"""HY803: a column of type money."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import alter_column_type, column_label, column_place, typed_columns


@register
class MoneyColumnRule(Rule):
    """A column stores the ``money`` type.

    What it does:
        Reports every column of the final schema whose type is ``money`` (or
        an array of it, or a domain over it).

    Why it matters:
        ``money`` has a fixed fractional precision and no currency: its
        values are read and printed in the currency of the server's
        ``lc_monetary`` setting, so a dump restored under another locale, or a
        changed setting, silently changes what every amount means. It cannot
        hold fractions of a cent (exchange rates, unit prices). PostgreSQL's
        wiki lists it under "Don't Do This".

    Example:
        CREATE TABLE invoice (id bigint PRIMARY KEY, total money NOT NULL);

    Use instead:
        CREATE TABLE invoice (
            id bigint PRIMARY KEY,
            total numeric(19, 4) NOT NULL,
            currency text NOT NULL
        );

    References:
        https://www.postgresql.org/docs/current/datatype-money.html
        https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_money
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/columns_with_money_type.md
    """

    meta = RuleMeta("HY803", "money-column", Severity.WARNING, "money column")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, column, stored in typed_columns(context.catalog, frozenset({"money"})):
            label = column_label(table, column.name)
            yield self.finding(
                f"Column {label} is money: its meaning depends on the server's lc_monetary "
                f"and it holds no currency; store numeric and a currency code",
                column_place(context, table, column),
                objects=[label],
                fix=alter_column_type(
                    table, column.name, "numeric(19, 4)" + "[]" * stored.array_dims
                ),
            )
