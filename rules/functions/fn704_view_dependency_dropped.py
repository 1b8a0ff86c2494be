"""FN704: a DROP of a table or column that a view reads: refused, or the view is dropped."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind


@register
class ViewDependencyDroppedRule(Rule):
    """A DROP of a table or column that a view reads.

    What it does:
        Follows each view's query (the tables and columns it reads, ``*``
        expanded when the view was created). A ``DROP COLUMN`` or
        ``DROP TABLE`` of something a view reads is an error without
        CASCADE; with CASCADE, the view silently goes with it (warning),
        unless the same migration file creates the view again after the DROP.

    Why it matters:
        Without CASCADE the server refuses the statement with 2BP01 (cannot
        drop ... because other objects depend on it) and the migration fails
        where it runs, often only on the database that has the view. With
        CASCADE the view, its grants and whatever reads it disappear without
        a word, and the application finds out at its next query.

    Example:
        CREATE TABLE account (id text PRIMARY KEY, email text, legacy_flag boolean);
        CREATE VIEW account_summary AS SELECT id, email, legacy_flag FROM account;
        ALTER TABLE account DROP COLUMN legacy_flag;

    Use instead:
        CREATE TABLE account (id text PRIMARY KEY, email text, legacy_flag boolean);
        CREATE VIEW account_summary AS SELECT id, email, legacy_flag FROM account;
        DROP VIEW account_summary;
        ALTER TABLE account DROP COLUMN legacy_flag;
        CREATE VIEW account_summary AS SELECT id, email FROM account;

    References:
        https://www.postgresql.org/docs/current/ddl-depend.html
        https://www.postgresql.org/docs/current/errcodes-appendix.html
    """

    meta = RuleMeta(
        "FN704",
        "view-dependency-dropped",
        Severity.ERROR,
        "DROP of a table or column a view reads",
        resumable=True,
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        # views the same file creates again: (name, file) -> the statements that do
        created: dict[tuple[str, str], list[int]] = {}
        for event in context.events:
            if event.kind is EventKind.CREATED and event.object_kind == "view":
                created.setdefault((event.name, event.origin.file), []).append(
                    event.origin.statement
                )
        for event in context.events:
            if event.kind is EventKind.BLOCKED and event.detail.startswith("views depend on it"):
                views = event.detail.split(": ", 1)[1]
                readers = f"views {views} read" if ", " in views else f"view {views} reads"
                yield self.finding(
                    f"DROP of {event.object_kind} {event.name} fails with 2BP01: {readers} it",
                    event.origin,
                    objects=[event.name, *views.split(", ")],
                    fix=f"drop or redefine {views} first, then recreate it without {event.name}",
                )
            elif (
                event.kind is EventKind.DROPPED
                and event.object_kind == "view"
                and event.detail.startswith("cascade from dropping")
                and not any(
                    statement > event.origin.statement
                    for statement in created.get((event.name, event.origin.file), ())
                )
            ):
                yield self.finding(
                    f"view {event.name} is dropped silently by CASCADE "
                    f"({event.detail}): what reads it fails from now on",
                    event.origin,
                    severity=Severity.WARNING,
                    objects=[event.name],
                    fix=f"drop {event.name} explicitly and recreate it without what is dropped",
                )
