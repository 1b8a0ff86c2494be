"""The run cache: a cached run reports byte for byte what an uncached one does,
a damaged entry is a miss, and the cache stays out of the user's inputs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main
from tests.support import CORPUS_ABSENT, FIXTURES, SIM_MIGRATIONS

SIM_FIXTURE = FIXTURES / "sim"


def _check(arguments: list[str], report: Path) -> tuple[int, bytes]:
    code = main(["check", *arguments, "--format", "json", "-o", str(report)])
    return code, report.read_bytes()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCHEMA_CHECK_CACHE_DIR", str(folder))
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted(
        p for kind in ("sources", "runs") for p in (cache / kind).rglob("*") if p.is_file()
    )


def test_a_cached_rerun_gives_the_same_json_and_exit_code(tmp_path: Path, cache_dir: Path) -> None:
    uncached = _check([str(SIM_FIXTURE), "--no-cache"], tmp_path / "uncached.json")
    assert not cache_dir.exists()  # --no-cache writes nothing
    first = _check([str(SIM_FIXTURE)], tmp_path / "first.json")
    assert _entries(cache_dir)  # the first run filled the cache
    assert (cache_dir / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    second = _check([str(SIM_FIXTURE)], tmp_path / "second.json")
    assert first == uncached
    assert second == uncached


def test_every_damaged_entry_is_a_miss_never_a_wrong_result(
    tmp_path: Path, cache_dir: Path
) -> None:
    uncached = _check([str(SIM_FIXTURE), "--no-cache"], tmp_path / "uncached.json")
    _check([str(SIM_FIXTURE)], tmp_path / "fill.json")
    entries = _entries(cache_dir)
    assert len(entries) >= 2
    for position in (0, 40, 200, -1):  # the header, the digest, the payload, the end
        for entry in entries:
            data = bytearray(entry.read_bytes())
            data[position] ^= 0xFF
            entry.write_bytes(bytes(data))
        assert _check([str(SIM_FIXTURE)], tmp_path / f"flipped{position}.json") == uncached
        # the damaged run wrote good entries again: a plain re-run hits them
        assert _check([str(SIM_FIXTURE)], tmp_path / f"again{position}.json") == uncached


def test_a_foreign_or_truncated_entry_is_a_miss(tmp_path: Path, cache_dir: Path) -> None:
    uncached = _check([str(SIM_FIXTURE), "--no-cache"], tmp_path / "uncached.json")
    _check([str(SIM_FIXTURE)], tmp_path / "fill.json")
    for number, entry in enumerate(_entries(cache_dir)):
        entry.write_bytes(b"not a cache entry at all" if number % 2 else entry.read_bytes()[:50])
    assert _check([str(SIM_FIXTURE)], tmp_path / "foreign.json") == uncached


def test_an_edited_input_is_not_served_from_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);\n")
    clean = _check([str(folder)], tmp_path / "clean.json")
    assert clean[0] == 0
    (folder / "0001_init.sql").write_text(
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE a ();\n"
    )
    edited = _check([str(folder)], tmp_path / "edited.json")
    assert edited == _check([str(folder), "--no-cache"], tmp_path / "uncached.json")
    assert b'"NC101"' in edited[1]


def test_selection_is_part_of_the_key(tmp_path: Path, cache_dir: Path) -> None:
    everything = _check([str(SIM_FIXTURE)], tmp_path / "all.json")
    only = _check([str(SIM_FIXTURE), "--select", "PS"], tmp_path / "ps.json")
    assert only == _check([str(SIM_FIXTURE), "--select", "PS", "--no-cache"], tmp_path / "u.json")
    assert only != everything


def test_cache_clean_removes_it(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _check([str(SIM_FIXTURE)], tmp_path / "fill.json")
    assert cache_dir.is_dir()
    assert main(["cache", "clean"]) == 0
    assert not cache_dir.exists()
    assert f"removed {cache_dir}" in capsys.readouterr().out
    assert main(["cache", "clean"]) == 0
    assert "no cache" in capsys.readouterr().out


def test_cache_lives_beside_the_config_but_never_inside_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCHEMA_CHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    shutil.copytree(SIM_FIXTURE, project / "migrations")
    (project / "schema-check.toml").write_text('[layers]\nbase = ["migrations"]\n')
    monkeypatch.chdir(project)
    assert main(["check", "--format", "json", "-o", str(tmp_path / "r.json")]) in (0, 1)
    assert (project / ".schema_check_cache" / ".gitignore").is_file()
    assert not (project / "migrations" / ".schema_check_cache").exists()
    # run from inside the input folder itself: the cache goes to $XDG_CACHE_HOME
    monkeypatch.chdir(project / "migrations")
    before = sorted(p.name for p in (project / "migrations").iterdir())
    assert main(["check", ".", "--format", "json", "-o", str(tmp_path / "s.json")]) in (0, 1)
    assert sorted(p.name for p in (project / "migrations").iterdir()) == before
    assert (tmp_path / "xdg" / "schema-check" / ".gitignore").is_file()


def test_concurrent_runs_share_the_cache_safely(tmp_path: Path, cache_dir: Path) -> None:
    uncached = _check([str(SIM_FIXTURE), "--no-cache"], tmp_path / "uncached.json")
    command = [sys.executable, "-m", "checker.cli", "check", str(SIM_FIXTURE), "--format", "json"]
    runs = [
        subprocess.Popen([*command, "-o", str(tmp_path / f"run{n}.json")], cwd=Path.cwd())
        for n in range(4)
    ]
    assert [run.wait() for run in runs] == [uncached[0]] * 4
    for n in range(4):
        assert (tmp_path / f"run{n}.json").read_bytes() == uncached[1]
    assert not list(cache_dir.rglob(".tmp-*"))


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_upstream_sim_cached_is_byte_identical(tmp_path: Path, cache_dir: Path) -> None:
    uncached = _check([str(SIM_MIGRATIONS), "--no-cache"], tmp_path / "uncached.json")
    cold = _check([str(SIM_MIGRATIONS)], tmp_path / "cold.json")
    warm = _check([str(SIM_MIGRATIONS)], tmp_path / "warm.json")
    assert cold == uncached
    assert warm == uncached
    for fmt in ("text", "sarif", "junit", "markdown"):
        outputs = [
            main(["check", str(SIM_MIGRATIONS), *extra, "--format", fmt, "-o", str(out)])
            for extra, out in (([], tmp_path / f"w.{fmt}"), (["--no-cache"], tmp_path / f"u.{fmt}"))
        ]
        assert outputs[0] == outputs[1]
        assert (tmp_path / f"w.{fmt}").read_bytes() == (tmp_path / f"u.{fmt}").read_bytes(), fmt


def _git(folder: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def _sim_repository(tmp_path: Path, change: str) -> Path:
    """The Sim fixture committed in a git repository, with one new migration on top."""
    repository = tmp_path / "repo"
    folder = repository / "migrations"
    shutil.copytree(SIM_FIXTURE, folder)
    _git(repository, "init", "-q")
    _git(repository, "add", "-A")
    _git(repository, "commit", "-qm", "history")
    (folder / "9999_change.sql").write_text(change)
    return folder


def test_since_with_a_cached_base_is_byte_identical(tmp_path: Path, cache_dir: Path) -> None:
    folder = _sim_repository(tmp_path, 'ALTER TABLE "user" ADD COLUMN "nick" text NOT NULL;\n')
    arguments = ["--since", "HEAD", str(folder)]
    uncached = _check([*arguments, "--no-cache"], tmp_path / "uncached.json")
    assert _check(arguments, tmp_path / "cold.json") == uncached
    assert list((cache_dir / "git-base").iterdir())  # the merge base, kept for the next run
    assert _check(arguments, tmp_path / "warm.json") == uncached
    (folder / "9999_change.sql").write_text('ALTER TABLE "user" DROP COLUMN "nick";\n')
    edited = _check(arguments, tmp_path / "edited.json")
    assert edited == _check([*arguments, "--no-cache"], tmp_path / "edited-uncached.json")


def test_the_base_of_a_change_seen_before_is_not_loaded(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --since run whose base was checked before takes the base's findings from the
    cache and never loads the base's inputs as read (only the head's, for the report)."""
    from checker.cache import Cache

    folder = _sim_repository(tmp_path, "CREATE TABLE change_log (id int PRIMARY KEY);\n")
    since = ["--since", "HEAD", str(folder)]
    first = _check(since, tmp_path / "first.json")
    read: list[str] = []
    original = Cache.get

    def get(self: Cache, kind: str, key: str) -> object | None:
        read.append(kind)
        return original(self, kind, key)

    monkeypatch.setattr(Cache, "get", get)
    assert _check(since, tmp_path / "again.json") == first
    assert read.count("runs") == 2 and read.count("sources") == 1


