"""HY805 (opt-in): a serial primary key, where an identity column is the standard form."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import column_label
from rules.hygiene._serial import identity_fix, serial_columns, serial_kind


@register
class SerialPrimaryKeyRule(Rule):
    """A primary key column is ``serial`` or ``bigserial`` instead of an identity column.

    What it does:
        Reports a primary key column whose default is ``nextval()`` of a
        sequence the column owns, at the column's definition. Opt-in (group
        ``hygiene-preferences``): serial keys work, and many schemas use them
        on purpose.

    Why it matters:
        ``GENERATED ... AS IDENTITY`` is the SQL-standard form of the same
        thing, with fewer ways to go wrong: its sequence belongs to the column
        (no separate grant, no DROP SEQUENCE that breaks inserts), ``ALWAYS``
        refuses hand-written ids that later collide with the sequence, and
        CREATE TABLE ... (LIKE ...) copies it correctly.

    Example:
        CREATE TABLE account (id bigserial PRIMARY KEY, name text NOT NULL);

    Use instead:
        CREATE TABLE account (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL
        );

    References:
        https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-PARMS-GENERATED-IDENTITY
        https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_serial
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/primary_keys_with_serial_types.md
    """

    meta = RuleMeta(
        "HY805",
        "serial-primary-key",
        Severity.WARNING,
        "serial primary key instead of an identity column",
        group="hygiene-preferences",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, column, in_key in serial_columns(context.catalog):
            if not in_key:
                continue
            label = column_label(table, column.name)
            yield self.finding(
                f"Primary key column {label} is {serial_kind(column)}: prefer "
                f"{column.type.name} GENERATED ALWAYS AS IDENTITY",
                column.origin,
                objects=[label],
                fix=identity_fix(context.catalog, table, column),
            )
