"""The HTML report's content, without a browser: model, escaping, self-containment."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

from reports_support import DEPENDENCIES, HOSTILE, SIM_PARLANT, cached_check, in_repo, render

import reports.html.build as html_build
import reports.html.graph as html_graph
from checker.findings import Finding, Location, Severity
from checker.live.cascades import CascadeObservation
from checker.live.explain import PlanObservation
from checker.live.verify import LiveReport
from reports.html_report import build_report_model, render_html


def test_self_contained_no_network_resources() -> None:
    page = render(cached_check(SIM_PARLANT), "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    assert "Content-Security-Policy" in page


def test_model_answers_the_claims_and_has_every_section() -> None:
    with in_repo():
        model = build_report_model(cached_check(SIM_PARLANT))
    assert model.verdict.status == "fail"
    compatible = model.verdict.answers[0]
    assert compatible.claim.claim == "fully compatible" and compatible.answer == "No"
    assert model.graph is not None and len(model.graph.nodes) > 20
    assert model.graph.default == "all", "a small schema opens on every table"
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


def test_views_and_functions_are_graph_nodes_with_dependency_edges() -> None:
    with in_repo():
        model = build_report_model(cached_check(DEPENDENCIES))
    assert model.graph is not None
    assert model.graph.objects == (("view", 1), ("function", 3))
    assert model.graph.dependencies == (
        ("reads", "view reads", 2),
        ("uses", "function uses", 1),
        ("fires", "trigger fires", 1),
        ("calls", "function calls", 1),
    )
    assert [node.label for node in model.graph.nodes] == ["account", "invoice"]
    layout = model.graph.layout("all")
    assert layout is not None
    names = {node.key: node.label for node in layout.nodes}
    fires = next(edge for edge in layout.edges if edge.kind == "fires")
    assert (names[fires.child], names[fires.parent]) == ("account", "touch_updated_at()")
    assert "BEFORE UPDATE ON account FOR EACH ROW" in fires.title
    assert fires.label == "account_touch"
    calls = next(edge for edge in layout.edges if edge.kind == "calls")
    assert (names[calls.child], names[calls.parent]) == (
        "account_has_invoices(text)",
        "invoice_count(text)",
    )
    # views and functions sit below every table
    lowest_table = max(node.y for node in layout.nodes if node.kind == "table")
    assert all(node.y > lowest_table for node in layout.nodes if node.kind != "table")
    page = render_html(model)
    assert page.count('data-kind="reads"') == 2
    assert "2 tables, 1 foreign keys" in page and "5 dependencies (dashed)" in page


def test_hostile_identifiers_are_escaped_everywhere() -> None:
    page = render(cached_check(HOSTILE), "html")
    assert "<img" not in page
    assert "<svg onload" not in page
    assert "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_run_without_tables_queries_or_live_run_says_so(tmp_path: Path) -> None:
    from checker.config import load_settings
    from checker.engine import check

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001_mood.sql").write_text("CREATE TYPE mood AS ENUM ('calm');\n")
    (tmp_path / "schema-check.toml").write_text('postgres = 17\n[layers]\nbase = ["m"]\n')
    result = check(load_settings(tmp_path / "schema-check.toml"))
    model = build_report_model(result)
    assert (model.graph, model.coverage, model.live, model.drift) == (None, None, None, None)
    assert model.coverage_note == "no documented queries"
    assert model.tables == () and model.closures == ()
    assert model.objects is not None and model.objects.enums[0].name == "mood"
    page = render_html(model)
    assert "No tables." in page and "mood" in page


def test_a_run_restored_from_the_cache_draws_the_same_graph(tmp_path: Path) -> None:
    """The second run of the same inputs restores its findings from the run cache and
    simulates only when the report asks for the catalog: the page shows the same."""
    from checker.cli import main

    pages = []
    for number in (1, 2):
        page = tmp_path / f"run{number}.html"
        with in_repo():
            main(["check", "--config", str(DEPENDENCIES), "--html", str(page), "-o", os.devnull])
        pages.append(page.read_text(encoding="utf-8"))

    def graph_and_panels(page: str) -> str:
        graph = page[page.index('<svg id="fk-graph"') : page.index("</svg>")]
        panels = page[page.index('<script type="application/json" id="table-data">') :]
        return graph + panels[: panels.index("</script>")]

    assert 'data-kind="fires"' in pages[1]
    assert graph_and_panels(pages[1]) == graph_and_panels(pages[0])


def test_live_results_show_sqlstates() -> None:
    result = cached_check(SIM_PARLANT)
    source = next(iter(result.files))
    live_finding = Finding(
        "LV501",
        Severity.ERROR,
        'statement fails on PostgreSQL 18.1: 42P07 relation "x" already exists',
        (Location(source, 0, 6),),
    )
    live = LiveReport(
        findings=(live_finding,),
        timings={"start": 0.8, "apply": 0.25},
        server_version="PostgreSQL 18.1",
        backend="embedded",
        applied_count=1,
        failed_count=1,
    )
    with in_repo():
        model = build_report_model(replace(result, live=live))
    assert model.live is not None
    assert model.live.rows[0].sqlstate == "42P07"
    assert model.live.timings == (("start", "800 ms", 76.2), ("apply", "250 ms", 23.8))
    assert model.live.total == "1.05 s"
    assert any(row.code == "LV501" for row in model.findings)
    live_answer = next(a for a in model.verdict.answers if a.claim.key == "live")
    assert live_answer.answer == "No"


def test_focus_layout_holds_the_extension_and_its_neighbours(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    result = cached_check(SIM_PARLANT)
    with in_repo():
        model = build_report_model(result)
    assert model.graph is not None
    focus, everything = model.graph.layout("focus"), model.graph.layout("all")
    assert focus is not None and everything is not None
    names = {node.label for node in focus.nodes}
    extension = {node.label for node in everything.nodes if node.layer != "base"}
    assert extension <= names
    context = {node.label for node in focus.nodes if node.context}
    assert context == names - extension
    assert {"user", "workspace"} <= context and "organization" not in names
    user = next(node for node in focus.nodes if node.label == "user")
    assert user.hidden_edges > 0 and "not shown" in user.title
    keys = {node.key for node in focus.nodes}
    assert all(edge.child in keys and edge.parent in keys for edge in focus.edges)
    # Above the threshold the report opens on the focus layout.
    monkeypatch.setattr(html_graph, "FOCUS_DEFAULT_ABOVE", 10)
    with in_repo():
        large = build_report_model(result)
    assert large.graph is not None and large.graph.default == "focus"
    page = render_html(large)
    assert page.count('class="viewport layout"') == 2
    assert '<g class="viewport layout" data-layout="all"' in page
    assert page.index('data-layout="all"') < page.index('display="none"')


def test_long_lists_open_grouped_by_rule(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    result = cached_check(SIM_PARLANT)
    with in_repo():
        model = build_report_model(result)
    assert not model.grouped, "a list this short opens flat"
    grouped_rows = [row for group in model.groups for row in group.rows]
    assert sorted(row.order for row in grouped_rows) == list(range(len(model.findings)))
    assert all(len({(r.code, r.severity) for r in g.rows}) == 1 for g in model.groups)
    assert [g.severity for g in model.groups] == sorted(
        (g.severity for g in model.groups), key=["error", "warning", "info"].index
    )
    monkeypatch.setattr(html_build, "GROUP_DEFAULT_ABOVE", 10)
    with in_repo():
        page = render_html(build_report_model(result))
    assert 'class="findings grouped"' in page
    assert 'tbody class="group collapsed"' in page and 'tbody class="group"' in page


def test_live_cascades_and_plans_sit_next_to_the_static_model() -> None:
    result = cached_check(SIM_PARLANT)
    closure = result.graph.deletion_closure(("public", "user"))
    session = ("public", "parlant_session")
    observed = CascadeObservation(
        root=("public", "user"),
        deleted=frozenset(closure.deleted) - {session},
        set_null=frozenset(closure.set_null) | {session},
        blocking=frozenset(closure.blocking),
        dropped_checks=("api_key.workspace_type_check",),
    )
    differs = Finding(
        "LV504",
        Severity.ERROR,
        "deleting a row of user: the static model predicts parlant_session rows are deleted; "
        "on the server they were set to NULL",
        (),
        objects=("user", "parlant_session"),
    )
    plans = (
        PlanObservation("events of a session in order", ("parlant_event_session_offset_idx",)),
        PlanObservation("active agents of a workspace", error="42601 syntax error"),
    )
    live = LiveReport(
        findings=(differs,),
        timings={"server_start": 0.2, "apply": 0.1},
        server_version="18.6",
        backend="embedded",
        applied_count=223,
        failed_count=7,
        cascades=(observed,),
        plans=plans,
    )
    with in_repo():
        model = build_report_model(replace(result, live=live))
    assert model.live is not None
    assert (model.live.applied, model.live.failed, model.live.server) == (223, 7, "18.6")
    (cascade,) = model.live.cascades
    assert cascade.root == "user" and cascade.in_contract
    assert cascade.static == (len(closure.deleted), len(closure.set_null), len(closure.blocking))
    assert cascade.server[0] == len(closure.deleted) - 1
    assert cascade.differences == 1
    first = cascade.rows[0]
    assert (first.table, first.server, first.status) == ("parlant_session", "set null", "differs")
    assert first.static.startswith("deleted")
    assert cascade.findings == (differs.message,)
    served, failed = model.live.plans
    assert served.status == "agrees" and served.static_index == "parlant_event_session_offset_idx"
    assert failed.status == "error" and failed.error.startswith("42601")
    page = render_html(model)
    assert "differs on 1 table" in page and "does not plan: 42601 syntax error" in page


def test_unavailable_backend_is_said_once() -> None:
    result = cached_check(SIM_PARLANT)
    from checker.engine import LiveUnavailable

    live = LiveUnavailable("embedded", "embedded backend: initdb failed")
    with in_repo():
        model = build_report_model(replace(result, live=live))
    assert model.live is not None and model.live.error
    page = render_html(model)
    assert "The embedded backend was not available" in page
    assert "initdb failed" in page
    live_answer = next(a for a in model.verdict.answers if a.claim.key == "live")
    assert live_answer.answer == "Not checked: no live run"


def test_every_output_counts_the_same_statements() -> None:
    """One definition, the statements as written in the files: the text summary, the HTML
    report and the markdown summary never disagree (DO-block bodies are not extra ones)."""
    result = cached_check(SIM_PARLANT)
    written = len(result.sources.statements)
    assert result.statement_count() == written
    assert f"in {written} statements" in render(result, "text")
    with in_repo():
        model = build_report_model(result)
    base, extension = next((b, e) for what, b, e in model.catalog_counts if what == "statements")
    assert base + extension == written


def _found(code: str, severity: Severity) -> Finding:
    return Finding(code, severity, f"{code} said so", (Location("m/0001_a.sql", 0, 5),))


def test_the_verdict_answers_from_what_ran() -> None:
    from reports.verdict import answer_claims

    # A CREATE INDEX the server rejects (IX305) is a migration that is not safe; a
    # statement not analysed (PS002, a note) leaves the analysis only partly done.
    findings = [_found("IX305", Severity.ERROR), _found("PS002", Severity.INFO)]
    verdict = answer_claims(findings, live_ran=False, queries_given=False, extension=False)
    answers = {a.claim.key: a for a in verdict.answers}
    assert "compatible" not in answers  # no extension, no claim about one
    assert answers["migrations"].answer == "No" and "IX305" in answers["migrations"].codes
    assert answers["analysis"].answer == "Partly"
    assert answers["indexing"].answer == "Not checked: no documented queries"
    assert answers["live"].answer == "Not checked: no live run"
    assert "extension" not in answers["naming"].question
    assert not verdict.headline.startswith(("Compatible", "Not compatible"))
    # A warning-only run without queries still does not claim its indexing is proper.
    verdict = answer_claims([_found("IX303", Severity.WARNING)], live_ran=True, queries_given=False)
    indexing = next(a for a in verdict.answers if a.claim.key == "indexing")
    assert indexing.answer.startswith("Not checked") and indexing.warnings == 1


def test_target_and_server_versions_side_by_side() -> None:
    result = cached_check(SIM_PARLANT)

    def live_on(version: str) -> LiveReport:
        return LiveReport((), {}, version, "embedded", applied_count=0, failed_count=0)

    live = live_on("18.1")
    with in_repo():
        model = build_report_model(replace(result, live=live))
    settings = dict(model.settings)
    assert settings["target PostgreSQL"].startswith("17")
    assert settings["server PostgreSQL"] == "18.1 (live run)"
    assert "PostgreSQL 18.1, not the target PostgreSQL 17" in model.version_warning
    page = render_html(model)
    assert 'class="warn-text version-warning"' in page
    same = live_on("17.6")
    with in_repo():
        model = build_report_model(replace(result, live=same))
    assert model.version_warning == ""


def test_base_url_links_each_file_line(tmp_path: Path) -> None:
    from checker.cli import main

    result = cached_check(SIM_PARLANT)
    with in_repo():
        model = build_report_model(result, base_url="https://example.test/r/blob/abc123/")
        page = render_html(model)
    row = next(r for r in model.findings if r.path.startswith("fixtures/parlant/0093"))
    url = f"https://example.test/r/blob/abc123/{row.path}#L{row.line}"
    assert f'href="{url}"' in page
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id int);\n", encoding="utf-8")
    html = tmp_path / "r.html"
    out = str(tmp_path / "o.txt")
    code = main(
        ["check", str(folder), "--html", str(html), "--html-base-url", "javascript:x", "-o", out]
    )
    assert code == 2 and not html.exists()
