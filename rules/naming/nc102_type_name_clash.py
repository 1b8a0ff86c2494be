"""NC102: type names that clash (enums, domains, composites and the row type of every table)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.catalog import EnumType, Table, View
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind, SimEvent
from rules.naming._common import (
    both_definitions,
    collisions,
    kind_of,
    name_of,
    related,
    where,
)


@register
class TypeNameClashRule(Rule):
    """A type name is taken twice: by two types, or by a type and a table.

    What it does:
        Enums, domains and composite types share ``pg_type`` with the row
        type PostgreSQL creates for every table and view. Reports a CREATE
        TYPE / CREATE DOMAIN / CREATE TABLE whose name is already a type
        there (an error: the server fails), and an enum created again by a
        guarded ``DO`` block whose exception handler hides that the labels
        differ (a warning: the first labels stay).

    Why it matters:
        ``CREATE TYPE session AS ENUM (...)`` fails when a table ``session``
        exists, and the reverse too, because the table's row type is called
        ``session``. An enum kept by an exception handler with other labels
        than the migration meant makes later inserts of the missing labels
        fail with "invalid input value for enum".

    Example:
        CREATE TABLE session (id bigint PRIMARY KEY);
        CREATE TYPE session AS ENUM ('active', 'closed');

    Use instead:
        CREATE TABLE session (id bigint PRIMARY KEY);
        CREATE TYPE session_state AS ENUM ('active', 'closed');

    References:
        https://www.postgresql.org/docs/current/sql-createtype.html
        https://www.postgresql.org/docs/current/catalog-pg-type.html
    """

    meta = RuleMeta(
        "NC102", "type-name-clash", Severity.ERROR, "type name already taken", resumable=True
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for event in collisions(context, self.meta.code):
            if event.kind is EventKind.DUPLICATE:
                yield self._duplicate(event)
            else:
                yield self._kept_different(event)

    def _duplicate(self, event: SimEvent) -> Finding:
        new_kind = _kind(event.skipped, event.object_kind)
        short = event.name.rsplit(".", 1)[-1]
        return self.finding(
            f'CREATE {_verb(event.skipped, new_kind)} {event.name} fails: type "{short}" already '
            f"exists ({_owner(event.kept)}, created {where(event.previous)})",
            [event.origin, *related(event.previous, "type defined here")],
            objects=[event.name],
            fix=f"give the new {new_kind} a name no type or table uses, e.g. a prefixed one",
            details=both_definitions(event.kept, event.skipped),
        )

    def _kept_different(self, event: SimEvent) -> Finding:
        new_kind = _kind(event.skipped, event.object_kind)
        detail = ""
        if isinstance(event.kept, EnumType) and isinstance(event.skipped, EnumType):
            missing = [label for label in event.skipped.labels if label not in event.kept.labels]
            if missing:
                detail = f"; labels {', '.join(repr(m) for m in missing)} do not exist"
        return self.finding(
            f"{new_kind} {event.name} already exists with another definition "
            f"({_owner(event.kept)}, created {where(event.previous)}): the exception handler "
            f"swallows the error and the earlier definition stays{detail}",
            [event.origin, *related(event.previous, "definition that is kept")],
            severity=Severity.WARNING,
            objects=[event.name],
            fix=(
                "make both definitions agree; add missing enum labels with "
                "ALTER TYPE ... ADD VALUE IF NOT EXISTS"
            ),
            details=both_definitions(event.kept, event.skipped),
        )


def _kind(obj: Any, fallback: str) -> str:
    return kind_of(obj) if obj is not None else fallback


def _verb(obj: Any, kind: str) -> str:
    if isinstance(obj, Table):
        return "TABLE"
    if isinstance(obj, View):
        return "VIEW"
    return "DOMAIN" if kind == "domain" else "TYPE"


def _owner(kept: Any) -> str:
    if kept is None:
        return "an existing type"
    if isinstance(kept, Table | View):
        return f"the row type of {kind_of(kept)} {name_of(kept)}"
    return f"{kind_of(kept)} {name_of(kept)}"
