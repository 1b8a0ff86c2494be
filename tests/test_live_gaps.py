"""Live verification against the server's own output: pg_dump's operator spelling
(LV502) and the sequences a table left behind by a failed run owns (LV506)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import run_sql

pytestmark = pytest.mark.live


def test_pg_dump_operator_schemas_in_a_domain_check_are_no_difference(
    tmp_path: Path, live_server: Any
) -> None:
    # pg_dump spells operators with their schema; the server prints them bare
    # (VALUE ~ '^[a-z]+$'::text), which is the same check.
    base = """
        CREATE DOMAIN public.slug AS text
            CONSTRAINT slug_check CHECK ((VALUE OPERATOR(pg_catalog.~) '^[a-z]+$'::text));
        CREATE DOMAIN public.positive AS integer
            CONSTRAINT positive_check CHECK ((VALUE OPERATOR(pg_catalog.>) 0));
        CREATE TABLE public.page (id integer NOT NULL, slug public.slug, rank public.positive);
    """
    result = run_sql(tmp_path, "SELECT 1;", base_sql=base, live=live_server)
    assert [f.message for f in result.findings if f.code == "LV502"] == []


def test_a_left_behind_table_is_one_finding_with_its_owned_sequences(
    tmp_path: Path, live_server: Any
) -> None:
    extension = """
        CREATE TABLE agent (id serial PRIMARY KEY, number bigint GENERATED ALWAYS AS IDENTITY);
        COMMIT;
        ALTER TABLE agent ADD CONSTRAINT agent_missing_fk FOREIGN KEY (id) REFERENCES missing (id);
    """
    result = run_sql(
        tmp_path, extension, base_sql="CREATE TABLE workspace (id int);", live=live_server
    )
    residue = [f for f in result.findings if f.code == "LV506"]
    assert [(f.message, f.objects) for f in residue] == [
        ("rolling back the failed extension run leaves table agent behind", ("agent",))
    ]
    assert all(f.locations for f in residue)
