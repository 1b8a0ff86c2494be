"""Trigger probe: fire every trigger once on the populated copy and report the ones that fail.

PostgreSQL compiles a PL/pgSQL trigger function only when it first runs, so a
trigger that assigns ``NEW.modified_at`` on a table without that column is
created without complaint and fails at the first UPDATE in production. After
the populated-table probe has applied the change on tables holding rows, each
enabled user trigger on a table is fired once per event it is defined for
(INSERT a generated row, UPDATE one row setting a column to itself, DELETE one
row, TRUNCATE), each in a savepoint of one transaction that is rolled back. An
error whose context names the trigger's function is the trigger's failure;
any other error (our row broke a constraint, a foreign key blocks the delete)
leaves the trigger not exercised for that event, and says why. Errors a body
raises on purpose (SQLSTATE class P0: RAISE EXCEPTION, ASSERT, STRICT) are not
judged: a trigger that refuses a delete does its job. Where the server offers
the plpgsql_check extension, it checks each PL/pgSQL trigger function against
its table as well, and its errors are added (never required).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checker.catalog import QualifiedName, Table, display_name
from checker.findings import Finding, Location, Severity
from checker.model import Origin, Statement

if TYPE_CHECKING:
    import psycopg

CODE_TRIGGER_FAILS = "LV507"
_SAVEPOINT = "schema_check_trigger"
_DELIBERATE = "P0"  # raise_exception, no_data_found, too_many_rows, assert_failure

# enabled, non-internal triggers (a partition's clone of its parent's trigger fires
# through the parent's row); tgtype bits: 2 before, 4 insert, 8 delete,
# 16 update, 32 truncate, 64 instead of
_TRIGGERS = """
SELECT n.nspname, c.relname, c.relkind, t.tgname, t.tgtype, pn.nspname, p.proname,
       l.lanname, t.tgfoid::regprocedure::text, t.tgrelid,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = t.tgrelid AND a.attnum = ANY (t.tgattr) ORDER BY a.attnum)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY n.nspname, c.relname, t.tgname
