"""The coverage matrix on the bundled Parlant design and on the scenarios."""

from __future__ import annotations

import json

import pytest
from support import FIXTURES, run_sql

from checker.config import QueryPattern, load_settings
from checker.coverage import Verdict, coverage_matrix
from checker.engine import analyse
from reports.coverage_report import render_coverage_json, render_coverage_text


@pytest.fixture(scope="module")
def parlant_matrix():  # type: ignore[no-untyped-def]
    settings = load_settings(FIXTURES / "parlant" / "schema-check.toml")
    catalog = analyse(settings).simulation.catalog
    return coverage_matrix(catalog, settings.contract.queries)


def test_seed_queries_verdicts(parlant_matrix) -> None:  # type: ignore[no-untyped-def]
    verdicts = {
        q.query.name: (q.verdict, q.best.index[1] if q.best else None)
        for q in parlant_matrix.queries
    }
    assert verdicts == {
        "active agents of a workspace": (Verdict.SERVED, "parlant_agent_workspace_status_idx"),
        # the two documented indexes do not combine: a sort remains
        "active sessions of a user, most recent first": (
            Verdict.SORT,
            "parlant_session_user_status_idx",
        ),
        "events of a session in order": (Verdict.SERVED, "parlant_event_session_offset_idx"),
    }


def test_reports_render_matrix(parlant_matrix) -> None:  # type: ignore[no-untyped-def]
    text = render_coverage_text(parlant_matrix)
    assert "2. active sessions of a user, most recent first: served with a sort" in text
    assert "(user_id, status, last_activity_at DESC)" in text
    document = json.loads(render_coverage_json(parlant_matrix))
    assert [q["verdict"] for q in document["queries"]] == ["served", "served with a sort", "served"]
    assert render_coverage_json(parlant_matrix) == render_coverage_json(parlant_matrix)


def _verdict(tmp_path, schema: str, sql: str) -> tuple[Verdict, str | None]:  # type: ignore[no-untyped-def]
    result = run_sql(tmp_path, schema, only="IX999")
    coverage = coverage_matrix(result.simulation.catalog, [QueryPattern("q", sql)]).queries[0]
    return coverage.verdict, coverage.best.index[1] if coverage.best else None


TABLE = "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c timestamp, d timestamp);\n"


@pytest.mark.parametrize(
    ("index", "sql", "expected"),
    [
        ("CREATE INDEX i ON t (b, a);", "SELECT * FROM t WHERE a = 1 AND b = 2", Verdict.SERVED),
        (
            "CREATE INDEX i ON t (a, c DESC);",
            "SELECT * FROM t WHERE a = 1 ORDER BY c",
            Verdict.SERVED,
        ),
        (
            "CREATE INDEX i ON t (a, c);",
            "SELECT * FROM t WHERE a = 1 ORDER BY c DESC NULLS LAST",
            Verdict.SORT,
        ),
        (
            "CREATE INDEX i ON t (a, c, b);",
            "SELECT * FROM t WHERE a = 1 ORDER BY c, b DESC",
            Verdict.SORT,
        ),
        (
            "CREATE INDEX i ON t (a, b, c);",
            "SELECT * FROM t WHERE a = 1 AND c > now()",
            Verdict.FILTER,
        ),
        (
            "CREATE INDEX i ON t (a) WHERE d IS NULL;",
            "SELECT * FROM t WHERE a = 1",
            Verdict.NOT_SERVED,
        ),
        (
            "CREATE INDEX i ON t (a) WHERE d IS NULL;",
            "SELECT * FROM t WHERE a = 1 AND d IS NULL",
            Verdict.SERVED,
        ),
        (
            "CREATE INDEX i ON t (a) WHERE b IS NOT NULL;",
            "SELECT * FROM t WHERE a = 1 AND b > 3",
            Verdict.FILTER,
        ),
        (
            "CREATE INDEX i ON t USING hash (a);",
            "SELECT * FROM t WHERE a = 1 ORDER BY a",
            Verdict.SERVED,
        ),
        ("CREATE INDEX i ON t (c);", "SELECT * FROM t ORDER BY c DESC LIMIT 10", Verdict.SERVED),
    ],
)
def test_matching_rules(tmp_path, index: str, sql: str, expected: Verdict) -> None:  # type: ignore[no-untyped-def]
    assert _verdict(tmp_path, TABLE + index, sql)[0] is expected
