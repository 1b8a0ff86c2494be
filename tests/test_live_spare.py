"""The spare embedded cluster: a history's populated-table probe runs on a server of its own.

It is started beside the main cluster, stopped and deleted with it on every exit path (an
error, SIGTERM, Ctrl-C), and a killed run's spare is removed by the next run, as its main
cluster is. Findings are the same as when the probe runs on a copy on the main server.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support import killed_after_first_line, process_runs

import checker.live.backends as backends
from checker.config import Settings
from checker.engine import analyse
from checker.live import DsnBackend, EmbeddedBackend, verify
from checker.live.backends import SpareCluster
from checker.model import Layer

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
# what a child process's script imports to run a verification
_SCRIPT_SETUP = (
    "from checker.config import Settings\n"
    "from checker.engine import analyse\n"
    "from checker.live import EmbeddedBackend, verify\n"
    "from checker.model import Layer\n"
    "import rules\n"
    "rules.load_builtin_rules()\n"
)

# a table filled by an earlier file, then changed in ways that fail on its row (LV507) and
# under heavy locks (LV505); a trigger fired once the history is applied
HISTORY = {
    "0001_user.sql": "CREATE TABLE member (id integer PRIMARY KEY, name text);\n",
    "0002_note.sql": "CREATE TABLE note (id integer PRIMARY KEY, member_id integer);\n"
    "CREATE INDEX note_member_idx ON note (member_id);\n",
    "0003_change.sql": "ALTER TABLE member ADD COLUMN email text NOT NULL;\n"
    "ALTER TABLE note ADD CONSTRAINT note_member_fk FOREIGN KEY (member_id) "
    "REFERENCES member (id);\n"
    "CREATE INDEX member_name_idx ON member (name);\n",
}


@pytest.fixture
def clusters() -> Iterator[Path]:
    """A folder for the clusters with a short path: a server's socket goes in its data
    folder, and a socket path has at most 107 bytes (pytest's tmp_path is longer)."""
    folder = Path(tempfile.mkdtemp(prefix="sc-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def write_history(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def emptied(folder: Path, timeout: float = 30.0) -> bool:
    """Whether ``folder`` is empty within ``timeout`` seconds: after a normal exit, a spare
    is deleted in the background."""
    deadline = time.monotonic() + timeout
    while any(folder.iterdir()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def postmaster_of(folder: Path) -> int:
    """The postmaster's pid, once the server has written its pid file (the file exists,
    empty, for a moment before its first line is in)."""
    deadline = time.monotonic() + 30
    while True:
        lines = (folder / "data" / "postmaster.pid").read_text().split()
        if lines or time.monotonic() > deadline:
            return int(lines[0])
        time.sleep(0.01)


def spare_of(backend: EmbeddedBackend) -> Any:
    """``backend.spare()`` entered by hand, for a test that looks at it between steps."""
    manager = backend.spare()
    spare = manager.__enter__()
    assert isinstance(spare, SpareCluster)
    return manager, spare


def test_spare_cluster_answers_and_is_stopped_and_removed_on_exit(clusters: Path) -> None:
    with EmbeddedBackend().open():
        pass  # the template cache exists from here on
    with EmbeddedBackend(parent=str(clusters)).spare() as spare:
        assert spare is not None
        conninfo = spare.conninfo()
        assert conninfo is not None, spare.error
        with psycopg.connect(conninfo) as connection:
            row = connection.execute("SHOW server_version_num").fetchone()
        assert row is not None and int(row[0]) >= 180000
        (folder,) = list(clusters.iterdir())
        postmaster = postmaster_of(folder)
        assert process_runs(postmaster)
    assert emptied(clusters)
    assert not process_runs(postmaster)


def test_spare_cluster_is_removed_when_the_body_raises(clusters: Path) -> None:
    with pytest.raises(RuntimeError), EmbeddedBackend(parent=str(clusters)).spare() as spare:
        assert spare is not None and spare.conninfo() is not None
        postmaster = postmaster_of(spare.folder)
        raise RuntimeError("boom")
    assert list(clusters.iterdir()) == []
    assert not process_runs(postmaster)


def test_spare_cluster_released_before_it_is_ready_never_starts_a_server(
    clusters: Path,
) -> None:
    manager, spare = spare_of(EmbeddedBackend(parent=str(clusters)))
    spare.release()  # at once, while the template is being copied
    manager.__exit__(None, None, None)
    assert emptied(clusters)
    assert spare.conninfo(timeout=0) is None


def test_spares_and_main_clusters_of_a_killed_run_are_removed_by_the_next_run(
    clusters: Path,
) -> None:
    script = (
        "import time\n"
        "from checker.live.backends import EmbeddedBackend\n"
        f"backend = EmbeddedBackend(parent={str(clusters)!r})\n"
        "with backend.spare() as spare, backend.open() as db:\n"
        "    print(spare.conninfo(), flush=True)\n"
        "    time.sleep(120)\n"
    )
    # no finally runs in the killed child: both servers and folders stay behind
    conninfo = killed_after_first_line(script)
    leftovers = sorted(clusters.iterdir())
    assert len(leftovers) == 2
    postmasters = [postmaster_of(folder) for folder in leftovers]
    with psycopg.connect(conninfo) as connection:  # the spare still answers
        connection.execute("SELECT 1")
    with EmbeddedBackend(parent=str(clusters)).open():
        assert not any(folder.exists() for folder in leftovers)
    assert list(clusters.iterdir()) == []
    assert not any(process_runs(pid) for pid in postmasters)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_verify_stops_and_removes_both_clusters(
    tmp_path: Path, clusters: Path, signum: signal.Signals
) -> None:
    """Ctrl-C or SIGTERM while the probe runs on the spare: nothing stays behind."""
    history = write_history(tmp_path / "history", HISTORY)
    parent = clusters
    script = (
        "import time\n"
        "import checker.live.populated as populated\n"
        + _SCRIPT_SETUP
        + "def slow(*args, **kwargs):\n"
        "    print('probing', flush=True)\n"
        "    kwargs['stop'].wait(120)\n"
        "    raise populated.PopulatedRunStopped\n"
        "populated.run_populated = slow\n"
        f"result = analyse(Settings(), [({str(history)!r}, Layer.BASE)])\n"
        "verify(result.sources.applied_statements, result.simulation.catalog, Settings(),\n"
        f"       backend=EmbeddedBackend(parent={str(parent)!r}))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "probing"  # on the spare, maybe before the main
    folders = sorted(parent.iterdir())
    assert len(folders) == 2  # the main cluster and the spare
    deadline = time.monotonic() + 60
    while not all((folder / "data" / "postmaster.pid").exists() for folder in folders):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    postmasters = [postmaster_of(folder) for folder in folders]
    child.send_signal(signum)
    assert child.wait(timeout=60) != 0
    assert list(parent.iterdir()) == []
    assert not any(process_runs(pid) for pid in postmasters)


def findings_of(history: Path, backend: Any) -> tuple[list[Any], dict[str, float]]:
    result = analyse(Settings(), [(history, Layer.BASE)])
    report = verify(
        result.sources.applied_statements, result.simulation.catalog, Settings(), backend=backend
    )
    return list(report.findings), dict(report.timings)


def test_the_probe_on_the_spare_finds_what_it_finds_on_the_main_server(
    tmp_path: Path, clusters: Path, live_server: Any
) -> None:
    history = write_history(tmp_path / "history", HISTORY)
    parent = clusters
    on_spare, timings = findings_of(history, EmbeddedBackend(parent=str(parent)))
    on_copy, copy_timings = findings_of(history, DsnBackend(live_server.admin_conninfo))
    assert "probe_server_start" in timings and "probe_server_start" not in copy_timings
    codes = sorted(f.code for f in on_spare)
    assert "LV507" in codes and "LV505" in codes
    assert on_spare == on_copy
    assert emptied(parent)


def test_a_spare_that_cannot_start_leaves_the_probe_on_the_main_server(
    tmp_path: Path, clusters: Path, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(template: Path, pgdata: Path, owner: Any) -> None:
        raise OSError("no room for the copy")

    monkeypatch.setattr(backends, "_copy_template", broken)
    history = write_history(tmp_path / "history", HISTORY)
    parent = clusters
    fallback, timings = findings_of(history, EmbeddedBackend(parent=str(parent)))
    on_copy, _ = findings_of(history, DsnBackend(live_server.admin_conninfo))
    assert "probe_server_start" not in timings
    assert "populated_probe" in timings
    assert fallback == on_copy
    assert emptied(parent)


def test_the_spare_has_the_migrators_own_tables_as_the_main_server_does(
    tmp_path: Path, clusters: Path, live_server: Any
) -> None:
    """The migrator made schema_migrations before the first migration: on the spare too, so
    a change to it fails once it holds a row there as it does on a copy of the main server."""
    history = write_history(
        tmp_path / "history",
        {
            "0001_init.up.sql": "CREATE TABLE account (id bigint PRIMARY KEY);\n",
            "0002_more.up.sql": "ALTER TABLE schema_migrations ADD COLUMN v int NOT NULL;\n",
        },
    )
    result = analyse(Settings(), [(history, Layer.BASE)])
    reports = [
        verify(
            result.sources.applied_statements,
            result.simulation.catalog,
            Settings(),
            backend=backend,
            migrator_tables=[("public", "schema_migrations")],
        )
        for backend in (
            EmbeddedBackend(parent=str(clusters)),
            DsnBackend(live_server.admin_conninfo),
        )
    ]
    assert "probe_server_start" in reports[0].timings
    assert [f.code for f in reports[0].findings if f.code == "LV507"] == ["LV507"]
    assert reports[0].findings == reports[1].findings
    assert emptied(clusters)


def test_the_main_server_is_stopped_before_the_probe_on_the_spare_is_waited_for(
    tmp_path: Path, clusters: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe on the spare needs nothing of the main server: its stop goes on beside it."""
    import importlib

    verifier = importlib.import_module("checker.live.verify")
    spares: list[Path] = []
    seen: list[set[Path]] = []
    original = verifier._populated_findings

    class Recorded(SpareCluster):
        def __init__(self, parent: Path, template: Path) -> None:
            super().__init__(parent, template)
            spares.append(self.folder)

    def looking(*args: Any, **kwargs: Any) -> Any:
        seen.append(set(clusters.iterdir()) - set(spares))
        return original(*args, **kwargs)

    monkeypatch.setattr(backends, "SpareCluster", Recorded)
    monkeypatch.setattr(verifier, "_populated_findings", looking)
    history = write_history(tmp_path / "history", HISTORY)
    findings, timings = findings_of(history, EmbeddedBackend(parent=str(clusters)))
    assert "probe_server_start" in timings and "populated_wait" in timings
    assert len(spares) == 1
    assert seen == [set()]  # the main cluster was gone already
    assert "LV507" in [f.code for f in findings]
    assert emptied(clusters)


def test_a_run_that_ends_normally_leaves_no_spare_behind(tmp_path: Path, clusters: Path) -> None:
    """The spare is deleted in the background after a run: the process waits for that
    before it exits (here the deletion is made to take a second)."""
    history = write_history(tmp_path / "history", HISTORY)
    script = (
        "import time\n"
        "import checker.live.backends as backends\n"
        "remove = backends._remove_tree\n"
        "def slow(folder):\n"
        "    time.sleep(1)\n"
        "    remove(folder)\n"
        "backends._remove_tree = slow\n"
        + _SCRIPT_SETUP
        + f"result = analyse(Settings(), [({str(history)!r}, Layer.BASE)])\n"
        "report = verify(result.sources.applied_statements, result.simulation.catalog,\n"
        f"    Settings(), backend=EmbeddedBackend(parent={str(clusters)!r}))\n"
        "assert 'probe_server_start' in report.timings\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert list(clusters.iterdir()) == []


def test_a_run_whose_main_server_fails_does_not_wait_for_a_spare_still_starting(
    tmp_path: Path, clusters: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main server cannot start while the spare is not up yet: the run fails at once and
    stops the spare (its probe waits for it up to a minute otherwise)."""
    from checker.errors import BackendUnavailable

    def hanging(self: SpareCluster) -> str:
        while not self._closing:
            time.sleep(0.01)
        raise BackendUnavailable("stopped before it was ready")

    def failing(pgdata: Path, template_cache: Path | None) -> None:
        raise BackendUnavailable("embedded backend: server did not start")

    monkeypatch.setattr(SpareCluster, "_launch", hanging)
    monkeypatch.setattr(backends, "_start_embedded", failing)
    history = write_history(tmp_path / "history", HISTORY)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="did not start"):
        findings_of(history, EmbeddedBackend(parent=str(clusters)))
    assert time.monotonic() - started < 20
    assert emptied(clusters)


def test_the_template_is_copied_whole_in_two_halves(tmp_path: Path) -> None:
    """The spare's copy runs as two ``cp`` at once (the databases' folders split between
    them): every file, its bytes and its mode arrive, and the cluster folder keeps the
    mode PostgreSQL insists on."""
    template = tmp_path / "template"
    files = {
        "PG_VERSION": "18\n",
        "global/1262": "catalog",
        "pg_wal/000000010000000000000001": "wal",
        "base/1/112": "template1",
        "base/4/112": "template0",
        "base/5/112": "postgres",
        "base/5/112_fsm": "free space",
    }
    for name, text in files.items():
        (template / name).parent.mkdir(parents=True, exist_ok=True)
        (template / name).write_text(text)
    (template / "pg_wal" / "archive_status").mkdir()
    (template / "base" / "5" / "112").chmod(0o600)
    template.chmod(0o700)
    copy = tmp_path / "copy" / "data"
    copy.parent.mkdir()
    backends._copy_template(template, copy, None)

    def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
        return {
            str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
            for p in root.rglob("*")
        }

    assert tree(copy) == tree(template)
    assert copy.stat().st_mode & 0o777 == 0o700


def test_the_main_cluster_is_copied_after_the_spare(
    tmp_path: Path, clusters: Path, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe waits for the spare, the main server has time to spare: the spare's copy
    has both cores, and the main cluster's copy starts once it is done."""
    moments: dict[str, float] = {}
    spare_copy = backends._copy_template
    main_copy = shutil.copytree

    def slow_spare_copy(template: Path, pgdata: Path, owner: Any) -> None:
        time.sleep(0.3)
        spare_copy(template, pgdata, owner)
        moments["spare copied"] = time.monotonic()

    def main_copytree(source: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
        moments.setdefault("main copy starts", time.monotonic())
        return main_copy(source, target, *args, **kwargs)

    monkeypatch.setattr(backends, "_copy_template", slow_spare_copy)
    monkeypatch.setattr(backends.shutil, "copytree", main_copytree)
    history = write_history(tmp_path / "history", HISTORY)
    on_spare, timings = findings_of(history, EmbeddedBackend(parent=str(clusters)))
    on_copy, _ = findings_of(history, DsnBackend(live_server.admin_conninfo))
    assert "probe_server_start" in timings
    assert moments["main copy starts"] >= moments["spare copied"]
    assert on_spare == on_copy
    assert emptied(clusters)
