"""The live verifier's entry point: start a backend, apply, introspect, diff, report.

``verify`` is the one function the CLI calls; it returns a LiveReport with the
findings (LV501 failing statements, LV502 catalog differences, LV503 documented
queries planned without their index, LV504 cascades the server does
differently, LV505 heavy locks on pre-existing tables, LV506 what a rolled-back
extension run leaves behind) and the time each phase took. Unreachable backends
raise BackendUnavailable (exit code 3).

The populated-table probe (LV507, and a history's LV505) works on its own copy
of the database over its own connection, so it runs in a thread while the main
apply, introspection, diff and the other probes go on: the server does the work
of both. For a history checked alone on the embedded backend, the copy is a
spare cluster of its own (``EmbeddedBackend.spare``), started with the main one
and probed as soon as it is up: the probe then waits neither for the main
server's start nor behind the main apply's locks. Its findings keep their place
in the report; if the main run fails, the thread is told to stop and its copy
is dropped (its spare stopped) before the error goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from checker.catalog import Catalog, display_name
from checker.config import Contract, Runner, Settings
from checker.errors import BackendUnavailable
from checker.findings import Finding, Location
from checker.live.backends import Backend, LiveDatabase, SpareCluster, make_backend, scrub
from checker.live.cascades import CascadeObservation
from checker.live.explain import PlanObservation
from checker.live.introspect import ServerFacts
from checker.model import Layer, Statement

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

    from checker.live.apply import Failure
    from checker.live.populated import PopulatedRun

Progress = Callable[[str, int, int], None]
"""Called as (phase, done, total); phases: start, apply, rollback rehearsal, introspect,
diff, cascades, explain, stop."""


@dataclass(frozen=True, slots=True)
class LiveReport:
    findings: tuple[Finding, ...]
    # seconds per phase: server_start, apply, introspection, diff, ..., stop;
    # populated_probe ran in a thread alongside them, populated_wait is what was left of it
    timings: Mapping[str, float]
    server_version: str
    backend: str
    applied_count: int
    failed_count: int
    label: str = ""  # where it ran (password masked)
    catalog: Catalog | None = field(default=None, compare=False, repr=False)  # the live catalog
    canonicalised: int = 0  # static expressions the server was asked to print
    locks_unobserved: int = 0  # extension statements run outside a transaction (locks not seen)
    cascades: tuple[CascadeObservation, ...] = ()  # what each probed delete did on the server
    plans: tuple[PlanObservation, ...] = ()  # how the server plans each documented query
    unpopulated: tuple[str, ...] = ()  # tables the populated-table probe gave no row (why)
    # why the live run could not go on on this backend, nothing verified ("": it went on)
    stopped: str = ""
    # of the statements applied, those that made the hosting platform's objects (by name)
    platform: tuple[str, int] | None = None


def verify(
    sources_statements: Sequence[Statement],
    static_catalog: Catalog | None,
    settings: Settings,
    backend_name: str = "embedded",
    dsn: str | None = None,
    image: str | None = None,
    include_proposal: bool = False,
    progress: Progress | None = None,
    *,
    backend: Backend | None = None,
    rollback: Sequence[Statement] = (),
    migrator_tables: Sequence[tuple[str, str]] = (),
    setup: Sequence[str] = (),
) -> LiveReport:
    """Apply the statements on a live server as ``settings.runner`` would, and check the result.

    ``sources_statements`` are the applied statements in order (``SourceSet.
    applied_statements``); proposal statements run only with ``include_proposal``
    (then ``static_catalog`` should include them too). With ``static_catalog``
    None only the apply step (and the lock probe) runs. Cascades are probed
    for the contract's delete roots and for base tables that extension
    foreign keys reference. ``backend`` overrides ``backend_name``.
    ``rollback``: the change's rollback scripts; applied last, after every
    probe, their result must equal the catalog the base alone built (LV506).
    ``migrator_tables``: the migrator's own tables the statements use and none creates
    (``schema_migrations``): its tool makes them before any migration runs, so they are
    made (without columns) before the statements, and left out of the catalog diff.
    ``setup``: what the hosting platform's servers have beyond its objects (its roles,
    its search path; ``checker.platforms.server_setup``), run first on a server this
    run owns; a DSN's server is the user's and is left as it is.
    """
    statements = [
        s for s in sources_statements if include_proposal or s.layer is not Layer.PROPOSAL
    ]
    chosen = backend or make_backend(backend_name, dsn=dsn, image=image)
    notify = progress or (lambda phase, done, total: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    notify("start", 0, 1)
    with ExitStack() as stack:
        spare = _spare_probe(stack, chosen, statements, settings.runner, migrator_tables, setup)
        if spare is not None:
            # the spare's copy has both cores (two cp) and the probe waits for it; the main
            # server, which has time to spare, copies its own afterwards
            spare.cluster.copied()
        with chosen.open() as database:
            timings["server_start"] = time.perf_counter() - started
            try:
                report, pending = _run(
                    database,
                    statements,
                    static_catalog,
                    settings.runner,
                    settings.contract,
                    notify,
                    timings,
                    rollback,
                    migrator_tables,
                    spare,
                    setup,
                )
            except _ConnectionLost as lost:
                raise BackendUnavailable(
                    f"{chosen.name} backend: lost the connection to {database.label}: "
                    f"{scrub(str(lost), database.conninfo)}"
                ) from None
            stopping = time.perf_counter()
            notify("stop", 0, 1)
        # the main server is stopped while the probe on the spare goes on
        timings["stop"] = time.perf_counter() - stopping
        if pending is not None:
            report = _finish_populated(report, pending, statements, timings)
    if spare is not None and spare.cluster.ready_at is not None:
        timings["probe_server_start"] = spare.cluster.ready_at - started
    findings = _place_unlocated(report.findings, statements)
    return replace(
        report,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        timings=dict(timings),
        backend=chosen.name,
        label=database.label,
    )


class _ConnectionLost(Exception):
    pass


def _run(
    database: LiveDatabase,
    statements: Sequence[Statement],
    static_catalog: Catalog | None,
    runner: Runner | None,
    contract: Contract,
    notify: Progress,
    timings: dict[str, float],
    rollback: Sequence[Statement] = (),
    migrator_tables: Sequence[tuple[str, str]] = (),
    spare: _SpareProbe | None = None,
    setup: Sequence[str] = (),
) -> tuple[LiveReport, _Pending | None]:
    """The report, and the populated-table probe still going on a spare cluster of its own
    (its findings are not in the report yet: ``_finish_populated`` adds them once the main
    server is stopped); None when the report has them."""
    import psycopg

    try:
        missing, facts, notes = _missing_extensions(database, statements)
        if missing is not None:
            return missing, None
        if setup and database.disposable:
            _run_setup(database.conninfo, setup)
        if migrator_tables:
            _make_migrator_tables(database.conninfo, migrator_tables)
        applied = _apply_phase(
            database,
            statements,
            runner,
            notify,
            timings,
            facts,
            keep_base=bool(rollback),
            spare=spare,
        )
    except psycopg.OperationalError as exc:
        raise _ConnectionLost(str(exc).strip()) from None
    # on the spare, the probe needs nothing of the main server: its findings are waited
    # for once that is stopped
    deferred = spare is not None and applied.populated is spare.pending
    done = False
    try:
        report = _probe_phase(
            database,
            statements,
            static_catalog,
            runner,
            contract,
            notify,
            timings,
            rollback,
            applied,
            migrator_tables,
            wait_populated=not deferred,
        )
        report = replace(report, findings=(*notes, *report.findings)) if notes else report
        done = True
        return report, _Pending(applied, len(notes) + len(applied.findings)) if deferred else None
    finally:
        if applied.populated is not None and not (done and deferred):
            applied.populated.abandon()  # joined already unless a probe failed


@dataclass(frozen=True, slots=True)
class _Pending:
    applied: _Applied  # its ``populated`` still runs
    at: int  # where its findings go among the report's (after the apply's, as otherwise)


def _finish_populated(
    report: LiveReport,
    pending: _Pending,
    statements: Sequence[Statement],
    timings: dict[str, float],
) -> LiveReport:
    """The report with the populated-table probe's findings, once it is done."""
    import psycopg

    phase = time.perf_counter()
    try:
        populated, unpopulated = _populated_findings(pending.applied, statements, timings)
    except psycopg.OperationalError as exc:
        raise BackendUnavailable(
            f"embedded backend: lost the connection to the spare cluster: {str(exc).strip()}"
        ) from None
    timings["populated_wait"] = time.perf_counter() - phase
    at = pending.at
    findings = (*report.findings[:at], *populated, *report.findings[at:])
    return replace(report, findings=findings, unpopulated=unpopulated)


