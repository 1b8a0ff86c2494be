"""Apply statements to a live server the way the configured migration runner does.

Every failing statement becomes an LV501 finding at its place in the source,
naming the object it creates or changes, with the SQLSTATE and the server's
message. After a failure inside a
transaction, the transaction is replayed with a savepoint before every
statement, so the rest of the run still executes and every failing statement is
reported, not just the first (the finding says what the real runner would have
done instead).

Inside an open transaction, consecutive statements that behave the same sent
alone or together (one statement each, no transaction control, no COPY) go to
the server as one simple query, with the observer's queries between them: one
round trip instead of one per statement. A failure anywhere in such a batch
rolls the transaction back and replays it statement by statement, as above.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from checker.config import Runner
from checker.findings import Finding, Location, Severity
from checker.model import Origin, Statement
from checker.runners import runner_of

if TYPE_CHECKING:
    import psycopg

CODE_STATEMENT_FAILS = "LV501"
_SAVEPOINT = "schema_check_statement"
_BATCH_LIMIT = 256  # statements per round trip (bounds the query text and the progress steps)
# first words of statements that must run alone: transaction control changes what the
# statements after it in the same query run in; COPY talks its own sub-protocol; a
# procedure may end the transaction
_ALONE = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE"}
    | {"COPY", "CALL"}
)


class StatementObserver(Protocol):
    """Looks at the session around each statement (the lock probe does)."""

    def before(self, statement: Statement) -> None: ...

    def after(self, statement: Statement, in_transaction: bool) -> None:
        """Called after a statement succeeded; ``in_transaction``: a transaction is still open."""


@runtime_checkable
class InlineObserver(StatementObserver, Protocol):
    """An observer whose queries can travel in the same round trip as the statements.

    ``inline`` says, without running anything or changing state, which queries
    ``before`` and ``after`` would run around each statement if all of them ran
    in the open transaction and succeeded; ``feed`` then hands over their rows
    in that order, and ``before``/``after`` read them instead of asking.
    """

    def inline(self, statements: Sequence[Statement]) -> list[tuple[list[str], list[str]]]: ...

    def feed(self, rows: Sequence[tuple[str, list[tuple[Any, ...]]]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Failure:
    """One failing statement with the server's SQLSTATE and its LV501 finding."""

    statement: Statement
    sqlstate: str
    finding: Finding
    # what the server's error fields name (errtablecol, errtableconstraint), when it names them
    column: str | None = None
    constraint: str | None = None
    at_commit: bool = False  # the COMMIT failed, not the statement itself


@dataclass(frozen=True, slots=True)
class ApplyResult:
    findings: tuple[Finding, ...]
    applied: int  # statements that ran without error
    failed: int
    runs: int  # transactions (drizzle: one per migration folder; per-file: one per file)
    failures: tuple[Failure, ...] = ()  # the findings' statements, in the same order
    then_rows: list[tuple[Any, ...]] | None = None  # the rows of ``then``, when asked


def effective_runner(statement: Statement, runner: Runner | None) -> Runner:
    """The runner that applies ``statement``: ``runner``, or (None) its folder layout's."""
    return runner_of(statement.migration, runner).runner


def run_units(statements: Sequence[Statement], runner: Runner | None) -> list[list[Statement]]:
    """Group statements into what the runner executes as one unit.

    drizzle: one ``migrate()`` call per migrations folder, all its pending files
    in one transaction; prisma and per-file: one unit per file, sent as one
    query (one statement alone, several in one implicit transaction);
    autocommit: every statement alone (still grouped per file, for messages).
    ``runner`` None: each folder's runner comes from its layout.
    """
    units: list[list[Statement]] = []
    previous: tuple[str, str] | None = None
    for statement in statements:
        migration = statement.migration
        if effective_runner(statement, runner) is Runner.DRIZZLE:
            key = (migration.layer.value, migration.folder or migration.path)
        else:
            key = (migration.layer.value, migration.path)
        if key != previous:
            units.append([])
            previous = key
        units[-1].append(statement)
    return units


