"""SARIF output: valid against the official SARIF 2.1.0 schema, complete, and stable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reports_support import HOSTILE, SIM_PARLANT, cached_check, render

from checker.rule import registry

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema validates SARIF against its schema"
)

# The OASIS schema (sarif-2.1/schema/sarif-schema-2.1.0.json of oasis-tcs/sarif-spec),
# vendored so that the test needs no network.
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def _sarif(config: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(cached_check(config), "sarif"))
    return data


@pytest.mark.parametrize("config", [SIM_PARLANT, HOSTILE], ids=["sim-parlant", "hostile"])
def test_valid_against_the_official_schema(config: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(_sarif(config)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_every_rule_is_described_with_help_from_its_docstring() -> None:
    driver = _sarif(SIM_PARLANT)["runs"][0]["tool"]["driver"]
    described = {rule["id"]: rule for rule in driver["rules"]}
    assert set(described) == set(registry())
    for code, rule_class in registry().items():
        rule = described[code]
        assert rule["name"] == rule_class.meta.name
        assert rule["shortDescription"]["text"] == rule_class.meta.summary
        assert "What it does" in rule["help"]["text"]
        assert "**Why it matters**" in rule["help"]["markdown"]


def test_results_match_findings_with_relative_uris_and_fingerprints() -> None:
    result = cached_check(SIM_PARLANT)
    run = _sarif(SIM_PARLANT)["runs"][0]
    results = run["results"]
    assert len(results) == len(result.findings)
    rules = run["tool"]["driver"]["rules"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for finding, sarif_result in zip(result.findings, results, strict=True):
        assert sarif_result["ruleId"] == finding.code
        assert rules[sarif_result["ruleIndex"]]["id"] == finding.code
        assert sarif_result["level"] == levels[finding.severity.value]
        uri = sarif_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("fixtures/"), uri
        assert sarif_result["partialFingerprints"]["schemaCheck/v1"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_hostile_identifiers_are_plain_json_strings() -> None:
    text = render(cached_check(HOSTILE), "sarif")
    data = json.loads(text)
    messages = [r["message"]["text"] for r in data["runs"][0]["results"]]
    assert any("<img src=x onerror=alert(1)>" in m for m in messages)


def test_the_schema_check_can_fail() -> None:
    data = _sarif(SIM_PARLANT)
    data["runs"][0]["results"][0]["level"] = "info"  # SARIF says "note"
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(data))


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("postgresql://app@db.internal:5432/main", "postgresql://app@db.internal:5432/main"),
        ("migrations/0001 init.sql", "migrations/0001%20init.sql"),
        ("/srv/app/0001.sql", "file:///srv/app/0001.sql"),
    ],
)
def test_artifact_uris_keep_what_each_location_is(path: str, uri: str) -> None:
    from reports.sarif_report import artifact_uri

    assert artifact_uri(path) == uri
