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