def apply_statements(
    connection: psycopg.Connection[Any],
    statements: Sequence[Statement],
    runner: Runner | None,
    *,
    server: str = "PostgreSQL",
    progress: Callable[[int, int], None] | None = None,
    observer: StatementObserver | None = None,
    roll_back: bool = False,
    then: str | None = None,
) -> ApplyResult:
    """Run ``statements`` on an autocommit connection, transactions as ``runner`` would open them.

    The connection must be in autocommit mode: transactions are opened with an
    explicit BEGIN so that the server's own state (``COMMIT;`` inside a file
    ends the transaction, as drizzle's escape for CREATE INDEX CONCURRENTLY)
    decides what runs inside a transaction, exactly as with the real runner.
    ``roll_back``: end each unit with ROLLBACK where the runner would COMMIT
    (the rollback rehearsal). ``then``: a query (no parameters) to run once the last
    unit has ended, in the same round trip as its COMMIT; its rows are ``then_rows``.
    """
    state = _Apply(connection, runner, server, progress, len(statements), observer)
    state.roll_back = roll_back
    units = run_units(statements, runner)
    offset = 0
    for position, unit in enumerate(units):
        state.unit(unit, offset, then if position + 1 == len(units) else None)
        offset += len(unit)
    if then is not None and not units:
        state.then_rows = connection.execute(then).fetchall()
    return ApplyResult(
        tuple(state.findings),
        state.applied,
        state.failed,
        len(units),
        tuple(state.failures),
        state.then_rows,
    )


