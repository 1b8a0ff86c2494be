"""Side-by-side speed of ``schema-check check`` and squawk on upstream Sim's migrations.

    python benchmarks/bench_speed.py [--runs 5] [--corpus PATH]

Prints, in one run: squawk (``squawk --reporter json``, from the dev extras'
``squawk-cli``), schema-check cold (``--no-cache``), warm (the same inputs
again), ``--since HEAD`` with one new migration on a warm cache (a temporary
git repository of the corpus: the base was seen before, the new file was not),
a plain re-run after adding one new migration (the history's simulation resumes
from the cache's checkpoint; no target), a pull request's CI job (``--since HEAD``
with one new migration on a fresh copy of the cache a plain check of the history
left, as a main branch's job leaves it; no target); the ratios to squawk; peak RSS; and the
cold time of the corpus repeated 1x, 2x, 4x and 8x (renamed copies in one
folder). schema-check runs as installed (a fresh virtual environment that sees
this one's dependencies, without the editable install's import hook). Every
figure is the median wall time of ``--runs`` fresh processes, imports included;
each schema-check run follows a squawk run, and a ratio is the median of those
pairs' ratios (a shared machine's speed drifts within a minute). The corpus is
read from ``$SCHEMA_CHECK_CORPUS`` or ``../shared/corpus/sim-upstream`` beside the
repository, never copied into it. A script, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(
    os.environ.get("SCHEMA_CHECK_CORPUS") or REPO.parent / "shared" / "corpus" / "sim-upstream"
)
TARGETS = {"cold": 10.0, "warm": 3.0, "since": 5.0}
TARGET_MB, SCALING_LIMIT = 150.0, 8.5
_QUOTED = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')


def _once(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of one fresh process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=env.get("BENCH_CWD", str(REPO)), env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"bench: {' '.join(command[:6])} ... exited with {status}")
    return elapsed, usage.ru_maxrss


def measure(command: list[str], runs: int, env: dict[str, str], before=None) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median wall seconds and peak RSS (MB) of ``runs`` fresh processes."""
    times: list[float] = []
    peak = 0
    for run in range(runs):
        if before is not None:
            before(run)
        elapsed, rss = _once(command, env)
        times.append(elapsed)
        peak = max(peak, rss)
    return statistics.median(times), peak / 1024


def measure_against(  # type: ignore[no-untyped-def]
    reference: list[str], command: list[str], runs: int, env: dict[str, str], before=None
) -> tuple[float, float, float, float]:
    """``command`` and ``reference`` run alternately, ``runs`` times each: the medians of
    both, the median of the per-pair ratios, and ``command``'s peak RSS (MB). A shared
    machine's speed drifts over a minute; a pair of runs back to back sees the same one."""
    ours: list[float] = []
    theirs: list[float] = []
    ratios: list[float] = []
    peak = 0
    for run in range(runs):
        if before is not None:
            before(run)
        base, _ = _once(reference, env)
        elapsed, rss = _once(command, env)
        theirs.append(base)
        ours.append(elapsed)
        ratios.append(elapsed / base)
        peak = max(peak, rss)
    return (
        statistics.median(ours),
        statistics.median(theirs),
        statistics.median(ratios),
        peak / 1024,
    )


def find_squawk() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    return (
        os.environ.get("SQUAWK")
        or shutil.which("squawk")
        or (str(beside) if beside.exists() else None)
    )


def renamed_copies(migrations: Path, factor: int, out: Path) -> Path:
    """``factor`` copies of the migrations in one plain folder, copy by copy; every
    quoted name but ``public`` gets a per-copy prefix so the copies do not collide."""
    folder = out / f"x{factor}"
    folder.mkdir()
    journal = json.loads((migrations / "meta" / "_journal.json").read_text(encoding="utf-8"))
    for copy in range(factor):
        for entry in journal["entries"]:
            text = (migrations / f"{entry['tag']}.sql").read_text(encoding="utf-8")
            if copy:
                prefix = f"c{copy}_"
                text = _QUOTED.sub(
                    lambda m, p=prefix: (
                        m.group(0) if m.group(1) == "public" else f'"{p}{m.group(1)}"'
                    ),
                    text,
                )
            (folder / f"{copy:02d}_{entry['tag']}.sql").write_text(text, encoding="utf-8")
    return folder


def installed_python(out: Path) -> str:
    """A Python that imports schema-check as a user's install does: a fresh virtual
    environment whose site-packages lists this one's (the dependencies) and nothing else.
    The development environment's editable install adds an import hook to every start
    (8 ms here) that an installed wheel does not have; ``PYTHONPATH`` names the repository."""
    import site
    import venv

    folder = out / "python"
    venv.EnvBuilder(with_pip=False).create(folder)
    (target,) = (folder / "lib").glob("python*/site-packages")
    (target / "dependencies.pth").write_text(
        "".join(f"{path}\n" for path in site.getsitepackages()), encoding="utf-8"
    )
    return str(folder / "bin" / "python")


def since_repository(migrations: Path, out: Path) -> Path:
    folder = out / "repo" / "migrations"
    shutil.copytree(migrations, folder)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for arguments in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "history"]):
        subprocess.run([*git, *arguments], cwd=folder.parent, check=True, capture_output=True)
    return folder


