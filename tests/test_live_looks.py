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
from support import findings_at, run_live

from checker.live import DsnBackend
from checker.live.locks import _HELD, _LOOK, LockProbe, _held_on
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


def test_a_file_s_looks_execute_the_look_prepared_once(tmp_path: Path, scratch: str) -> None:
    """A history's files look with the prepared look: the same rows as the look sent as
    text, without parsing and planning it again for each of the ~1400 looks of a history."""
    with psycopg.connect(scratch, autocommit=True) as connection:
        connection.execute("CREATE TABLE member (id integer PRIMARY KEY)")
        row = connection.execute("SELECT 'member'::regclass::oid::int8").fetchone()
        assert row is not None
        base = {int(row[0]): ("public", "member")}
        probe = LockProbe(connection, None, layers=frozenset(Layer), per_file=True)
        probe.preset = dict(base)
        step = statements(tmp_path, "ALTER TABLE member ADD COLUMN email text;\n")
        probe.prepare_looks(step)
        plan = probe.inline(step)
        connection.execute("BEGIN")
        connection.execute("LOCK TABLE member IN SHARE MODE")
        executed = connection.execute(plan[0][1][0]).fetchall()
        text = connection.execute(_held_on(base)).fetchall()
        connection.execute("ROLLBACK")
        probe.prepare_looks(step)  # prepared already: nothing to do
    assert plan == [([], [f"EXECUTE {_LOOK}({max(base)})"])]
    assert executed == text and [(int(r[1]), r[2]) for r in executed] == [(max(base), "ShareLock")]


def test_a_file_that_deallocates_prepared_statements_is_watched_all_through(
    tmp_path: Path, live_server: Any
) -> None:
    """DEALLOCATE ALL in a file would take the prepared look away in the middle of it: that
    file looks with the look as text, and the next file has it prepared again."""
    history = tmp_path / "history"
    history.mkdir()
    files = {
        "0001_account.sql": "CREATE TABLE account (id serial PRIMARY KEY, name text);\n",
        "0002_deallocate.sql": (
            "ALTER TABLE account ADD COLUMN plan text;\n"
            "DEALLOCATE ALL;\n"
            "CREATE INDEX account_plan_idx ON account (plan);\n"
        ),
        "0003_index.sql": "CREATE INDEX account_name_idx ON account (name);\n",
    }
    for name, text in files.items():
        (history / name).write_text(text, encoding="utf-8")
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    assert [(name, line) for name, line, _ in findings_at(result, "LV505")] == [
        ("0002_deallocate.sql", 1),
        ("0002_deallocate.sql", 3),
        ("0003_index.sql", 1),
    ]
    assert findings_at(result, "LV501") == []


def test_the_prepared_look_outlives_psycopg_s_own_prepared_statements(
    tmp_path: Path, scratch: str
) -> None:
    """psycopg prepares a query it has run five times, and after a DROP or ALTER deallocates
    every prepared statement of the session: not on a connection the probe looks on."""
    with psycopg.connect(scratch, autocommit=True) as connection:
        probe = LockProbe(connection, None, layers=frozenset(Layer), per_file=True)
        probe.preset = {20000: ("public", "member")}
        probe.prepare_looks(statements(tmp_path, "CREATE TABLE note (id integer);\n"))
        for _ in range(6):
            connection.execute("SELECT 1").fetchall()
        connection.execute("CREATE TABLE gone (id integer)")
        connection.execute("DROP TABLE gone")
        names = [name for (name,) in connection.execute("SELECT name FROM pg_prepared_statements")]
    assert names == [_LOOK]


def test_the_main_apply_of_a_history_alone_asks_no_lock_probe(
    tmp_path: Path, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main apply's lock probe watches a change's statements only: for a history checked
    alone it is not asked about each statement (the history's locks are the populated-table
    probe's, file by file), and the findings are the same."""
    asked: list[str] = []
    before = LockProbe.before

    def counting(self: LockProbe, statement: Statement) -> None:
        if not self.per_file:
            asked.append(statement.text)
        before(self, statement)

    monkeypatch.setattr(LockProbe, "before", counting)
    history = tmp_path / "history"
    history.mkdir()
    (history / "0001_a.sql").write_text("CREATE TABLE a (id integer PRIMARY KEY);\n")
    (history / "0002_b.sql").write_text("ALTER TABLE a ADD COLUMN b text;\n")
    result = run_live([(history, Layer.BASE)], None, None, live_server)
    assert asked == []
    assert [(name, line) for name, line, _ in findings_at(result, "LV505")] == [("0002_b.sql", 1)]
