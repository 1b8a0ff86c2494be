"""Shared pytest configuration."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The run cache of every test lives in this session's temporary folder, so a test never
    reads what an earlier session (or the developer's own runs) left in ~/.cache."""
    import os

    previous = os.environ.get("SCHEMA_CHECK_CACHE_DIR")
    os.environ["SCHEMA_CHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("schema-check-cache"))
    yield
    if previous is None:
        os.environ.pop("SCHEMA_CHECK_CACHE_DIR", None)
    else:
        os.environ["SCHEMA_CHECK_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def live_server() -> Iterator[Any]:
    """One embedded PostgreSQL server for the session; tests use scratch databases on it."""
    from checker.live import EmbeddedBackend

    with EmbeddedBackend().open() as database:
        yield database


# The versions the corpus's package.json ranges allow (drizzle-kit ^0.31.4, drizzle-orm ^0.45.2).
DRIZZLE_KIT = "drizzle-kit@0.31.11"
DRIZZLE_ORM = "drizzle-orm@0.45.4"


@pytest.fixture(scope="session")
def drizzle_node_modules() -> Path:
    """A node_modules with the pinned drizzle-kit and drizzle-orm, outside the repository:
    SCHEMA_CHECK_NODE_MODULES when set (CI installs it), else installed once into the
    temporary directory with npm; skipped when npm is missing or offline."""
    import os
    import shutil
    import subprocess
    import tempfile

    given = os.environ.get("SCHEMA_CHECK_NODE_MODULES")
    if given:
        return Path(given)
    folder = Path(tempfile.gettempdir()) / "schema-check-drizzle-0.31.11-0.45.4"
    node_modules = folder / "node_modules"
    if (node_modules / ".bin" / "drizzle-kit").exists():
        return node_modules
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("Node.js/npm not installed: the ORM drift tests need drizzle-kit")
    done = subprocess.run(
        ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", DRIZZLE_KIT,
         DRIZZLE_ORM],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(
            f"npm install {DRIZZLE_KIT} {DRIZZLE_ORM} failed (offline?): {done.stderr[-200:]}"
        )
    return node_modules