def _probe_phase(
    database: LiveDatabase,
    statements: Sequence[Statement],
    static_catalog: Catalog | None,
    runner: Runner | None,
    contract: Contract,
    notify: Progress,
    timings: dict[str, float],
    rollback: Sequence[Statement],
    applied: _Applied,
    migrator_tables: Sequence[tuple[str, str]] = (),
    *,
    wait_populated: bool = True,
) -> LiveReport:
    """Introspection, diff and probes on the applied database, while the populated-table
    probe (when there is one) goes on in its thread on its own copy; then its findings,
    unless ``wait_populated`` is False (the caller waits for them)."""
    import psycopg

    from checker.live.cascades import cascade_findings, observe_cascade, probe_roots
    from checker.live.diff import diff_catalogs
    from checker.live.explain import explain_query, plan_findings
    from checker.live.expressions import ServerCanonicaliser
    from checker.live.introspect import introspect

    try:
        facts = applied.facts
        findings: list[Finding] = []
        live: Catalog | None = None
        asked = 0
        observations: list[CascadeObservation] = []
        plans: list[PlanObservation] = []
        if static_catalog is not None:
            # A fresh session: migrations may have changed search_path and other settings,
            # which would change how format_type and pg_get_expr print names.
            with psycopg.connect(database.conninfo, autocommit=True) as connection:
                phase = time.perf_counter()
                notify("introspect", 0, 1)
                live = introspect(connection)
                timings["introspection"] = time.perf_counter() - phase
                live = _without_migrator_tables(live, static_catalog, migrator_tables)
                phase = time.perf_counter()
                notify("diff", 0, 1)
                canonicaliser = ServerCanonicaliser(connection)
                with canonicaliser.session():
                    findings += diff_catalogs(
                        static_catalog,
                        live,
                        default_opclasses=facts.default_opclasses,
                        canonicalise=canonicaliser,
                    )
                asked = canonicaliser.asked
                timings["diff"] = time.perf_counter() - phase
                phase = time.perf_counter()
                notify("cascades", 0, 1)
                roots = probe_roots(static_catalog, [d.root for d in contract.deletes])
                for root in roots:
                    observation = observe_cascade(connection, live, root)
                    observations.append(observation)
                    findings += cascade_findings(static_catalog, observation)
                timings["cascade_probe"] = time.perf_counter() - phase
                phase = time.perf_counter()
                if contract.queries and facts.version_num >= 160000:  # EXPLAIN (GENERIC_PLAN)
                    from checker.coverage import query_coverage

                    notify("explain", 0, len(contract.queries))
                    for pattern in contract.queries:
                        plan = explain_query(connection, pattern)
                        plans.append(plan)
                        predicted = query_coverage(static_catalog, pattern)
                        findings += plan_findings(
                            static_catalog, pattern, plan, predicted=predicted
                        )
                timings["explain_probe"] = time.perf_counter() - phase
        if rollback and applied.base_catalog is not None:
            phase = time.perf_counter()
            notify("rollback scripts", 0, 1)
            findings += _check_rollback(database, rollback, runner, applied)
            timings["rollback_scripts"] = time.perf_counter() - phase
        populated: list[Finding] = []
        unpopulated: tuple[str, ...] = ()
        if wait_populated:
            phase = time.perf_counter()
            populated, unpopulated = _populated_findings(applied, statements, timings)
            timings["populated_wait"] = time.perf_counter() - phase
    except psycopg.OperationalError as exc:
        raise _ConnectionLost(str(exc).strip()) from None
    return LiveReport(
        findings=(*applied.findings, *populated, *findings),
        timings=timings,
        server_version=facts.version,
        backend="",
        applied_count=applied.applied,
        failed_count=applied.failed,
        catalog=live,
        canonicalised=asked,
        locks_unobserved=applied.unobserved,
        unpopulated=unpopulated,
        cascades=tuple(observations),
        plans=tuple(plans),
    )


