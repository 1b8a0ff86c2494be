"""MG406: an object used before it is created, or never created."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.model import Layer
from checker.platforms import platform_making
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.runners import MIGRATOR_TABLES
from checker.simulation import EventKind, SimEvent
from rules.migration._common import relative

_SQLSTATE = {
    "table": "42P01 undefined_table",
    "column": "42703 undefined_column",
    "type": "42704 undefined_object",
    "extension": "42704 undefined_object",
    "schema": "3F000 invalid_schema_name",
    "function": "42883 undefined_function",
}


# what the simulator says of statements whose effects it does not know
_UNKNOWN_EFFECTS = ("built at run time", "procedure whose body is not analysed")


def _likely_maker(name: str, dynamic: list[SimEvent]) -> SimEvent:
    """The SQL built at run time that most likely made ``name``: the latest whose
    statement names its stem (``v1_payload_wal`` of ``v1_payload_wal_3``, a partition
    made by a function called with its parent's name), else the latest."""
    stem = re.sub(r"(_\d+)+$", "", name.rsplit(".", 1)[-1]).lower()
    for event in reversed(dynamic):
        if stem and stem in event.statement.statement.text.lower():
            return event
    return dynamic[-1]


_RELATED = 5  # later uses of a never-created object shown as related places; the rest in details


@register
class UsedBeforeCreatedRule(Rule):
    """A statement uses a table, column, type or other object that does not exist yet.

    What it does:
        Follows the statements in the order a migration run executes them,
        base layer first, then the extension, then the proposal, and reports
        each reference to an object that does not exist at that point: a
        table, column, type, constraint, index, schema or function. When a
        later statement creates it, the finding says which one. An object no
        statement creates fails the run at its first use: one finding there,
        which lists the later uses. When SQL built at run time ran before that
        use (an EXECUTE of a string, a call of a PL/pgSQL function that runs
        one, a CALL of a procedure whose body is not analysed), it may have
        made the object: the finding is then a warning that names that
        statement. A type that an extension provides
        (pgvector's ``vector``) exists only once ``CREATE EXTENSION`` for it
        has run. A migrator's own bookkeeping table
        (``__diesel_schema_migrations``, ``_prisma_migrations``,
        ``schema_migrations`` ...) exists before any migration runs, and so
        does what the config's ``provided`` names (a platform's schemas), and
        in a Supabase project what the platform makes (``auth.users``,
        ``storage.objects``, the schemas ``auth``, ``storage``, ``extensions``;
        docs/migration-layouts.md).

    Why it matters:
        PostgreSQL resolves every name when the statement runs: the
        statement fails ("relation ... does not exist") and, in a migration
        run, everything before it in the same transaction rolls back. Order
        mistakes often hide on the author's database, where the object was
        created by hand or by an earlier version of the file.

    Example:
        CREATE INDEX note_account_idx ON note (account_id);
        CREATE TABLE note (id text PRIMARY KEY, account_id text);

    Use instead:
        CREATE TABLE note (id text PRIMARY KEY, account_id text);
        CREATE INDEX note_account_idx ON note (account_id);

    References:
        https://www.postgresql.org/docs/current/ddl-depend.html
        https://www.postgresql.org/docs/current/errcodes-appendix.html
    """

    meta = RuleMeta(
        "MG406", "used-before-created", Severity.ERROR, "object used before it is created, or never"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        # An object no statement creates (a schema the platform provides, say) fails the
        # run at its first use: one finding there, the later uses as its related places.
        never: dict[tuple[str, str], list[SimEvent]] = {}
        dynamic: list[SimEvent] = []  # SQL built at run time (or not analysed), so far
        hedged: dict[tuple[str, str], SimEvent] = {}
        for event in context.events:
            if event.kind is EventKind.NOT_ANALYSED and any(
                unknown in event.detail for unknown in _UNKNOWN_EFFECTS
            ):
                dynamic.append(event)
                continue
            if event.kind is not EventKind.MISSING:
                continue
            if event.object_kind == "table" and event.name.rsplit(".", 1)[-1] in MIGRATOR_TABLES:
                continue  # the migrator's own table: there before any migration runs
            if context.settings.provides(event.name):
                continue  # the platform's (the config's ``provided``)
            if event.created_later is None:
                uses = never.setdefault((event.object_kind, event.name), [])
                if not uses and dynamic:
                    hedged[(event.object_kind, event.name)] = _likely_maker(event.name, dynamic)
                uses.append(event)
                continue
            yield self._missing(context, event, [])
        for key, (first, *again) in never.items():
            yield self._missing(context, first, again, hedged.get(key))

    def _missing(
        self,
        context: RuleContext,
        event: SimEvent,
        again: list[SimEvent],
        dynamic: SimEvent | None = None,
    ) -> Finding:
        kind, name = event.object_kind, event.name
        error = _SQLSTATE.get(kind, "an undefined-object error")
        if kind == "extension":
            subject = f"this needs extension {name}, and no CREATE EXTENSION {name} runs before it"
        else:
            subject = f"{kind} {name} does not exist when this statement runs"
        places = [event.origin]
        later = event.created_later
        if later is not None:
            where = relative(context.sources, later)
            subject += f"; it is created later, at {where}"
            places.append(later)
            fix = f"move this statement after {where}, or create the {kind} before it"
        elif kind == "extension":
            fix = f"run CREATE EXTENSION IF NOT EXISTS {name}; in an earlier migration"
        elif dynamic is not None:
            unread = (
                "SQL built at run time"
                if "built at run time" in dynamic.detail
                else "a procedure body it does not analyse"
            )
            subject = (
                f"no statement schema-check can read creates {kind} {name} before this one; "
                f"the statement at {relative(context.sources, dynamic.origin)}, which runs "
                f"{unread}, may. If it does not"
            )
            fix = f"make sure the {kind} exists before this statement, or correct the name"
        else:
            subject += ", and no statement creates it"
            fix = f"create the {kind} first, or correct the name"
        platform = platform_making(context.sources, name) if later is None else None
        if platform is not None:
            fix += (
                f"; if the database is a {platform.title} project's, say so in "
                f'schema-check.toml (platform = "{platform.name}"): its objects exist '
                "before the first migration"
            )
        outcome = (
            "" if event.origin.layer is Layer.PROPOSAL else " and the migration run rolls back"
        )
        if again:
            count = len(again)
            verb = "statement uses" if count == 1 else "statements use"
            outcome += f" ({count} later {verb} it too)"
        joint = ", " if dynamic is not None else ": "
        return self.finding(
            f"{subject}{joint}PostgreSQL fails with {error}{outcome}",
            [
                Location.of(places[0]),
                *(Location.of(p, "created here") for p in places[1:]),
                *(Location.of(e.origin, "used again here") for e in again[:_RELATED]),
                *([Location.of(dynamic.origin, "runs SQL not analysed")] if dynamic else []),
            ],
            objects=[f"{kind}:{name}"],
            fix=fix,
            details=[
                f"also used at {relative(context.sources, e.origin)}" for e in again[_RELATED:]
            ],
            severity=Severity.WARNING if dynamic is not None else None,
        )
