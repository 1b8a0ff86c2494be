"""The dataclass methods kept beside the bytecode (checker/_compiled_methods.py):
the classes made are the ones ``@dataclass`` makes, the table is reused by the next
process, and a damaged table or one that may not be written changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# A process that installs the table at argv[1] and defines the same classes twice:
# once with dataclasses' own exec, once through the table. It prints what it saw.
_SCRIPT = r"""
import builtins, dataclasses, json, pickle, sys
from pathlib import Path
from checker import _compiled_methods as kept

kept.install(Path(sys.argv[1]))
SOURCE = '''
from dataclasses import dataclass, field
@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple = field(default=(), compare=False)
@dataclass(order=True)
class Row:
    name: str
    items: list = field(default_factory=list)
'''

def define(name):
    module = type(sys)(name)
    sys.modules[name] = module
    exec(SOURCE, module.__dict__)
    return module

served = define("served")
compiled = kept.compiled_here()
dataclasses.exec = builtins.exec  # dataclasses' own way
plain = define("plain")
methods = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__")
same = all(
    getattr(getattr(served, cls), m).__code__ == getattr(getattr(plain, cls), m).__code__
    for cls in ("Point", "Row")
    for m in methods
    if isinstance(getattr(getattr(plain, cls), m, None), type(define))
)
p = served.Point(1, tags=("a",))
try:
    p.x = 2
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(json.dumps({
    "compiled": compiled,
    "same_code": same,
    "repr": repr(p),
    "eq": p == served.Point(1),
    "hash": hash(p) == hash(served.Point(1)),
    "frozen": frozen,
    "pickled": pickle.loads(pickle.dumps(p)) == p,
    "order": served.Row("a") < served.Row("b"),
    "default_factory": served.Row("a").items is not served.Row("a").items,
}))
"""


def _run(table: Path, *, write: bool = True) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(table)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_classes_are_the_ones_dataclass_makes(tmp_path: Path) -> None:
    seen = _run(tmp_path / "table.bin")
    assert seen["same_code"] is True
    assert seen["repr"] == "Point(x=1, y=0, tags=('a',))"
    assert seen["eq"] is True and seen["hash"] is True
    assert seen["frozen"] is True and seen["pickled"] is True
    assert seen["order"] is True and seen["default_factory"] is True


def test_the_next_process_compiles_nothing_it_was_given(tmp_path: Path) -> None:
    table = tmp_path / "table.bin"
    first = _run(table)
    assert isinstance(first["compiled"], int) and first["compiled"] > 0
    assert table.is_file()
    again = _run(table)
    assert again["compiled"] == 0
    assert again["same_code"] is True


def test_a_damaged_table_is_ignored_and_rewritten(tmp_path: Path) -> None:
    table = tmp_path / "table.bin"
    _run(table)
    good = table.read_bytes()
    for damaged in (good[: len(good) // 2], good[:40] + b"\xff" * 64, b"not a table"):
        table.write_bytes(damaged)
        seen = _run(table)
        assert seen["same_code"] is True and seen["repr"] == "Point(x=1, y=0, tags=('a',))"
        assert isinstance(seen["compiled"], int) and seen["compiled"] > 0
        assert _run(table)["compiled"] == 0  # written again, whole


def test_nothing_is_written_where_bytecode_may_not_be(tmp_path: Path) -> None:
    table = tmp_path / "table.bin"
    seen = _run(table, write=False)
    assert seen["same_code"] is True
    assert not table.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    table = tmp_path / "missing" / "deeper" / "table.bin"  # its parent's parent is absent
    seen = _run(table)
    assert seen["same_code"] is True
    assert not table.exists()
