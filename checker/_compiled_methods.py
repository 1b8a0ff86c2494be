"""The methods ``@dataclass`` writes, compiled once and kept beside the bytecode.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` (and, frozen, ``__setattr__`` and ``__delattr__``) as source text
and compiles it with ``exec`` whenever the class is defined: about 0.3 ms per
frozen class on Python 3.11, so a check that imports 110 dataclasses spent
40 ms compiling the same small functions it compiled the run before (an eighth
of a check of 300 migrations).

``install`` makes those compilations as cached as the modules' own bytecode:
the ``dataclasses`` module's ``exec`` is served from a table of code objects
keyed by the text, kept in a file in this package's ``__pycache__`` (named by
the interpreter's cache tag, as ``.pyc`` files are) and loaded by the next
process. ``exec`` of a text and ``exec`` of that text compiled the way ``exec``
compiles it (file ``<string>``, no inherited future flags) run the same code,
so every class is the one ``@dataclass`` would have made. The file is trusted
as the ``.pyc`` files beside it are (same folder), written only where bytecode
may be written (not under ``PYTHONDONTWRITEBYTECODE``), replaced atomically; a
damaged or other interpreter's file is ignored.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import sys
import types
from pathlib import Path
from typing import Any

# the file starts with the interpreter's bytecode magic: another interpreter's file is a miss
_HEADER = b"schema-check dataclass methods\n" + importlib.util.MAGIC_NUMBER
_MOST = 4096  # entries; beyond that the file starts again (old versions' classes pile up)

_codes: dict[str, types.CodeType] = {}
_added = 0
_installed = False
_file: Path | None = None


def default_path() -> Path | None:
    """Where the table is kept: beside this package's bytecode, per interpreter."""
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    return Path(__file__).resolve().parent / "__pycache__" / f"dataclass-methods.{tag}.bin"


def _load(path: Path) -> dict[str, types.CodeType]:
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    if not data.startswith(_HEADER):
        return {}
    try:
        loaded = marshal.loads(data[len(_HEADER) :])
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {
        text: code
        for text, code in loaded.items()
        if isinstance(text, str) and isinstance(code, types.CodeType)
    }


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    """``exec`` with the compilation of a text served from the table."""
    global _added
    if isinstance(source, str):
        code = _codes.get(source)
        if code is None:
            # as exec compiles a text for dataclasses' frames: no future flags to inherit
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _codes[source] = code
            _added += 1
        source = code
    builtins.exec(source, globals, locals)


def install(path: Path | None = None) -> None:
    """Serve ``@dataclass``'s compilations from the table kept at ``path`` (by default
    beside this package's bytecode) from now on; at exit, ``save`` writes what this
    process added to it. Installing again with another path switches tables."""
    global _installed, _codes, _file, _added
    path = path or default_path()
    if _installed and path == _file:
        return
    _file, _added = path, 0
    _codes = _load(path) if path is not None else {}
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # shadows the builtin there only
    if not _installed:
        atexit.register(save)
    _installed = True


def compiled_here() -> int:
    """How many texts this process compiled since the table was loaded (not found in it)."""
    return _added


def save() -> None:
    """Write the kept file when this process compiled something new (where bytecode
    may be written); any failure leaves the file as it was."""
    global _added
    path = _file
    if not _added or path is None or sys.dont_write_bytecode:
        return
    codes = _codes if len(_codes) <= _MOST else {}
    _added = 0
    scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        scratch.write_bytes(_HEADER + marshal.dumps(codes))
        os.replace(scratch, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            scratch.unlink(missing_ok=True)
