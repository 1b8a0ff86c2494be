"""A run resumed from a checkpoint runs the resumable rules (RuleMeta.resumable, the table in
rules/__init__.py) over the statements after the checkpoint alone, on top of the catalog the
earlier ones left, and keeps their findings at the earlier files from the run that kept the
checkpoint (checker/engine.py). Such a run must find exactly what a whole run finds: on every
fixture of a resumable rule (its setup is the prefix, the case the new statements), on the
corpus split at several files, as a plain re-run and as a change, and on the histories where
resuming would not be exact (then the rules run whole)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import CORPUS, CORPUS_ABSENT, FIXTURES, drizzle_folder, fixture_inputs, settings_for

from checker.cache import Cache
from checker.change import ChangeFacts
from checker.config import Settings
from checker.engine import RULES_RESUMED, CheckResult, analyse, run_rules
from checker.model import DatabaseUrl, Layer
from checker.rule import RuleMeta
from rules import RULE_TABLE

RESUMABLE = sorted(row.code for row in RULE_TABLE if row.resumable)
Inputs = list[tuple[Path | DatabaseUrl, Layer]]


def _findings(result: CheckResult) -> list[str]:
    return [repr(finding) for finding in result.findings]


def _check(
    inputs: Inputs,
    settings: Settings,
    cache: Cache | None,
    change: ChangeFacts | None = None,
    only: frozenset[str] | None = None,
) -> CheckResult:
    select = None if only is None else (lambda meta: meta.code in only)
    result = analyse(settings, inputs, change, cache)
    return run_rules(result, select=select, cache=cache, selection="all" if cache else "")


def _resumed_equals_whole(
    inputs: Inputs,
    settings: Settings,
    scratch: Path,
    change: ChangeFacts | None = None,
    only: frozenset[str] | None = None,
) -> CheckResult:
    """Check twice with a cache (the first keeps the checkpoint and its findings, the
    second resumes), once without; the second and the third must agree finding for finding."""
    cache = Cache(scratch / "cache")
    _check(inputs, settings, cache, change, only)
    resumed = _check(inputs, settings, cache, change, only)
    whole = _check(inputs, settings, None, change, only)
    assert _findings(resumed) == _findings(whole)
    return resumed


def test_the_table_marks_the_rules_resumable() -> None:
    """The rules' own RuleMeta say the same (tests/test_rule_table.py compares the rest)."""
    from checker.rule import registry
    from rules import load_rules_for

    load_rules_for(RESUMABLE)
    metas: dict[str, RuleMeta] = {code: rule.meta for code, rule in registry().items()}
    assert RESUMABLE and all(metas[code].resumable for code in RESUMABLE)
    assert not any(meta.resumable for code, meta in metas.items() if code not in RESUMABLE)


def _fixture_cases() -> list[tuple[str, Path]]:
    """Every rule's fixtures (not only the resumable rules': the others' cases are more
    histories for them), but those checked live and those with a git history."""
    cases = []
    for folder in sorted((FIXTURES / "rules").iterdir()):
        code = folder.name
        if not folder.is_dir() or code.startswith("LV"):
            continue
        for case in sorted(folder.iterdir()):
            if not case.name.startswith(("err_", "ok_")) or case.suffix == ".toml":
                continue
            if (case / "merge-base").is_dir():
                continue  # a --since case: the corpus test covers that form
            cases.append((code, case))
    return cases


@pytest.mark.parametrize(
    ("code", "case"), [pytest.param(c, p, id=f"{c}-{p.name}") for c, p in _fixture_cases()]
)
def test_every_rule_fixture(code: str, case: Path, tmp_path: Path) -> None:
    folder = case.parent
    inputs: Inputs = fixture_inputs(case)
    own = case.with_suffix(".toml") if case.is_file() else None
    contract = own if own is not None and own.exists() else folder / "contract.toml"
    settings = (
        settings_for(contract.read_text(encoding="utf-8"), contract.parent, contract.name)
        if contract.exists()
        else Settings()
    )
    resumed = _resumed_equals_whole(inputs, settings, tmp_path, only=frozenset(RESUMABLE))
    if len(inputs) > 1:  # the setup is the prefix the second run resumes after
        assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)


