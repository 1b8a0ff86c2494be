"""Which statements run inside a transaction block, under the runner of each file.

drizzle's migrator runs every pending migration of a folder in one
transaction; Prisma Migrate (and the per-file runner) sends each file as one
query: one statement runs alone, several share one implicit transaction;
autocommit runs each statement on its own (checker/runners.py says which runner
a file has). Explicit BEGIN / COMMIT / ROLLBACK in a file change that, and
drizzle's deliberate ``COMMIT;`` ends its transaction: the statements after it
run outside any transaction block. Any file may be the first one a run
applies, so every file starts inside the runner's transaction (the worst case).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from checker.config import Runner, Settings
from checker.model import Layer, Layout
from checker.rule import RuleContext
from checker.runners import TOOLS, WORST_CASE, RunnerInUse, runner_for
from checker.simulation import ParsedStatement
from checker.syntax import TransactionStmtKind, ast

_OPENS = (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START)
_ENDS = (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK)

_ASSUMED = (
    "no runner is configured and the folder's layout names none, so schema-check assumes the "
    "worst case: every pending migration runs in one transaction"
)


def runner_reason(in_use: RunnerInUse, file_name: str) -> str:
    """Why a statement of ``file_name`` runs inside the runner's transaction."""
    if in_use.assumed:
        return _ASSUMED
    if in_use.runner is Runner.DRIZZLE:
        return "drizzle's migrator runs every pending migration in one transaction"
    if in_use.runner is Runner.PRISMA:
        return (
            f"Prisma Migrate sends {file_name} as one query, and its several statements run as "
            "one implicit transaction"
        )
    if in_use.runner is Runner.TRANSACTION_PER_FILE and in_use.layout is Layout.FLYWAY:
        return (
            f"Flyway runs {file_name} in a transaction of its own, as the file holds statements "
            "a transaction can hold too; Flyway refuses a migration that mixes both kinds, "
            "unless its `mixed` setting is on"
        )
    tool = TOOLS.get(in_use.layout) if in_use.layout is not None else None
    if in_use.runner is Runner.TRANSACTION_PER_FILE:
        runs = tool or "the runner"
        return f"{runs} runs {file_name} in a transaction of its own"
    return (
        f"{tool or 'the per-file runner'} sends {file_name} as one query, and its several "
        "statements run as one implicit transaction"
    )


def after_commit_reason(in_use: RunnerInUse, file_name: str, ends: str) -> str:
    """Why a statement after a COMMIT of a file sent as one query is inside a transaction."""
    tool = TOOLS.get(in_use.layout) if in_use.layout is not None else None
    runner = "Prisma Migrate" if in_use.runner is Runner.PRISMA else tool or "the per-file runner"
    return (
        f"{runner} sends {file_name} as one query, and PostgreSQL runs the statements after "
        f"its {ends} as a new implicit transaction"
    )


# how each tool that runs a file in a transaction of its own lets a file run outside one
_OUTSIDE_TRANSACTION = {
    Layout.FLYWAY: (
        "move it into a migration of its own (Flyway runs a migration that holds nothing "
        "but such statements outside a transaction), or give the file a script "
        "configuration (`<file>.sql.conf`) with `executeInTransaction=false`"
    ),
    Layout.ATLAS: (
        "move it into a migration file of its own whose header is `-- atlas:txmode none` "
        "followed by a blank line: Atlas runs such a file outside a transaction"
    ),
    Layout.SQLX: (
        "move it into a migration file of its own whose first line is "
        "`-- no-transaction`: sqlx runs such a file outside a transaction"
    ),
    Layout.DIESEL: (
        "move it into a migration of its own whose `metadata.toml` says "
        "`run_in_transaction = false`: Diesel runs such a migration outside a transaction"
    ),
    Layout.SUPABASE: (
        "run it outside `supabase db push` (psql, after the migration that needs it): "
        "the Supabase CLI runs every migration file in a transaction of its own, "
        "whatever it holds"
    ),
}