def _missing_extensions(
    database: LiveDatabase, statements: Sequence[Statement]
) -> tuple[LiveReport | None, ServerFacts, list[Finding]]:
    """The report of a run that stops before applying: extensions the server lacks (LV508);
    what the server is, which the rest of the run goes on with; and the notes on the
    embedded server's stand-ins for the extensions its build leaves out (LV508, info)."""
    import psycopg

    from checker.live.extensions import missing_extensions, standin_notes
    from checker.live.introspect import server_facts

    with psycopg.connect(database.conninfo, autocommit=True) as connection:
        facts = server_facts(connection)
        notes, missing = standin_notes(
            missing_extensions(
                connection,
                statements,
                server=f"PostgreSQL {facts.version}",
                where=database.label,
                embedded=database.backend == "embedded",
            )
        )
    if not missing:
        return None, facts, notes
    stopped = ""
    if database.backend == "embedded":
        # our server's shortcoming, not the migrations': the run verified nothing
        names = ", ".join(f.objects[0] for f in missing)
        stopped = (
            f"the embedded server has no extension {names}, which these migrations create: "
            "nothing was verified live; use --backend docker (an image with it) or --backend dsn"
        )
    report = LiveReport(
        findings=(*notes, *missing),
        timings={},
        server_version=facts.version,
        backend="",
        applied_count=0,
        failed_count=0,
        stopped=stopped,
    )
    return report, facts, notes


