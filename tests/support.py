"""Test helpers: run the engine (or one rule) on SQL written into a temporary folder."""

from __future__ import annotations

import json
import os
import re
import textwrap
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rules
from checker.config import Settings, settings_from_mapping
from checker.engine import CheckResult, analyse, run_rules
from checker.findings import Finding
from checker.model import Layer

rules.load_builtin_rules()

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
# Upstream Sim's real history (see its SOURCE.md): beside the repository in ../shared/corpus, or
# wherever SCHEMA_CHECK_CORPUS points. Tests that need it skip with this reason when it is absent.
CORPUS = Path(
    os.environ.get("SCHEMA_CHECK_CORPUS") or REPO.parent / "shared" / "corpus" / "sim-upstream"
)
SIM_MIGRATIONS = CORPUS / "migrations"
CORPUS_ABSENT = f"upstream Sim corpus not found at {CORPUS} (set SCHEMA_CHECK_CORPUS)"
_EXPECT = re.compile(r"(?:--|#)\s*expect:\s*(?P<codes>[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")


def settings_for(
    contract_toml: str = "", config_dir: Path | None = None, file_name: str = "schema-check.toml"
) -> Settings:
    """Settings from a contract: either a whole config file's text, or just [contract] keys."""
    if not contract_toml.strip():
        return Settings()
    data = tomllib.loads(contract_toml)
    from checker.config import _TOP_KEYS

    if not set(data) <= _TOP_KEYS:
        data = {"contract": data}
    path = (config_dir or REPO) / file_name
    return settings_from_mapping(data, path, text=contract_toml)


def fixture_inputs(case: Path) -> list[tuple[Path, Layer]]:
    """A rule fixture's inputs: the case as the extension layer on top of its folder's
    ``setup.sql`` (or ``setup`` folder); a case holding ``supabase/migrations`` is a
    Supabase project (config.toml, migrations, declared schema), checked alone."""
    if (case / "supabase" / "migrations").is_dir():
        return [(case / "supabase" / "migrations", Layer.BASE)]
    inputs = [
        (setup, Layer.BASE)
        for setup in (case.parent / "setup", case.parent / "setup.sql")
        if setup.exists()
    ]
    return [*inputs, (case, Layer.EXTENSION)]


def run_paths(
    inputs: Iterable[tuple[Path, Layer]],
    settings: Settings | None = None,
    only: str | None = None,
) -> CheckResult:
    """Analyse the inputs and run every rule, or only the rule ``only``."""
    result = analyse(settings or Settings(), list(inputs))
    select = None if only is None else (lambda meta: meta.code == only)
    return run_rules(result, select=select)


def run_live(
    inputs: Iterable[tuple[Path, Layer]],
    settings: Settings | None,
    only: str | None,
    database: Any,
) -> CheckResult:
    """Analyse the inputs, verify them on ``database``'s server (a scratch
    database of its own), and run every rule, or only ``only``."""
    from checker.live import DsnBackend, verify

    result = analyse(settings or Settings(), list(inputs))
    report = verify(
        result.sources.applied_statements,
        result.simulation.catalog,
        result.settings,
        include_proposal=True,
        backend=DsnBackend(database.admin_conninfo),
    )
    select = None if only is None else (lambda meta: meta.code == only)
    return run_rules(result, external=report.findings, select=select)


def run_sql(
    tmp_path: Path,
    extension_sql: str,
    *,
    base_sql: str = "",
    contract: str = "",
    only: str | None = None,
    live: Any = None,
) -> CheckResult:
    """Write base and extension SQL to files and check them (on ``live``'s server too)."""
    inputs: list[tuple[Path, Layer]] = []
    if base_sql:
        base = tmp_path / "base.sql"
        base.write_text(base_sql, encoding="utf-8")
        inputs.append((base, Layer.BASE))
    extension = tmp_path / "extension.sql"
    extension.write_text(extension_sql, encoding="utf-8")
    inputs.append((extension, Layer.EXTENSION))
    if live is not None:
        return run_live(inputs, settings_for(contract, tmp_path), only, live)
    return run_paths(inputs, settings_for(contract, tmp_path), only)


