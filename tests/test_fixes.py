"""Fixes are data: every structured fix of every rule, applied to its own ``err_`` fixture,
makes its finding go away and brings no new finding; the name helper never proposes a
name that needs quotes or more than 63 bytes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, run_paths
from syrupy.assertion import SnapshotAssertion

from checker.engine import CheckResult
from checker.findings import Edit, Finding
from checker.fixes import new_name, sql_name
from checker.model import Layer

RULES = FIXTURES / "rules"

# Rules whose fixes stay advice: the right change needs a decision only the author can
# make (which value to backfill, which contract is meant, how to split a migration).
ADVICE_ONLY = {
    **{
        f"DR60{n}": "which side of the drift is right (the ORM, the snapshot or the SQL) is "
        "the author's decision"
        for n in range(1, 10)
    },
    "DR610": "which side is right (the declared schema or the migrations) is the author's "
    "decision; the message gives the statement for a view that lost security_invoker",
    "FK202": "the column or the key changes type: which one is the author's decision",
    "FK203": "a unique key on the referenced columns, or a foreign key to another key",
    "FK205": "the contract or the foreign key is wrong: only the author knows which",
    "FK206": "the blocking foreign key's action is a design decision",
    "FK207": "how much may cascade is a design decision",
    "FK208": "the tenant column joins the key: it changes the table's keys",
    "FK209": "which foreign key of the cycle to defer or drop is a design decision",
    "FN701": "the body's misspelt name: only the author knows the one meant",
    "FN702": "the trigger's table or the function's field is wrong",
    "FN703": "the body must follow the rename or the drop",
    "FN704": "drop or re-create the view around the change",
    "FN705": "the command moves out of the function, into a migration of its own",
    "FN707": "the query must be rebuilt with format('%I'/'%L') or USING",
    "FN708": "the trigger's function must be rewritten to return trigger",
    "HY810": "MATCH FULL or NOT NULL columns: which one fits the data is the author's",
    "HY812": "changing a key's type reaches every table that references it",
    "HY813": "the index's column order follows the queries",
    "HY814": "a table with no foreign key may be deliberate",
    "IX302": "rename the serving index, or create the documented one",
    "IX305": "the expression's function must become IMMUTABLE or be replaced",
    "IX306": "the partitioning key joins the unique key: it changes the table's keys",
    "IX307": "the operator class follows the queries' distance operator",
    "IX308": "a hash or an expression index, depending on the lookups",
    "IX309": "the column the queries filter by is the author's",
    "MG401": "journal bookkeeping: regenerate it with drizzle-kit",
    "MG402": "journal bookkeeping: regenerate it with drizzle-kit",
    "MG403": "journal bookkeeping: renumber the new migration",
    "MG404": "journal bookkeeping: renumber the new migration",
    "MG405": "journal bookkeeping: regenerate it with drizzle-kit",
    "MG406": "which statement should come first is the author's",
    "MG407": "split the migration the way the runner allows",
    "NC109": "a rename does not clean the statements that already wrote the hidden name; "
    "the visible name is the author's choice",
    "MG408": "the extension's change to the base moves to the base's own migrations",
    "MG409": "the safe form takes several statements and often several migrations",
    "MG410": "server settings move out of migrations",
    "MG411": "the default value, or the backfill, is the author's",
    "MG412": "restore the applied migration as it was",
    "MG413": "CONCURRENTLY needs its own run outside the transaction (MG407)",
    "MG414": "expand/contract spans two deploys: stop reading it first",
    "MG415": "whether the rows may go, and how, is the author's",
    "MG417": "which statements to guard, or whether to drop the COMMIT, is the author's",
    "MG418": "the domain's check moves to NOT VALID plus VALIDATE, or to the columns",
    "MG419": "renaming a live enum value needs the application deployed first",
    "NC101": "which definition is meant is the author's",
    "NC102": "which type keeps the name is the author's",
    "NC103": "which constraint keeps the name is the author's",
    "NC104": "the shorter name is the author's (and the ORM's)",
    "NC105": "rename it, or quote it everywhere",
    "NC106": "the convention's name for the object is the author's",
    "NC108": "the name the author meant is the author's",
    "PS001": "the statement must be rewritten",
    "PS002": "nothing to fix: the statement is not analysed",
    "PS003": "the contract or the schema is wrong",
    "PS005": "drizzle-kit writes the snapshot again from the corrected ORM schema",
    "RL901": "who may read and write which rows (the policies) is the author's",
    "RL903": "the policies the API's clients need, or none for a server-only table",
    "RL906": "another schema, or revoked privileges: where the copy may live is the author's",
    "RL907": "where the access decision's data lives (app_metadata, a table) is the author's",
}


def _cases() -> list[Any]:
    cases = []
    for folder in sorted(RULES.iterdir()):
        code = folder.name
        if code.startswith("LV") or not folder.is_dir():
            continue
        for case in sorted(folder.glob("err_*")):
            if case.suffix == ".toml" or (case / "merge-base").is_dir():
                continue
            cases.append(pytest.param(code, case, id=f"{code}-{case.name}"))
    return cases


def _check(code: str, case: Path, only: str | None) -> CheckResult:
    from support import fixture_inputs, settings_for

    inputs = fixture_inputs(case)

    contract = case.with_suffix(".toml") if case.is_file() else case.parent / "contract.toml"
    if not contract.exists():
        contract = case.parent / "contract.toml"
    settings = (
        settings_for(contract.read_text(encoding="utf-8"), contract.parent, contract.name)
        if contract.exists()
        else None
    )
    return run_paths(inputs, settings, only=only)


def _keys(finding: Finding, root: Path) -> set[tuple[object, ...]]:
    """A finding by rule and place, and by rule and objects: a rename changes the objects
    a finding names (a column of the renamed table), not where it stands; re-creating a
    constraint moves a finding about it, not what it names."""
    primary = finding.primary
    where = (
        (finding.code, str(Path(primary.file).relative_to(root)), primary.start)
        if primary is not None and Path(primary.file).is_relative_to(root)
        else (finding.code, "", -1)
    )
    return {where, (finding.code, finding.objects)}


def _new_findings(before: CheckResult, after: CheckResult, old: Path, new: Path) -> list[str]:
    seen = {key for f in before.findings for key in _keys(f, old)}
    return [f"{f.code}: {f.message}" for f in after.findings if not _keys(f, new) & seen]


def _apply(findings: list[Finding], copy: Path, original: Path) -> None:
    """Apply the fixes' edits (last first) and append their statements to the file."""
    edits: dict[str, list[Edit]] = {}
    appended: dict[str, list[str]] = {}
    for finding in findings:
        assert finding.fix is not None and finding.primary is not None
        for edit in finding.fix.edits:
            edits.setdefault(edit.file, []).append(edit)
        if finding.fix.statements:
            appended.setdefault(finding.primary.file, []).extend(finding.fix.statements)
    for file in sorted(set(edits) | set(appended)):
        target = copy / Path(file).relative_to(original)
        text = target.read_text(encoding="utf-8")
        for edit in sorted(edits.get(file, []), key=lambda e: e.start, reverse=True):
            text = text[: edit.start] + edit.text + text[edit.end :]
        for statement in dict.fromkeys(appended.get(file, [])):
            text = text.rstrip("\n") + "\n" + statement + "\n"
        target.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("code", "case"), _cases())