def _run_setup(conninfo: str, setup: Sequence[str]) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as connection:
        for statement in setup:
            connection.execute(statement)


def _make_migrator_tables(conninfo: str, names: Sequence[tuple[str, str]]) -> None:
    """Each migrator table the statements use, as its tool makes it before the first
    migration; with no columns, as the static model has it."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(_migrator_tables_sql(names))


def _migrator_tables_sql(names: Sequence[tuple[str, str]]) -> sql.Composed:
    from psycopg import sql

    return sql.SQL(";\n").join(
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ()").format(sql.Identifier(*name)) for name in names
    )


def _without_migrator_tables(
    live: Catalog, static: Catalog, names: Sequence[tuple[str, str]]
) -> Catalog:
    """``live`` without the migrator tables made before the statements, unless the static
    model has them too: they are the migrator's, not the migrations'."""
    dropped = {name for name in names if name not in static.tables}
    if not dropped:
        return live
    return replace(
        live,
        tables={key: table for key, table in live.tables.items() if key not in dropped},
        indexes={key: index for key, index in live.indexes.items() if index.table not in dropped},
    )


_T = TypeVar("_T")


class _Background(Generic[_T]):
    """One job in a thread of its own: the server does the work, so it overlaps the
    caller's. ``abandon`` asks the job to stop (it looks at ``stop``) and waits for it."""

    def __init__(self, job: Callable[[threading.Event], _T], name: str) -> None:
        self.stop = threading.Event()
        self._outcome: tuple[_T] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(job,), name=name, daemon=True)
        self._thread.start()

    def _run(self, job: Callable[[threading.Event], _T]) -> None:
        try:
            self._outcome = (job(self.stop),)
        except BaseException as exc:  # handed to whoever asks for the result
            self._error = exc

    def result(self) -> _T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None
        return self._outcome[0]

    def abandon(self) -> None:
        self.stop.set()
        self._thread.join()


