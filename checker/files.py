"""Reading the user's files: one place that turns every OS or decoding problem
into a located InputError (and never blocks on a FIFO or device)."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from checker.errors import InputError


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning every OS or decoding problem into an InputError."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(f"{path}: broken symbolic link") from None
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: symbolic link loop") from None
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory, expected a file")
    if not stat.S_ISREG(mode):
        # a FIFO or device would block the read or never end
        raise InputError(f"{path}: not a regular file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"{path}:{line}:{col}: not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        # PostgreSQL rejects a NUL in query text, and its parser would stop there
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise InputError(f"{path}:{line}:{col}: NUL byte in the text")
    return text.removeprefix("\ufeff")


MANIFESTS = ("Cargo.toml", "go.mod")
_MANIFEST_LEVELS = 4  # the migrations folder and this many folders above it


# the Supabase CLI applies supabase/migrations, beside its project file supabase/config.toml
SUPABASE_FOLDER = ("supabase", "migrations")
SUPABASE_CONFIG = "config.toml"


def is_supabase_migrations(folder: Path) -> bool:
    """Whether ``folder`` is a Supabase project's ``supabase/migrations`` (its
    ``config.toml`` beside it), which ``supabase db push`` applies."""
    current = folder.resolve()
    return (current.parent.name, current.name) == SUPABASE_FOLDER and (
        current.parent / SUPABASE_CONFIG
    ).is_file()


def project_manifest(folder: Path) -> Path | None:
    """The nearest Cargo.toml or go.mod at or above ``folder`` (a few levels, not above
    the repository's root, the folder that holds ``.git``)."""
    current = folder.resolve()
    for _ in range(_MANIFEST_LEVELS + 1):
        for name in MANIFESTS:
            if (current / name).is_file():
                return current / name
        if (current / ".git").exists() or current.parent == current:
            return None
        current = current.parent
    return None
