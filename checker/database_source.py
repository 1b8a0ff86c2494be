"""Moved to ``checker.sources.database`` (one module per kind of source); kept so
that existing imports still work."""

from checker.sources.database import (
    CONNECT_TIMEOUT_SECONDS,
    STATEMENT_TIMEOUT,
    read_database,
    with_origin,
)

__all__ = ["CONNECT_TIMEOUT_SECONDS", "STATEMENT_TIMEOUT", "read_database", "with_origin"]
