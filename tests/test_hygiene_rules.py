"""The HY8xx hygiene family as a user meets it: default rules on, preferences opt-in
(by code, by group, by the config's ``enable``), documented as such, and quiet on
upstream Sim's history except where Sim really breaks a default rule."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from checker.cli import main
from tests.support import CORPUS_ABSENT, SIM_MIGRATIONS

SCHEMA = """\
CREATE TABLE account (
    id bigserial PRIMARY KEY,
    settings json,
    created_at timestamp NOT NULL DEFAULT now()
);
"""
PREFERENCES = {"HY805", "HY806", "HY807", "HY812", "HY813", "HY814"}


def _codes(capsys: pytest.CaptureFixture[str], *args: str, config: Path | None = None) -> set[str]:
    argv = ["check", *args, "--format", "json", "--no-cache"]
    if config is not None:
        argv += ["--config", str(config)]
    assert main(argv) in (0, 1)
    document = json.loads(capsys.readouterr().out)
    return {f["code"] for f in document["findings"] if f["code"].startswith("HY")}


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "schema.sql"
    path.write_text(SCHEMA)
    return path


def test_preferences_are_off_by_default_and_by_family(
    schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _codes(capsys, str(schema)) == {"HY802"}
    # a family selects its default rules, never its opt-in ones
    assert _codes(capsys, str(schema), "--select", "HY") == {"HY802"}


def test_a_preference_runs_when_named_by_code_or_group(
    schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _codes(capsys, str(schema), "--select", "HY805") == {"HY805"}
    assert _codes(capsys, str(schema), "--select", "Hygiene-Preferences") == {
        "HY805",
        "HY806",
        "HY814",
    }
    assert _codes(capsys, str(schema), "--select", "HY,hygiene-preferences") == {
        "HY802",
        "HY805",
        "HY806",
        "HY814",
    }
    assert _codes(
        capsys, str(schema), "--select", "HY,hygiene-preferences", "--ignore", "HY806"
    ) == {"HY802", "HY805", "HY814"}


def test_config_enable_turns_preferences_on(
    schema: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "schema-check.toml"
    config.write_text('enable = ["hygiene-preferences"]\n')
    assert _codes(capsys, str(schema), config=config) == {"HY802", "HY805", "HY806", "HY814"}
    # once enabled, a preference is selected by its family like a default rule
    assert _codes(capsys, str(schema), "--select", "HY", config=config) == {
        "HY802",
        "HY805",
        "HY806",
        "HY814",
    }
    assert _codes(capsys, str(schema), "--ignore", "hygiene-preferences", config=config) == {
        "HY802"
    }
    config.write_text('enable = ["HY806"]\n')
    assert _codes(capsys, str(schema), config=config) == {"HY802", "HY806"}


def test_unknown_group_and_bad_enable_are_one_line_errors(
    schema: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(schema), "--select", "hygiene-prefs"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule group 'hygiene-prefs' (opt-in groups: hygiene-preferences)" in err
    assert len(err.strip().splitlines()) == 1
    config = tmp_path / "schema-check.toml"
    config.write_text('enable = ["HY"]\n')
    assert main(["check", str(schema), "--config", str(config)]) == 2
    assert "enable: 'HY' is not a rule code (HY806) or an opt-in group" in capsys.readouterr().err
    config.write_text('enable = ["HY899"]\n')
    assert main(["check", str(schema), "--config", str(config)]) == 2
    assert "schema-check.toml:1:12: enable: unknown rule code 'HY899'" in capsys.readouterr().err


def test_rules_listing_and_docs_say_which_rules_are_opt_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rules"]) == 0
    listing = {line[:5]: line for line in capsys.readouterr().out.splitlines()}
    for code in PREFERENCES:
        assert listing[code].endswith("[opt-in: hygiene-preferences]"), listing[code]
    for code in ("HY801", "HY802", "HY815"):
        assert "opt-in" not in listing[code]
    assert main(["rules", "HY805"]) == 0
    assert "Opt-in (hygiene-preferences): runs only when selected" in capsys.readouterr().out
    assert main(["rules", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "## HY: schema hygiene" in markdown
    assert "**Opt-in** (group `hygiene-preferences`)" in markdown


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_default_rules_on_upstream_sim(capsys: pytest.CaptureFixture[str]) -> None:
    """Sim's history: its 26 json columns (schema.ts declares exactly 26 json()) and
    the 9 constraints it adds NOT VALID and never validates; nothing else by default."""
    assert main(["check", str(SIM_MIGRATIONS), "--select", "HY", "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert Counter(f["code"] for f in findings) == {"HY802": 26, "HY815": 9}
