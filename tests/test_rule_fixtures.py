"""Every rule against its fixtures: fixtures/rules/<CODE>/err_* fire exactly where
marked with ``-- expect: CODE``, ok_* stay silent. One rule runs at a time.

A fixture is a .sql file or a folder (a drizzle-kit folder or a folder of .sql
files), checked as the extension layer on top of ``setup.sql`` (or a ``setup``
folder) as the base layer (a folder holding ``supabase/migrations`` is a Supabase
project, checked alone), with ``contract.toml`` as the settings when present
(or the case's own ``<case>.toml``, whose lines may carry ``# expect: CODE``).
Findings a folder fixture expects outside .sql files (a journal, say) are listed
in its ``expected.txt`` as ``<relative path>:<line> CODE``.

Live rules (LV5xx) run their cases through the live verifier on one embedded
PostgreSQL server for the session, each case in a scratch database.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from support import (
    FIXTURES,
    Expectation,
    expected_markers,
    finding_lines,
    fixture_inputs,
    run_git_case,
    run_live,
    run_paths,
    settings_for,
)
from syrupy.assertion import SnapshotAssertion

from checker.config import Settings
from checker.engine import CheckResult
from checker.rule import registry

RULE_FIXTURES = FIXTURES / "rules"


def _cases() -> list[tuple[str, Path]]:
    cases = []
    if not RULE_FIXTURES.is_dir():
        return cases
    for folder in sorted(RULE_FIXTURES.iterdir()):
        if not folder.is_dir():
            continue
        for case in sorted(folder.iterdir()):
            if case.name.startswith(("err_", "ok_")) and case.suffix != ".toml":
                cases.append((folder.name, case))
    return cases


def _contract_of(case: Path) -> Path | None:
    own = case.with_suffix(".toml")
    if case.is_file() and own.exists():
        return own
    shared = case.parent / "contract.toml"
    return shared if shared.exists() else None


def _settings(case: Path) -> Settings | None:
    contract = _contract_of(case)
    if contract is None:
        return None
    return settings_for(contract.read_text(encoding="utf-8"), contract.parent, contract.name)


def _run(code: str, case: Path, live: Any = None) -> CheckResult:
    if (case / "merge-base").is_dir():
        with tempfile.TemporaryDirectory() as scratch:
            return run_git_case(case, Path(scratch), only=code)
    inputs = fixture_inputs(case)
    settings = _settings(case)
    if live is None:
        return run_paths(inputs, settings, only=code)
    return run_live(inputs, settings, code, live)


def _expected(case: Path, code: str) -> list[Expectation]:
    files = sorted(case.rglob("*.sql")) if case.is_dir() else [case]
    own_contract = _contract_of(case)
    if own_contract is not None and own_contract.name != "contract.toml":
        files.append(own_contract)
    found = [e for f in files for e in expected_markers(f) if e.code == code]
    listed = case / "expected.txt" if case.is_dir() else None
    if listed is not None and listed.exists():
        for line in listed.read_text(encoding="utf-8").splitlines():
            if line.strip():
                where, listed_code = line.split()
                path, number = where.rsplit(":", 1)
                found.append(Expectation(str(case / path), int(number), listed_code))
    return sorted(found, key=lambda e: (e.file, e.line))


def _params() -> list[Any]:
    return [
        pytest.param(code, case, id=f"{code}-{case.name}", marks=[pytest.mark.live])
        if code.startswith("LV")
        else pytest.param(code, case, id=f"{code}-{case.name}")
        for code, case in _cases()
    ]


def _diagnostics(result: CheckResult, code: str, case: Path) -> str:
    """The whole of each finding of ``code``, as a reviewer reads it: place, severity,
    message, details, related places and fix, with paths relative to the fixtures."""
    root = str(RULE_FIXTURES) + "/"

    def place(file: str, start: int) -> str:
        source = result.files.get(file)
        line, column = source.line_col(start) if source else (0, 0)
        return f"{file.removeprefix(root)}:{line}:{column}"

    lines: list[str] = []
    for finding in result.findings:
        if finding.code != code:
            continue
        primary = finding.primary
        where = place(primary.file, primary.start) if primary else "(no location)"
        lines.append(f"{where} {finding.code} {finding.severity.value} {finding.message}")
        lines += [f"  detail: {d}" for d in finding.details]
        for related in finding.locations[1:]:
            lines.append(f"  see: {place(related.file, related.start)} {related.label}".rstrip())
        if finding.fix:
            lines.append(f"  fix: {finding.fix}")
    return "\n".join(lines).replace(str(case.parent) + "/", "") + "\n"


@pytest.mark.parametrize(("code", "case"), _params())
def test_rule_fixture(
    code: str, case: Path, request: pytest.FixtureRequest, snapshot: SnapshotAssertion
) -> None:
    assert code in registry(), f"fixtures/rules/{code} has no registered rule"
    live = request.getfixturevalue("live_server") if code.startswith("LV") else None
    result = _run(code, case, live)
    own_contract = _contract_of(case)
    inside = (str(case), str(own_contract) if own_contract else str(case))
    actual = sorted(
        (e for e in finding_lines(result, code) if e.file.startswith(inside)),
        key=lambda e: (e.file, e.line),
    )
    if case.name.startswith("ok_"):
        assert actual == [], f"{case.name} should not trigger {code}: {result.findings}"
    else:
        expected = _expected(case, code)
        assert expected, f"{case.name} marks no `-- expect: {code}` line"
        assert actual == expected, "\n".join(f.message for f in result.findings)
        if live is None:  # a live message quotes the server, whose wording may change
            assert _diagnostics(result, code, case) == snapshot


# Rules no SQL can trigger, and the test that proves them instead.
NO_SQL_FIXTURES = {
    "PS004": "tests/test_suppressions.py runs it with the rules whose comments it judges",
    "PS009": "tests/test_rule_isolation.py registers a raising rule",
}


def test_every_rule_has_fixtures() -> None:
    missing = []
    for code in registry():
        if code in NO_SQL_FIXTURES:
            continue
        folder = RULE_FIXTURES / code
        kinds = {p.name.split("_")[0] for p in folder.iterdir()} if folder.is_dir() else set()
        if not {"err", "ok"} <= kinds:
            missing.append(code)
    assert missing == [], f"rules without err_ and ok_ fixtures: {missing}"
