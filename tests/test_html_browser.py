"""The HTML report in a real headless Chromium, opened from file:// like a reader would.

Skips (with the reason) when chromium or the websocket-client package is
missing. Screenshots go to tests/artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import Browser, find_chromium
from reports_support import HOSTILE, SIM_PARLANT, cached_check, render

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]
pytest.importorskip("websocket", reason="websocket-client drives chromium over DevTools")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM, width=1440, height=1000) as opened:
        yield opened


def _open(browser: Browser, tmp_path: Path, config: Path, name: str) -> None:
    page = tmp_path / f"{name}.html"
    page.write_text(render(cached_check(config), "html"), encoding="utf-8")
    browser.events.__init__()  # type: ignore[misc]  # fresh event record per page
    browser.open(page.as_uri())


def _visible_rows(browser: Browser) -> int:
    return int(
        browser.evaluate(
            "document.querySelectorAll('#findings-table tbody tr.finding:not([hidden])').length"
        )
    )


def test_loads_from_file_without_errors_or_network(browser: Browser, tmp_path: Path) -> None:
    _open(browser, tmp_path, SIM_PARLANT, "sim-parlant")
    assert browser.events.problems == []
    outside = [url for url in browser.events.requests if not url.startswith(("file:", "data:"))]
    assert outside == []
    assert browser.evaluate("document.title") == "Schema compatibility report"
    assert "Not compatible as designed" in browser.evaluate(
        "document.querySelector('.verdict-headline').textContent"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report-sim-parlant.png", full_page=True)
    browser.screenshot(ARTIFACTS / "report-sim-parlant-top.png")


def test_filters_and_search_change_the_visible_rows(browser: Browser, tmp_path: Path) -> None:
    _open(browser, tmp_path, SIM_PARLANT, "filters")
    result = cached_check(SIM_PARLANT)
    total = len(result.findings)
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    assert _visible_rows(browser) == total

    browser.click('.filter-group[data-filter="severity"] button[data-value="error"]')
    assert _visible_rows(browser) == errors
    assert browser.evaluate("document.getElementById('finding-shown').textContent") == (
        f"{errors} of {total} shown"
    )
    browser.click('.filter-group[data-filter="severity"] button[data-value="warning"]')
    warnings = sum(1 for f in result.findings if f.severity.value == "warning")
    assert _visible_rows(browser) == errors + warnings

    browser.click('.filter-group[data-filter="layer"] button[data-value="base"]')
    base_only = sum(
        1
        for f in result.findings
        if f.severity.value in ("error", "warning")
        and f.primary
        and f.primary.layer
        and f.primary.layer.value == "base"
    )
    assert _visible_rows(browser) == base_only

    browser.click('.filter-group[data-filter="layer"] button[data-value="base"]')
    browser.type_text("#finding-search", "parlant_event")
    shown = _visible_rows(browser)
    assert 0 < shown < errors + warnings
    texts = browser.evaluate(
        "Array.from(document.querySelectorAll('#findings-table tbody tr.finding:not([hidden])'))"
        ".map(r => r.textContent.toLowerCase())"
    )
    assert all("parlant_event" in text for text in texts)
    assert browser.events.problems == []


def test_graph_zooms_and_highlights(browser: Browser, tmp_path: Path) -> None:
    _open(browser, tmp_path, SIM_PARLANT, "graph")
    before = browser.evaluate("document.getElementById('fk-graph').getAttribute('viewBox')")
    browser.click('.graph-toolbar button[data-zoom="in"]')
    after = browser.evaluate("document.getElementById('fk-graph').getAttribute('viewBox')")
    assert before != after
    browser.evaluate(
        "document.querySelector('#fk-graph .node').dispatchEvent(new MouseEvent('mouseenter'))"
    )
    assert browser.evaluate("document.querySelectorAll('#fk-graph .edge.hl').length") > 0
    browser.click('.graph-toolbar button[data-zoom="reset"]')
    reset = browser.evaluate("document.getElementById('fk-graph').getAttribute('viewBox')")
    assert [float(v) for v in reset.split()] == [float(v) for v in before.split()]
    assert browser.events.problems == []


def test_hostile_identifier_is_text_and_never_runs(browser: Browser, tmp_path: Path) -> None:
    _open(browser, tmp_path, HOSTILE, "hostile")
    # Interact with everything that handles events, then give late handlers time.
    browser.click('.filter-group[data-filter="severity"] button[data-value="error"]')
    browser.type_text("#finding-search", "img")
    browser.evaluate(
        "document.querySelectorAll('#fk-graph .node').forEach(n => "
        "n.dispatchEvent(new MouseEvent('mouseenter')))"
    )
    browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    browser.pump(0.5)
    assert browser.events.dialogs == []
    assert browser.events.problems == []
    assert browser.evaluate("document.images.length") == 0
    assert browser.evaluate("document.querySelectorAll('script').length") == 1
    assert browser.evaluate("document.querySelectorAll('svg').length") == 1  # the FK graph only
    body = browser.evaluate("document.body.textContent")
    for hostile in ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"):
        assert hostile in body, json.dumps(hostile)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report-hostile.png", full_page=True)