def add_migration(folder: Path, run: int) -> None:
    """One new migration (its text differs per run, so the change is never cached)."""
    tag = "9999_bench_change"
    sql = f'ALTER TABLE "workflow" ADD COLUMN "bench_{run}" text;\n'
    (folder / f"{tag}.sql").write_text(sql, encoding="utf-8")
    path = folder / "meta" / "_journal.json"
    journal = json.loads(path.read_text(encoding="utf-8"))
    if journal["entries"][-1]["tag"] != tag:
        last = journal["entries"][-1]
        journal["entries"].append(
            {**last, "idx": last["idx"] + 1, "tag": tag, "when": last["when"] + 1}
        )
        path.write_text(json.dumps(journal, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    migrations = args.corpus / "migrations"
    if not migrations.is_dir():
        sys.exit(f"bench: no corpus at {args.corpus} (set SCHEMA_CHECK_CORPUS)")
    squawk = find_squawk()
    if squawk is None:
        sys.exit("bench: squawk not found: pip install squawk-cli (in the dev extras)")
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as scratch:
        work = Path(scratch)
        python = installed_python(work)
        checker = [python, "-m", "checker.cli", "check", "--format", "json", "-o", os.devnull]
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SCHEMA_CHECK_CACHE_DIR": str(work / "cache"),
        }
        # Bytecode caching allowed, as a user's installed tool has it: without it every
        # process recompiles every module it imports (a third of a second here).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "compileall",
                "-q",
                str(REPO / "checker"),
                str(REPO / "rules"),
                str(REPO / "reports"),
            ],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        files = sorted(str(p) for p in migrations.glob("*.sql"))
        squawk_command = [squawk, "--reporter", "json", *files]
        results: dict[str, tuple[float, float, float, float]] = {}
        results["cold"] = measure_against(
            squawk_command, [*checker, str(migrations), "--no-cache"], args.runs, env
        )
        measure([*checker, str(migrations)], 1, env)  # fills the cache
        results["warm"] = measure_against(
            squawk_command, [*checker, str(migrations)], args.runs, env
        )
        folder = since_repository(migrations, work)
        since = [*checker, "--since", "HEAD", str(folder)]
        measure(since, 1, env)  # the merge base is seen (and kept) once
        results["since"] = measure_against(
            squawk_command, since, args.runs, env, lambda run: add_migration(folder, run)
        )
        results["append"] = measure_against(
            squawk_command,
            [*checker, str(folder)],
            args.runs,
            env,
            lambda run: add_migration(folder, run + args.runs),
        )
        # A pull request's CI job: its cache is the one the main branch's job left (a
        # plain check of the history), restored afresh for every run; the merge base was
        # never extracted there.
        main_cache, pr_cache = work / "main-cache", work / "pr-cache"
        pr_folder = since_repository(migrations, work / "pr")
        measure([*checker, str(pr_folder)], 1, {**env, "SCHEMA_CHECK_CACHE_DIR": str(main_cache)})

        def pull_request(run: int) -> None:
            shutil.rmtree(pr_cache, ignore_errors=True)
            shutil.copytree(main_cache, pr_cache)
            add_migration(pr_folder, run)

        results["pull request"] = measure_against(
            squawk_command,
            [*checker, "--since", "HEAD", str(pr_folder)],
            args.runs,
            {**env, "SCHEMA_CHECK_CACHE_DIR": str(pr_cache)},
            pull_request,
        )
        print(f"corpus: {migrations} ({len(files)} files), {args.runs} runs each, median wall;")
        print("each schema-check run follows a squawk run (squawk 2 --reporter json), and the")
        print("ratio is the median of the pairs' ratios")
        print(f"{'':<22}{'seconds':>9}{'squawk s':>10}{'x squawk':>10}{'target':>8}{'peak MB':>9}")
        for name, label in (
            ("cold", "schema-check cold"),
            ("warm", "schema-check warm"),
            ("since", "--since, 1 new, warm"),
        ):
            seconds, base, ratio, peak = results[name]
            verdict = " ok" if ratio <= TARGETS[name] else " MISSED"
            print(
                f"{label:<22}{seconds:>9.3f}{base:>10.3f}{ratio:>10.1f}"
                f"{f'<={TARGETS[name]:g}x':>8}{peak:>9.1f}{verdict}"
            )
        for name, label in (
            ("append", "re-run, 1 new, warm"),
            ("pull request", "--since, main's cache"),
        ):
            seconds, base, ratio, peak = results[name]
            print(f"{label:<22}{seconds:>9.3f}{base:>10.3f}{ratio:>10.1f}{'-':>8}{peak:>9.1f}")
        peak = results["cold"][3]
        verdict = " ok" if peak <= TARGET_MB else " MISSED"
        print(f"peak RSS cold 1x: {peak:.1f} MB (target <= {TARGET_MB:g}){verdict}")
        print("scaling (cold, renamed copies in one folder):")
        first = 0.0
        for factor in (1, 2, 4, 8):
            folder = renamed_copies(migrations, factor, work)
            seconds, peak = measure(
                [*checker, str(folder), "--no-cache"], max(1, args.runs // 2), env
            )
            first = first or seconds
            growth = seconds / first
            print(f"  {factor}x: {seconds:7.3f} s  {growth:5.2f}x the 1x time  {peak:7.1f} MB")
        ratio = seconds / first
        verdict = " ok" if ratio <= SCALING_LIMIT else " MISSED"
        print(f"8x input in {ratio:.2f}x the time (target <= {SCALING_LIMIT:g}x){verdict}")


if __name__ == "__main__":
    main()
