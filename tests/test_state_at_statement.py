"""IX305, IX306 and MG409 judge a change's statement with the base as a live database holds
it (an initial catalog, not simulated), then with what the change itself did before that
statement: never with what a later statement of the change leaves."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main

BASE = """
CREATE TABLE account (id text PRIMARY KEY, handle text);
CREATE TABLE plain_log (id bigint NOT NULL, created_at timestamp NOT NULL);
CREATE TABLE event_log (id bigint NOT NULL, created_at timestamp NOT NULL)
    PARTITION BY RANGE (created_at);
CREATE FUNCTION fold(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN lower(v); END $$;
CREATE FUNCTION stamp(v text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN v; END $$;
CREATE FUNCTION pick() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
"""

# Line numbers matter: the test expects findings on lines 2, 3, 5 and 7.
CHANGE = """-- each statement sees the base's functions and tables, and nothing later below
CREATE INDEX account_stamp_idx ON account (stamp(handle));
ALTER TABLE account ADD COLUMN bucket integer DEFAULT pick();
CREATE INDEX account_fold_idx ON account (fold(handle));
CREATE TABLE plain_log_2024 PARTITION OF plain_log
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE event_log_2024 PARTITION OF event_log
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE OR REPLACE FUNCTION stamp(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN v; END $$;
CREATE OR REPLACE FUNCTION pick() RETURNS integer LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN 1; END $$;
CREATE OR REPLACE FUNCTION fold(v text) RETURNS text LANGUAGE plpgsql VOLATILE
    AS $$ BEGIN RETURN lower(v); END $$;
DROP TABLE event_log;
CREATE TABLE event_log (id bigint NOT NULL, created_at timestamp NOT NULL);
"""


@pytest.fixture
def base_url(live_server: Any) -> Iterator[str]:
    import psycopg

    dbname = "schema_check_test_state_at_statement"
    with psycopg.connect(live_server.conninfo, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {dbname}")
        admin.execute(f"CREATE DATABASE {dbname}")
    parts = urllib.parse.urlsplit(live_server.conninfo)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{dbname}"))
    try:
        with psycopg.connect(url) as connection, connection.transaction():
            connection.execute(BASE.encode("utf-8"))  # DDL as written, no parameters
        yield url
    finally:
        with psycopg.connect(live_server.conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {dbname}")


@pytest.mark.live
def test_a_database_base_is_the_state_before_the_change(base_url: str, tmp_path: Path) -> None:
    change = tmp_path / "0001_change.sql"
    change.write_text(CHANGE, encoding="utf-8")
    out = tmp_path / "out.json"
    arguments = ["--base", base_url, "--extension", str(change), "--no-cache"]
    selected = ["--select", "IX305,IX306,MG409", "--format", "json", "-o", str(out)]
    assert main(["check", *arguments, *selected]) == 1
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert sorted((f["code"], f["location"]["line"]) for f in findings) == [
        ("IX305", 2),  # stamp() is VOLATILE in the base; made IMMUTABLE only later
        ("IX306", 5),  # plain_log is a plain table in the base
        ("MG409", 2),  # a plain CREATE INDEX on a base table
        ("MG409", 3),  # pick() is VOLATILE in the base: the table is rewritten
        ("MG409", 4),
    ]
    messages = {(f["code"], f["location"]["line"]): f["message"] for f in findings}
    assert "stamp(), which is volatile" in messages[("IX305", 2)]
    assert "pick(), which is volatile" in messages[("MG409", 3)]
    assert "plain_log is not a partitioned table" in messages[("IX306", 5)]
