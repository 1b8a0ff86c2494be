"""MG416: a lock-taking statement on an existing table with no lock_timeout set before it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checker.findings import Edit, Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import ParsedStatement
from checker.syntax import ConstrType, ObjectType, VariableSetKind, all_nodes, ast
from rules.migration._history import Creation, History, replay, table_name
from rules.migration._transactions import Step, steps_by_statement

_TABLE_DROPS = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE)
_RENAMES = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN, ObjectType.OBJECT_INDEX)


def _disables(value: Any) -> bool:
    """``0`` (in any unit) turns the timeout off: a wait is unbounded again."""
    text = str(getattr(value, "ival", getattr(value, "sval", ""))).strip().lower()
    try:
        return float(text.rstrip("abcdefghijklmnopqrstuvwxyz").strip()) == 0
    except ValueError:
        return False


@dataclass(slots=True)
class _Timeout:
    """Where a lock_timeout holds: for the session, or until one transaction ends."""

    session: bool = False
    local_transaction: int | None = None

    def holds(self, step: Step) -> bool:
        if self.session:
            return True
        return self.local_transaction is not None and self.local_transaction == step.transaction

    def apply(self, node: Any, step: Step, text: str = "") -> None:
        if isinstance(node, ast.VariableSetStmt):
            if node.kind == VariableSetKind.VAR_RESET_ALL:
                self.session, self.local_transaction = False, None
            if str(node.name or "") != "lock_timeout":
                return
            value = node.args[0] if node.args else None
            on = node.kind == VariableSetKind.VAR_SET_VALUE and not _disables(
                getattr(value, "val", None)
            )
            self._set(on, bool(node.is_local), step)
            return
        if text and "lock_timeout" not in text.lower():
            return  # no set_config('lock_timeout', ...) can be in it: skip the tree walk
        for inner in all_nodes(node):
            if not isinstance(inner, ast.FuncCall):
                continue
            name = str(getattr(inner.funcname[-1], "sval", "")) if inner.funcname else ""
            args = list(inner.args or ())
            if name != "set_config" or len(args) != 3:
                continue
            setting = getattr(getattr(args[0], "val", None), "sval", None)
            if setting != "lock_timeout":
                continue
            local = getattr(getattr(args[2], "val", None), "boolval", True)
            self._set(not _disables(getattr(args[1], "val", None)), bool(local), step)

    def _set(self, on: bool, local: bool, step: Step) -> None:
        if local:
            self.local_transaction = step.transaction if on else None
        else:
            self.session = on
            if not on:
                self.local_transaction = None


def _locks(node: Any, history: History, parsed: ParsedStatement) -> Iterator[tuple[str, str]]:
    """(existing table, what locks it) for each lock the statement waits for."""

    def existing(relation: Any) -> str | None:
        if not isinstance(relation, ast.RangeVar):
            return None
        table = table_name(relation)
        creation = history.created("table", table)
        return table if creation is not None and creation.before(parsed) else None

    def references(constraints: Any, what: str) -> Iterator[tuple[str, str]]:
        for constraint in constraints or ():
            if getattr(constraint, "contype", None) == ConstrType.CONSTR_FOREIGN:
                table = existing(constraint.pktable)
                if table is not None:
                    yield table, what

    if isinstance(node, ast.AlterTableStmt):
        table = existing(node.relation)
        if table is not None:
            yield table, "ALTER TABLE"
        for cmd in node.cmds or ():
            definition = cmd.def_
            if isinstance(definition, ast.Constraint):
                yield from references([definition], "a new foreign key")
            elif isinstance(definition, ast.ColumnDef):
                yield from references(definition.constraints, "a new foreign key")
    elif isinstance(node, ast.CreateStmt):
        for element in node.tableElts or ():
            if isinstance(element, ast.Constraint):
                yield from references([element], "a new foreign key")
            elif isinstance(element, ast.ColumnDef):
                yield from references(element.constraints, "a new foreign key")
    elif isinstance(node, ast.IndexStmt) and not node.concurrent:
        table = existing(node.relation)
        if table is not None:
            yield table, "CREATE INDEX"
    elif isinstance(node, ast.DropStmt) and node.removeType in _TABLE_DROPS:
        for target in node.objects or ():
            names = [str(getattr(part, "sval", "")) for part in target]
            relation = ast.RangeVar(relname=names[-1], schemaname=None)
            if len(names) > 1:
                relation = ast.RangeVar(relname=names[-1], schemaname=names[-2])
            table = existing(relation)
            if table is not None:
                yield table, "DROP TABLE"
    elif isinstance(node, ast.TruncateStmt):
        for relation in node.relations or ():
            table = existing(relation)
            if table is not None:
                yield table, "TRUNCATE"
    elif isinstance(node, ast.RenameStmt) and node.renameType in _RENAMES:
        table = existing(node.relation)
        if table is not None:
            yield table, "RENAME"
    elif isinstance(node, ast.CreateTrigStmt):
        table = existing(node.relation)
        if table is not None:
            yield table, "CREATE TRIGGER"


@register
class LockWithoutLockTimeoutRule(Rule):
    """A statement waits for a lock on an existing table with no lock_timeout set.

    What it does:
        Reports, once per migration file, the first statement that takes a
        lock on a table that exists before the statement's run starts (an
        ALTER TABLE, CREATE INDEX without CONCURRENTLY, CREATE TRIGGER,
        RENAME, DROP TABLE, TRUNCATE, or a foreign key that references the
        table) when no ``lock_timeout`` holds at that point: set earlier in
        the same file by ``SET lock_timeout``, by ``SET LOCAL lock_timeout``
        in the same transaction, or by ``set_config('lock_timeout', ...)``.
        ``SET lock_timeout = 0``, ``RESET`` and ``DEFAULT`` turn it off
        again, and a ``SET LOCAL`` ends with its transaction (a drizzle
        ``COMMIT;`` escape, say). A setting in an earlier file does not
        count: a run may start at any file. Tables the same run created are
        not waited for and are exempt. The finding names how many more such
        statements the file holds: one ``SET`` at the top fixes them all.
        Severity info: a runner that sets lock_timeout on its connection
        (upstream Sim's migrate script does) makes every finding moot; say
        so with ``ignore = ["MG416"]`` in the configuration.

    Why it matters:
        A DDL statement queues for its lock behind every transaction that
        uses the table, and while it waits, every new query on the table
        queues behind it: one long-running report or idle-in-transaction
        session turns a one-millisecond ALTER into an outage of the table.
        With a lock_timeout the migration gives up after a few seconds
        instead, fails cleanly, and can be retried at a quieter moment.

    Example:
        ALTER TABLE account ADD COLUMN nickname text;

    Use instead:
        SET lock_timeout = '5s';
        ALTER TABLE account ADD COLUMN nickname text;

    References:
        https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
        https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
    """

    meta = RuleMeta(
        "MG416",
        "lock-without-lock-timeout",
        Severity.INFO,
        "lock taken on an existing table with no lock_timeout set",
        resumable=True,
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        steps = context.memo(steps_by_statement)
        current_file: str | None = None
        timeout = _Timeout()
        pending: list[tuple[ParsedStatement, str, str, Creation]] = []
        for parsed, history, _events in replay(context):
            step = steps.get(id(parsed))
            if step is None:
                continue
            path = parsed.statement.migration.path
            if path != current_file:
                yield from self._report(context, pending)
                current_file, timeout, pending = path, _Timeout(), []
            node = parsed.node
            if not timeout.holds(step):
                for table, what in _locks(node, history, parsed):
                    creation = history.created("table", table)
                    assert creation is not None
                    pending.append((parsed, table, what, creation))
                    break
            timeout.apply(node, step, parsed.statement.text)
        yield from self._report(context, pending)

    def _report(
        self, context: RuleContext, pending: list[tuple[ParsedStatement, str, str, Creation]]
    ) -> Iterator[Finding]:
        if not pending:
            return
        parsed, table, what, creation = pending[0]
        more = len(pending) - 1
        others = f"; {more} more statement(s) of this file wait the same way" if more else ""
        yield self.finding(
            f"{what} waits for a lock on {table}, which exists before this migration, and no "
            "lock_timeout is set "
            "before it in this file: while it waits behind a long transaction, every query on "
            f"{table} waits behind it{others}",
            [parsed.origin, Location.of(creation.origin, f"{table} created here")],
            objects=[table],
            fix=Fix(
                "set lock_timeout before it (SET LOCAL inside the runner's transaction), and "
                "retry the migration when it times out; if the runner sets lock_timeout on its "
                "connection, ignore MG416 in the configuration",
                edits=(
                    Edit(
                        parsed.origin.file,
                        parsed.origin.start,
                        parsed.origin.start,
                        "SET lock_timeout = '5s';\n",
                    ),
                ),
            ),
        )