def _corpus_prefix(target: Path, files: int) -> Path:
    """The corpus's first ``files`` migrations, as a drizzle-kit folder of their own."""
    source = CORPUS / "migrations"
    journal = json.loads((source / "meta" / "_journal.json").read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    (target / "meta").mkdir(exist_ok=True)
    entries = journal["entries"][:files]
    for entry in entries:
        shutil.copyfile(source / f"{entry['tag']}.sql", target / f"{entry['tag']}.sql")
    kept = {**journal, "entries": entries}
    (target / "meta" / "_journal.json").write_text(json.dumps(kept), encoding="utf-8")
    return target


def _corpus_files() -> int:
    journal = json.loads((CORPUS / "migrations" / "meta" / "_journal.json").read_text("utf-8"))
    return len(journal["entries"])


@pytest.mark.skipif(not CORPUS.is_dir(), reason=CORPUS_ABSENT)
def test_a_rerun_after_new_files_of_the_corpus(tmp_path: Path) -> None:
    """A plain re-run after adding files: the checkpoint before the last file seen, then
    the rules over the files after it."""
    total = _corpus_files()
    for before, after in ((total - 3, total), (total // 2, total // 2 + 1)):
        scratch = tmp_path / str(before)
        folder = _corpus_prefix(scratch / "migrations", before)
        cache = Cache(scratch / "cache")
        _check([(folder, Layer.BASE)], Settings(), cache)
        _corpus_prefix(folder, after)
        resumed = _check([(folder, Layer.BASE)], Settings(), cache)
        whole = _check([(folder, Layer.BASE)], Settings(), None)
        assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)
        assert _findings(resumed) == _findings(whole)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=CORPUS_ABSENT)
def test_a_change_on_top_of_the_corpus(tmp_path: Path) -> None:
    """The corpus's last files as the change under review (as --since marks them), after
    a run whose change was another: the base's checkpoint and findings are reused."""
    folder = _corpus_prefix(tmp_path / "migrations", _corpus_files())
    names = sorted(str(p.resolve()) for p in folder.glob("*.sql"))
    cache = Cache(tmp_path / "cache")
    _check([(folder, Layer.BASE)], Settings(), cache, ChangeFacts(files=frozenset(names[-1:])))
    for change, resumes in ((names[-1:], True), (names[-4:], False)):
        # the second change starts three files earlier, before any checkpoint kept
        facts = ChangeFacts(files=frozenset(change))
        resumed = _check([(folder, Layer.BASE)], Settings(), cache, facts)
        whole = _check([(folder, Layer.BASE)], Settings(), None, facts)
        assert (resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)) is resumes
        assert _findings(resumed) == _findings(whole)


def test_a_transaction_a_file_escapes_carries_on_into_the_next(tmp_path: Path) -> None:
    """drizzle runs every pending file in one transaction: a COMMIT written in an earlier
    file leaves the later ones outside it (MG407 and MG417 read that state)."""
    folder = drizzle_folder(
        tmp_path / "migrations",
        {
            "0000_init": "CREATE TABLE account (id int PRIMARY KEY, email text);",
            "0001_escape": "COMMIT;--> statement-breakpoint\nSELECT 1;",
            "0002_index": "CREATE INDEX CONCURRENTLY account_email_idx ON account (email);",
            "0003_more": "CREATE INDEX CONCURRENTLY account_id_email_idx ON account (id, email);",
        },
    )
    resumed = _resumed_equals_whole([(folder, Layer.BASE)], Settings(), tmp_path)
    assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)


def test_a_name_an_earlier_file_missed_and_a_new_one_creates(tmp_path: Path) -> None:
    """A statement before the checkpoint used an object that did not exist yet; the new file
    creates it: the earlier statement's events change, so the rules run whole."""
    folder = drizzle_folder(
        tmp_path / "migrations",
        {
            "0000_init": "CREATE TABLE account (id int PRIMARY KEY);",
            "0001_uses": "ALTER TABLE account ADD COLUMN plan_id int REFERENCES plan (id);",
            "0002_other": "CREATE INDEX account_plan_idx ON account (plan_id);",
        },
    )
    cache = Cache(tmp_path / "cache")
    _check([(folder, Layer.BASE)], Settings(), cache)
    (folder / "0003_plan.sql").write_text("CREATE TABLE plan (id int PRIMARY KEY);\n")
    journal = json.loads((folder / "meta" / "_journal.json").read_text(encoding="utf-8"))
    journal["entries"].append({**journal["entries"][-1], "idx": 3, "tag": "0003_plan"})
    (folder / "meta" / "_journal.json").write_text(json.dumps(journal), encoding="utf-8")
    resumed = _check([(folder, Layer.BASE)], Settings(), cache)
    whole = _check([(folder, Layer.BASE)], Settings(), None)
    assert resumed.simulation.resumed is not None and resumed.simulation.resumed.looked_ahead
    assert RULES_RESUMED not in resumed._derived
    assert _findings(resumed) == _findings(whole)


