"""Every rule against its fixtures: fixtures/rules/<CODE>/err_* fire exactly where
marked with ``-- expect: CODE``, ok_* stay silent. One rule runs at a time.

A fixture is a .sql file or a folder (a drizzle-kit folder or a folder of .sql
files), checked as the extension layer on top of ``setup.sql`` (or a ``setup``
folder) as the base layer, with ``contract.toml`` as the settings when present.
Findings a folder fixture expects outside .sql files (a journal, say) are listed
in its ``expected.txt`` as ``<relative path>:<line> CODE``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import (
    FIXTURES,
    Expectation,
    expected_markers,
    finding_lines,
    run_paths,
    settings_for,
)

from checker.model import Layer
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
            if case.name.startswith(("err_", "ok_")):
                cases.append((folder.name, case))
    return cases


def _run(code: str, case: Path):  # type: ignore[no-untyped-def]
    folder = case.parent
    inputs: list[tuple[Path, Layer]] = []
    for setup in (folder / "setup", folder / "setup.sql"):
        if setup.exists():
            inputs.append((setup, Layer.BASE))
    inputs.append((case, Layer.EXTENSION))
    contract = folder / "contract.toml"
    settings = (
        settings_for(contract.read_text(encoding="utf-8"), folder) if contract.exists() else None
    )
    return run_paths(inputs, settings, only=code)


def _expected(case: Path, code: str) -> list[Expectation]:
    files = sorted(case.rglob("*.sql")) if case.is_dir() else [case]
    found = [e for f in files for e in expected_markers(f) if e.code == code]
    listed = case / "expected.txt" if case.is_dir() else None
    if listed is not None and listed.exists():
        for line in listed.read_text(encoding="utf-8").splitlines():
            if line.strip():
                where, listed_code = line.split()
                path, number = where.rsplit(":", 1)
                found.append(Expectation(str(case / path), int(number), listed_code))
    return sorted(found, key=lambda e: (e.file, e.line))


@pytest.mark.parametrize(
    ("code", "case"), _cases(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_rule_fixture(code: str, case: Path) -> None:
    assert code in registry(), f"fixtures/rules/{code} has no registered rule"
    result = _run(code, case)
    inside = str(case)
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


def test_every_rule_has_fixtures() -> None:
    missing = []
    for code in registry():
        folder = RULE_FIXTURES / code
        kinds = {p.name.split("_")[0] for p in folder.iterdir()} if folder.is_dir() else set()
        if not {"err", "ok"} <= kinds:
            missing.append(code)
    assert missing == [], f"rules without err_ and ok_ fixtures: {missing}"
