"""The lock probe's looks at pg_locks in a history checked file by file.

A file's pre-existing tables are known before its statements run, so a look reads only
the relations whose oids can be theirs (none when there is no table yet): the locks on
what the file itself makes are not read and thrown away after every statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from checker.live import DsnBackend
from checker.live.locks import _HELD, LockProbe, _held_on
from checker.model import Layer, Statement
from checker.sources import load_sources

pytestmark = pytest.mark.live


@pytest.fixture
def scratch(live_server: Any) -> Iterator[str]:
    with DsnBackend(live_server.conninfo).open() as database:
        yield database.conninfo


def test_a_look_reads_only_relations_that_can_be_pre_existing_tables(scratch: str) -> None:
    with psycopg.connect(scratch, autocommit=True) as connection:
        connection.execute("CREATE TABLE member (id integer PRIMARY KEY)")
        row = connection.execute("SELECT 'member'::regclass::oid::int8").fetchone()
        assert row is not None
        member = int(row[0])
        connection.execute("BEGIN")
        connection.execute("LOCK TABLE member IN SHARE MODE")
        connection.execute("CREATE TABLE note (id integer PRIMARY KEY)")  # ACCESS EXCLUSIVE
        row = connection.execute("SELECT 'note'::regclass::oid::int8").fetchone()
        assert row is not None
        note = int(row[0])
        every = {int(r[1]) for r in connection.execute(_HELD).fetchall()}
        narrowed = {int(r[1]) for r in connection.execute(_held_on({member: ("public", "member")}))}
        nothing = connection.execute(_held_on({})).fetchall()
        connection.execute("ROLLBACK")
    assert {member, note} <= every
    assert member in narrowed and note not in narrowed
    assert nothing == []


def statements(tmp_path: Path, text: str) -> list[Statement]:
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "0001_a.sql").write_text(text, encoding="utf-8")
    return list(load_sources([(folder, Layer.BASE)]).applied_statements)


def test_the_looks_of_a_file_are_planned_with_its_pre_existing_tables(
    tmp_path: Path, scratch: str
) -> None:
    """The plan ``inline`` hands over and the queries ``before``/``after`` ask are the same
    narrowed look (a batch's rows are matched to them query by query)."""
    with psycopg.connect(scratch, autocommit=True) as connection:
        probe = LockProbe(connection, None, layers=frozenset(Layer), per_file=True)
        probe.preset = {20000: ("public", "member"), 16390: ("public", "team")}
        plan = probe.inline(statements(tmp_path, "ALTER TABLE member ADD COLUMN email text;\n"))
    assert plan == [([], [_held_on(probe.preset)])]
    assert _held_on(probe.preset).endswith("<= 20000\n")
    assert _held_on(probe.preset) != _HELD


def test_a_probe_that_reads_its_base_itself_looks_at_every_relation(tmp_path: Path) -> None:
    """Without a base handed over (an extension's apply), the plan reads the base in the
    same round trip, so the looks cannot be narrowed yet."""
    probe = LockProbe(connection=None, runner=None, layers=frozenset(Layer))  # type: ignore[arg-type]
    plan = probe.inline(statements(tmp_path, "ALTER TABLE member ADD COLUMN x text;\n"))
    (ahead, behind) = plan[0]
    assert behind == [_HELD] and ahead[-1] == _HELD
