"""LV505: an extension statement takes a heavy lock on a pre-existing table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import ast


@register
class HeavyLockRule(Rule):
    """An extension statement locks a table that existed before it.

    What it does:
        While the extension is applied inside the runner's own transaction
        on the live server, reads ``pg_locks`` after each statement and
        reports the locks it newly takes on relations that existed before the
        extension: ACCESS EXCLUSIVE (error), SHARE and SHARE ROW EXCLUSIVE
        (warning). They are held until the runner commits the whole run.
        Statements that run outside a transaction are counted as unobserved.
        An ACCESS EXCLUSIVE lock is an error when it is held a long time: the
        statement rewrites or scans the table (what MG409 reports), or a
        statement of that kind, or one whose time grows with the data (DML, a
        DO block, a procedure), runs after it in the same transaction. A
        brief one (``ADD COLUMN`` without a volatile default, as the last slow
        thing of its file under a runner that commits file by file) is a
        warning that says why: it still queues behind running queries, which
        ``lock_timeout`` bounds (MG416).

    Why it matters:
        An ACCESS EXCLUSIVE lock blocks every read and write of the table
        until the migration commits; a SHARE lock blocks writes. On a busy
        base table that is an outage for the application, however "additive"
        the extension is said to be.

    Example:
        CREATE INDEX workspace_name_idx ON workspace (name);

    Use instead:
        COMMIT;
        CREATE INDEX CONCURRENTLY workspace_name_idx ON workspace (name);

    References:
        https://www.postgresql.org/docs/current/explicit-locking.html
    """

    meta = RuleMeta("LV505", "heavy-lock-live", Severity.WARNING, "heavy lock on existing table")
    doc_setup = "CREATE TABLE workspace (id text PRIMARY KEY, name text NOT NULL);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        found = list(self.external_findings(context))
        if not any(f.severity is Severity.ERROR for f in found):
            yield from found
            return
        held_long = _held_long(context)
        for finding in found:
            primary = finding.primary
            if (
                finding.severity is Severity.ERROR
                and primary is not None
                and (primary.file, primary.start) not in held_long
            ):
                finding = replace(
                    finding, severity=Severity.WARNING, message=finding.message + _BRIEF
                )
            yield finding


_BRIEF = (
    "; the statement neither rewrites nor scans the table and nothing slow runs after it in "
    "that transaction, so the lock is brief, but it waits behind every running query on the "
    "table and every later query waits behind it (set lock_timeout: MG416)"
)
# statements whose run time grows with the data: what runs after a lock is taken holds it
_SLOW = (
    ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.CopyStmt,
    ast.DoStmt, ast.CallStmt, ast.RefreshMatViewStmt, ast.ClusterStmt, ast.VacuumStmt,
)  # fmt: skip


def _held_long(context: RuleContext) -> set[tuple[str, int]]:
    """(file, start) of each statement whose locks are held a long time: it rewrites or
    scans a table that existed before it (what MG409 reports), or a statement of that kind,
    or one whose time grows with the data (DML, a DO block, a procedure), runs after it in
    the same transaction."""
    from rules.migration._heavy import heavy_on_existing
    from rules.migration._transactions import steps_by_statement

    top = [p for p in context.statements if p.parent is None]
    heavy = {id(use.parsed) for use in context.memo(heavy_on_existing)}
    steps = context.memo(steps_by_statement)
    held: set[tuple[str, int]] = set()
    slow_after: dict[int, bool] = {}  # transaction -> a slow statement runs later in it
    for parsed in reversed(top):
        step = steps.get(id(parsed))
        slow = id(parsed) in heavy or isinstance(parsed.node, _SLOW)
        if step is None or not step.in_transaction:
            if slow:
                held.add((parsed.statement.origin.file, parsed.statement.origin.start))
            continue
        if slow or slow_after.get(step.transaction, False):
            held.add((parsed.statement.origin.file, parsed.statement.origin.start))
        if slow:
            slow_after[step.transaction] = True
    return held
