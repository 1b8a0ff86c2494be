"""MG413: DROP INDEX without CONCURRENTLY on an index that existed before the run."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind
from checker.syntax import ObjectType, ast
from rules.migration._history import replay
from rules.migration._transactions import concurrently_fix, steps_by_statement


@register
class DropIndexNotConcurrentlyRule(Rule):
    """An index that already existed is dropped without CONCURRENTLY.

    What it does:
        Reports ``DROP INDEX`` without ``CONCURRENTLY`` when the index exists
        before the statement's run starts: for the change under review, an
        index of the base; within a history deployed file by file, an index
        created by an earlier file (or held by the snapshot or database the
        check starts from). An index created earlier in the same run is
        exempt: its table was locked by that run already, and the index
        serves no query yet.

    Why it matters:
        A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's
        table: every read and write of the table waits, first for the
        queries already running on it to finish, then, under a transactional
        runner, until the whole run commits. On a busy table the
        application's requests pile up behind the migration. DROP INDEX
        CONCURRENTLY waits for those queries without blocking new ones, but
        it cannot run inside a transaction block (MG407 reports that case):
        end the runner's transaction first. Under a runner that sends each
        file as one query (Prisma, per-file) a ``COMMIT;`` does not end it,
        since PostgreSQL runs what follows as a new implicit transaction: the
        statement needs a file of its own, which such a runner runs outside
        any transaction block; the fix says which applies where it stands.

    Example:
        DROP INDEX account_email_idx;

    Use instead:
        COMMIT;
        DROP INDEX CONCURRENTLY IF EXISTS account_email_idx;

    References:
        https://www.postgresql.org/docs/current/sql-dropindex.html
        https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
    """

    meta = RuleMeta(
        "MG413",
        "drop-index-not-concurrently",
        Severity.WARNING,
        "DROP INDEX without CONCURRENTLY on an existing index",
        resumable=True,
    )
    doc_setup = (
        "CREATE TABLE account (id text PRIMARY KEY, email text);\n"
        "CREATE INDEX account_email_idx ON account (email);"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        initial = context.sources.initial_catalog
        steps = context.memo(steps_by_statement)
        for parsed, history, events in replay(context):
            node = parsed.node
            if (
                not isinstance(node, ast.DropStmt)
                or node.removeType != ObjectType.OBJECT_INDEX
                or node.concurrent
            ):
                continue
            for event in events:
                if event.kind is not EventKind.DROPPED or event.object_kind != "index":
                    continue
                # created under its bare name, dropped under its display name
                bare = event.name.rpartition(".")[2]
                creation = history.created("index", event.name) or history.created("index", bare)
                if creation is None and (initial is None or context.earlier is not None):
                    continue  # no record of where it came from: say nothing
                if creation is not None and not creation.before(parsed):
                    continue
                places = [Location.of(parsed.origin)]
                if creation is not None:
                    places.append(Location.of(creation.origin, f"{event.name} created here"))
                yield self.finding(
                    f"DROP INDEX {event.name} without CONCURRENTLY: the index exists before "
                    f"this migration, and dropping it takes an ACCESS EXCLUSIVE lock on "
                    "its table, so every read and write of the table waits until the run commits",
                    places,
                    objects=[event.name],
                    fix=concurrently_fix(steps.get(id(parsed)), "DROP INDEX"),
                )