def test_suppressions_before_the_checkpoint_still_apply(tmp_path: Path) -> None:
    """The kept findings are those before suppressions: a comment in an earlier file still
    suppresses its finding, and one that suppresses nothing is still reported (PS004)."""
    folder = drizzle_folder(
        tmp_path / "migrations",
        {
            "0000_init": "CREATE TABLE account (id int PRIMARY KEY, email text);",
            "0001_index": (
                "CREATE INDEX account_email_idx ON account (email); "
                "-- schema-check: ignore[MG409, MG416]\n"
                "--> statement-breakpoint\n"
                "ALTER TABLE account ADD COLUMN name text; -- schema-check: ignore[MG410]\n"
            ),
            "0002_more": "ALTER TABLE account ADD COLUMN plan text;",
        },
    )
    resumed = _resumed_equals_whole([(folder, Layer.BASE)], Settings(), tmp_path)
    assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)
    codes = {(Path(f.primary.file).name, f.code) for f in resumed.findings if f.primary}
    assert ("0001_index.sql", "MG409") not in codes
    assert ("0001_index.sql", "PS004") in codes  # MG410 reports nothing there
    assert ("0002_more.sql", "MG416") in codes


# a small history: the checkpoint is kept before its last file
_THREE_FILES = {
    "0000_init": "CREATE TABLE account (id int PRIMARY KEY, email text);",
    "0001_index": "CREATE INDEX account_email_idx ON account (email);",
    "0002_more": "ALTER TABLE account ADD COLUMN plan text;",
}


def test_other_settings_do_not_reuse_the_kept_findings(tmp_path: Path) -> None:
    """The kept findings belong to the settings and rules they were found with: a run with
    another config resumes its simulation but runs the rules whole."""
    folder = drizzle_folder(tmp_path / "migrations", _THREE_FILES)
    cache = Cache(tmp_path / "cache")
    _check([(folder, Layer.BASE)], Settings(), cache)
    other = settings_for('runner = "per-file"\n')
    resumed = _check([(folder, Layer.BASE)], other, cache)
    whole = _check([(folder, Layer.BASE)], other, None)
    assert RULES_RESUMED not in resumed._derived
    assert _findings(resumed) == _findings(whole)


def test_a_setting_an_earlier_file_made_in_the_same_transaction(tmp_path: Path) -> None:
    """drizzle runs every pending file in one transaction: what an earlier file SET (a
    lock_timeout, MG416) or locked, the later files' statements run under."""
    folder = drizzle_folder(
        tmp_path / "migrations",
        {
            "0000_init": "CREATE TABLE account (id int PRIMARY KEY, email text);",
            "0001_timeout": (
                "SET lock_timeout = '5s';--> statement-breakpoint\n"
                "ALTER TABLE account ADD COLUMN name text;"
            ),
            "0002_more": "ALTER TABLE account ADD COLUMN plan text;",
            "0003_again": "ALTER TABLE account ALTER COLUMN plan SET NOT NULL;",
        },
    )
    resumed = _resumed_equals_whole([(folder, Layer.BASE)], Settings(), tmp_path)
    assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)


def test_functions_and_types_made_before_the_checkpoint(tmp_path: Path) -> None:
    """The functions' volatility and the columns' types as the earlier files left them:
    a default calling a volatile function rewrites the table (MG409), an immutable one does
    not; a domain made earlier gets a constraint (MG418)."""
    folder = drizzle_folder(
        tmp_path / "migrations",
        {
            "0000_init": (
                "CREATE DOMAIN email AS text;--> statement-breakpoint\n"
                "CREATE TABLE account (id int PRIMARY KEY, address email);"
            ),
            "0001_functions": (
                "CREATE FUNCTION fixed() RETURNS int LANGUAGE sql IMMUTABLE AS 'select 1';"
                "--> statement-breakpoint\n"
                "CREATE FUNCTION drawn() RETURNS int LANGUAGE sql VOLATILE STRICT "
                "AS 'select (random() * 10)::int';"
            ),
            "0002_defaults": (
                "ALTER TABLE account ADD COLUMN a int DEFAULT fixed();--> statement-breakpoint\n"
                "ALTER TABLE account ADD COLUMN b int DEFAULT drawn();--> statement-breakpoint\n"
                "ALTER DOMAIN email ADD CONSTRAINT has_at CHECK (VALUE LIKE '%@%');"
            ),
        },
    )
    resumed = _resumed_equals_whole([(folder, Layer.BASE)], Settings(), tmp_path)
    assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)
    codes = {f.code for f in resumed.findings if f.primary and "0002" in f.primary.file}
    assert {"MG409", "MG418"} <= codes