def codes(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


@dataclass(frozen=True)
class Expectation:
    file: str
    line: int
    code: str


def expected_markers(path: Path) -> list[Expectation]:
    """``-- expect: CODE`` marks its own line; alone on a line it marks the next SQL line."""
    found: list[Expectation] = []
    pending: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        stripped = line.strip()
        marker_codes = [c.strip() for c in match.group("codes").split(",")] if match else []
        if match and stripped.startswith(("--", "#")):
            pending.extend(marker_codes)
            continue
        if not stripped or stripped.startswith(("--", "#")):
            continue
        for code in [*pending, *marker_codes]:
            found.append(Expectation(str(path), number, code))
        pending = []
    return found


def finding_lines(result: CheckResult, code: str) -> list[Expectation]:
    lines = []
    for finding in result.findings:
        if finding.code != code or finding.primary is None:
            continue
        source = result.files.get(finding.primary.file)
        line = source.line_col(finding.primary.start)[0] if source else 0
        lines.append(Expectation(finding.primary.file, line, code))
    return lines


def git(repo: Path, *arguments: str) -> str:
    """Run git in ``repo`` with a fixed identity (tests build their own repositories)."""
    import subprocess

    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "schema-check tests",
        "GIT_AUTHOR_EMAIL": "tests@schema-check.invalid",
        "GIT_COMMITTER_NAME": "schema-check tests",
        "GIT_COMMITTER_EMAIL": "tests@schema-check.invalid",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *arguments],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    """A new git repository at ``repo`` holding everything under it in one commit."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def run_since(folders: list[Path], since: str, settings: Settings | None = None) -> CheckResult:
    """``check --since`` through the engine: the change judged against the merge base."""
    import contextlib
    from dataclasses import replace as dc_replace

    from checker.config import Layers
    from checker.gate import analyse_change, judge_change

    settings = dc_replace(settings or Settings(), layers=Layers(base=tuple(folders)))
    with contextlib.ExitStack() as stack:
        result, base = analyse_change(settings, since, stack)
        assert base is not None
        run_rules(base)
    run_rules(result)
    return judge_change(result, base)


def run_git_case(case: Path, scratch: Path, only: str | None = None) -> CheckResult:
    """A fixture with a history: ``merge-base/`` is committed, then ``head/`` is laid over it
    (a ``NAME.deleted`` file deletes NAME) and the change is checked with ``--since``.
    Findings are mapped back to the fixture's own files, ``head/`` first."""
    import shutil
    from dataclasses import replace as dc_replace

    repo = scratch / "repo"
    folder = repo / "migrations"
    shutil.copytree(case / "merge-base", folder)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "merge base")
    head = case / "head"
    for path in sorted(head.rglob("*")):
        if path.is_dir():
            continue
        target = folder / path.relative_to(head)
        if path.name.endswith(".deleted"):
            target.with_name(path.name.removesuffix(".deleted")).unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    result = run_since([folder], "HEAD")
    if only is not None:
        result.findings = [f for f in result.findings if f.code == only]

    def mapped(file: str) -> str:
        relative = Path(file).relative_to(folder) if file.startswith(str(folder)) else None
        if relative is None:
            return file
        for side in (head, case / "merge-base"):
            if (side / relative).exists():
                return str(side / relative)
        return file

    for path, source in list(result.files.items()):
        result.files[mapped(path)] = source
    result.findings = [
        dc_replace(
            f, locations=tuple(dc_replace(loc, file=mapped(loc.file)) for loc in f.locations)
        )
        for f in result.findings
    ]
    return result


def drizzle_folder(root: Path, files: dict[str, str]) -> Path:
    """A drizzle-kit migrations folder with a journal listing ``files`` in order."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "meta").mkdir(exist_ok=True)
    entries = []
    for position, (name, text) in enumerate(files.items()):
        (root / f"{name}.sql").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        entries.append(
            {"idx": position, "version": "7", "when": 1700000000000 + position, "tag": name}
        )
    journal = {"version": "7", "dialect": "postgresql", "entries": entries}
    (root / "meta" / "_journal.json").write_text(json.dumps(journal), encoding="utf-8")
    return root


def findings_at(result: CheckResult, code: str) -> list[tuple[str, int, str]]:
    """(file name, line, message) of every finding with ``code``, sorted."""
    from reports.common import position

    found = []
    for finding in result.findings:
        if finding.code == code and finding.primary is not None:
            where = position(finding.primary, result.files)
            found.append((Path(where.path).name, where.line, finding.message))
    return sorted(found)


def process_runs(pid: int) -> bool:
    """True for a live process; a zombie (exited, not yet reaped by init) does not count."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def killed_after_first_line(script: str) -> str:
    """Run ``script`` in a child Python, read the first line it prints, then SIGKILL it (no
    ``finally`` runs: whatever it started stays behind); returns that line."""
    import signal
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait()
    return line


def since_json(folder: Path | str, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """``check --since HEAD FOLDER --no-cache --format json``: its exit code and report."""
    import json

    from checker.cli import main

    report = tmp_path / "report.json"
    arguments = ["check", "--since", "HEAD", str(folder), "--no-cache"]
    code = main([*arguments, "--format", "json", "-o", str(report)])
    return code, json.loads(report.read_text(encoding="utf-8"))
