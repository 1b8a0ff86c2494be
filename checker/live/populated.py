"""Populated-table probe: statements that fail only when the tables they change hold rows.

An empty scratch database accepts ``ADD COLUMN ... NOT NULL`` without a
default, ``SET NOT NULL``, a CHECK or UNIQUE constraint and a type change that
every real database with data rejects. On a copy of the database (``CREATE
DATABASE ... TEMPLATE``, so the normal apply, the catalog diff and the other
probes never see a row), every table that exists before a step gets one valid
row (the cascade probe's row builder, CHECK constraints kept), then the step
runs as the runner runs it. A statement that fails there with a data SQLSTATE
(class 22, data exception, or 23, integrity constraint violation) is reported
as LV507 by the verifier when it succeeded on the empty apply: an error when
every row fails the same way, a warning when it depends on the values the probe
made up (checker/live/certainty.py), a cascade of an earlier failure of the same
file on the same table attached to that failure's finding.

Steps: the change as one step (rows in every table the base made), or, for a
history checked alone, each file (rows in every table earlier files made).
After a step with a data failure, the rows are removed and the step's failed
statements run again on the empty tables, so the next step starts from the
schema the empty apply built and reports only its own failures.

After the last step every trigger is fired once per event (checker/live/
triggers.py): a trigger function that fails when it runs is LV507 too.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from checker.catalog import Catalog, QualifiedName, display_name
from checker.config import Runner
from checker.findings import Finding, Location, Severity
from checker.live.apply import Failure, StatementObserver, apply_statements
from checker.live.locks import LockProbe, keeps_tables
from checker.model import Statement

if TYPE_CHECKING:
    import threading

    import psycopg
    from psycopg import sql

    from checker.live.introspect import FillCatalog
    from checker.live.triggers import TriggerRun

CODE_DATA_DEPENDENT = "LV507"
_DATA_CLASSES = ("22", "23")

# the same tables as the lock probe's: it is handed what the filler read (``LockProbe.preset``)
_USER_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relispartition FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'drizzle')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""
# the same, and whether an event trigger exists (on every row): the filler's listing, which
# the lock probe is handed
_USER_TABLES_AND_EVENTS = f"""
SELECT t.*, EXISTS (SELECT 1 FROM pg_event_trigger) FROM ({_USER_TABLES}) t
"""


class PopulatedRunStopped(Exception):
    """The run was asked to stop (the verifier gave up on it) before its last step."""


@dataclass(frozen=True, slots=True)
class PopulatedRun:
    """What the populated run saw."""

    failures: tuple[Failure, ...]  # statements that failed there with a data SQLSTATE
    unpopulated: tuple[str, ...]  # "table: reason" for tables no row could be made for
    rows: int  # tables that got a row
    triggers: TriggerRun | None = None  # every trigger fired once after the last step


@dataclass(slots=True)
class _Filler:
    connection: psycopg.Connection[Any]
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    tried: set[QualifiedName] = field(default_factory=set)
    filled: set[QualifiedName] = field(default_factory=set)  # tables holding our row
    unpopulated: dict[QualifiedName, str] = field(default_factory=dict)
    rows: int = 0
    present: dict[int, QualifiedName] = field(default_factory=dict)  # tables at the last fill
    events: bool = True  # an event trigger existed at the last fill (or no table did)
    listing: list[tuple[Any, ...]] = field(default_factory=list)  # what the last fill read
    reader: FillCatalog | None = None

    def fill(self, listing: list[tuple[Any, ...]] | None = None) -> None:
        """One row in every table that has none yet (and has not refused one).

        ``listing``: the rows of _USER_TABLES_AND_EVENTS as the database stands now, when the caller
        has just read them (in the round trip of the last COMMIT)."""
        if listing is self.listing:
            # the set of tables is what the last fill left: every table in it was tried
            return
        if listing is None:
            listing = self.connection.execute(_USER_TABLES_AND_EVENTS).fetchall()
        self.listing = listing
        self.present = {}
        self.events = False
        wanted: list[QualifiedName] = []
        for oid, schema, name, partition, events in listing:
            listed = (str(schema), str(name))
            self.present[int(oid)] = listed
            self.events = self.events or bool(events)
            if partition:
                # A partition gets its row through its parent (a row of its own would have
                # to fit its bound).
                self.tried.add(listed)
            elif listed not in self.tried:
                wanted.append(listed)
        wanted.sort()
        if not wanted:
            return
        import psycopg

        try:
            self._fill(wanted, immediate=False)
        except psycopg.Error:
            # The COMMIT ran the fill's deferred checks (a DEFERRABLE constraint trigger, a
            # deferred foreign key) and one refused a row: the whole fill was rolled back.
            # Again, each check at its row's INSERT, where a refused row is only that
            # table's (``_World`` inserts each row under a savepoint).
            try:
                self._fill(wanted, immediate=True)
            except psycopg.Error as error:
                reason = " ".join(str(error).split()) or type(error).__name__
                for name in wanted:
                    self.tried.add(name)
                    self.unpopulated[name] = f"its row was refused at COMMIT: {reason}"

    def _fill(self, wanted: list[QualifiedName], *, immediate: bool) -> None:
        """A row in each of ``wanted`` in one transaction; what the fill learnt is kept only
        when its COMMIT succeeds (a psycopg.Error from it leaves nothing behind)."""
        from checker.live.cascades import _key_columns, _World
        from checker.live.introspect import FillCatalog

        # Only the new tables and what they reference are read (a history adds a few tables
        # per file), in one query; the walk along foreign keys stops at tables holding our
        # row, as the row builder takes that row and goes no further.
        filled = {oid for oid, name in self.present.items() if name in self.filled}
        if self.reader is None:
            self.reader = FillCatalog(self.connection)
        rows, now_filled, refused = 0, set[QualifiedName](), dict[QualifiedName, str]()
        committed = False
        try:
            catalog = self.reader.read(wanted, stop=filled)  # opens the fill's transaction
            if immediate:
                self.connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
            anchors = self._anchors(catalog)
            if any(row is None for row in anchors.values()):
                # a table we filled lost its row: the builder may insert into it, and go on
                # to what it references (nothing was written yet)
                self.connection.execute("ROLLBACK")
                catalog = self.reader.read(wanted)
                if immediate:
                    self.connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
                anchors = self._anchors(catalog)
            world = _World(self.connection, catalog, counter=self.counter, drop_checks=False)
            for parent, row in anchors.items():
                if row is not None:
                    key = _key_columns(catalog.tables[parent])
                    world.anchors[parent] = dict(zip(key, row, strict=False))
            for name in wanted:
                table = catalog.tables.get(name)
                if table is None:
                    continue
                notes = len(world.not_probed)
                if name in world.anchors or world.anchor(table, 0) is not None:
                    rows += 1
                    now_filled.add(name)
                    continue
                refused[name] = next(
                    (
                        note.split(": ", 1)[1]
                        for note in world.not_probed[notes:]
                        if note.startswith(f"{display_name(name)}: ")
                    ),
                    world.not_probed[-1] if len(world.not_probed) > notes else "no row",
                )
            self.connection.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                with contextlib.suppress(Exception):  # the connection's error is the caller's
                    self.connection.execute("ROLLBACK")
        self.tried.update(wanted)
        self.rows += rows
        self.filled |= now_filled
        self.unpopulated.update(refused)

    def _anchors(self, catalog: Catalog) -> dict[QualifiedName, Any]:
        """The row (its key columns) of each table in ``catalog`` that we filled earlier, None
        where it has none any more; read in one round trip."""
        from psycopg import sql

        from checker.live.cascades import _key_columns

        parents = sorted(set(catalog.tables) & self.filled)
        queries: list[sql.Composable] = []
        for parent in parents:
            queries.append(
                sql.SQL("SELECT {} FROM {} LIMIT 1").format(
                    sql.SQL(", ").join(
                        sql.Identifier(c) for c in _key_columns(catalog.tables[parent])
                    ),
                    sql.Identifier(*parent),
                )
            )
        if not queries:
            return {}
        # no parameters: one simple query, a result per statement
        cursor = self.connection.execute(sql.SQL(";\n").join(queries))
        found: dict[QualifiedName, Any] = {}
        for position, parent in enumerate(parents):
            if position:
                cursor.nextset()
            found[parent] = cursor.fetchone()
        return found

    def empty(self) -> None:
        """Remove every row, so failed statements can be run again as on the empty apply."""
        import psycopg
        from psycopg import sql

        names = [
            (str(schema), str(name))
            for _, schema, name, partition in self.connection.execute(_USER_TABLES)
            if not partition
        ]
        kept: set[QualifiedName] = set()
        if names:
            truncate = sql.SQL("TRUNCATE {} CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(*name) for name in names)
            )
            try:
                self.connection.execute(truncate)
            except psycopg.Error:
                # a migration's TRUNCATE trigger refused (one that lets only its own tool
                # change a table): this is the probe's bookkeeping, not a migration
                kept = self._empty_despite_triggers(truncate, names)
        self.tried.difference_update(set(names) - kept)
        self.filled.difference_update(set(names) - kept)

    def _empty_despite_triggers(
        self, truncate: sql.Composed, names: list[QualifiedName]
    ) -> set[QualifiedName]:
        """TRUNCATE with the migrations' triggers off (a superuser may), else each table on
        its own; the tables that still refuse keep their row (returned)."""
        import psycopg
        from psycopg import sql

        try:
            self.connection.execute("BEGIN")
            self.connection.execute("SET LOCAL session_replication_role = replica")
            self.connection.execute(truncate)
            self.connection.execute("COMMIT")
            return set()
        except psycopg.Error:
            self.connection.execute("ROLLBACK")
        kept: set[QualifiedName] = set()
        for name in names:
            try:
                self.connection.execute(
                    sql.SQL("TRUNCATE {} CASCADE").format(sql.Identifier(*name))
                )
            except psycopg.Error:
                kept.add(name)
        return kept


def run_populated(
    connection: psycopg.Connection[Any],
    steps: Sequence[Sequence[Statement]],
    runner: Runner | None,
    server: str,
    observer: StatementObserver | None = None,
    stop: threading.Event | None = None,
) -> PopulatedRun:
    """Apply each step after giving every existing table a row; keep the data failures.

    ``connection``: autocommit, on a copy the caller owns (it is left with rows).
    ``observer`` watches the steps' statements (the history's lock probe).
    After the last step, every trigger is fired once (``PopulatedRun.triggers``).
    ``stop``: checked before each step; once set, the run raises PopulatedRunStopped.
    """
    filler = _Filler(connection)
    failures: list[Failure] = []
    listing: list[tuple[Any, ...]] | None = None  # the tables as the last step left them
    for position, step in enumerate(steps):
        if stop is not None and stop.is_set():
            raise PopulatedRunStopped
        filler.fill(listing)
        if isinstance(observer, LockProbe) and observer.per_file:
            # the tables as the step starts: what the filler just read (its rows add none)
            observer.preset = filler.present  # replaced at the next fill, never changed
            observer.preset_quiet = not filler.events
            observer.prepare_looks(step)
        # a step that leaves the set of tables alone leaves the listing as it was
        keeps = all(keeps_tables(statement.text) for statement in step)
        result = apply_statements(
            connection,
            step,
            runner,
            server=server,
            observer=observer,
            then=_USER_TABLES_AND_EVENTS if position + 1 < len(steps) and not keeps else None,
        )
        listing = filler.listing if keeps else result.then_rows
        data = [f for f in result.failures if f.sqlstate[:2] in _DATA_CLASSES]
        failures += data
        if data and (position + 1 < len(steps) or observer is not None):
            # the next step starts from the schema the empty apply built; the
            # observer sees the statements that failed here succeed
            filler.empty()
            replay = [f.statement for f in result.failures]
            if isinstance(observer, LockProbe):
                observer.replaying = True
            apply_statements(connection, replay, runner, observer=observer)
            if isinstance(observer, LockProbe):
                observer.replaying = False
            listing = None
    unpopulated = tuple(
        f"{display_name(name)}: {reason}" for name, reason in sorted(filler.unpopulated.items())
    )
    from checker.live.triggers import exercise_triggers

    triggers = exercise_triggers(connection, filler.counter)
    return PopulatedRun(tuple(failures), unpopulated, filler.rows, triggers)


def populated_findings(
    run: PopulatedRun,
    failed_when_empty: set[tuple[str, int]],
    statements: Sequence[Statement] = (),
) -> list[Finding]:
    """LV507 for each data failure whose statement succeeded on the empty apply.

    ERROR when every row fails the same way (checker/live/certainty.py), WARNING when the
    failure depends on the values the probe made up. A value-dependent failure after an
    earlier reported one of the same file on the same table is a cascade: a related
    location and a detail of that first finding, not a finding of its own.
    ``statements``: everything applied, in order (a file's earlier statements decide
    whether a SET NOT NULL fails on every row).
    """
    from checker.live.certainty import (
        data_condition,
        fails_on_every_row,
        involved_columns,
        target_table,
        written_columns,
    )

    by_file: dict[str, list[Statement]] = {}
    for statement in statements:
        by_file.setdefault(statement.migration.path, []).append(statement)
    # (file, table) -> what each earlier failure there would have written, and the
    # position of the finding it is reported in (its own, or the one it cascades from)
    earlier_failures: dict[tuple[str, str], list[tuple[frozenset[str] | None, int]]] = {}
    findings: list[Finding] = []
    for failure in run.failures:
        statement = failure.statement
        path = statement.migration.path
        if (path, statement.index) in failed_when_empty:
            continue
        lv501 = failure.finding
        reason = lv501.message.split(": ", 1)[1] if ": " in lv501.message else lv501.message
        earlier = [s for s in by_file.get(path, ()) if s.index < statement.index]
        certain = not failure.at_commit and fails_on_every_row(
            statement, failure.sqlstate, failure.column, failure.constraint, earlier
        )
        table = None if failure.at_commit else target_table(statement.text)
        before = earlier_failures.setdefault((path, table), []) if table is not None else []
        written = written_columns(statement.text)
        if not certain and before:
            involved = involved_columns(statement.text, failure.column)
            head = next(
                (
                    position
                    for columns, position in before
                    if columns is None or involved is None or columns & involved
                ),
                None,
            )
            if head is not None:
                first = findings[head]
                findings[head] = replace(
                    first,
                    locations=(
                        *first.locations,
                        Location.of(
                            statement.origin,
                            f"fails after it on the probe, on the same table: {reason}",
                        ),
                    ),
                    details=(*first.details, _cascade_detail(reason)),
                )
                before.append((written, head))
                continue
        before.append((written, len(findings)))
        details = [d for d in lv501.details if d.startswith(("DETAIL:", "HINT:", "CONTEXT:"))]
        if certain:
            details.append(
                "it succeeded on the empty scratch database; here every table that existed "
                "before it held one valid row, as any deployed database does"
            )
            message = f"statement fails once the table holds rows: {reason}"
        else:
            details.append(
                "it succeeded on the empty scratch database and failed where every table "
                "that existed before it held one row of values the probe made up: whether it "
                "fails on a deployed database depends on the values its rows hold"
            )
            primary = reason.split(" ", 1)[1] if " " in reason else reason
            condition = data_condition(
                failure.sqlstate, failure.column, failure.constraint, primary
            )
            detail = next((d[len("DETAIL: ") :] for d in details if d.startswith("DETAIL:")), "")
            quoted = f" ({detail})" if detail else ""
            message = (
                f"statement fails if a row holds {condition}: on the probe's row, {reason}{quoted}"
            )
        findings.append(
            Finding(
                code=CODE_DATA_DEPENDENT,
                severity=Severity.ERROR if certain else Severity.WARNING,
                message=message,
                locations=lv501.locations[:1],
                objects=lv501.objects,
                details=tuple(details),
            )
        )
    return findings


def _cascade_detail(reason: str) -> str:
    return (
        "a later statement of this file on the same table fails on the probe too, most "
        f"likely because this one failed ({reason}); it is not reported on its own"
    )


def unpopulated_finding(run: PopulatedRun, first: Statement | None) -> Finding | None:
    """One note naming the tables that got no row: statements on them were checked empty only."""
    if not run.unpopulated:
        return None
    count = len(run.unpopulated)
    return Finding(
        code=CODE_DATA_DEPENDENT,
        severity=Severity.INFO,
        message=(
            f"{count} table{'s' if count != 1 else ''} got no row for the populated-table "
            "probe; statements that change "
            f"{'them' if count != 1 else 'it'} were checked on an empty table only"
        ),
        locations=(Location.of(first.origin, "the probed statements start here"),)
        if first is not None
        else (),
        details=run.unpopulated,
    )