"""
_EVENTS = ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))


@dataclass(frozen=True, slots=True)
class ServerTrigger:
    table: QualifiedName
    name: str
    function: QualifiedName
    signature: str  # regprocedure text, e.g. touch_modified_at()
    language: str
    events: tuple[str, ...]
    on_table: bool  # False: a view's INSTEAD OF trigger
    update_columns: tuple[str, ...]
    relid: int


@dataclass(frozen=True, slots=True)
class TriggerFailure:
    trigger: ServerTrigger
    event: str  # INSERT | UPDATE | DELETE | TRUNCATE, or "plpgsql_check"
    sqlstate: str
    message: str
    context: str
    diag: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class TriggerRun:
    fired: int  # triggers fired at least once without failing
    failures: tuple[TriggerFailure, ...]
    not_exercised: tuple[str, ...]  # "trigger on table, EVENT: reason"
    plpgsql_check: bool = False  # the server's plpgsql_check checked the functions too


def server_triggers(connection: psycopg.Connection[Any]) -> list[ServerTrigger]:
    found = []
    for row in connection.execute(_TRIGGERS):
        schema, table, relkind, name, tgtype, fschema, fname, language, signature, relid, cols = row
        events = tuple(word for bit, word in _EVENTS if tgtype & bit)
        found.append(
            ServerTrigger(
                (str(schema), str(table)),
                str(name),
                (str(fschema), str(fname)),
                str(signature),
                str(language),
                events,
                relkind in ("r", "p"),
                tuple(cols or ()),
                int(relid),
            )
        )
    return found


def exercise_triggers(
    connection: psycopg.Connection[Any], counter: itertools.count[int] | None = None
) -> TriggerRun:
    """Fire each trigger once per event inside a rolled-back transaction."""
    from checker.live.cascades import _World
    from checker.live.introspect import row_catalog

    triggers = server_triggers(connection)
    if not triggers:
        return TriggerRun(0, (), ())
    tables = sorted({t.table for t in triggers if t.on_table})
    catalog = row_catalog(connection, referenced_from=tables)
    failures: list[TriggerFailure] = []
    notes: list[str] = []
    fired = 0
    connection.execute("BEGIN")
    try:
        # a deferred constraint trigger would fire only at a commit the probe never reaches
        connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
        world = _World(connection, catalog, counter=counter or itertools.count(1))
        world.drop_checks = False
        for trigger in triggers:
            label = f"{trigger.name} on {display_name(trigger.table)}"
            table = catalog.tables.get(trigger.table)
            if not trigger.on_table or table is None:
                notes.append(f"{label}: INSTEAD OF trigger on a view, not fired")
                continue
            failed = False
            for event in trigger.events:
                outcome = _fire(connection, world, table, trigger, event)
                if outcome is None:
                    continue
                if isinstance(outcome, str):
                    notes.append(f"{label}, {event}: {outcome}")
                    continue
                failures.append(outcome)
                failed = True
            fired += 0 if failed else 1
        checked = _plpgsql_check(connection, triggers, failures)
    finally:
        connection.execute("ROLLBACK")
    return TriggerRun(fired, tuple(failures), tuple(notes), checked)


def _fire(
    connection: psycopg.Connection[Any],
    world: Any,
    table: Table,
    trigger: ServerTrigger,
    event: str,
) -> TriggerFailure | str | None:
    """Run one statement that fires ``trigger`` for ``event``.

    Returns the trigger's failure, a reason it could not be fired, or None (it ran).
    """
    import psycopg
    from psycopg import sql

    target = sql.Identifier(*table.qualified)
    if event == "INSERT":
        # the row stays (the transaction is rolled back in the end): UPDATE and DELETE use it
        notes = len(world.not_probed)
        if world.insert(table, {}) is not None:
            return None
        error = world.last_error
        if error is not None and _names_function(error, trigger):
            return _failure(trigger, event, error)
        return _not_fired(error, world.not_probed[notes:])
    if event in ("UPDATE", "DELETE") and not _has_row(connection, table, world):
        return "no row could be made to fire it on"
    one_row = sql.SQL("ctid IN (SELECT ctid FROM {} LIMIT 1)").format(target)
    if event == "UPDATE":
        column = _settable_column(table, trigger.update_columns)
        if column is None:
            return "no column can be set to itself"
        statement = sql.SQL("UPDATE {} SET {} = {} WHERE {}").format(
            target, sql.Identifier(column), sql.Identifier(column), one_row
        )
    elif event == "DELETE":
        statement = sql.SQL("DELETE FROM {} WHERE {}").format(target, one_row)
    else:
        statement = sql.SQL("TRUNCATE {} CASCADE").format(target)
    connection.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        connection.execute(statement)
    except psycopg.Error as error:
        connection.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        connection.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        if _names_function(error, trigger):
            return _failure(trigger, event, error)
        return _not_fired(error, [])
    connection.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
    connection.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    return None


def _failure(trigger: ServerTrigger, event: str, error: Any) -> TriggerFailure | str:
    diag = error.diag
    sqlstate = diag.sqlstate or "?????"
    primary = diag.message_primary or str(error).strip().splitlines()[0]
    if sqlstate.startswith(_DELIBERATE):
        return f"raised {sqlstate} {primary} (a deliberate refusal is not judged)"
    return TriggerFailure(trigger, event, sqlstate, primary, (diag.context or "").strip(), diag)


def _not_fired(error: Any, notes: Sequence[str]) -> str:
    if error is not None:
        return f"not fired: {error.diag.sqlstate} {error.diag.message_primary}"
    return f"not fired: {notes[-1]}" if notes else "not fired: no row could be made"


def _names_function(error: Any, trigger: ServerTrigger) -> bool:
    """The error happened inside the trigger's function (its context names it)."""
    context = error.diag.context or ""
    name = trigger.function[1]
    return f"function {name}(" in context or f'function "{name}"' in context


def _has_row(connection: psycopg.Connection[Any], table: Table, world: Any) -> bool:
    """The table holds a row, or one can be inserted with its own triggers switched off."""
    from psycopg import sql

    target = sql.Identifier(*table.qualified)
    if connection.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(target)).fetchone():
        return True
    connection.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(target))
    try:
        row = world.insert(table, {})
    finally:
        connection.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(target))
    return row is not None


def _settable_column(table: Table, wanted: Sequence[str]) -> str | None:
    from checker.catalog import Identity

    for column in table.columns:
        if wanted and column.name not in wanted:
            continue
        if column.generated is None and column.identity is not Identity.ALWAYS:
            return column.name
    return None


def _plpgsql_check(
    connection: psycopg.Connection[Any],
    triggers: Sequence[ServerTrigger],
    failures: list[TriggerFailure],
) -> bool:
    """Ask plpgsql_check about each PL/pgSQL trigger function, where the server has it."""
    import psycopg

    available = connection.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check'"
    ).fetchone()
    if available is None:
        return False
    connection.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        connection.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    except psycopg.Error:
        connection.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        return False
    failing = {(f.trigger.table, f.trigger.name) for f in failures}
    for trigger in triggers:
        if trigger.language != "plpgsql" or not trigger.on_table:
            continue
        if (trigger.table, trigger.name) in failing:
            continue  # firing it already failed: the server's own word is enough
        rows = connection.execute(
            "SELECT sqlstate, message, lineno FROM "
            "plpgsql_check_function_tb(%s::regprocedure, %s::oid::regclass) "
            "WHERE level = 'error'",
            (trigger.signature, trigger.relid),
        ).fetchall()
        for sqlstate, message, lineno in rows:
            where = f"{trigger.signature} line {lineno}" if lineno else trigger.signature
            failures.append(
                TriggerFailure(
                    trigger,
                    "plpgsql_check",
                    str(sqlstate or "?????"),
                    str(message),
                    f"PL/pgSQL function {where}",
                )
            )
    return True