# the populated run, the history's lock findings, and the seconds it took
_PopulatedOutcome = tuple["PopulatedRun", list[Finding], float]


@dataclass(frozen=True, slots=True)
class _Applied:
    facts: ServerFacts
    findings: tuple[Finding, ...]
    applied: int
    failed: int
    unobserved: int
    base_catalog: Catalog | None = None  # the live catalog as the base alone left it
    # the populated-table probe, still running on its copy; what the empty apply failed
    populated: _Background[_PopulatedOutcome] | None = field(default=None, compare=False)
    failures: tuple[Failure, ...] = ()
    first: Statement | None = None  # where the populated probe's notes point


def _populated_findings(
    applied: _Applied, statements: Sequence[Statement], timings: dict[str, float]
) -> tuple[list[Finding], tuple[str, ...]]:
    """Wait for the populated-table probe; its findings (LV505 of a history, LV507) and the
    tables it gave no row."""
    if applied.populated is None:
        return [], ()
    from checker.live.populated import populated_findings, unpopulated_finding

    run, history_locks, seconds = applied.populated.result()
    timings["populated_probe"] = seconds
    findings = list(history_locks)
    failed_when_empty = {(f.statement.migration.path, f.statement.index) for f in applied.failures}
    findings += populated_findings(run, failed_when_empty, statements)
    note = unpopulated_finding(run, applied.first)
    findings += [note] if note is not None else []
    if run.triggers is not None:
        from checker.live.triggers import not_exercised_finding, trigger_findings

        findings += trigger_findings(run.triggers, statements)
        unfired = not_exercised_finding(run.triggers, applied.first)
        findings += [unfired] if unfired is not None else []
    return findings, run.unpopulated


def _check_rollback(
    database: LiveDatabase, rollback: Sequence[Statement], runner: Runner | None, applied: _Applied
) -> list[Finding]:
    """Apply the rollback scripts on the applied database, then compare with the
    catalog the base alone built: what is left behind, changed or wrongly removed."""
    import psycopg

    from checker.live.apply import apply_statements
    from checker.live.introspect import introspect
    from checker.live.rollback import residue_findings

    assert applied.base_catalog is not None
    with psycopg.connect(database.conninfo, autocommit=True) as connection:
        result = apply_statements(
            connection, rollback, runner, server=f"PostgreSQL {applied.facts.version}"
        )
    with psycopg.connect(database.conninfo, autocommit=True) as connection:
        after = introspect(connection)
    residue = residue_findings(
        applied.base_catalog,
        after,
        subject="the rollback",
        detail="the rollback scripts must bring the schema back to what the base alone "
        "built; what they leave, change or remove differs from the base",
    )
    return [*result.findings, *_place_unlocated(residue, rollback)]


def _apply_phase(
    database: LiveDatabase,
    statements: Sequence[Statement],
    runner: Runner | None,
    notify: Progress,
    timings: dict[str, float],
    facts: ServerFacts,
    *,
    keep_base: bool = False,
    populated: bool = True,
    spare: _SpareProbe | None = None,
) -> _Applied:
    """Apply the statements; between base and extension, rehearse a rolled-back extension run.

    The rehearsal (LV506) runs on a copy of the database as the base left it,
    so whatever it commits on the way never reaches the real apply. It needs a
    transactional runner, extension statements and a server we may create
    databases on; the extension then runs on a new session, as a separate
    migrate() call would.
    """
    import psycopg

    from checker.live.apply import effective_runner

    base = [s for s in statements if s.layer is Layer.BASE]
    rest = [s for s in statements if s.layer is not Layer.BASE]
    rehearse = (
        bool(base and rest and database.admin_conninfo)
        and any(effective_runner(s, runner) is not Runner.AUTOCOMMIT for s in rest)
        and any(
            effective_runner(s, runner)
            in (Runner.PER_FILE, Runner.PRISMA, Runner.TRANSACTION_PER_FILE)
            or _ends_transaction(s)
            for s in rest
        )
    )
    # the populated-table probe (LV507) runs on a copy: of the base when there is a
    # change, else of the empty database, for the history file by file
    populate = populated and bool(database.admin_conninfo) and bool(statements)
    split = rehearse or keep_base or (populate and bool(base and rest))
    source = str(psycopg.conninfo.conninfo_to_dict(database.conninfo).get("dbname", ""))
    pending: _Background[_PopulatedOutcome] | None = None
    phase = time.perf_counter()
    server = f"PostgreSQL {facts.version}"
    if populate and not rest:
        if spare is not None and spare.started():
            pending = spare.pending  # on a server of its own, already going
        else:
            pending = _populated_in_background(
                database, source, _files(base), runner, server, watch_locks=True
            )
    try:
        return _apply_rest(
            database,
            statements,
            runner,
            notify,
            timings,
            phase=phase,
            facts=facts,
            base=base,
            rest=rest,
            split=split,
            rehearse=rehearse,
            keep_base=keep_base,
            populate=populate,
            pending=pending,
        )
    except BaseException:
        if pending is not None:
            pending.abandon()
        raise