def way_out(in_use: RunnerInUse) -> str:
    """How to run a non-transactional statement under this runner."""
    if in_use.runner is Runner.PRISMA and not in_use.assumed:
        return (
            "move it into a migration folder of its own (`prisma migrate dev --create-only`, "
            "then put only this statement in that folder's migration.sql): Prisma runs a "
            "migration.sql holding one statement outside any transaction block"
        )
    if in_use.runner is Runner.PER_FILE and not in_use.assumed:
        return (
            "move it into a migration file of its own: the per-file runner runs a file "
            "holding one statement outside any transaction block"
            if in_use.layout is not Layout.GOLANG_MIGRATE
            else "move it into a migration file of its own: golang-migrate sends a file "
            "holding one statement alone, outside any transaction block"
        )
    if in_use.runner is Runner.TRANSACTION_PER_FILE and in_use.layout in _OUTSIDE_TRANSACTION:
        return _OUTSIDE_TRANSACTION[in_use.layout]
    if in_use.runner is Runner.TRANSACTION_PER_FILE:
        return (
            "move it into a migration file of its own that its tool runs outside a "
            "transaction (goose: `-- +goose NO TRANSACTION`; dbmate: `-- migrate:up "
            "transaction:false`; sql-migrate: `-- +migrate Up notransaction`; sqlx: a first "
            "line `-- no-transaction`)"
        )
    if in_use.assumed:
        return (
            "set `runner` in schema-check.toml to the runner that applies these files "
            "(transaction-per-file, per-file, prisma, autocommit or drizzle); if it really "
            "runs them in one "
            "transaction, put `COMMIT;` before it, or run it outside the migrations"
        )
    return (
        "end the transaction first: put `COMMIT;` (its own statement-breakpoint "
        "chunk) before it, so it and what follows in the file run outside the "
        "transaction; or run it outside the migrations"
    )


def enum_way_out(in_use: RunnerInUse) -> str:
    """How to commit a new enum value before it is used, under this runner."""
    if in_use.runner is Runner.PRISMA and not in_use.assumed:
        return (
            "add the value in one migration folder and use it in a later one: Prisma commits "
            "each migration.sql before it runs the next"
        )
    if in_use.runner in (Runner.PER_FILE, Runner.TRANSACTION_PER_FILE) and not in_use.assumed:
        return (
            "add the value in one file and use it in a later file: the runner commits each "
            "file before it runs the next"
        )
    if in_use.assumed:
        return (
            "set `runner` in schema-check.toml to the runner that applies these files; if it "
            "really runs them in one transaction, add `COMMIT;` after the ALTER TYPE ... ADD "
            "VALUE"
        )
    return (
        "commit between adding the value and using it: add `COMMIT;` after the "
        "ALTER TYPE ... ADD VALUE, or move the use to a later migration run"
    )


def concurrently_fix(step: Step | None, command: str) -> str:
    """How to run ``command`` (``CREATE INDEX``, ``DROP INDEX``) with CONCURRENTLY where the
    statement stands: it may already run outside any transaction block (a Prisma
    migration.sql holding only it, an autocommit runner, after drizzle's ``COMMIT;``); under
    a runner that sends the file as one query a ``COMMIT;`` does not get it out (PostgreSQL
    runs what follows as a new implicit transaction), so it needs a file of its own."""
    if step is not None and not step.in_transaction:
        return (
            f"write {command} CONCURRENTLY: this statement already runs outside any "
            "transaction block"
        )
    if step is None or step.runner.assumed or step.runner.runner is Runner.DRIZZLE:
        if command == "DROP INDEX":
            return (
                "end the runner's transaction first (`COMMIT;` as its own statement), "
                "then DROP INDEX CONCURRENTLY IF EXISTS; CONCURRENTLY cannot run inside "
                "a transaction block (MG407)"
            )
        return "build it with CREATE INDEX CONCURRENTLY outside the transaction (after COMMIT;)"
    return f"write {command} CONCURRENTLY and {way_out(step.runner)}"


