"""Suppression comments: what they silence, and PS004 for the ones that silence nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main

BASE = (
    "CREATE TABLE account (id text PRIMARY KEY);\n"
    "CREATE TABLE note (\n"
    "  id text PRIMARY KEY,\n"
    "  account_id text REFERENCES account (id) -- schema-check: ignore[FK204]\n"
    ");\n"
)


def _findings(
    tmp_path: Path, sql: str, capsys: pytest.CaptureFixture[str], *options: str
) -> list[dict[str, object]]:
    path = tmp_path / "0001.sql"
    path.write_text(sql, encoding="utf-8")
    main(["check", "--base", str(path), "--format", "json", "--no-cache", *options])
    findings: list[dict[str, object]] = json.loads(capsys.readouterr().out)["findings"]
    return findings


def _codes(findings: list[dict[str, object]]) -> list[str]:
    return [str(f["code"]) for f in findings]


def test_a_used_suppression_silences_and_is_not_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = _codes(_findings(tmp_path, BASE, capsys))
    assert "FK204" not in codes and "PS004" not in codes


def test_a_code_that_silences_nothing_is_reported_at_the_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = BASE.replace(
        "CREATE TABLE account (id text PRIMARY KEY);",
        "CREATE TABLE account (id text PRIMARY KEY); -- schema-check: ignore[FK204,IX]",
    )
    findings = _findings(tmp_path, sql, capsys)
    unused = [f for f in findings if f["code"] == "PS004"]
    assert [u["objects"] for u in unused] == [["FK204"], ["IX"]]
    first = unused[0]["location"]
    assert isinstance(first, dict)
    assert (first["line"], first["column"]) == (1, 69)
    assert "FK204" not in _codes(findings), "the used comment on line 4 still silences"


def test_a_bare_ignore_that_silences_nothing_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = "CREATE TABLE tag (id text PRIMARY KEY); -- schema-check: ignore\n"
    (unused,) = _findings(tmp_path, sql, capsys)
    assert unused["code"] == "PS004" and "silences no finding" in str(unused["message"])


def test_rules_that_did_not_run_leave_their_suppressions_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = "CREATE TABLE tag (id text PRIMARY KEY); -- schema-check: ignore[FK204]\n"
    assert _codes(_findings(tmp_path, sql, capsys)) == ["PS004"]
    assert _codes(_findings(tmp_path, sql, capsys, "--select", "PS004")) == []
    assert _codes(_findings(tmp_path, sql, capsys, "--ignore", "FK204")) == []
    assert _codes(_findings(tmp_path, sql, capsys, "--ignore", "PS004")) == []
