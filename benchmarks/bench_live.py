"""Live verification against the floor it cannot beat: server start + raw apply.

Prints, for the same statements in the same run, the median wall time of
(a) ``checker.live.verify`` (start, runner-faithful apply, rollback rehearsal,
introspection, diff, cascade / plan / lock probes, stop) and (b) starting the
same embedded server and executing the statements one after another in one
transaction, then stopping it. The target is (a) <= 1.5 x (b).

    python benchmarks/bench_live.py                      # bundled Sim + Parlant
    python benchmarks/bench_live.py --base PATH_TO_SIM   # e.g. upstream Sim's migrations
"""

from __future__ import annotations

import argparse
import statistics
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

    def full() -> float:
        started = time.perf_counter()
        verify(statements, catalog, settings, include_proposal=True)
        return time.perf_counter() - started

    def raw() -> float:
        started = time.perf_counter()
        with EmbeddedBackend().open() as database, psycopg.connect(database.conninfo) as conn:
            for statement in statements:
                try:
                    conn.execute(statement.text)  # type: ignore[arg-type]
                except psycopg.Error:
                    conn.rollback()  # the floor: no savepoints, no replay, no report
            conn.commit()
        return time.perf_counter() - started

    full()  # warm the template cluster cache and the imports
    fulls, raws = [], []
    for _ in range(args.runs):
        raws.append(raw())
        fulls.append(full())
    full_median, raw_median = statistics.median(fulls), statistics.median(raws)
    print(f"input: {label}: {len(statements)} statements, {args.runs} runs each")
    print(f"server start + raw apply + stop: median {raw_median:.3f} s")
    print(f"live verification (all probes):  median {full_median:.3f} s")
    print(f"ratio: {full_median / raw_median:.2f} x (target <= 1.5 x)")


if __name__ == "__main__":
    main()
