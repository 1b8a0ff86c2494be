"""Baselines: accepted findings stay accepted when lines shift; new ones and fixed ones show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_paths

from checker.baseline import apply_baseline, fingerprint, load_baseline, write_baseline
from checker.config import Settings
from checker.engine import CheckResult
from checker.errors import InputError
from checker.model import Layer

BASE = 'CREATE TABLE "user" (id text PRIMARY KEY);\n'
EXTENSION = (
    "CREATE TABLE note (\n"
    "  id text PRIMARY KEY,\n"
    '  user_id text NOT NULL REFERENCES "user" (id) ON DELETE SET NULL\n'
    ");\n"
)
SECOND = (
    "CREATE TABLE tag (\n"
    "  id text PRIMARY KEY,\n"
    '  user_id text NOT NULL REFERENCES "user" (id) ON DELETE SET NULL\n'
    ");\n"
)


def _check(folder: Path, extension_sql: str) -> CheckResult:
    (folder / "base.sql").write_text(BASE, encoding="utf-8")
    (folder / "extension.sql").write_text(extension_sql, encoding="utf-8")
    return run_paths(
        [(folder / "base.sql", Layer.BASE), (folder / "extension.sql", Layer.EXTENSION)],
        Settings(),
    )


def test_accepted_findings_survive_line_shifts(tmp_path: Path) -> None:
    before = _check(tmp_path, EXTENSION)
    assert before.findings, "the scenario must produce findings"
    baseline_path = tmp_path / "baseline.json"
    written = write_baseline(before.findings, before.files, baseline_path)
    assert written.total == len(before.findings)

    shifted = _check(tmp_path, "-- a comment\n\n\n" + EXTENSION.replace("  id", "    id"))
    assert [f.primary.start for f in shifted.findings if f.primary] != [
        f.primary.start for f in before.findings if f.primary
    ]
    new, fixed = apply_baseline(shifted.findings, load_baseline(baseline_path), shifted.files)
    assert new == []
    assert fixed == []


def test_new_findings_fail_and_gone_ones_are_reported_fixed(tmp_path: Path) -> None:
    before = _check(tmp_path, EXTENSION)
    baseline_path = tmp_path / "baseline.json"
    write_baseline(before.findings, before.files, baseline_path)
    baseline = load_baseline(baseline_path)

    grown = _check(tmp_path, EXTENSION + SECOND)
    new, fixed = apply_baseline(grown.findings, baseline, grown.files)
    assert new, "the second table's findings are new"
    assert all("tag" in " ".join((f.message, *f.objects)) for f in new)
    assert fixed == []

    gone = _check(tmp_path, "CREATE TABLE note (id text PRIMARY KEY);\n")
    new, fixed = apply_baseline(gone.findings, baseline, gone.files)
    assert new == []
    removed = [f for f in before.findings if f.primary and f.primary.file.endswith("extension.sql")]
    assert removed
    assert sum(entry.count for entry in fixed) == len(removed)
    assert {entry.code for entry in fixed} == {f.code for f in removed}


def test_identical_looking_findings_are_counted(tmp_path: Path) -> None:
    result = _check(tmp_path, EXTENSION)
    doubled = [*result.findings, *result.findings]
    baseline_path = tmp_path / "baseline.json"
    write_baseline(result.findings, result.files, baseline_path)
    new, _ = apply_baseline(doubled, load_baseline(baseline_path), result.files)
    assert len(new) == len(result.findings)


def test_baseline_file_is_deterministic_and_has_no_line_numbers(tmp_path: Path) -> None:
    result = _check(tmp_path, EXTENSION)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_baseline(result.findings, result.files, first)
    write_baseline(list(reversed(result.findings)), result.files, second)
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text(encoding="utf-8"))
    entry = data["findings"][0]
    assert set(entry) == {"fingerprint", "code", "file", "objects", "count", "message"}
    assert entry["file"] == "extension.sql"
    assert fingerprint(result.findings[0], result.files) in {
        e["fingerprint"] for e in data["findings"]
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "bad.json:1:2: bad baseline JSON"),
        ("[]", "bad.json:1:1: not a schema-check baseline"),
        ('{"schema_check_baseline": 99, "findings": []}', "format 99 is not supported"),
        ('{"schema_check_baseline": 1, "findings": {}}', '"findings" must be a list'),
        (
            '{"schema_check_baseline": 1, "findings": [{"code": "FK201"}]}',
            'findings[0]: "fingerprint" must be a non-empty string',
        ),
        (
            '{"schema_check_baseline": 1, "findings": [{"fingerprint": "x", "code": "FK201", '
            '"count": 0}]}',
            'findings[0]: "count" must be a positive integer',
        ),
    ],
)
def test_bad_baseline_files_are_input_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_baseline(path)


def test_missing_baseline_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such baseline file.*schema-check baseline"):
        load_baseline(tmp_path / "absent.json")


@pytest.mark.parametrize("edit", ["edit", "delete"])
def test_a_baseline_knows_an_applied_migration_was_edited_or_deleted(
    tmp_path: Path, edit: str
) -> None:
    """The verdict does not depend on how the change is given: what --since reports as
    MG412 (an applied migration edited or deleted) a baseline that records its files
    reports too, pointing at the file's first line (it keeps digests, not texts)."""
    from checker.cli import main

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text('CREATE TABLE "user" (id text PRIMARY KEY);\n')
    (folder / "0002_note.sql").write_text("CREATE TABLE note (id text PRIMARY KEY);\n")
    baseline = tmp_path / "baseline.json"
    assert main(["baseline", "--base", str(folder), "-o", str(baseline)]) == 0
    applied = folder / "0002_note.sql"
    if edit == "edit":
        applied.write_text("-- reworded\nCREATE TABLE note (id text PRIMARY KEY, body text);\n")
    else:
        applied.unlink()
    report = tmp_path / "report.json"
    arguments = ["check", str(folder), "--baseline", str(baseline), "--no-cache"]
    code = main([*arguments, "--format", "json", "-o", str(report)])
    [finding] = [f for f in json.loads(report.read_text())["findings"] if f["code"] == "MG412"]
    verb = "edits" if edit == "edit" else "deletes"
    assert finding["message"].startswith(
        f"0002_note.sql existed when the baseline was written and the change {verb} it"
    )
    assert finding["introduced"] is True and code == 1


def test_two_baselines_that_see_one_file_differently_share_no_cached_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """To one baseline 0002 is an applied migration edited since (MG412), to another a
    new file: the change's files are the same, but a run cached for one is not the other's."""
    from checker.cli import main

    monkeypatch.setenv("SCHEMA_CHECK_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text('CREATE TABLE "user" (id text PRIMARY KEY);\n')
    without = tmp_path / "without.json"
    assert main(["baseline", "--base", str(folder), "-o", str(without)]) == 0
    (folder / "0002_note.sql").write_text("CREATE TABLE note (id text PRIMARY KEY);\n")
    recorded = tmp_path / "recorded.json"
    assert main(["baseline", "--base", str(folder), "-o", str(recorded)]) == 0
    (folder / "0002_note.sql").write_text("CREATE TABLE note (id text PRIMARY KEY, body text);\n")

    def mg412(baseline: Path) -> list[str]:
        report = tmp_path / f"{baseline.stem}-report.json"
        main(
            [
                "check",
                str(folder),
                "--baseline",
                str(baseline),
                "--format",
                "json",
                "-o",
                str(report),
            ]
        )
        return [
            f["code"] for f in json.loads(report.read_text())["findings"] if f["code"] == "MG412"
        ]

    assert mg412(recorded) == ["MG412"]
    assert mg412(without) == []
