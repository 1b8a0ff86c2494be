"""The HTML report's content, without a browser: model, escaping, self-containment."""

from __future__ import annotations

import re
from dataclasses import replace

from reports_support import HOSTILE, SIM_PARLANT, cached_check, in_repo, render

from checker.findings import Finding, Location, Severity
from reports.html_report import build_report_model, render_html


def test_self_contained_no_network_resources() -> None:
    page = render(cached_check(SIM_PARLANT), "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    assert "Content-Security-Policy" in page


def test_model_answers_the_claims_and_has_every_section() -> None:
    with in_repo():
        model = build_report_model(cached_check(SIM_PARLANT))
    assert model.problems == ()
    assert model.verdict.status == "fail"
    compatible = model.verdict.answers[0]
    assert compatible.claim.claim == "fully compatible" and compatible.answer == "No"
    assert model.graph is not None and len(model.graph.nodes) > 20
    actions = {css for css, _, count in model.graph.actions if count}
    assert {"cascade", "setnull"} <= actions
    roots = {c.root: c for c in model.closures}
    assert set(roots) == {"user", "workspace"}
    assert "parlant_session" in roots["user"].preserved_but_deleted
    assert model.coverage is not None and len(model.coverage.queries) == 3
    layers = {row.layer for row in model.timeline}
    assert {"base", "extension"} <= layers
    assert any(row.gap_before for row in model.timeline)
    assert model.live is None


def test_hostile_identifiers_are_escaped_everywhere() -> None:
    page = render(cached_check(HOSTILE), "html")
    assert "<img" not in page
    assert "<svg onload" not in page
    assert "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_missing_parts_do_not_lose_the_report() -> None:
    result = cached_check(SIM_PARLANT)
    broken = replace(result, graph=None, findings=list(result.findings))
    with in_repo():
        model = build_report_model(broken)
    assert model.graph is None
    assert any(problem.startswith("FK graph") for problem in model.problems)
    assert model.findings, "the findings survive a part that failed"
    assert "Report section FK graph" in render_html(model)


def test_live_results_show_sqlstates() -> None:
    result = cached_check(SIM_PARLANT)
    source = next(iter(result.files))
    live_finding = Finding(
        "LV501",
        Severity.ERROR,
        'statement fails on PostgreSQL 18.1: 42P07 relation "x" already exists',
        (Location(source, 0, 6),),
    )
    live = {
        "findings": [live_finding],
        "timings": {"start": 0.8, "apply": 0.25},
        "server_version": "PostgreSQL 18.1",
        "backend": "embedded",
    }
    with in_repo():
        model = build_report_model(replace(result, extra={"live": live}))
    assert model.live is not None
    assert model.live.rows[0].sqlstate == "42P07"
    assert model.live.timings == (("start", "800 ms"), ("apply", "250 ms"))
    assert any(row.code == "LV501" for row in model.findings)
    live_answer = next(a for a in model.verdict.answers if a.claim.key == "live")
    assert live_answer.answer == "No"