def test_a_structured_fix_removes_its_finding_and_adds_none(
    code: str, case: Path, tmp_path: Path
) -> None:
    """Each fix on its own, as a user applies one: its finding is gone, nothing is new."""
    before = _check(code, case, code)
    fixable = [f for f in before.findings if f.code == code and f.fix and f.fix.structured]
    if not fixable:
        assert code in ADVICE_ONLY, f"{code}: no structured fix and no reason in ADVICE_ONLY"
        return
    everything_before = _check(code, case, None)
    for number, finding in enumerate(fixable):
        copy = tmp_path / str(number) / case.parent.name
        shutil.copytree(case.parent, copy)
        _apply([finding], copy, case.parent)
        fixed_case = copy / case.name
        after = _check(code, fixed_case, code)
        gone = _keys(finding, case.parent)
        assert not any(_keys(f, copy) & gone for f in after.findings), str(finding.fix)
        everything_after = _check(code, fixed_case, None)
        new = _new_findings(everything_before, everything_after, case.parent, copy)
        assert new == [], f"{finding.fix} brought new findings"


def test_every_rule_has_a_structured_fix_or_says_why_not() -> None:
    from checker.rule import registry

    engine_made = {"PS004", "PS009"}  # the engine writes these; PS004 carries edits
    missing = [
        code
        for code in registry()
        if not code.startswith("LV")
        and code not in engine_made
        and code not in ADVICE_ONLY
        and not any(
            f.fix and f.fix.structured
            for case in sorted((RULES / code).glob("err_*"))
            if case.suffix != ".toml" and not (case / "merge-base").is_dir()
            for f in _check(code, case, code).findings
        )
    ]
    assert missing == []
    assert not set(ADVICE_ONLY) - set(registry()), "ADVICE_ONLY names a rule that is gone"


def test_unused_suppression_fixes_edit_the_comment(tmp_path: Path) -> None:
    path = tmp_path / "0001.sql"
    path.write_text(
        "CREATE TABLE tag (id text PRIMARY KEY); -- schema-check: ignore[FK204,NC106] keep\n"
        "CREATE TABLE note (id text PRIMARY KEY); -- schema-check: ignore[NC106]\n",
        encoding="utf-8",
    )
    # as a fix-all loop does: apply one fix, check again, until none is left
    for _ in range(5):
        unused = [f for f in run_paths([(path, Layer.BASE)]).findings if f.code == "PS004"]
        if not unused:
            break
        _apply(unused[:1], tmp_path, tmp_path)
    assert path.read_text(encoding="utf-8") == (
        "CREATE TABLE tag (id text PRIMARY KEY); \nCREATE TABLE note (id text PRIMARY KEY); \n"
    )
    assert [f.code for f in run_paths([(path, Layer.BASE)]).findings] == []


@pytest.mark.parametrize(
    ("parts", "suffix", "expected"),
    [
        (("User",), "", "users"),
        (("order",), "", "orders"),
        (("team_member_invitation_reminder", "invitation_id", "created_at"), "_idx", None),
        (("é" * 40,), "_idx", None),
    ],
)
def test_proposed_names_need_no_quotes_and_fit(
    parts: tuple[str, ...], suffix: str, expected: str | None, snapshot: SnapshotAssertion
) -> None:
    name = new_name(*parts, suffix=suffix)
    assert len(name.encode("utf-8")) <= 63 and name.endswith(suffix)
    if expected is not None:
        assert name == expected
    if name.isascii():
        assert sql_name(name) == name, "a proposed name never needs quotes"
    assert name == snapshot
