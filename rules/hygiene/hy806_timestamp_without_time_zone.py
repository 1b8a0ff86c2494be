"""HY806 (opt-in): timestamp without time zone, or time with time zone."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import (
    TIMESTAMP,
    TIMETZ,
    alter_column_type,
    column_label,
    column_place,
    typed_columns,
)


@register
class TimestampWithoutTimeZoneRule(Rule):
    """A column is ``timestamp`` (without time zone) or ``timetz``.

    What it does:
        Reports every column of the final schema whose type is ``timestamp
        without time zone`` or ``time with time zone`` (arrays and domains
        included). Opt-in (group ``hygiene-preferences``): a schema that
        stores UTC everywhere by convention works with ``timestamp``.

    Why it matters:
        ``timestamp`` records a wall-clock reading, not an instant: the same
        value means different moments for sessions in different time zones,
        ``now()`` is converted to the session's zone before it is stored, and
        arithmetic across a daylight-saving change is off by an hour.
        ``timestamptz`` stores the instant (in UTC) and converts on output.
        ``timetz`` is a time of day with an offset but no date, so it cannot
        know daylight saving; PostgreSQL's documentation advises against it.

    Example:
        CREATE TABLE session (id uuid PRIMARY KEY, started_at timestamp NOT NULL DEFAULT now());

    Use instead:
        CREATE TABLE session (id uuid PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now());

    References:
        https://www.postgresql.org/docs/current/datatype-datetime.html
        https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_timestamp_.28without_time_zone.29
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/columns_with_timestamp_or_timetz_type.md
    """

    meta = RuleMeta(
        "HY806",
        "timestamp-without-time-zone",
        Severity.WARNING,
        "timestamp without time zone (or timetz) column",
        group="hygiene-preferences",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, column, stored in typed_columns(context.catalog, frozenset({TIMESTAMP, TIMETZ})):
            label = column_label(table, column.name)
            arrays = "[]" * stored.array_dims
            if stored.name == TIMESTAMP:
                message = (
                    f"Column {label} is {column.type}: it stores a wall-clock reading, "
                    f"not an instant; use timestamptz"
                )
            else:
                message = (
                    f"Column {label} is {column.type}: a time of day with an offset but no "
                    f"date cannot follow daylight saving; use timestamptz (or time)"
                )
            yield self.finding(
                message,
                column_place(context, table, column),
                objects=[label],
                fix=alter_column_type(table, column.name, "timestamptz" + arrays),
            )
