"""The pre-merge gate on upstream Sim's real history: the change is judged, not the history.

One change to the history gives the same introduced findings (code, file, line,
severity) and the same exit code in all four forms a user may give it: ``--since``
on a git repository, ``--base history --extension change``, ``--base
snapshot.json --extension change``, and a baseline of the history with the change
in the same folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import CORPUS_ABSENT, FIXTURES, SIM_MIGRATIONS, commit_all, git, since_json

from checker.cli import main

pytestmark = pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)

TAG = "0299_gate_change"
WHEN = 1_787_293_309_837 + 60_000  # a minute after upstream's newest entry

CHANGES: dict[str, str] = {
    "new-table": (
        'CREATE TABLE "gate_note" (\n'
        '\t"id" text PRIMARY KEY NOT NULL,\n'
        '\t"user_id" text NOT NULL,\n'
        '\t"body" text NOT NULL\n'
        ");\n--> statement-breakpoint\n"
        'ALTER TABLE "gate_note" ADD CONSTRAINT "gate_note_user_id_user_id_fk" FOREIGN KEY '
        '("user_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;\n'
    ),
    "add-not-null-column": 'ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;\n',
    "index-without-concurrently": (
        'CREATE INDEX "workflow_name_gate_idx" ON "workflow" USING btree ("name");\n'
    ),
    "foreign-key-without-not-valid": (
        'ALTER TABLE "workflow" ADD COLUMN "reviewer_id" text;--> statement-breakpoint\n'
        'ALTER TABLE "workflow" ADD CONSTRAINT "workflow_reviewer_id_user_id_fk" FOREIGN KEY '
        '("reviewer_id") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;\n'
    ),
    "drop-column": 'ALTER TABLE "workflow" DROP COLUMN "description";\n',
}


def _introduced(report: Path) -> set[tuple[str, str, int, str]]:
    document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    found = set()
    for finding in document["findings"]:
        if finding.get("introduced") is not True:
            continue
        location = finding["location"] or {}
        found.add(
            (
                finding["code"],
                Path(location.get("file", "")).name,
                int(location.get("line", 0)),
                finding["severity"],
            )
        )
    return found


def _run(arguments: list[str], report: Path) -> tuple[int, set[tuple[str, str, int, str]]]:
    # ORM drift (DR) compares a whole drizzle-kit folder with its newest snapshot, so only
    # the forms that give the change inside that folder (--since, a baseline) can check it:
    # the changes here have no snapshot of their own, and there DR rightly reports them.
    # tests/test_drift.py covers that; the four forms are compared without it.
    code = main(["check", *arguments, "--ignore", "DR", "--format", "json", "-o", str(report)])
    return code, _introduced(report)


def _history_copy(target: Path) -> Path:
    """Upstream Sim's folder as a git repository: the history is the merge base."""
    folder = target / "packages" / "db" / "migrations"
    shutil.copytree(SIM_MIGRATIONS, folder)
    commit_all(target, "history")
    return folder


