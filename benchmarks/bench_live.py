"""Live verification against the floor it cannot beat: server start + raw apply.

Prints, for the same statements in the same run, the median wall time of
(a) ``checker.live.verify`` (start, runner-faithful apply, rollback rehearsal,
introspection, diff, cascade / plan / lock probes, stop) and (b) starting the
same embedded server and executing the statements one after another in one
transaction, then stopping it. The target is (a) <= 1.5 x (b). Below the
ratio, the median seconds of each phase: verify's own ``timings`` and the raw
run's start, apply and stop. The populated-table probe runs in a thread
alongside the apply and the other probes (``populated_probe``), for a history
checked alone on a spare cluster of its own, up ``probe_server_start`` seconds
after the run began; ``populated_wait`` is what was left of it once the rest
was done (with a spare, after the main server's ``stop``). A spare is deleted
in the background after the run: the benchmark waits for that outside the
timed part.

    python benchmarks/bench_live.py                      # bundled Sim + Parlant
    python benchmarks/bench_live.py --base PATH_TO_SIM   # e.g. upstream Sim's migrations
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import psycopg

    import rules
    from checker.config import Settings, load_settings
    from checker.engine import analyse
    from checker.live import EmbeddedBackend, verify
    from checker.model import Layer

    rules.load_builtin_rules()
    if args.base is None:
        settings = load_settings(REPO / "fixtures" / "parlant" / "schema-check.toml")
        result = analyse(settings)
        label = "bundled fixtures/sim + fixtures/parlant + proposal.md"
    else:
        settings = Settings()
        result = analyse(settings, [(args.base, Layer.BASE)])
        label = str(args.base)
    statements = result.sources.applied_statements
    catalog = result.simulation.catalog

    phases: dict[str, list[float]] = {}
    raw_phases: dict[str, list[float]] = {}

    def full() -> float:
        started = time.perf_counter()
        report = verify(statements, catalog, settings, include_proposal=True)
        for phase, seconds in report.timings.items():
            phases.setdefault(phase, []).append(seconds)
        took = time.perf_counter() - started
        # a spare cluster is deleted in the background after the run: not while the raw
        # run that comes next is timed
        for thread in threading.enumerate():
            if thread.name.startswith("schema-check spare cluster"):
                thread.join()
        return took

    def raw() -> float:
        started = time.perf_counter()
        with EmbeddedBackend().open() as database:
            applying = time.perf_counter()
            raw_phases.setdefault("server_start", []).append(applying - started)
            with psycopg.connect(database.conninfo) as conn:
                for statement in statements:
                    try:
                        conn.execute(statement.text)
                    except psycopg.Error:
                        conn.rollback()  # the floor: no savepoints, no replay, no report
                conn.commit()
            stopping = time.perf_counter()
            raw_phases.setdefault("apply", []).append(stopping - applying)
        raw_phases.setdefault("stop", []).append(time.perf_counter() - stopping)
        return time.perf_counter() - started

    full()  # warm the template cluster cache and the imports
    phases.clear()
    fulls, raws = [], []
    for _ in range(args.runs):
        raws.append(raw())
        fulls.append(full())
    full_median, raw_median = statistics.median(fulls), statistics.median(raws)
    print(f"input: {label}: {len(statements)} statements, {args.runs} runs each")
    print(f"server start + raw apply + stop: median {raw_median:.3f} s")
    print(f"live verification (all probes):  median {full_median:.3f} s")
    print(f"ratio: {full_median / raw_median:.2f} x (target <= 1.5 x)")
    print("raw, median seconds per phase:")
    for phase, values in raw_phases.items():
        print(f"  {phase:<20} {statistics.median(values):7.3f}")
    print("live verification, median seconds per phase:")
    for phase, values in phases.items():
        print(f"  {phase:<20} {statistics.median(values):7.3f}")


if __name__ == "__main__":
    main()
