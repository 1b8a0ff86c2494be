"""--rollback: after the change's rollback scripts the schema must be the base's (LV506)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main

SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / "rollback_scripts"

pytestmark = pytest.mark.live


def _lv506(rollback: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = main(
        [
            "check",
            "--base",
            str(SCENARIO / "base.sql"),
            "--extension",
            str(SCENARIO / "extension.sql"),
            "--live",
            "--rollback",
            str(SCENARIO / rollback),
            "--format",
            "json",
        ]
    )
    assert code in (0, 1)
    report = json.loads(capsys.readouterr().out)
    return sorted(f["message"] for f in report["findings"] if f["code"] == "LV506")


def test_complete_rollback_restores_the_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert _lv506("rollback_complete.sql", capsys) == []


def test_incomplete_rollback_reports_what_is_left_and_what_is_gone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    messages = _lv506("rollback_incomplete.sql", capsys)
    assert any("leaves" in m and "agent_status" in m for m in messages), messages
    assert any("agent_limit" in m for m in messages), messages
    assert any("does not bring back" in m and "workspace_mode" in m for m in messages), messages


def test_rollback_needs_live(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--base", str(SCENARIO / "base.sql"), "--rollback", "x.sql"])
    assert code == 2
    assert "--rollback need --live" in capsys.readouterr().err
