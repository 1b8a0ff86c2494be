"""Benchmark a static ``schema-check check``: wall time, peak memory, squawk ratio, scaling.

    python benchmarks/bench_static.py [--sim PATH] [--runs 7] [--sizes 1,2,4,8]

Each measurement is a fresh ``python -m checker.cli check --base PATH
--format json`` process (what a user or CI runs, imports included): the
median wall time of ``--runs`` runs, and the peak resident memory of the
process (``ru_maxrss`` from ``wait4``). The same files then go to squawk
(``pip install squawk-cli``) for the ratio, when it is installed.

Inputs: (a) upstream Sim's migrations when ``--sim`` is given (or the usual
checkout exists), never copied; (b) synthetic drizzle folders from
``generate_schema.py`` at 1×, 2×, 4× and 8× (about 2,500 to 20,000
statements), written to a temporary folder. The scaling check compares the
time of each size with the one before it: doubling the input should cost at
most 2.2× the time. Targets (DESIGN.md): Sim ≤ 0.35 s median, ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from generate_schema import scaled  # noqa: E402

CORPUS = os.environ.get("SCHEMA_CHECK_CORPUS") or REPO.parent / "shared" / "corpus" / "sim-upstream"
DEFAULT_SIM = Path(CORPUS) / "migrations"
SIM_TARGET_SECONDS, SIM_TARGET_MB, SCALING_LIMIT = 0.35, 150.0, 2.2


@dataclass(frozen=True)
class Measure:
    median: float
    low: float
    peak_mb: float
    exit_code: int


def measure(command: list[str], runs: int, cwd: Path = REPO) -> Measure:
    """Median wall time and peak RSS of ``runs`` fresh processes (one warm-up first)."""
    times: list[float] = []
    peak = 0
    code = 0
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    for run in range(runs + 1):
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        code = process.returncode
        if run == 0:
            continue  # warm-up: the page cache, pyc files
        times.append(elapsed)
        peak = max(peak, usage.ru_maxrss)
    return Measure(statistics.median(times), min(times), peak / 1024, code)


def schema_check(path: Path) -> list[str]:
    return [sys.executable, "-m", "checker.cli", "check", "--base", str(path), "--format", "json"]


def squawk_command(path: Path) -> list[str] | None:
    squawk = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))
    if squawk is None:
        return None
    files = sorted(str(p) for p in path.glob("*.sql")) if path.is_dir() else [str(path)]
    return [squawk, *files]


def count_statements(path: Path) -> int:
    from checker.model import Layer
    from checker.sources import load_sources

    return len(load_sources([(path, Layer.BASE)]).statements)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", type=Path, help="upstream Sim's packages/db/migrations")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="1,2,4,8", help="synthetic size factors")
    parser.add_argument("--keep", type=Path, help="write the synthetic folders here and keep them")
    args = parser.parse_args()
    sim = args.sim or (DEFAULT_SIM if DEFAULT_SIM.is_dir() else None)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = args.keep or Path(tempfile.mkdtemp(prefix="schema-check-bench-"))
    have_squawk = squawk_command(REPO) is not None
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs each")
    if not have_squawk:
        print("squawk: not installed (pip install squawk-cli); no ratio")
    header = f"{'input':<16}{'statements':>11}{'median s':>10}{'min s':>8}{'peak MB':>9}"
    header += f"{'squawk s':>10}{'ratio':>7}" if have_squawk else ""
    print(header)
    verdicts: list[str] = []

    def row(label: str, path: Path) -> Measure:
        ours = measure(schema_check(path), args.runs)
        line = (
            f"{label:<16}{count_statements(path):>11}{ours.median:>10.3f}{ours.low:>8.3f}"
            f"{ours.peak_mb:>9.1f}"
        )
        command = squawk_command(path)
        if command is not None:
            theirs = measure(command, args.runs)
            line += f"{theirs.median:>10.3f}{ours.median / theirs.median:>7.1f}"
        print(line, flush=True)
        return ours

    try:
        if sim is not None:
            result = row("upstream Sim", sim)
            ok = result.median <= SIM_TARGET_SECONDS and result.peak_mb <= SIM_TARGET_MB
            verdicts.append(
                f"Sim target ≤ {SIM_TARGET_SECONDS} s and ≤ {SIM_TARGET_MB:.0f} MB: "
                f"{'met' if ok else 'NOT met'} ({result.median:.3f} s, {result.peak_mb:.0f} MB)"
            )
        previous: Measure | None = None
        for factor in sizes:
            folder, _ = scaled(work / f"synthetic_{factor}x", factor)
            result = row(f"synthetic {factor}x", folder)
            if previous is not None:
                ratio = result.median / previous.median
                verdicts.append(
                    f"{factor}x / {factor // 2}x time: {ratio:.2f} "
                    f"({'ok' if ratio <= SCALING_LIMIT else 'over'} ≤ {SCALING_LIMIT})"
                )
            previous = result
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    for verdict in verdicts:
        print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