class _Apply:
    """Runs units optimistically: no savepoints until a statement of the unit fails.

    Savepoints cost ~40% of the apply time (0.19 s of 0.69 s on upstream Sim),
    so a unit first runs bare. When a statement fails inside a transaction,
    the transaction is rolled back and replayed from its first statement with a
    savepoint around every statement, which reports every failure.
    """

    def __init__(
        self,
        connection: psycopg.Connection[Any],
        runner: Runner | None,
        server: str,
        progress: Callable[[int, int], None] | None,
        total: int,
        observer: StatementObserver | None,
    ) -> None:
        self.observer = observer
        # asked once per kind of observer: a runtime Protocol check costs more than a
        # statement's bookkeeping (and a history's probe applies 300 files)
        self.inline: InlineObserver | None = (
            cast("InlineObserver", observer)
            if observer is not None and _inlines(type(observer))
            else None
        )
        self.connection = connection
        self.runner = runner
        self.server = server
        self.progress = progress
        self.total = total
        self.roll_back = False
        self.findings: list[Finding] = []
        self.failures: list[Failure] = []
        self.applied = 0
        self.failed = 0
        self.then_rows: list[tuple[Any, ...]] | None = None

    def status(self) -> Any:
        return self.connection.info.transaction_status

    def unit(self, unit: Sequence[Statement], offset: int, then: str | None = None) -> None:
        from psycopg.pq import TransactionStatus

        runner = effective_runner(unit[0], self.runner)
        # Prisma and per-file send a file as one query: a lone statement runs outside any
        # transaction block, several run as one implicit transaction
        one_query = runner in (Runner.PRISMA, Runner.PER_FILE)
        transactional = runner is not Runner.AUTOCOMMIT and not (one_query and len(unit) == 1)
        careful = False  # savepoint per statement; set for the rest of the unit after a failure
        # the BEGIN goes in the same round trip as the first batch, or alone before a
        # statement that runs alone
        opening = transactional
        # where the current transaction began: (position of its first statement, opened by us)
        began: tuple[int, bool] | None = (0, True) if transactional else None
        applied_in_transaction = 0
        escaped_at: Statement | None = None  # the statement that ended the runner's transaction
        first_failure: Statement | None = None
        position = 0
        while position < len(unit):
            statement = unit[position]
            in_transaction = opening or self.status() == TransactionStatus.INTRANS
            if in_transaction and not careful and began is not None:
                batch = self.batch(unit, position)
                if batch:
                    # the last batch of the unit takes the COMMIT (and ``then``) along when
                    # the COMMIT cannot fail: nothing in the unit writes rows or runs code,
                    # which is what queues the deferred checks a COMMIT runs
                    commit = (
                        not self.roll_back
                        and position + len(batch) == len(unit)
                        and _commits_safely(unit)
                    )
                    done = self.run_batch(
                        batch, begin=opening, commit=commit, then=then if commit else None
                    )
                    opening = False
                    if not done:
                        # rolled back: replay the transaction with savepoints
                        position = self._reopen(began, applied_in_transaction)
                        applied_in_transaction, careful = 0, True
                        continue
                    self.applied += len(batch)
                    applied_in_transaction += len(batch)
                    for _ in batch:
                        position += 1
                        if self.progress is not None:
                            self.progress(offset + position, self.total)
                    if commit:
                        return  # committed, and ``then`` read, in the batch's round trip
                    continue
            if opening:
                self.connection.execute("BEGIN")
                opening = False
            if self.observer is not None:
                self.observer.before(statement)
            error, shift = _execute(self.connection, statement.text, in_transaction and careful)
            if error is not None and in_transaction and not careful and began is not None:
                # _execute rolled the transaction back; replay it with savepoints.
                position = self._reopen(began, applied_in_transaction)
                applied_in_transaction, careful = 0, True
                continue
            now_in = self.status() == TransactionStatus.INTRANS
            if error is None:
                self.applied += 1
                if self.observer is not None:
                    self.observer.after(statement, now_in)
                if now_in:
                    if not in_transaction:
                        began = (position, False)  # the migration's own BEGIN
                        applied_in_transaction = 0
                    applied_in_transaction += 1
                elif in_transaction:
                    began = None
                    applied_in_transaction = 0
                    if transactional and one_query and position + 1 < len(unit):
                        # One query of several statements: PostgreSQL runs the rest of
                        # the file after its COMMIT as a new implicit transaction.
                        self.connection.execute("BEGIN")
                        began = (position + 1, True)
                        escaped_at = statement
                    elif transactional and escaped_at is None:
                        escaped_at = statement
            else:
                self.failed += 1
                finding = _failure(
                    statement,
                    error,
                    runner=runner,
                    in_transaction=in_transaction,
                    escaped_at=escaped_at if transactional else None,
                    first_failure=first_failure,
                    server=self.server,
                    shift=shift,
                )
                self.findings.append(finding)
                self.failures.append(
                    Failure(
                        statement,
                        error.diag.sqlstate or "?????",
                        finding,
                        column=error.diag.column_name,
                        constraint=error.diag.constraint_name,
                    )
                )
                first_failure = first_failure or statement
            position += 1
            if self.progress is not None:
                self.progress(offset + position, self.total)
        status = self.status()
        ending: str | None = None
        if status == TransactionStatus.INTRANS:
            ending = "ROLLBACK" if self.roll_back else "COMMIT"
        elif status == TransactionStatus.INERROR:
            ending = "ROLLBACK"
        import psycopg

        try:
            if then is None:
                if ending is not None:
                    self.connection.execute(ending)
                return
            # one round trip; a COMMIT that fails (a deferred constraint) raises as alone
            cursor = self.connection.execute(then if ending is None else f"{ending};\n{then}")
            if ending is not None:
                cursor.nextset()
            self.then_rows = cursor.fetchall()
        except psycopg.Error as error:
            # the COMMIT failed (a deferred constraint, a serialization failure): the server
            # rolled the transaction back and the runner stops there
            if self.status() != TransactionStatus.IDLE:
                self.connection.execute("ROLLBACK")
            self.failed += 1
            last = unit[-1]
            finding = _commit_failure(
                last, error, server=self.server, applied=applied_in_transaction
            )
            self.findings.append(finding)
            self.failures.append(
                Failure(
                    last,
                    error.diag.sqlstate or "?????",
                    finding,
                    column=error.diag.column_name,
                    constraint=error.diag.constraint_name,
                    at_commit=True,
                )
            )
            if then is not None:
                self.then_rows = self.connection.execute(then).fetchall()

    def batch(self, unit: Sequence[Statement], position: int) -> Sequence[Statement]:
        """The statements from ``position`` on that can go in one round trip, with the
        observer's queries around them (none: the statement runs alone)."""
        if self.observer is not None and self.inline is None:
            return ()
        end = position
        while end < len(unit) and end - position < _BATCH_LIMIT and batchable(unit[end].text):
            end += 1
        return unit[position:end]

    def _reopen(self, began: tuple[int, bool], applied_in_transaction: int) -> int:
        """After a rollback: the transaction's statements no longer count, the transaction
        is opened again if this run opened it, and its first statement is where to go on."""
        self.applied -= applied_in_transaction
        position, ours = began
        if ours:
            self.connection.execute("BEGIN")
        return position

    def run_batch(
        self,
        batch: Sequence[Statement],
        *,
        begin: bool = False,
        commit: bool = False,
        then: str | None = None,
    ) -> bool:
        """Run the statements, with the observer's queries between them, as one query
        (after a BEGIN, with ``begin``; followed by COMMIT and ``then``, whose rows become
        ``then_rows``, with ``commit``).

        False: one of them (or the COMMIT) failed and the transaction was rolled back
        (nothing is counted or observed; the caller replays with savepoints, and a
        COMMIT that fails again is reported as it is without ``commit``).
        """
        import psycopg
        from psycopg.pq import TransactionStatus

        observer = self.inline
        plan = observer.inline(batch) if observer is not None else [([], []) for _ in batch]
        parts: list[str] = ["BEGIN"] if begin else []
        statement_parts: set[int] = set(range(len(parts)))  # their results are not read
        for statement, (ahead, behind) in zip(batch, plan, strict=True):
            parts += ahead
            statement_parts.add(len(parts))
            parts.append(statement.text)
            parts += behind
        if commit:
            statement_parts.add(len(parts))
            parts.append("COMMIT")
            if then is not None:
                parts.append(then)
        try:
            # the newline ends a trailing line comment; no parameters: simple query protocol
            cursor = self.connection.execute("\n;\n".join(parts))
        except psycopg.Error:
            if self.status() == TransactionStatus.INERROR:
                self.connection.execute("ROLLBACK")
            return False
        from psycopg.pq import ExecStatus

        results: list[list[tuple[Any, ...]]] = []
        while True:
            # the result's status, not ``description`` (which builds a Column per field of
            # every look's result, ~4000 on upstream Sim's history)
            result = cursor.pgresult
            wanted = (
                len(results) not in statement_parts
                and result is not None
                and result.status == ExecStatus.TUPLES_OK
            )
            results.append(cursor.fetchall() if wanted else [])
            if not cursor.nextset():
                break
        if len(results) != len(parts):
            raise RuntimeError(f"a batch of {len(parts)} queries returned {len(results)} results")
        if commit and then is not None:
            self.then_rows = results[-1]
        if observer is not None:
            rows: list[tuple[str, list[tuple[Any, ...]]]] = []
            at = 1 if begin else 0
            for ahead, behind in plan:
                rows += zip(ahead, results[at : at + len(ahead)], strict=True)
                at += len(ahead) + 1
                rows += zip(behind, results[at : at + len(behind)], strict=True)
                at += len(behind)
            observer.feed(rows)
            for statement in batch:
                observer.before(statement)
                observer.after(statement, True)
        return True


