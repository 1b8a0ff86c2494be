"""Resumed simulation: the state after a prefix of files, restored, then the rest
applied, is the full simulation, statement for statement and event for event;
and a run that adds a file to a history the cache has seen reports what an
uncached run does, without simulating the history again."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from checker import simulator
from checker.cli import main
from checker.model import Layer
from checker.parsing import parse_statements
from checker.simulation import EventKind, ParsedStatement
from checker.simulator import simulate_from
from checker.sources import load_sources
from tests.support import CORPUS_ABSENT, FIXTURES, SIM_MIGRATIONS, drizzle_folder


def _parsed(*inputs: tuple[Path, Layer]) -> list[ParsedStatement]:
    return parse_statements(load_sources(list(inputs)).applied_statements)


def _file_bounds(parsed: Sequence[ParsedStatement]) -> list[int]:
    return [
        index
        for index in range(1, len(parsed) + 1)
        if index == len(parsed)
        or parsed[index].statement.migration is not parsed[index - 1].statement.migration
    ]


def _assert_resumes_exactly(parsed: Sequence[ParsedStatement], bounds: Sequence[int]) -> None:
    full, _ = simulate_from(parsed)
    for bound in bounds:
        _, taken = simulate_from(parsed, keep=bound)
        assert taken is not None and taken.covered == bound
        checkpoint = pickle.loads(pickle.dumps(taken))  # as the cache keeps it
        resumed, _ = simulate_from(parsed, resume=checkpoint)
        assert resumed.catalog == full.catalog, bound
        assert len(resumed.statements) == len(full.statements), bound
        # the same parsed statements; a DO body's statements are parsed again, equal
        pairs = zip(resumed.statements, full.statements, strict=True)
        assert all(a is b or (a.parent is not None and a == b) for a, b in pairs)
        assert resumed.events == full.events, bound
        top = [(a, b) for a, b in zip(resumed.events, full.events, strict=True)]
        assert all(a.statement is b.statement for a, b in top if b.statement.parent is None)


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_resuming_upstream_sims_history_at_any_file_gives_the_full_simulation() -> None:
    parsed = _parsed((SIM_MIGRATIONS, Layer.BASE))
    bounds = _file_bounds(parsed)
    assert len(bounds) > 290  # a file with no statement has no bound of its own
    _assert_resumes_exactly(parsed, [*bounds[:3], *bounds[3:-3:23], *bounds[-3:]])


def test_resuming_the_fixtures_at_every_file_gives_the_full_simulation() -> None:
    parsed = _parsed((FIXTURES / "sim", Layer.BASE), (FIXTURES / "parlant", Layer.EXTENSION))
    bounds = _file_bounds(parsed)
    assert len(bounds) > 10
    _assert_resumes_exactly(parsed, bounds)


def test_a_missing_object_the_later_files_create_is_created_later_after_a_resume(
    tmp_path: Path,
) -> None:
    folder = drizzle_folder(
        tmp_path,
        {
            "0000_refs": 'CREATE TABLE "t" ("id" int, "l" int REFERENCES "later"("id"));\n'
            'CREATE TABLE "u" ("id" int, "other" int REFERENCES "never"("id"));',
            "0001_temp": 'CREATE TEMP TABLE "scratch" ("id" int);\nSET search_path TO app, public;',
            "0002_later": 'CREATE TABLE "later" ("id" int PRIMARY KEY);\nCREATE SCHEMA app;',
            "0003_do": 'DO $$ BEGIN CREATE TABLE "in_do" ("id" int); '
            "EXCEPTION WHEN duplicate_table THEN null; END $$;",
            "0004_more": 'ALTER TABLE "in_do" ADD COLUMN "x" int;',
        },
    )
    parsed = _parsed((folder, Layer.BASE))
    full, _ = simulate_from(parsed)
    missing = [e for e in full.events if e.kind is EventKind.MISSING]
    assert {e.detail for e in missing} == {"created later", "never created"}
    _assert_resumes_exactly(parsed, _file_bounds(parsed))


def test_do_blocks_resume_exactly_with_their_body_statements_placed(tmp_path: Path) -> None:
    nested = 'DO $$ BEGIN DO $i$ BEGIN CREATE TABLE "a" ("id" int); END $i$; END $$;'
    flat = 'DO $$ BEGIN CREATE TABLE "b" ("id" int); CREATE INDEX ON "b" ("id"); END $$;'
    folder = drizzle_folder(
        tmp_path, {"0000_flat": flat, "0001_nested": nested, "0002_after": 'DROP TABLE "b";'}
    )
    parsed = _parsed((folder, Layer.BASE))
    full, _ = simulate_from(parsed)
    assert any(statement.parent is not None for statement in full.statements)
    _assert_resumes_exactly(parsed, _file_bounds(parsed))


def _check(arguments: list[str], report: Path) -> tuple[int, bytes]:
    code = main(["check", *arguments, "--format", "json", "-o", str(report)])
    return code, report.read_bytes()


def _count_resumes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    resumed: list[int] = []
    real = simulator.simulate_from

    def recording(*args: object, **kwargs: object) -> object:
        checkpoint = kwargs.get("resume")
        resumed.append(-1 if checkpoint is None else checkpoint.covered)  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(simulator, "simulate_from", recording)
    return resumed


def test_adding_a_file_to_a_seen_history_resumes_the_simulation_and_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMA_CHECK_CACHE_DIR", str(tmp_path / "cache"))
    history = tmp_path / "history"
    shutil.copytree(FIXTURES / "sim", history)
    resumed = _count_resumes(monkeypatch)
    _check([str(history)], tmp_path / "first.json")
    assert resumed == [-1]
    assert list((tmp_path / "cache" / "checkpoints").rglob("*"))  # the history's state is kept
    journal_path = history / "meta" / "_journal.json"
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    last = journal["entries"][-1]
    tag = "9999_added"
    journal["entries"].append({**last, "idx": last["idx"] + 1, "tag": tag})
    journal_path.write_text(json.dumps(journal), encoding="utf-8")
    (history / f"{tag}.sql").write_text(
        'ALTER TABLE "workflow" ADD COLUMN "added" text NOT NULL;\n'
        'CREATE INDEX "added_idx" ON "workflow" ("added");\n',
        encoding="utf-8",
    )
    cached = _check([str(history)], tmp_path / "cached.json")
    assert resumed[-1] > 0  # resumed after the history's files
    uncached = _check([str(history), "--no-cache"], tmp_path / "uncached.json")
    assert resumed[-1] == -1
    assert cached == uncached
    assert b"9999_added.sql" in cached[1]  # the new file was simulated and judged


def test_a_damaged_checkpoint_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SCHEMA_CHECK_CACHE_DIR", str(cache))
    history = tmp_path / "history"
    shutil.copytree(FIXTURES / "sim", history)
    _check([str(history)], tmp_path / "fill.json")
    extra = history / "9999_plain.sql"  # not in the journal: read, not applied
    resumed = _count_resumes(monkeypatch)
    for position in (0, 40, 500, -1):
        for entry in (p for p in (cache / "checkpoints").rglob("*") if p.is_file()):
            data = bytearray(entry.read_bytes())
            data[position] ^= 0xFF
            entry.write_bytes(bytes(data))
        extra.write_text(f"-- edit {position}\n", encoding="utf-8")  # a new run key each time
        damaged = _check([str(history)], tmp_path / f"damaged{position}.json")
        clean = _check([str(history), "--no-cache"], tmp_path / f"clean{position}.json")
        assert damaged == clean
    assert resumed and all(covered == -1 for covered in resumed)  # every entry was a miss


def test_a_checkpoint_that_does_not_fit_the_statements_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from checker.cache import Cache
    from checker.simulator.checkpoint import Checkpoint

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("SCHEMA_CHECK_CACHE_DIR", str(cache_dir))
    history = tmp_path / "history"
    shutil.copytree(FIXTURES / "sim", history)
    _check([str(history)], tmp_path / "fill.json")
    cache = Cache(cache_dir)
    entries = [p for p in (cache_dir / "checkpoints").rglob("*") if p.is_file()]
    assert entries
    for entry in entries:
        key = entry.parent.name + entry.name
        kept = cache.get("checkpoints", key)
        assert isinstance(kept, Checkpoint)
        # a well-formed entry whose places point past the statements (no digest catches it)
        cache.put("checkpoints", key, replace(kept, places=((10**6, -1), *kept.places)))
    (history / "9999_plain.sql").write_text("-- not in the journal\n", encoding="utf-8")
    resumed = _count_resumes(monkeypatch)
    assert _check([str(history)], tmp_path / "a.json") == _check(
        [str(history), "--no-cache"], tmp_path / "b.json"
    )
    assert resumed[0] > 0  # the entry was found, failed to fit, and the run simulated afresh
