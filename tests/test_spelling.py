"""Spelling-blind comparison of expressions: what two catalogs print differently for one
meaning (interval constants, schema-qualified function calls)."""

from __future__ import annotations

from typing import Any

import pytest

from checker.catalog import QualifiedName
from checker.spelling import ExpressionKind, interval_text, loose_form, same_expression

TABLE: QualifiedName = ("public", "t")

# Interval texts as people write them; the server says how it prints each one.
WRITTEN = [
    "1 month",
    "1 mon",
    "2 months",
    "1 year",
    "3 years 1 month",
    "1 year 2 months 3 days 4 hours 5 minutes 6 seconds",
    "30 days",
    "1 day",
    "1 week",
    "2 weeks 1 day",
    "1 hour",
    "90 minutes",
    "2 hours 30 mins",
    "1.5 hours",
    "45 secs",
    "1 hour 1.5 seconds",
    "250 milliseconds",
    "01:30:00",
    "1 day 01:00:00",
    "1 day ago",
    "-1 month",
    "-13 months",
    "-1 year",
    "-2 days",
    "1 year 1 month",
    "1 year -1 month",
    "@ 1 hour",
    "1 decade",
    "  2   DAYS ",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_interval_text_is_what_postgresql_prints(written: str, live_server: Any) -> None:
    import psycopg

    with psycopg.connect(live_server.conninfo, autocommit=True) as connection:
        connection.execute("SET IntervalStyle = postgres")
        row = connection.execute("SELECT %s::interval::text", (written,)).fetchone()
    assert row is not None
    assert interval_text(written) == row[0]


@pytest.mark.parametrize("written", ["P1M", "1-2", "", "soon", "1 fortnight", "1.5 months"])
def test_interval_text_leaves_other_forms_alone(written: str) -> None:
    assert interval_text(written) is None


def test_interval_defaults_of_one_value_compare_equal() -> None:
    for left, right in [
        ("now() + '1 mon'::interval", "now() + interval '1 month'"),
        ("now() + CAST('1 month' AS interval)", "(now() + '1 mon'::interval)"),
        ("'01:00:00'::interval", "'1 hour'::interval"),
    ]:
        assert same_expression(left, right, kind=ExpressionKind.DEFAULT, table=TABLE)


def test_interval_defaults_of_other_values_differ() -> None:
    for left, right in [
        ("now() + '1 mon'::interval", "now() + interval '30 days'"),
        ("'1 hour'::interval", "'1 minute'::interval"),
        ("'1 month'::text", "'1 mon'::text"),  # not an interval: the text itself
    ]:
        assert not same_expression(left, right, kind=ExpressionKind.DEFAULT, table=TABLE)


def test_function_schema_on_the_search_path_is_spelling() -> None:
    # pg_dump qualifies a Supabase project's extension functions; schema files do not
    assert loose_form("extensions.uuid_generate_v4()") == loose_form("uuid_generate_v4()")
    assert loose_form("public.next_id(1)") == loose_form("next_id(1)")
    assert loose_form("pg_catalog.now()") == loose_form("now()")


def test_function_of_another_schema_is_not_spelling() -> None:
    assert loose_form("billing.next_id(1)") != loose_form("next_id(1)")
    assert loose_form("billing.next_id(1)") != loose_form("extensions.next_id(1)")