def _apply_rest(
    database: LiveDatabase,
    statements: Sequence[Statement],
    runner: Runner | None,
    notify: Progress,
    timings: dict[str, float],
    *,
    phase: float,
    facts: ServerFacts,
    base: Sequence[Statement],
    rest: Sequence[Statement],
    split: bool,
    rehearse: bool,
    keep_base: bool,
    populate: bool,
    pending: _Background[_PopulatedOutcome] | None,
) -> _Applied:
    import psycopg

    from checker.live.apply import apply_statements
    from checker.live.introspect import introspect
    from checker.live.locks import LockProbe
    from checker.live.rollback import database_copy, rehearse_rollback, residue_findings

    server = f"PostgreSQL {facts.version}"
    source = str(psycopg.conninfo.conninfo_to_dict(database.conninfo).get("dbname", ""))
    base_catalog: Catalog | None = None
    findings: list[Finding] = []

    def progress(done: int, total: int) -> None:
        notify("apply", done, total)

    with psycopg.connect(database.conninfo, autocommit=True) as connection:
        probe = LockProbe(connection, runner)
        applying = base if split else statements
        first = apply_statements(
            connection,
            applying,
            runner,
            server=server,
            progress=progress,
            # a history alone has nothing the probe watches: it is not asked about each
            # of its statements (on the main thread, beside the populated-table probe)
            observer=probe if any(s.layer in probe.layers for s in applying) else None,
        )
    timings["apply"] = time.perf_counter() - phase
    findings += first.findings
    failures = list(first.failures)
    applied, failed = first.applied, first.failed
    if rehearse or keep_base:
        # what the base alone built: the rehearsal and the rollback scripts compare with it
        with psycopg.connect(database.conninfo, autocommit=True) as connection:
            base_catalog = introspect(connection)
    if rehearse:
        assert base_catalog is not None
        phase = time.perf_counter()
        notify("rollback rehearsal", 0, 1)
        before = base_catalog
        with database_copy(database.admin_conninfo, source, drop=not database.disposable) as copy:
            with psycopg.connect(copy, autocommit=True) as connection:
                rehearse_rollback(connection, rest, runner)
            with psycopg.connect(copy, autocommit=True) as connection:
                after = introspect(connection)
        findings += _place_unlocated(residue_findings(before, after), rest)
        timings["rollback_rehearsal"] = time.perf_counter() - phase
    if populate and rest:
        notify("populated tables", 0, 1)
        # its copy is made now, before the change is applied; the rest runs alongside
        pending = _populated_in_background(database, source, [rest], runner, server)
    if split:
        phase = time.perf_counter()
        with psycopg.connect(database.conninfo, autocommit=True) as connection:
            probe = LockProbe(connection, runner)
            second = apply_statements(
                connection, rest, runner, server=server, progress=progress, observer=probe
            )
        timings["apply"] += time.perf_counter() - phase
        findings += second.findings
        failures += second.failures
        applied, failed = applied + second.applied, failed + second.failed
    findings += probe.findings()
    return _Applied(
        facts,
        tuple(findings),
        applied,
        failed,
        probe.unobserved,
        base_catalog,
        pending,
        tuple(failures),
        (rest or base)[0] if pending is not None else None,
    )