def _commits_safely(unit: Sequence[Statement]) -> bool:
    """Whether the COMMIT after ``unit`` cannot fail: no statement writes rows, runs a
    procedure or a DO block, sets constraints deferred or controls the transaction
    (``lock_kind`` "any"), so no deferred constraint check or trigger is queued for the
    COMMIT to run."""
    from checker.live.locks import lock_kind

    return all(lock_kind(statement.text)[0] != "any" for statement in unit)


@functools.cache
def _inlines(kind: type) -> bool:
    return issubclass(kind, InlineObserver)


@functools.lru_cache(maxsize=8192)
def batchable(text: str) -> bool:
    """True when ``text`` is one statement that runs the same inside an open transaction
    whether it is sent alone or in one query with others.

    One statement (no semicolon but trailing ones), not transaction control,
    not COPY or CALL, and complete (the scanner accepts it, so appending to it
    cannot change how it is read).
    """
    words = statement_tokens(text)
    if not words or any(name == "ASCII_59" for name, _, _ in words):
        return False
    _, start, end = words[0]
    return text[start : end + 1].upper() not in _ALONE


@functools.lru_cache(maxsize=8192)
def statement_tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    """(name, start, end) of each token of ``text`` but comments and trailing semicolons
    (pglast's scanner: PostgreSQL's own); () when the scanner refuses the text."""
    from pglast import parser

    try:
        scanned = parser.scan(text)
    except parser.ParseError:
        return ()
    tokens = [(t.name, t.start, t.end) for t in scanned if t.name not in _COMMENTS]
    while tokens and tokens[-1][0] == "ASCII_59":
        tokens.pop()
    return tuple(tokens)


_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})


@functools.lru_cache(maxsize=1024)
def _parses(text: str) -> bool:
    """Whether PostgreSQL's parser accepts ``text`` (pglast: the server's own parser)."""
    from pglast import parser

    try:
        parser.parse_sql_json(text)
    except parser.ParseError:
        return False
    return True


