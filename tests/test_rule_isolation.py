"""A rule cannot sink the run: its crash is one PS009 finding, the rest still runs, exit 4."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from checker import rule as rule_module
from checker.cli import main
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@pytest.fixture
def raising_rule() -> Iterator[str]:
    """A rule, registered like a third-party pack's, that raises KeyError after one finding."""

    class RaisingRule(Rule):
        """Raises.

        What it does:
            Raises KeyError.
        """

        meta = RuleMeta("ZZ901", "raises-key-error", Severity.WARNING, "raises")

        def check(self, context: RuleContext) -> Iterator[Finding]:
            yield self.finding("half a result", None)
            raise KeyError("no such table")

    register(RaisingRule)
    try:
        yield "ZZ901"
    finally:
        rule_module._REGISTRY.pop("ZZ901", None)


def _sql(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "0001_change.sql"
    path.write_text(text, encoding="utf-8")
    return path


def _json(arguments: Sequence[str], tmp_path: Path) -> tuple[int, list[dict[str, object]]]:
    import json

    report = tmp_path / "report.json"
    code = main(["check", *arguments, "--format", "json", "-o", str(report)])
    return code, json.loads(report.read_text(encoding="utf-8"))["findings"]


def test_a_raising_rule_becomes_one_finding_and_the_others_still_run(
    raising_rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = _sql(
        tmp_path, 'CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE t ("offset" int);\n'
    )
    code, findings = _json(["--base", str(sql)], tmp_path)
    assert code == 4
    assert "internal error" in capsys.readouterr().err
    crashed = [f for f in findings if f["code"] == "PS009"]
    assert len(crashed) == 1
    assert "ZZ901" in str(crashed[0]["message"]) and "KeyError" in str(crashed[0]["message"])
    assert not any(f["code"] == "ZZ901" for f in findings)  # its partial result is dropped
    assert any(f["code"] == "NC105" for f in findings)  # every other rule still ran


def test_the_traceback_is_shown_only_in_debug_mode(
    raising_rule: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = _sql(tmp_path, "CREATE TABLE t (id int);\n")
    _, findings = _json(["--base", str(sql)], tmp_path)
    assert [f["details"] for f in findings if f["code"] == "PS009"] == [[]]
    monkeypatch.setenv("SCHEMA_CHECK_DEBUG", "1")
    _, findings = _json(["--base", str(sql)], tmp_path)
    details = next(f["details"] for f in findings if f["code"] == "PS009")
    assert any("KeyError" in line for line in details)
    assert any("Traceback" in line for line in details)


def test_ignoring_the_broken_rule_gives_a_normal_exit(raising_rule: str, tmp_path: Path) -> None:
    sql = _sql(tmp_path, "CREATE TABLE t (id int PRIMARY KEY);\n")
    code, findings = _json(["--base", str(sql), "--ignore", "ZZ901"], tmp_path)
    assert code == 0
    assert not any(f["code"] == "PS009" for f in findings)


def test_a_deferred_rule_whose_module_fails_to_import_is_one_finding(tmp_path: Path) -> None:
    """A check imports a rule's module where the rule runs: a module that raises on import
    is that rule's crash (PS009, naming the module), not the run's."""
    (tmp_path / "zz_broken_pack.py").write_text("raise ImportError('a dependency is missing')\n")
    import sys

    from checker.config import Settings
    from checker.engine import analyse, run_rules
    from checker.model import Layer

    meta = RuleMeta("ZZ902", "never-imports", Severity.WARNING, "its module is broken")
    sys.path.insert(0, str(tmp_path))
    rule_module.defer(meta, "zz_broken_pack")
    try:
        sql = _sql(tmp_path, "CREATE TABLE t (id int PRIMARY KEY);\n")
        result = run_rules(
            analyse(Settings(), [(sql, Layer.BASE)]),
            select=lambda chosen: chosen.code in ("ZZ902", "NC101"),
        )
    finally:
        sys.path.remove(str(tmp_path))
        rule_module._DEFERRED.pop("ZZ902", None)
    crashed = [f for f in result.findings if f.code == "PS009"]
    assert len(crashed) == 1
    assert "rule ZZ902 (zz_broken_pack) failed with ImportError" in crashed[0].message
    assert result.rules_run == ("NC101", "ZZ902")