def _files(statements: Sequence[Statement]) -> list[list[Statement]]:
    """Consecutive statements of one file, file by file."""
    files: list[list[Statement]] = []
    for statement in statements:
        if not files or files[-1][0].migration.path != statement.migration.path:
            files.append([])
        files[-1].append(statement)
    return files


def _populated_in_background(
    database: LiveDatabase,
    source: str,
    steps: Sequence[Sequence[Statement]],
    runner: Runner | None,
    server: str,
    *,
    watch_locks: bool = False,
) -> _Background[_PopulatedOutcome]:
    """The populated-table probe on a copy of ``source``, made now (no session may be
    connected to ``source``); the probe runs in a thread and drops the copy when done
    (unless the server is thrown away after the run).

    ``watch_locks``: the steps are a history's files; the lock probe watches every
    statement, with the tables earlier files made as pre-existing (LV505).
    """
    from checker.live.rollback import database_copy

    stack = ExitStack()
    copy = stack.enter_context(
        database_copy(database.admin_conninfo, source, drop=not database.disposable)
    )

    def job(stop: threading.Event) -> _PopulatedOutcome:
        import psycopg

        with stack, psycopg.connect(copy, autocommit=True) as connection:
            started = time.perf_counter()
            run, locks = _populated_on(connection, steps, runner, server, watch_locks, stop)
            return run, locks, time.perf_counter() - started

    try:
        return _Background(job, "schema-check populated-table probe")
    except BaseException:
        stack.close()
        raise


@dataclass(slots=True)
class _SpareProbe:
    """A history's populated-table probe on a spare cluster of its own (embedded backend):
    started with the main server, before it is up, so neither waits for the other and the
    probe's looks at ``pg_locks`` never copy the main apply's thousands of locks."""

    cluster: SpareCluster
    pending: _Background[_PopulatedOutcome]

    def started(self) -> bool:
        """Waits for the spare; False when it could not start (then its probe has ended and
        the probe runs on a copy on the main server, as on the other backends)."""
        if self.cluster.conninfo() is not None:
            return True
        self.pending.abandon()
        return False


def _spare_probe(
    stack: ExitStack,
    backend: Backend,
    statements: Sequence[Statement],
    runner: Runner | None,
    migrator_tables: Sequence[tuple[str, str]],
    setup: Sequence[str],
) -> _SpareProbe | None:
    """For a history checked alone on the embedded backend: a spare cluster, and the
    populated-table probe waiting for it in its thread (``stack`` stops and removes both).

    The probe starts from what the main database holds when ``_apply_phase`` would have
    copied it: the empty cluster (the same template, settings and stand-ins) with the
    migrator tables."""
    from checker.live.backends import EmbeddedBackend

    if not (
        isinstance(backend, EmbeddedBackend)
        and statements
        and all(s.layer is Layer.BASE for s in statements)
    ):
        return None
    cluster = stack.enter_context(backend.spare())
    if cluster is None:
        return None
    steps = _files(statements)

    def job(stop: threading.Event) -> _PopulatedOutcome:
        import psycopg

        from checker.live.introspect import server_version

        try:
            conninfo = cluster.conninfo()
            if conninfo is None:
                raise BackendUnavailable(f"embedded backend: spare cluster: {cluster.error}")
            if setup:
                _run_setup(conninfo, setup)  # a new session takes the search path
            with psycopg.connect(conninfo, autocommit=True) as connection:
                server = f"PostgreSQL {server_version(connection)}"
                if migrator_tables:
                    connection.execute(_migrator_tables_sql(migrator_tables))
                started = time.perf_counter()
                run, locks = _populated_on(connection, steps, runner, server, True, stop)
            return run, locks, time.perf_counter() - started
        finally:
            cluster.release()

    probe = _SpareProbe(cluster, _Background(job, "schema-check populated-table probe"))
    stack.callback(_abandon_spare, probe)
    return probe


