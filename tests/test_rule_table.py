"""The static rule table (rules.RULE_TABLE) names every built-in rule module and nothing else,
so a run can import only the rules it selected."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import rules
from checker.rule import Rule
from tests.support import REPO


def _rules_defined_in(module_name: str) -> list[type[Rule]]:
    module = importlib.import_module(module_name)
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Rule)
        and value is not Rule
        and value.__module__ == module_name
        and hasattr(value, "meta")
    ]


def test_every_rule_module_has_a_row() -> None:
    listed = {row.module for row in rules.RULE_TABLE}
    missing = []
    for module_name in rules.rule_modules():
        if module_name in listed:
            continue
        for rule in _rules_defined_in(module_name):
            relative = module_name.removeprefix("rules.")
            meta = rule.meta
            missing.append(
                f"    ({meta.code!r}, {meta.name!r}, {relative!r}, "
                f"{meta.severity.value!r}, {meta.summary!r}),"
            )
    assert missing == [], "add these rows to rules/__init__.py _ROWS:\n" + "\n".join(missing)


def test_every_row_names_a_module_that_defines_its_rule() -> None:
    wrong = []
    for row in rules.RULE_TABLE:
        try:
            defined = {r.meta.code: r.meta for r in _rules_defined_in(row.module)}
        except ModuleNotFoundError:
            wrong.append(f"{row.code}: no module {row.module}")
            continue
        if defined.get(row.code) != row.meta:
            wrong.append(f"{row.code}: the row says {row.meta}, {row.module} defines {defined}")
        if not row.module.startswith(f"rules.{row.family}."):
            wrong.append(f"{row.code}: family {row.family} is not the folder of {row.module}")
    assert wrong == []


def test_codes_and_names_are_unique_and_sorted() -> None:
    codes = [row.code for row in rules.RULE_TABLE]
    names = [row.name for row in rules.RULE_TABLE]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert codes == sorted(codes)


def test_a_selected_run_imports_only_the_selected_rules() -> None:
    code = (
        "import sys; from checker.cli import main;"
        "main(['check', '--base', 'fixtures/sim', '--select', 'NC101,FK', '--no-cache',"
        " '--format', 'json', '-o', '/dev/null']);"
        "import re; print(sorted(m for m in sys.modules"
        " if re.fullmatch(r'rules\\.\\w+\\.[a-z]{2}\\d{3}_\\w+', m)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    imported = ast.literal_eval(out.stdout.strip())
    expected = sorted(
        row.module for row in rules.RULE_TABLE if row.code == "NC101" or row.prefix == "FK"
    )
    assert imported == expected


def test_no_rule_takes_a_retired_code() -> None:
    from checker.codes import RETIRED

    assert not {row.code for row in rules.RULE_TABLE} & set(RETIRED)
