"""HY804: a serial column that is not the primary key."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import column_label
from rules.hygiene._serial import drop_serial_fix, serial_columns, serial_kind


@register
class SerialColumnRule(Rule):
    """A column outside the primary key is ``serial``, ``bigserial`` or ``smallserial``.

    What it does:
        Reports a column whose default is ``nextval()`` of a sequence the
        column owns (what the serial pseudo-types create) when the column is
        not part of the primary key, at the column's definition. Serial
        primary keys are HY805's (opt-in).

    Why it matters:
        A serial column numbers rows on its own. Outside the key that is
        rarely meant: a foreign key column declared ``bigserial`` (instead of
        ``bigint``) fills itself with sequence values that point at unrelated
        parent rows whenever the application omits it. Where a counter is
        really wanted, an identity column says so in standard SQL, and its
        sequence cannot be dropped or shared by mistake.

    Example:
        CREATE TABLE comment (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            post_id bigserial NOT NULL
        );

    Use instead:
        CREATE TABLE comment (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            post_id bigint NOT NULL
        );

    References:
        https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-SERIAL
        https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_serial
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/columns_with_serial_types.md
    """

    meta = RuleMeta(
        "HY804", "serial-column", Severity.WARNING, "serial column that is not the primary key"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, column, in_key in serial_columns(context.catalog):
            if in_key:
                continue
            label = column_label(table, column.name)
            yield self.finding(
                f"Column {label} is {serial_kind(column)} but not the primary key: it fills "
                f"itself from a sequence whenever a row omits it; use {column.type.name} "
                f"(or an identity column if a counter is meant)",
                column.origin,
                objects=[label],
                fix=drop_serial_fix(context.catalog, table, column),
            )