def test_a_damaged_or_foreign_entry_of_kept_findings_is_a_miss(tmp_path: Path) -> None:
    """Only the kept findings are damaged (the checkpoint is sound): the simulation resumes,
    the rules run whole, the findings are the whole run's."""
    folder = drizzle_folder(tmp_path / "migrations", _THREE_FILES)
    inputs: Inputs = [(folder, Layer.BASE)]
    cache = Cache(tmp_path / "cache")
    _check(inputs, Settings(), cache)
    kept = sorted((tmp_path / "cache" / "rule-prefixes").rglob("*"))
    entries = [path for path in kept if path.is_file()]
    assert entries
    whole = _check(inputs, Settings(), None)
    for damage in (lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]), lambda data: b"x" * 64):
        for entry in entries:
            entry.write_bytes(damage(entry.read_bytes()))
        resumed = _check(inputs, Settings(), cache)
        assert resumed.simulation.resumed is not None
        assert RULES_RESUMED not in resumed._derived
        assert _findings(resumed) == _findings(whole)


# Histories on which a rule that looks across files (or at the final catalog) would find
# something else if it were resumed: NC104 groups every spelling that truncates to one name,
# NC108 looks up the statement that created what a cut name hits, NC105 reads the objects
# the run leaves, MG407 follows an enum type made earlier in drizzle's one transaction.
_ACROSS_FILES = {
    "two long names truncated to one, before and after the checkpoint": {
        "0000_a": f'CREATE TABLE "{"x" * 63}_alpha" (id int PRIMARY KEY);',
        "0001_b": "CREATE TABLE other (id int);",
        "0002_c": f'CREATE INDEX "{"x" * 63}_beta" ON other (id);',
    },
    "a cut name that hits a table made before the checkpoint": {
        "0000_a": f'CREATE TABLE "{"t" * 70}" (id int PRIMARY KEY);',
        "0001_b": "CREATE TABLE other (id int);",
        "0002_c": f'DROP TABLE "{"t" * 63}zzz";',
    },
    "a reserved word made before the checkpoint and dropped after it": {
        "0000_a": 'CREATE TABLE "order" (id int PRIMARY KEY);',
        "0001_b": "CREATE TABLE other (id int);",
        "0002_c": 'DROP TABLE "order";',
    },
    "an enum value added to a type made earlier in the same transaction": {
        "0000_a": (
            "CREATE TYPE status AS ENUM ('a', 'b');--> statement-breakpoint\n"
            "CREATE TABLE t (id int PRIMARY KEY, s status);"
        ),
        "0001_b": "CREATE TABLE u (id int);",
        "0002_c": "ALTER TYPE status ADD VALUE 'c';--> statement-breakpoint\nUPDATE t SET s = 'c';",
    },
}


@pytest.mark.parametrize("case", sorted(_ACROSS_FILES))
def test_rules_that_look_across_files_are_not_resumed(case: str, tmp_path: Path) -> None:
    """The first run's last file is another (the checkpoint is kept before it), the second
    run's is the case's: it resumes, and must find what a whole run finds."""
    files = _ACROSS_FILES[case]
    last = list(files)[-1]
    folder = drizzle_folder(
        tmp_path / "migrations", {**files, last: "CREATE TABLE neutral (id int);"}
    )
    settings = settings_for('runner = "drizzle"\n')
    cache = Cache(tmp_path / "cache")
    _check([(folder, Layer.BASE)], settings, cache)
    (folder / f"{last}.sql").write_text(files[last], encoding="utf-8")
    resumed = _check([(folder, Layer.BASE)], settings, cache)
    whole = _check([(folder, Layer.BASE)], settings, None)
    assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)
    assert _findings(resumed) == _findings(whole)


def test_a_change_without_a_base_resumes_inside_it(tmp_path: Path) -> None:
    """With no base, the checkpoint is kept after the change's first file: a table the
    change renamed aside there and drops later was never read under that name (MG414)."""
    change = drizzle_folder(
        tmp_path / "change",
        {
            "0000_a": "CREATE TABLE account (id int PRIMARY KEY);",
            "0001_b": "ALTER TABLE account RENAME TO account_old;",
            "0002_c": "DROP TABLE account_old;",
        },
    )
    resumed = _resumed_equals_whole([(change, Layer.EXTENSION)], Settings(), tmp_path)
    assert resumed._derived.get(RULES_RESUMED) == len(RESUMABLE)