def _execute(connection: psycopg.Connection[Any], text: str, savepoint: bool) -> tuple[Any, int]:
    """Run one statement; returns the psycopg error (or None) and how many characters
    were sent ahead of the statement (its error position counts them). Leaves no
    aborted transaction.

    With ``savepoint`` a failure undoes only this statement; without, a failure
    inside a transaction rolls the whole transaction back. A batchable statement
    that parses goes with its savepoint and release in one round trip (one that does not
    parse would fail the whole query, its savepoint never set, and abort the transaction).
    """
    import psycopg
    from psycopg.pq import TransactionStatus

    if savepoint and batchable(text) and _parses(text):
        ahead = f"SAVEPOINT {_SAVEPOINT};\n"
        try:
            connection.execute(f"{ahead}{text}\n;\nRELEASE SAVEPOINT {_SAVEPOINT}")
        except psycopg.Error as error:
            if connection.info.transaction_status == TransactionStatus.INERROR:
                connection.execute(
                    f"ROLLBACK TO SAVEPOINT {_SAVEPOINT};\nRELEASE SAVEPOINT {_SAVEPOINT}"
                )
            return error, len(ahead)
        return None, 0
    if savepoint:
        connection.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        connection.execute(text)  # no parameters: simple query protocol, like node-postgres
    except psycopg.Error as error:
        status = connection.info.transaction_status
        if savepoint and status == TransactionStatus.INERROR:
            connection.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            connection.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        elif status == TransactionStatus.INERROR:
            connection.execute("ROLLBACK")
        return error, 0
    if savepoint and connection.info.transaction_status == TransactionStatus.INTRANS:
        # InvalidSavepointSpecification: the statement ended our transaction and
        # opened another (COMMIT; BEGIN;), so our savepoint is gone.
        with contextlib.suppress(psycopg.errors.InvalidSavepointSpecification):
            connection.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    return None, 0


def _failure(
    statement: Statement,
    error: Any,
    *,
    runner: Runner,
    in_transaction: bool,
    escaped_at: Statement | None,
    first_failure: Statement | None,
    server: str,
    shift: int = 0,
) -> Finding:
    diag = error.diag
    sqlstate = diag.sqlstate or "?????"
    primary = diag.message_primary or str(error).strip().splitlines()[0]
    position = diag.statement_position
    if shift and position and position.isdigit():
        position = str(int(position) - shift)  # counted from the start of what was sent
    origin = _error_origin(statement, position)
    if origin == statement.origin:
        origin = _body_error_origin(statement, diag) or origin
    details: list[str] = []
    if diag.message_detail:
        details.append(f"DETAIL: {diag.message_detail}")
    if diag.message_hint:
        details.append(f"HINT: {diag.message_hint}")
    if diag.context:
        details.append(f"CONTEXT: {diag.context.strip()}")
    details.append(_consequence(statement, runner, in_transaction, escaped_at))
    from checker.live.subject import statement_subject

    subject = statement_subject(statement.text) or "statement"
    locations = [Location.of(origin)]
    if first_failure is not None:
        locations.append(
            Location.of(first_failure.origin, "first failure of this run (may be the cause)")
        )
    if escaped_at is not None and not in_transaction:
        locations.append(Location.of(escaped_at.origin, "the transaction ended here"))
    return Finding(
        code=CODE_STATEMENT_FAILS,
        severity=Severity.ERROR,
        message=f"{subject} fails on {server}: {sqlstate} {primary}",
        locations=tuple(locations),
        objects=(statement.migration.name,),
        details=tuple(details),
    )


def _commit_failure(last: Statement, error: Any, *, server: str, applied: int) -> Finding:
    """LV501 for a transaction whose COMMIT fails: at the last statement before it."""
    diag = error.diag
    sqlstate = diag.sqlstate or "?????"
    primary = diag.message_primary or str(error).strip().splitlines()[0]
    details = [f"DETAIL: {diag.message_detail}"] if diag.message_detail else []
    if diag.message_hint:
        details.append(f"HINT: {diag.message_hint}")
    details.append(
        "what is checked at COMMIT (a DEFERRABLE INITIALLY DEFERRED constraint, a "
        "deferred trigger) fails, so the server rolls the transaction back: the "
        f"{applied} statement{'s' if applied != 1 else ''} it held "
        "are undone and the migration run stops here"
    )
    return Finding(
        code=CODE_STATEMENT_FAILS,
        severity=Severity.ERROR,
        message=f"the COMMIT after this statement fails on {server}: {sqlstate} {primary}",
        locations=(Location.of(last.origin),),
        objects=(last.migration.name,),
        details=tuple(details),
    )