def steps_by_statement(context: RuleContext) -> dict[int, Step]:
    """Each executed statement's transaction state, by the id of its ParsedStatement
    (a pure function of the context: share it with ``context.memo``)."""
    return {id(step.parsed): step for step in walk(context.statements, context.settings)}


@dataclass(frozen=True, slots=True)
class Step:
    """One statement, and whether (in the worst case) it runs inside a transaction block."""

    parsed: ParsedStatement
    in_transaction: bool
    reason: str  # why it is inside one, for messages
    transaction: int  # statements with the same number share one transaction
    runner: RunnerInUse  # the runner of the statement's file


def outermost(parsed: ParsedStatement) -> ParsedStatement:
    while parsed.parent is not None:
        parsed = parsed.parent
    return parsed


def walk(statements: Sequence[ParsedStatement], settings: Settings) -> Iterator[Step]:
    """Every executed statement in order, with its transaction state.

    Statements inside function bodies are left out (they run when the function
    is called); statements inside a DO block run now, inside a transaction.
    """
    per_file: dict[str, int] = {}
    for parsed in statements:
        if parsed.parent is None:
            path = parsed.statement.migration.path
            per_file[path] = per_file.get(path, 0) + 1
    counter = 0
    in_transaction = False
    reason = ""
    current_file: str | None = None
    current_layer: object = None
    in_use = RunnerInUse(WORST_CASE, True)
    alone = False  # the current file is sent as one query holding one statement
    for parsed in statements:
        if parsed.parent is not None:
            if isinstance(outermost(parsed).node, ast.DoStmt):
                yield Step(
                    parsed,
                    True,
                    "it is inside a DO block, which runs as a function in a transaction",
                    counter,
                    in_use,
                )
            continue
        migration = parsed.statement.migration
        if migration.path != current_file:
            layer_changed = migration.layer != current_layer
            previous = in_use
            in_use = runner_for(migration, settings)
            current_file, current_layer = migration.path, migration.layer
            alone = in_use.file_is_one_query and per_file.get(migration.path, 0) <= 1
            if in_use.runner is Runner.AUTOCOMMIT or alone:
                in_transaction = False
            else:
                # A run may start with any pending file: worst case, inside the runner's
                # transaction. drizzle keeps one transaction across files of a run.
                keep = (
                    in_use.one_transaction_per_folder
                    and previous.one_transaction_per_folder
                    and in_transaction
                    and not layer_changed
                )
                if not keep:
                    counter += 1
                in_transaction = True
                reason = runner_reason(in_use, migration.display_name)
                if migration.layer is Layer.PROPOSAL:
                    reason += ", once this proposal becomes a migration"
        node = parsed.node
        if isinstance(node, ast.TransactionStmt):
            kind = node.kind
            if kind in _OPENS and not in_transaction:
                counter += 1
                in_transaction = True
                reason = f"after the explicit BEGIN in {parsed.statement.migration.display_name}"
            elif kind in _ENDS:
                yield Step(parsed, in_transaction, reason, counter, in_use)
                counter += 1
                in_transaction = bool(node.chain)
                if not in_transaction and in_use.file_is_one_query and not alone:
                    # The file is one query of several statements: PostgreSQL runs what
                    # follows its COMMIT as a new implicit transaction, not statement by
                    # statement.
                    in_transaction = True
                    ends = (
                        "ROLLBACK" if kind == TransactionStmtKind.TRANS_STMT_ROLLBACK else "COMMIT"
                    )
                    reason = after_commit_reason(in_use, migration.display_name, ends)
                continue
        elif not in_transaction:
            counter += 1  # autocommit: each statement is its own transaction
        yield Step(parsed, in_transaction, reason, counter, in_use)