def _runs_of_rules(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The inputs of every rules run from now on, in this process (no forked copy)."""
    import checker.engine

    monkeypatch.setenv("SCHEMA_CHECK_JOBS", "1")
    ran: list[str] = []
    original = checker.engine.run_rules

    def run_rules(result: checker.engine.CheckResult, **options: object) -> None:
        ran.append(" ".join(sorted(result.sources.files)))
        original(result, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(checker.engine, "run_rules", run_rules)
    return ran


@pytest.mark.parametrize("manifest", [None, "go.mod"])
def test_a_plain_check_of_the_merge_base_serves_the_base_of_a_since_run(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, manifest: str | None
) -> None:
    """A CI cache filled by the main branch's plain check holds the base of a pull request's
    --since run: the base is extracted elsewhere, but its files are the same ones, so its
    findings are taken from that check instead of checking the base again (a project
    manifest above the folder, read by both, included)."""
    change = 'ALTER TABLE "user" ADD COLUMN "nick" text NOT NULL;\n'
    folder = _sim_repository(tmp_path, change)
    if manifest is not None:
        (folder.parent / manifest).write_text("module example.com/app\n")
        _git(folder.parent, "add", manifest)
        _git(folder.parent, "commit", "-qm", "manifest")
    since = ["--since", "HEAD", str(folder)]
    uncached = _check([*since, "--no-cache"], tmp_path / "uncached.json")
    (folder / "9999_change.sql").unlink()
    _check([str(folder)], tmp_path / "main.json")  # the main branch's job
    (folder / "9999_change.sql").write_text(change)
    ran = _runs_of_rules(monkeypatch)
    assert _check(since, tmp_path / "pull-request.json") == uncached
    assert len(ran) == 1 and "9999_change.sql" in ran[0]  # the head only


def test_a_plain_check_of_other_files_does_not_serve_the_base(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain check saw an old file edited in the working tree: its findings are not
    the merge base's, and the base is checked."""
    change = 'ALTER TABLE "user" ADD COLUMN "nick" text NOT NULL;\n'
    folder = _sim_repository(tmp_path, change)
    since = ["--since", "HEAD", str(folder)]
    uncached = _check([*since, "--no-cache"], tmp_path / "uncached.json")
    (folder / "9999_change.sql").unlink()
    first = sorted(folder.glob("0000_*.sql"))[0]
    committed = first.read_text()
    first.write_text(committed + "\nCREATE TABLE edited_locally (id int);\n")
    _check([str(folder)], tmp_path / "edited.json")
    first.write_text(committed)
    (folder / "9999_change.sql").write_text(change)
    ran = _runs_of_rules(monkeypatch)
    assert _check(since, tmp_path / "pull-request.json") == uncached
    assert len(ran) == 2  # the base and the head


def _held(cache: Path) -> int:
    return sum(p.stat().st_size for p in cache.rglob("*") if p.is_file() and p.name != ".pruned")


def test_pruning_removes_the_entries_used_longest_ago(tmp_path: Path) -> None:
    import os
    import time

    from checker.cache import Cache

    cache = Cache(tmp_path / "cache")
    now = time.time()
    for number in range(10):
        cache.put("runs", f"{number:02d}" + "0" * 62, bytes(100_000))
        path = cache._path("runs", f"{number:02d}" + "0" * 62)
        os.utime(path, (now - 1000 + number, now - 1000 + number))  # 00 is the oldest
    assert cache.get("runs", "00" + "0" * 62) is not None  # read now: used last
    removed = cache.prune(500_000, now=now)
    left = sorted(p.parent.name + p.name for p in (tmp_path / "cache" / "runs").rglob("*"))
    assert removed > 0 and _held(tmp_path / "cache") <= 375_000 + 1000
    assert "00" + "0" * 62 in [name for name in left]
    assert "01" + "0" * 62 not in left and "09" + "0" * 62 in left
    assert cache.prune(500_000, now=now) == 0  # under the limit: nothing to do


def test_pruning_keeps_a_merge_base_extraction_in_use(tmp_path: Path) -> None:
    import os
    import time

    from checker.cache import Cache

    root = tmp_path / "cache"
    fresh, stale = root / "git-base" / "aaa-1", root / "git-base" / "bbb-2"
    left_behind = root / "git-base" / ".tmp-killed"  # a killed run's extraction
    for folder in (fresh, stale, left_behind):
        (folder / "0" / "migrations").mkdir(parents=True)
        (folder / "0" / "migrations" / "0001.sql").write_bytes(bytes(50_000))
    (root / "runs" / "ab").mkdir(parents=True)
    writing, killed = root / "runs" / "ab" / ".tmp-now", root / "runs" / "ab" / ".tmp-old"
    writing.write_bytes(bytes(1000))  # another run's entry, being written
    killed.write_bytes(bytes(1000))
    two_hours_ago = time.time() - 7200
    for path in (stale, left_behind, killed):
        os.utime(path, (two_hours_ago, two_hours_ago))
    Cache(root).prune(0)
    assert fresh.is_dir() and writing.is_file()
    assert not stale.exists() and not left_behind.exists() and not killed.exists()


def test_a_run_keeps_the_cache_within_its_limit(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every new head adds entries; past SCHEMA_CHECK_CACHE_MAX_MB the oldest go, and the
    results stay those of an uncached run."""
    monkeypatch.setenv("SCHEMA_CHECK_CACHE_MAX_MB", "0.05")  # a run writes ~180 KB
    uncached = _check([str(SIM_FIXTURE), "--no-cache"], tmp_path / "uncached.json")
    assert _check([str(SIM_FIXTURE)], tmp_path / "first.json") == uncached
    assert _held(cache_dir) <= 0.05 * 1024 * 1024
    assert (cache_dir / ".pruned").exists()
    assert _check([str(SIM_FIXTURE)], tmp_path / "second.json") == uncached


def test_a_supabase_config_added_later_is_not_served_stale(tmp_path: Path, cache_dir: Path) -> None:
    """``supabase/config.toml`` beside the folder names the tool that applies it (its
    transactions): a cached run from before it existed does not answer for after."""
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_a.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    (folder / "20240102000000_b.sql").write_text("CREATE INDEX CONCURRENTLY t_idx ON t (id);\n")
    _check([str(folder)], tmp_path / "before.json")
    (folder.parent / "config.toml").write_text('project_id = "app"\n')
    uncached = _check([str(folder), "--no-cache"], tmp_path / "uncached.json")
    assert b"Supabase CLI" in uncached[1]
    assert _check([str(folder)], tmp_path / "after.json") == uncached


def test_a_down_migration_added_later_is_noted(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Diesel ``down.sql`` is not applied but is noted on stderr: a cached run from
    before it existed does not leave the note out."""
    folder = tmp_path / "migrations"
    (folder / "2024-01-01-000000_init").mkdir(parents=True)
    (folder / "2024-01-01-000000_init" / "up.sql").write_text("CREATE TABLE t (id int);\n")
    _check([str(folder)], tmp_path / "before.json")
    capsys.readouterr()
    (folder / "2024-01-01-000000_init" / "down.sql").write_text("DROP TABLE t;\n")
    _check([str(folder)], tmp_path / "after.json")
    assert "down migration" in capsys.readouterr().err


def test_another_fail_on_reads_the_same_entries(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--fail-on decides the exit code, not the findings: a run with another one is served
    from the cache, and its exit code follows its own threshold."""
    uncached = _check([str(SIM_FIXTURE), "--no-cache", "--fail-on", "info"], tmp_path / "u.json")
    _check([str(SIM_FIXTURE)], tmp_path / "first.json")
    ran = _runs_of_rules(monkeypatch)
    assert _check([str(SIM_FIXTURE), "--fail-on", "info"], tmp_path / "again.json") == uncached
    assert ran == []
