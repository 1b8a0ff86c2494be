"""Work shared with a forked copy gives the results the process alone gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.parallel import Background, available_cores, run_shared
from tests.support import CORPUS_ABSENT, REPO, SIM_MIGRATIONS

needs_two = pytest.mark.skipif(
    available_cores() < 2, reason="one usable CPU (or no fork): nothing is shared"
)


def _square_and_pid(value: int) -> tuple[int, int]:
    time.sleep(0.005)  # long enough for the copy to start before this process takes all
    return value * value, os.getpid()


@needs_two
def test_tasks_are_shared_and_results_keep_their_order() -> None:
    results = run_shared(list(range(40)), _square_and_pid, pinned=3)
    assert [square for square, _ in results] == [value * value for value in range(40)]
    here = os.getpid()
    assert all(pid == here for _, pid in results[:3]), "a pinned task ran in the copy"
    assert {pid for _, pid in results} - {here}, "no task ran in the forked copy"


def test_one_job_runs_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA_CHECK_JOBS", "1")
    assert available_cores() == 1
    results = run_shared(list(range(10)), _square_and_pid)
    assert {pid for _, pid in results} == {os.getpid()}
    assert Background(lambda: os.getpid()).result() == os.getpid()


@needs_two
def test_a_copy_that_dies_costs_time_not_results() -> None:
    parent = os.getpid()

    def fragile(value: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # the copy dies on its first task
        return value + 1

    assert run_shared(list(range(20)), fragile) == [value + 1 for value in range(20)]

    def dies_in_copy() -> str:
        if os.getpid() != parent:
            raise RuntimeError("lost")
        return "computed here"

    assert Background(dies_in_copy).result() == "computed here"


@needs_two
def test_background_value_comes_from_the_copy() -> None:
    value, pid = Background(lambda: ({"tables": ("a", "b")}, os.getpid())).result()
    assert value == {"tables": ("a", "b")}
    assert pid != os.getpid()


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_sim_history_findings_do_not_depend_on_sharing(tmp_path: Path) -> None:
    """Sim's 299 migrations are large enough to share the rules (and to build the
    snapshot's catalog in a copy): the JSON is byte-identical to one process's."""
    outputs = [
        _json_output(tmp_path, jobs, [str(SIM_MIGRATIONS), "--no-cache"], cwd=tmp_path)
        for jobs in ("1", "")
    ]
    assert json.loads(outputs[0])["summary"]["total"] > 800
    assert outputs[0] == outputs[1]


@needs_two
def test_a_value_given_up_leaves_no_process_behind() -> None:
    pending = Background(lambda: "x" * 1_000_000)  # more than a pipe holds: the copy blocks
    child = pending._child
    assert child > 0
    pending.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # already waited for: no such child any more
    assert pending.result() == "x" * 1_000_000  # asked after all: computed here


@needs_two
def test_a_copy_forks_no_further_copy() -> None:
    cores, shared_pids = Background(
        lambda: (available_cores(), {pid for _, pid in run_shared(list(range(8)), _square_and_pid)})
    ).result()
    assert cores == 1
    assert len(shared_pids) == 1  # the copy ran every task itself


@needs_two
def test_a_copy_that_holds_a_core_leaves_this_process_one() -> None:
    pending = Background(lambda: os.getpid(), holds_core=True)
    assert available_cores() == 1
    assert {pid for _, pid in run_shared(list(range(8)), _square_and_pid)} == {os.getpid()}
    assert pending.result() != os.getpid()
    assert available_cores() == 2


@needs_two
def test_a_cancelled_copy_is_stopped_and_reaped() -> None:
    pending = Background(lambda: time.sleep(600), holds_core=True)
    child = pending._child
    assert child > 0
    pending.cancel()  # returns only once the copy is gone: it does not sleep on
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)
    assert available_cores() == 2


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_since_findings_do_not_depend_on_checking_the_base_aside(tmp_path: Path) -> None:
    """A `--since` run checks the merge base in a forked copy while it checks the
    change: the JSON is byte-identical to one process's."""
    import shutil

    from tests.support import commit_all

    repo = tmp_path / "repo"
    shutil.copytree(SIM_MIGRATIONS, repo / "migrations")
    commit_all(repo, "history")
    (repo / "migrations" / "9999_change.sql").write_text(
        'ALTER TABLE "workflow" ADD COLUMN "reviewed_at" timestamp NOT NULL;\n', encoding="utf-8"
    )
    journal = repo / "migrations" / "meta" / "_journal.json"
    entries = json.loads(journal.read_text(encoding="utf-8"))
    last = entries["entries"][-1]
    entries["entries"].append({**last, "idx": last["idx"] + 1, "tag": "9999_change"})
    journal.write_text(json.dumps(entries), encoding="utf-8")
    outputs = [
        _json_output(tmp_path, jobs, ["migrations", "--since", "HEAD", "--no-cache"], cwd=repo)
        for jobs in ("1", "")
    ]
    change = json.loads(outputs[0])["change"]
    assert change["introduced"] >= 1 and change["pre_existing"] > 800
    assert outputs[0] == outputs[1]


def _json_output(tmp_path: Path, jobs: str, arguments: list[str], *, cwd: Path) -> bytes:
    """The JSON report of ``schema-check check ARGUMENTS`` with SCHEMA_CHECK_JOBS=jobs."""
    out = tmp_path / f"jobs{jobs or 'auto'}.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCHEMA_CHECK_JOBS": jobs}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "checker.cli",
            "check",
            *arguments,
            "--format",
            "json",
            "-o",
            str(out),
        ],
        env=env,
        cwd=cwd,
        check=False,
        capture_output=True,
    )
    return out.read_bytes()
