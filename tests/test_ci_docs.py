"""docs/ci.md, action.yml and the pre-commit hooks say what the tool does: every command
they show parses, and the Action's own script, run as GitHub runs it, gates on the change."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support import git

from checker.cli import build_parser

REPO = Path(__file__).resolve().parent.parent


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def _commands(block: str) -> list[str]:
    """Each ``schema-check ...`` command of a shell or YAML block, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", block)
    # a YAML plain scalar folds an indented continuation line into the command
    joined = re.sub(r"\n(\s+)(?=--)", " ", joined)
    found = []
    for line in joined.splitlines():
        start = line.find("schema-check check")
        if start < 0 or "uses:" in line:
            continue
        command = line[start:].split(">>")[0].split("||")[0]
        found.append(command.strip())
    return found


def test_every_command_in_docs_ci_parses() -> None:
    text = (REPO / "docs/ci.md").read_text(encoding="utf-8")
    commands = [c for block in _code_blocks(text) for c in _commands(block)]
    assert len(commands) >= 5, commands
    assert any("--since" in c and "packages/db/migrations" in c for c in commands), (
        "docs/ci.md leads with the drizzle-kit --since workflow"
    )
    parser = build_parser()
    for command in commands:
        words = shlex.split(command.replace("…", "x"))[1:]
        args = parser.parse_args(words)
        assert args.command == "check", command
    assert "fetch-depth: 0" in text and "GIT_DEPTH: 0" in text
    assert "upload-sarif" in text and "GITHUB_STEP_SUMMARY" in text


def test_the_pre_commit_hooks_name_real_options() -> None:
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entries = re.findall(r"^\s*entry: (.+)$", text, flags=re.M)
    assert "schema-check check --since HEAD" in entries
    parser = build_parser()
    for entry in entries:
        assert parser.parse_args(shlex.split(entry)[1:]).command == "check"


def _action_script() -> str:
    """The run script of the Action's ``id: check`` step, dedented as GitHub runs it."""
    lines = (REPO / "action.yml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "id: check")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    indent = len(lines[run + 1]) - len(lines[run + 1].lstrip())
    body = []
    for line in lines[run + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        body.append(line[indent:])
    return "\n".join(body) + "\n"


def test_the_actions_since_input_gates_on_the_change_only(tmp_path: Path) -> None:
    action = (REPO / "action.yml").read_text(encoding="utf-8")
    assert re.search(r"^  since:\n    description: ", action, flags=re.M)
    # a repository whose history has an old unsafe migration, then a change
    repo = tmp_path / "repo"
    folder = repo / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_init.sql").write_text(
        'CREATE TABLE "user" ("id" text PRIMARY KEY);\n'
        'CREATE TABLE "note" ("id" text PRIMARY KEY, "user_id" text);\n'
    )
    (folder / "0002_old_unsafe.sql").write_text(
        'CREATE INDEX "note_user_idx" ON "note" ("user_id");\n'
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "history")
    git(repo, "checkout", "-qb", "feature")
    # a runner's bin folder with the installed command, as the Action's install step leaves it
    venv_bin = tmp_path / "runner" / "schema-check-venv" / "bin"
    venv_bin.mkdir(parents=True)
    command = venv_bin / "schema-check"
    command.write_text(
        f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(REPO))} exec {shlex.quote(sys.executable)} "
        '-m checker.cli "$@"\n'
    )
    command.chmod(0o755)
    script = tmp_path / "check.sh"
    script.write_text(_action_script())

    def run_action(change: str | None) -> tuple[subprocess.CompletedProcess[str], str, Path]:
        if change is not None:
            (folder / "0003_change.sql").write_text(change)
        summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
        summary.write_text("")
        output.write_text("")
        environment = {
            **os.environ,
            "RUNNER_TEMP": str(tmp_path / "runner"),
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "ARGS": "migrations",
            "SINCE": "main",
            "BASELINE": "",
            "FAIL_ON": "",
            "SARIF": "out.sarif",
            "HTML": "",
            "LIVE": "false",
            "CACHE": "true",
        }
        environment.pop("SCHEMA_CHECK_CACHE_DIR", None)
        done = subprocess.run(
            ["bash", "-e", str(script)],
            cwd=repo,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done, summary.read_text(), output

    quiet, summary, output = run_action('CREATE TABLE "tag" ("id" text PRIMARY KEY);\n')
    assert quiet.returncode == 0, quiet.stderr
    assert "exit-code=0" in output.read_text()
    assert "MG409" in summary, "the old CREATE INDEX is listed as pre-existing"
    assert "::error" not in quiet.stderr

    gated, summary, output = run_action('ALTER TABLE "user" ADD COLUMN "nickname" text NOT NULL;\n')
    assert gated.returncode == 1, gated.stderr
    assert "exit-code=1" in output.read_text()
    errors = [line for line in gated.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "title=MG411" in errors[0] and "0003_change.sql" in errors[0]
    assert gated.stderr.count("title=MG411") == 1, "the summary and SARIF re-runs add no annotation"
    assert (repo / "out.sarif").is_file()
    # the runs kept their cache where the Action's cache steps restore and save it
    assert (tmp_path / "runner" / "schema-check-cache" / "runs").is_dir()


def test_the_actions_cache_steps_keep_the_folder_the_run_uses() -> None:
    action = (REPO / "action.yml").read_text(encoding="utf-8")
    assert re.search(
        r'^  cache:\n    description: .*\n    required: false\n    default: "true"$',
        action,
        flags=re.M,
    )
    folder = "${{ runner.temp }}/schema-check-cache"
    key = "schema-check-${{ runner.os }}-${{ github.sha }}"
    restore = action.index("uses: actions/cache/restore@v4")
    run = action.index("id: check")
    save = action.index("uses: actions/cache/save@v4")
    assert restore < run < save
    assert action.count(f"path: {folder}") == 2 and action.count(f"key: {key}") == 2
    assert 'SCHEMA_CHECK_CACHE_DIR="$RUNNER_TEMP/schema-check-cache"' in _action_script()


@pytest.mark.parametrize("path", ["docs/ci.md", "README.md"])
def test_ci_docs_are_linked(path: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    if path == "README.md":
        assert "docs/ci.md" in text
    else:
        assert "[cache.md](cache.md)" in text and "[json-format.md](json-format.md)" in text
