"""Shared by the report tests: the bundled scenarios checked once, rendered in every format."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

import rules
from checker.config import load_settings
from checker.engine import CheckResult, check
from checker.rule import registry
from reports.github_report import render_github
from reports.html_report import build_report_model, render_html
from reports.json_report import render_json
from reports.junit_report import render_junit
from reports.markdown_report import render_markdown
from reports.sarif_report import render_sarif
from reports.text_report import render_text

rules.load_builtin_rules()

REPO = Path(__file__).resolve().parent.parent
SIM_PARLANT = REPO / "fixtures" / "parlant" / "schema-check.toml"
HOSTILE = REPO / "fixtures" / "scenarios" / "hostile_identifier" / "schema-check.toml"
DEPENDENCIES = REPO / "fixtures" / "scenarios" / "html_dependencies" / "schema-check.toml"
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html")


@contextmanager
def in_repo() -> Iterator[None]:
    """Run with the repository as working directory: reports show paths relative to it."""
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        yield
    finally:
        os.chdir(previous)


def run_check(config: Path) -> CheckResult:
    with in_repo():
        return check(load_settings(config.relative_to(REPO)))


@cache
def cached_check(config: Path) -> CheckResult:
    return run_check(config)


def render(result: CheckResult, fmt: str) -> str:
    """One format's output, as the CLI writes it; no timings, so it is reproducible."""
    metas = {code: rule.meta for code, rule in registry().items()}
    with in_repo():
        if fmt == "text":
            return render_text(
                result.findings,
                result.files,
                statements=result.statement_count(),
                suppressed=result.suppressed,
            )
        if fmt == "json":
            counts = result.simulation.catalog.counts()
            return render_json(result.findings, result.files, metas, counts=counts)
        if fmt == "sarif":
            return render_sarif(result.findings, result.files, registry())
        if fmt == "junit":
            return render_junit(
                result.findings,
                result.files,
                metas,
                rules_run=result.rules_run,
                fail_on=result.settings.fail_on,
            )
        if fmt == "github":
            return render_github(result.findings, result.files, metas)
        if fmt == "markdown":
            return render_markdown(result.findings, result.files, metas)
        if fmt == "html":
            # no timings and no commit: the golden is the same on every machine and commit
            return render_html(replace(build_report_model(result), timings=(), provenance=""))
    raise ValueError(fmt)