def _error_origin(statement: Statement, position: str | None, base: int = 0) -> Origin:
    """The server's error position (1-based, in characters) as a span of the source, if given.

    ``base`` shifts the position when it is relative to a part of the statement
    (a query inside a function body).
    """
    if not position or not position.isdigit():
        return statement.origin
    start = base + int(position) - 1
    text = statement.text
    if not 0 <= start < len(text):
        return statement.origin
    end = start + 1
    if text[start] == '"':
        closing = text.find('"', start + 1)
        end = closing + 1 if closing > 0 else end
    else:
        while end < len(text) and (text[end].isalnum() or text[end] in "_$"):
            end += 1
    return statement.span(start, end)


def _body_error_origin(statement: Statement, diag: Any) -> Origin | None:
    """Where inside a DO block or function body the error is, from the server's context.

    A failing SQL statement inside PL/pgSQL comes back as ``internal_query``
    with ``internal_position``; other errors only as ``... line N`` in the
    context, counted from the line the body starts on.
    """
    body = _dollar_body(statement.text)
    if body is None:
        return None
    query = diag.internal_query
    if query:
        found = statement.text.find(query, body)
        if found >= 0:
            if diag.internal_position:
                return _error_origin(statement, diag.internal_position, base=found)
            return statement.span(found, found + len(query))
    context = diag.context or ""
    marker = context.find(" line ")
    if marker < 0:
        return None
    digits = context[marker + 6 :].split(" ", 1)[0].rstrip(",")
    if not digits.isdigit():
        return None
    start = body
    for _ in range(int(digits) - 1):
        newline = statement.text.find("\n", start)
        if newline < 0:
            return None
        start = newline + 1
    end = statement.text.find("\n", start)
    end = len(statement.text) if end < 0 else end
    line = statement.text[start:end]
    indent = len(line) - len(line.lstrip())
    return statement.span(start + indent, start + len(line.rstrip()))


def _dollar_body(text: str) -> int | None:
    """Offset of the first character after the opening tag of the first dollar-quoted string."""
    from pglast import parser

    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return None
    for token in tokens:
        if token.name == "SCONST" and text[token.start] == "$":
            tag_end = text.find("$", token.start + 1)
            return tag_end + 1 if tag_end > 0 else None
    return None


def _consequence(
    statement: Statement, runner: Runner, in_transaction: bool, escaped_at: Statement | None
) -> str:
    if in_transaction and runner is Runner.DRIZZLE:
        return (
            "drizzle applies every pending migration of this folder in one transaction: "
            "the real run stops here and rolls back all of it; schema-check rolled back "
            "only this statement (savepoint) and went on, to report every failure"
        )
    # escaped_at, in a file sent as one query: its last COMMIT, after which the rest of
    # the file runs as a new implicit transaction
    undone = statement.migration.name
    if escaped_at is not None:
        undone = (
            f"what {undone} ran after its COMMIT (statement {escaped_at.index}; what ran "
            "before it stays committed)"
        )
    file_undone = undone if escaped_at is not None else "the file"
    if in_transaction and runner is Runner.PER_FILE:
        return (
            f"the per-file runner stops here and rolls back {undone}; "
            "schema-check rolled back only this statement (savepoint) and went on"
        )
    if in_transaction and runner is Runner.TRANSACTION_PER_FILE:
        return (
            f"the runner runs {statement.migration.display_name} in a transaction of its own: "
            f"the real run stops here and rolls back {file_undone}; schema-check rolled back "
            "only this statement (savepoint) and went on"
        )
    if in_transaction and runner is Runner.PRISMA:
        return (
            f"Prisma Migrate runs {statement.migration.display_name} as one implicit "
            f"transaction: the real run stops here, rolls back {file_undone} and records the "
            "migration as failed; schema-check rolled back only this statement (savepoint) "
            "and went on"
        )
    if in_transaction:
        return "inside a transaction the migration opened itself: only this statement was undone"
    if escaped_at is not None:
        return (
            "this statement runs outside any transaction (the runner's transaction ended at "
            f"{escaped_at.migration.name}, statement {escaped_at.index}): what ran before it "
            "stays applied and the real run stops here"
        )
    return "autocommit: the statement had no effect; a runner that stops on error stops here"
