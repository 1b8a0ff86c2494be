"""docs/parity.md stays true: the codes it names exist, and every squawk rule and
pg-index-health check is in it exactly once, with a code or a reason."""

from __future__ import annotations

import re

import pytest

import rules
from tests.support import REPO

PARITY = REPO / "docs" / "parity.md"

# squawk's documented rules (the Rules list of docs/sidebars.js, squawk main after 2.70)
SQUAWK_RULES = (
    "adding-field-with-default", "adding-foreign-key-constraint", "adding-not-nullable-field",
    "adding-required-field", "adding-serial-primary-key-field", "ban-char-field",
    "ban-concurrent-index-creation-in-transaction", "ban-drop-column", "ban-drop-database",
    "ban-drop-not-null", "ban-drop-table", "changing-column-type", "constraint-missing-not-valid",
    "disallowed-unique-constraint", "prefer-bigint-over-int", "prefer-bigint-over-smallint",
    "prefer-identity", "prefer-robust-stmts", "prefer-text-field", "prefer-timestamptz",
    "renaming-column", "renaming-table", "require-concurrent-index-creation",
    "require-concurrent-index-deletion", "transaction-nesting",
    "ban-create-domain-with-constraint", "ban-alter-domain-with-add-constraint",
    "ban-truncate-cascade", "syntax-error", "require-timeout-settings", "require-lock-timeout",
    "require-statement-timeout", "ban-uncommitted-transaction", "require-enum-value-ordering",
    "require-table-schema", "identifier-too-long", "require-concurrent-partition-detach",
    "require-concurrent-reindex", "prefer-repack", "ban-duplicate-column-assignments",
)  # fmt: skip
PG_INDEX_HEALTH_CHECKS = 45  # doc/available_checks.md numbers them 1 to 45

CODE = re.compile(r"^[A-Z]{2}\d{3}$")


def _section(title: str) -> list[tuple[str, str, str]]:
    """The rows (first column, schema-check column, notes) of the table under ``## title``."""
    text = PARITY.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/parity.md has no '## {title}' section"
    rows = []
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[0]) <= {"-"} or len(cells) != 3:
            continue
        rows.append((cells[0], cells[1], cells[2]))
    return rows[1:]  # the header


def _assert_mapped(name: str, mapped: str, notes: str) -> None:
    known = {row.code for row in rules.RULE_TABLE}
    if mapped == "—":
        assert notes, f"{name}: no code, so it needs the reason"
        return
    for code in (part.strip() for part in mapped.split(",")):
        assert CODE.match(code), f"{name}: {code!r} is not a rule code"
        assert code in known, f"{name}: {code} is not a schema-check rule"


@pytest.mark.parametrize("title", ["squawk", "pg-index-health"])
def test_every_row_names_existing_codes_or_a_reason(title: str) -> None:
    rows = _section(title)
    assert rows
    for name, mapped, notes in rows:
        _assert_mapped(name, mapped, notes)


def test_every_squawk_rule_appears_once() -> None:
    names = [name for name, _, _ in _section("squawk")]
    assert sorted(names) == sorted(SQUAWK_RULES)
    assert len(names) == len(set(names))


def test_every_pg_index_health_check_appears_once() -> None:
    numbers = [int(name.split(".", 1)[0]) for name, _, _ in _section("pg-index-health")]
    assert numbers == list(range(1, PG_INDEX_HEALTH_CHECKS + 1))


def test_a_code_that_does_not_exist_is_refused() -> None:
    with pytest.raises(AssertionError, match="MG999 is not a schema-check rule"):
        _assert_mapped("made-up", "MG409, MG999", "")