def _abandon_spare(probe: _SpareProbe) -> None:
    """Stop the probe on the spare (done already unless the run failed): the spare first, so
    a probe still waiting for it to start is not waited for."""
    probe.cluster.release()
    probe.pending.abandon()


def _populated_on(
    connection: psycopg.Connection[Any],
    steps: Sequence[Sequence[Statement]],
    runner: Runner | None,
    server: str,
    watch_locks: bool,
    stop: threading.Event | None = None,
) -> tuple[PopulatedRun, list[Finding]]:
    from checker.live.locks import LockProbe
    from checker.live.populated import run_populated

    probe = LockProbe(connection, runner, layers=frozenset(Layer), per_file=True)
    run = run_populated(
        connection, steps, runner, server, observer=probe if watch_locks else None, stop=stop
    )
    return run, probe.findings() if watch_locks else []


def _ends_transaction(statement: Statement) -> bool:
    """A COMMIT / END / ROLLBACK / BEGIN written in the migration itself.

    Under a runner with one transaction for the run, only such a statement can
    commit part of a failed run; without one, its rollback restores the base by
    construction, and the rehearsal is skipped.
    """
    words = statement.text.lstrip().split(None, 1)
    return bool(words) and words[0].rstrip(";").upper() in _TRANSACTION_WORDS


_TRANSACTION_WORDS = frozenset({"COMMIT", "END", "ROLLBACK", "BEGIN", "START", "ABORT"})


def _place_unlocated(findings: Sequence[Finding], statements: Sequence[Statement]) -> list[Finding]:
    """Give objects found only on the server the first statement that names them."""
    unlocated = [f for f in findings if not f.locations and f.objects]
    if not unlocated:
        return list(findings)
    from checker.parsing import scan_identifiers

    named: list[tuple[frozenset[str], Statement]] = []
    for statement in statements:
        identifiers = scan_identifiers(statement)
        names = frozenset(i.truncated for i in identifiers) | frozenset(i.text for i in identifiers)
        named.append((names, statement))
    placed: list[Finding] = []
    for finding in findings:
        if finding.locations or not finding.objects:
            placed.append(finding)
            continue
        parts = set(finding.objects[0].replace("(", ".").replace(")", "").split("."))
        parts.discard("")
        wanted = {part.split(" ")[0] for part in parts}
        match = next((s for names, s in named if wanted <= names), None)
        if match is None:
            # made by SQL built at run time: the name may only appear in a string
            match = next((s for _, s in named if all(w in s.text for w in wanted)), None)
        if match is None:
            placed.append(finding)
            continue
        placed.append(
            replace(finding, locations=(Location.of(match.origin, "first statement naming it"),))
        )
    return placed


def describe(report: LiveReport) -> dict[str, Any]:
    """A plain summary (for json reports and logs)."""
    platform = {}
    if report.platform is not None:
        platform = {"platform": {"name": report.platform[0], "statements": report.platform[1]}}
    return {
        "backend": report.backend,
        "server_version": report.server_version,
        "applied": report.applied_count,
        "failed": report.failed_count,
        **platform,
        "timings": {phase: round(seconds, 3) for phase, seconds in report.timings.items()},
        "findings": len(report.findings),
        "unpopulated": list(report.unpopulated),
        "cascades": [
            {
                "root": display_name(observation.root),
                "deleted": sorted(display_name(t) for t in observation.deleted),
                "set_null": sorted(display_name(t) for t in observation.set_null),
                "blocking": sorted(display_name(t) for t in observation.blocking),
                "failure": observation.failure,
            }
            for observation in report.cascades
        ],
        "plans": [
            {
                "query": plan.query,
                "indexes": list(plan.indexes),
                "sorts": plan.sorts,
                "sequential": list(plan.sequential),
                "error": plan.error,
            }
            for plan in report.plans
        ],
    }
