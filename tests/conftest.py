"""Shared pytest configuration."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def live_server() -> Iterator[Any]:
    """One embedded PostgreSQL server for the session; tests use scratch databases on it."""
    from checker.live import EmbeddedBackend

    with EmbeddedBackend().open() as database:
        yield database
