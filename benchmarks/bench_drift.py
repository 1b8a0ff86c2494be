"""Benchmark the drift check (DR6xx) on upstream Sim: the export, the catalogs, the diff.

    SCHEMA_CHECK_NODE_MODULES=... python benchmarks/bench_drift.py [--runs 5]

Reads upstream Sim from ``../shared/corpus/sim-upstream`` (``SCHEMA_CHECK_CORPUS``
overrides it), never copied. Prints the wall time of ``drizzle-kit export`` of
``schema.ts`` (run ``--runs`` times, from the node_modules the ORM source finds),
then the median time of building each reference's catalog (the snapshot read into
a catalog; the export's SQL parsed, simulated and placed in schema.ts) and of
diffing it with the migrations' catalog, each rebuilt from scratch every run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checker import drift  # noqa: E402
from checker.catalog import Catalog  # noqa: E402
from checker.config import Settings  # noqa: E402
from checker.engine import analyse  # noqa: E402
from checker.model import Layer, SourceFile  # noqa: E402
from checker.sources import ReferenceSchema  # noqa: E402
from checker.sources.orm import add_orm_reference  # noqa: E402

CORPUS = Path(
    os.environ.get("SCHEMA_CHECK_CORPUS") or REPO.parent / "shared" / "corpus" / "sim-upstream"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    if not (CORPUS / "migrations").is_dir():
        print(f"upstream Sim not found at {CORPUS} (set SCHEMA_CHECK_CORPUS)")
        return 2
    result = analyse(Settings(), [(CORPUS / "migrations", Layer.BASE)])
    migrations = result.simulation.catalog
    exports = []
    for _ in range(runs):
        started = time.perf_counter()
        add_orm_reference(result.sources, CORPUS / "schema.ts")
        exports.append(time.perf_counter() - started)
    print(f"drizzle-kit export: median {statistics.median(exports):.2f} s "
          f"(min {min(exports):.2f}, max {max(exports):.2f})")  # fmt: skip
    seen: set[str] = set()
    for reference in result.sources.references:
        if reference.kind in seen:
            continue
        seen.add(reference.kind)
        build, diff = _timed(reference, result.sources.files, migrations, runs)
        print(f"{reference.kind}: catalog {build:.2f} s, diff {diff:.3f} s (median of {runs})")
    return 0


def _timed(
    reference: ReferenceSchema, files: Mapping[str, SourceFile], migrations: Catalog, runs: int
) -> tuple[float, float]:
    builds, diffs = [], []
    for _ in range(runs):
        drift._reference_catalog.cache_clear()
        started = time.perf_counter()
        catalog = drift.reference_catalog(reference, files, 17)
        builds.append(time.perf_counter() - started)
        started = time.perf_counter()
        drift._drift_differences(migrations, catalog)
        diffs.append(time.perf_counter() - started)
    return statistics.median(builds), statistics.median(diffs)


if __name__ == "__main__":
    raise SystemExit(main())