def _add_migration(folder: Path, sql: str) -> None:
    (folder / f"{TAG}.sql").write_text(sql, encoding="utf-8")
    journal_path = folder / "meta" / "_journal.json"
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    journal["entries"].append(
        {
            "idx": len(journal["entries"]),
            "version": "7",
            "when": WHEN,
            "tag": TAG,
            "breakpoints": True,
        }
    )
    journal_path.write_text(json.dumps(journal, indent=2) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The git repository of the history, and a baseline file of the history's findings."""
    root = tmp_path_factory.mktemp("history")
    folder = _history_copy(root)
    baseline = root / "baseline.json"
    assert main(["baseline", "--base", str(folder), "-o", str(baseline)]) == 0
    return folder, baseline


@pytest.mark.parametrize("live", [False, pytest.param(True, marks=pytest.mark.live)])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_four_forms_give_one_verdict(
    change: str, live: bool, history: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, baseline = history
    sql = CHANGES[change]
    extra = ["--live"] if live else []
    extension = tmp_path / "change"
    extension.mkdir()
    (extension / f"{TAG}.sql").write_text(sql, encoding="utf-8")

    _add_migration(folder, sql)
    try:
        forms = {
            "since": _run(["--since", "HEAD", str(folder), *extra], tmp_path / "since.json"),
            "baseline": _run(
                [str(folder), "--baseline", str(baseline), *extra], tmp_path / "baseline.json"
            ),
        }
    finally:
        git(folder, "checkout", "-q", "--", ".")
        git(folder, "clean", "-qfd")
    forms["extension"] = _run(
        ["--base", str(SIM_MIGRATIONS), "--extension", str(extension), *extra],
        tmp_path / "extension.json",
    )
    snapshot = SIM_MIGRATIONS / "meta" / "0298_snapshot.json"
    forms["snapshot"] = _run(
        ["--base", str(snapshot), "--extension", str(extension), *extra],
        tmp_path / "snapshot.json",
    )
    reference = forms["since"]
    for name, outcome in forms.items():
        assert outcome == reference, (
            f"{change}: --{name} differs from --since: {outcome} != {reference}"
        )
    if change == "add-not-null-column":
        assert ("MG411", f"{TAG}.sql", 1, "error") in reference[1]
        assert reference[0] == 1
    if change in ("index-without-concurrently", "foreign-key-without-not-valid"):
        assert any(code == "MG409" for code, *_ in reference[1]), reference


def test_real_0298_introduces_no_error_and_keeps_the_history_as_pre_existing(
    tmp_path: Path,
) -> None:
    """History 0000-0297 at the merge base, upstream's real 0298 as the change."""
    folder = tmp_path / "migrations"
    shutil.copytree(SIM_MIGRATIONS, folder)
    journal_path = folder / "meta" / "_journal.json"
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    last = journal["entries"][-1]
    change_text = (folder / f"{last['tag']}.sql").read_text(encoding="utf-8")
    whole_journal = journal_path.read_text(encoding="utf-8")
    journal["entries"] = journal["entries"][:-1]
    journal_path.write_text(json.dumps(journal, indent=2) + "\n", encoding="utf-8")
    (folder / f"{last['tag']}.sql").unlink()
    commit_all(tmp_path, "history 0000-0297")
    (folder / f"{last['tag']}.sql").write_text(change_text, encoding="utf-8")
    journal_path.write_text(whole_journal, encoding="utf-8")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "0298")

    report = tmp_path / "report.json"
    assert (
        main(["check", "--since", "HEAD~1", str(folder), "--format", "json", "-o", str(report)])
        == 0
    )
    document = json.loads(report.read_text(encoding="utf-8"))
    pre_existing = [f for f in document["findings"] if f["introduced"] is False]
    introduced_errors = [
        f for f in document["findings"] if f["introduced"] and f["severity"] == "error"
    ]
    assert introduced_errors == []
    assert len(pre_existing) > 300  # the history's own findings, listed as such
    assert {f["code"] for f in pre_existing} >= {"MG401", "MG409", "FK204"}

    # a further migration with ADD COLUMN NOT NULL and no default: introduced, on its line
    _add_migration(folder, 'SELECT 1;\nALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;\n')
    assert (
        main(["check", "--since", "HEAD~1", str(folder), "--format", "json", "-o", str(report)])
        == 1
    )
    assert ("MG411", f"{TAG}.sql", 2, "error") in _introduced(report)
    git(tmp_path, "checkout", "-q", "--", ".")
    git(tmp_path, "clean", "-qfd")

    # editing the applied 0010: introduced on that file
    edited = next(folder.glob("0010_*.sql"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited after it was applied\n")
    assert (
        main(["check", "--since", "HEAD~1", str(folder), "--format", "json", "-o", str(report)])
        == 1
    )
    assert any(
        code == "MG412" and name == edited.name and severity == "error"
        for code, name, _line, severity in _introduced(report)
    )


def test_since_outside_a_repository_or_with_an_unknown_ref_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0000_init.sql").write_text("CREATE TABLE a (id int);\n", encoding="utf-8")
    assert main(["check", "--since", "main", str(folder)]) == 2
    error = capsys.readouterr().err
    assert "git repository" in error and error.count("\n") == 1
    commit_all(tmp_path, "init")
    assert main(["check", "--since", "origin/no-such-branch", str(folder)]) == 2
    error = capsys.readouterr().err
    assert "unknown git revision" in error and error.count("\n") == 1


def test_an_unreadable_snapshot_the_change_leaves_alone_is_pre_existing(tmp_path: Path) -> None:
    """PS005 at the merge base (extracted elsewhere) and in the working tree is one finding:
    the change only adds a migration, so it is pre-existing, and nothing is resolved."""
    repository = tmp_path / "repo"
    folder = repository / "migrations"
    shutil.copytree(FIXTURES / "rules" / "PS005" / "err_inconsistent_snapshot", folder)
    (folder / "expected.txt").unlink()
    commit_all(repository, "history")
    last = folder / "0000_init.sql"
    last.write_text(last.read_text() + "\nCREATE TABLE later (id int PRIMARY KEY);\n")
    _, document = since_json(folder, tmp_path)
    [unreadable] = [f for f in document["findings"] if f["code"] == "PS005"]
    assert unreadable["introduced"] is False
    assert document["change"]["resolved"] == 0


def test_a_base_finding_about_a_file_read_elsewhere_matches_the_runs() -> None:
    """The merge base is read from another folder: a finding whose object is a file's path
    is still the run's own finding there, judged pre-existing."""
    from checker.change import judge
    from checker.findings import Finding, Severity

    def unreadable(folder: str) -> Finding:
        return Finding(
            "PS005",
            Severity.WARNING,
            "the snapshot is unreadable",
            objects=(f"{folder}/meta/0000_snapshot.json",),
        )

    base = unreadable(".schema_check_cache/git-base/0123-abcd/0/migrations")
    [marked], resolved = judge([unreadable("migrations")], [base], frozenset())
    assert marked.introduced is False and resolved == 0


@pytest.mark.parametrize(
    ("file", "objects", "introduced"),
    [
        ("migrations/0001_old.sql", ("0001_old.sql",), False),  # the base's, told anew
        ("migrations/0002_change.sql", ("0001_old.sql",), True),  # in the change: exact only
        ("migrations/0001_old.sql", (), True),  # no objects: nothing but the message
    ],
)
def test_a_base_finding_the_change_words_anew_stays_pre_existing(
    file: str, objects: tuple[str, ...], introduced: bool
) -> None:
    """A finding outside the change whose message the change extended (an unlisted file
    whose number a new journal entry now takes) is the base's finding, as a baseline
    judges it; one in the change's files, or one without objects, must match exactly."""
    from checker.change import judge
    from checker.findings import Finding, Location, Severity
    from checker.model import Origin

    def unlisted(suffix: str, where: str) -> Finding:
        return Finding(
            "MG401",
            Severity.ERROR,
            "0001_old.sql is not listed in meta/_journal.json" + suffix,
            locations=(Location.of(Origin(where, 0, 10, 0)),),
            objects=objects,
        )

    base = unlisted("", "migrations/0001_old.sql")
    now = unlisted("; the journal's entry for 0001 is 0001_change", file)
    [marked], resolved = judge([now], [base], frozenset({"migrations/0002_change.sql"}))
    assert marked.introduced is introduced
    assert resolved == (1 if introduced else 0)