# ---- findings --------------------------------------------------------------------


def trigger_findings(run: TriggerRun, statements: Sequence[Statement]) -> list[Finding]:
    """LV507 for every trigger that failed when fired (one per trigger and error)."""
    from checker.live.apply import _body_error_origin

    findings: list[Finding] = []
    seen: set[tuple[QualifiedName, str, str, str]] = set()
    for failure in run.failures:
        trigger = failure.trigger
        key = (trigger.table, trigger.name, failure.sqlstate, failure.message)
        if key in seen:
            continue
        seen.add(key)
        events = [
            f.event
            for f in run.failures
            if (f.trigger.table, f.trigger.name, f.sqlstate, f.message) == key
        ]
        created = _defining(statements, "trigger", trigger.name, trigger.table)
        defined = _defining(statements, "function", trigger.function[1], trigger.function)
        locations: list[Location] = []
        if defined is not None:
            place: Origin | None = None
            if failure.diag is not None:
                place = _body_error_origin(defined, failure.diag)
            elif failure.context:
                place = _body_error_origin(defined, _Context(failure.context))
            locations.append(Location.of(place or defined.origin))
        if created is not None:
            locations.append(Location.of(created.origin, f"trigger {trigger.name} is created here"))
        function = f"{display_name(trigger.function)}()"
        details = [f"CONTEXT: {failure.context}"] if failure.context else []
        if failure.event == "plpgsql_check":
            message = (
                f"trigger {trigger.name} on {display_name(trigger.table)}: plpgsql_check finds "
                f"an error in function {function}: {failure.sqlstate} {failure.message}"
            )
        else:
            message = (
                f"trigger {trigger.name} on {display_name(trigger.table)} fails on "
                f"{' and '.join(events)}: function {function} raises {failure.sqlstate} "
                f"{failure.message}"
            )
        details.append(
            "PostgreSQL checks a PL/pgSQL body only when it runs: the migration succeeds and "
            "the first write in production fails; the populated-table probe fired the trigger "
            "once per event, in a rolled-back transaction"
        )
        findings.append(
            Finding(
                code=CODE_TRIGGER_FAILS,
                severity=Severity.ERROR,
                message=message,
                locations=tuple(locations),
                objects=(display_name(trigger.table), trigger.name, function),
                details=tuple(details),
            )
        )
    return findings


@dataclass(frozen=True, slots=True)
class _Context:
    """A diagnostic with only a context (what plpgsql_check's line number becomes)."""

    context: str
    internal_query: str | None = None
    internal_position: str | None = None


def not_exercised_finding(run: TriggerRun, first: Statement | None) -> Finding | None:
    """One note naming the triggers (and events) the probe could not fire."""
    if not run.not_exercised:
        return None
    count = len(run.not_exercised)
    return Finding(
        code=CODE_TRIGGER_FAILS,
        severity=Severity.INFO,
        message=(
            f"{count} trigger event{'s' if count != 1 else ''} could not be fired by the "
            "populated-table probe; those triggers were created but never run"
        ),
        locations=(Location.of(first.origin, "the probed statements start here"),)
        if first is not None
        else (),
        details=run.not_exercised,
    )


def _defining(
    statements: Sequence[Statement], kind: str, name: str, owner: QualifiedName
) -> Statement | None:
    """The last statement that creates the trigger (on ``owner``) or the function ``owner``."""
    from pglast import ast, parser

    found: Statement | None = None
    word = "TRIGGER" if kind == "trigger" else "FUNCTION"
    for statement in statements:
        upper = statement.text.upper()
        if word not in upper or name.upper() not in upper:
            continue
        try:
            parsed = parser.parse_sql(statement.text)
        except parser.ParseError:
            continue
        for raw in parsed:
            node = raw.stmt
            if kind == "trigger" and isinstance(node, ast.CreateTrigStmt):
                relation = node.relation
                if node.trigname == name and relation is not None and relation.relname == owner[1]:
                    found = statement
            elif kind == "function" and isinstance(node, ast.CreateFunctionStmt):
                names = [n.sval for n in node.funcname or ()]
                if names[-1] == name and (len(names) == 1 or names[0] == owner[0]):
                    found = statement
    return found
