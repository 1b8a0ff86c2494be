"""Which statements run inside a transaction block, under the configured runner.

drizzle's migrator runs every pending migration in one transaction; the
per-file runner wraps each file in one; autocommit runs each statement on its
own. Explicit BEGIN / COMMIT / ROLLBACK in a file change that, and drizzle's
deliberate ``COMMIT;`` ends its transaction: the statements after it run
outside any transaction block. Any file may be the first one a run applies,
so every file starts inside the runner's transaction (the worst case).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pglast import ast
from pglast.enums import TransactionStmtKind

from checker.config import Runner
from checker.model import Layer
from checker.simulation import ParsedStatement

_OPENS = (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START)
_ENDS = (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK)

RUNNER_REASON = {
    Runner.DRIZZLE: "drizzle's migrator runs every pending migration in one transaction",
    Runner.PER_FILE: "the per-file runner runs each migration file in one transaction",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One statement, and whether (in the worst case) it runs inside a transaction block."""

    parsed: ParsedStatement
    in_transaction: bool
    reason: str  # why it is inside one, for messages
    transaction: int  # statements with the same number share one transaction


def outermost(parsed: ParsedStatement) -> ParsedStatement:
    while parsed.parent is not None:
        parsed = parsed.parent
    return parsed


def walk(statements: Sequence[ParsedStatement], runner: Runner) -> Iterator[Step]:
    """Every executed statement in order, with its transaction state.

    Statements inside function bodies are left out (they run when the function
    is called); statements inside a DO block run now, inside a transaction.
    """
    counter = 0
    in_transaction = False
    reason = ""
    current_file: str | None = None
    current_layer: object = None
    for parsed in statements:
        if parsed.parent is not None:
            if isinstance(outermost(parsed).node, ast.DoStmt):
                yield Step(
                    parsed,
                    True,
                    "it is inside a DO block, which runs as a function in a transaction",
                    counter,
                )
            continue
        migration = parsed.statement.migration
        if migration.path != current_file:
            layer_changed = migration.layer != current_layer
            current_file, current_layer = migration.path, migration.layer
            if runner is Runner.AUTOCOMMIT:
                in_transaction = False
            else:
                # A run may start with any pending file: worst case, inside the runner's
                # transaction. drizzle keeps one transaction across files of a run.
                keep = runner is Runner.DRIZZLE and in_transaction and not layer_changed
                if not keep:
                    counter += 1
                in_transaction, reason = True, RUNNER_REASON[runner]
                if migration.layer is Layer.PROPOSAL:
                    reason += ", once this proposal becomes a migration"
        node = parsed.node
        if isinstance(node, ast.TransactionStmt):
            kind = node.kind
            if kind in _OPENS and not in_transaction:
                counter += 1
                in_transaction = True
                reason = f"after the explicit BEGIN in {parsed.statement.migration.name}"
            elif kind in _ENDS:
                yield Step(parsed, in_transaction, reason, counter)
                counter += 1
                in_transaction = bool(node.chain)
                continue
        elif not in_transaction:
            counter += 1  # autocommit: each statement is its own transaction
        yield Step(parsed, in_transaction, reason, counter)
