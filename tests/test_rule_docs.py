"""Every rule documents itself, and its documentation's SQL does what it says."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_sql

from checker.rule import DOC_SECTIONS, Rule, registry, sql_of_section

RULES = list(registry().items())


@pytest.mark.parametrize(("code", "rule"), RULES, ids=[code for code, _ in RULES])
def test_rule_has_every_doc_section(code: str, rule: type[Rule]) -> None:
    docs = rule.docs()
    assert docs.get("Summary"), f"{code}: no summary line"
    for section in DOC_SECTIONS:
        assert docs.get(section, "").strip(), f"{code}: no '{section}' section"


def _params() -> list[object]:
    return [
        pytest.param(code, rule, id=code, marks=[pytest.mark.live] if code.startswith("LV") else [])
        for code, rule in RULES
    ]


@pytest.mark.parametrize(("code", "rule"), _params())
def test_example_triggers_and_use_instead_does_not(
    code: str, rule: type[Rule], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if not rule.doc_example_is_sql:
        pytest.skip(
            f"{code}: its example is not SQL that triggers it alone (a journal, a git history, "
            "the engine's own report); its fixtures or its own tests prove it"
        )
    # live rules prove their examples on the embedded server
    live = request.getfixturevalue("live_server") if code.startswith("LV") else None
    docs = rule.docs()
    example = tmp_path / "example"
    example.mkdir()
    fired = run_sql(
        example,
        sql_of_section(docs["Example"]),
        base_sql=rule.doc_setup,
        contract=rule.doc_contract,
        only=code,
        live=live,
    )
    assert any(f.code == code for f in fired.findings), f"{code}: its Example does not trigger it"
    instead = tmp_path / "instead"
    instead.mkdir()
    quiet = run_sql(
        instead,
        sql_of_section(docs["Use instead"]),
        base_sql=rule.doc_setup,
        contract=rule.doc_contract,
        only=code,
        live=live,
    )
    assert [f for f in quiet.findings if f.code == code] == [], (
        f"{code}: its 'Use instead' still triggers it"
    )


def test_rules_reference_page_is_generated_from_the_docstrings() -> None:
    from support import REPO

    from reports.rule_docs import render_rules_reference

    page = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == render_rules_reference(registry()), (
        "docs/rules.md is stale: run `schema-check rules --format markdown > docs/rules.md`"
    )
