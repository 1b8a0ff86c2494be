"""NC104: identifiers longer than 63 bytes, which PostgreSQL truncates without an error."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.config import Runner
from checker.findings import Finding, Location, Severity
from checker.parsing import IDENTIFIER_PART
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.runners import runner_for
from checker.simulation import EventKind, Identifier
from rules.naming._common import identifier_index, order_key

MAX_BYTES = 63  # NAMEDATALEN - 1
MAX_RELATED = 5


@register
class IdentifierTooLongRule(Rule):
    """An identifier is longer than 63 bytes and is silently truncated.

    What it does:
        Reads identifiers as written in the source (pglast's tree already
        holds the cut names) and reports each one over 63 bytes in every
        statement that writes it, with the name PostgreSQL actually stores.
        When two different identifiers truncate to the same name and collide
        in one namespace (two constraints of a table, two relations of a
        schema), the finding is an error.

    Why it matters:
        PostgreSQL cuts the name to 63 bytes with only a NOTICE, so the
        catalog name differs from the one in the migration and in the ORM
        schema: tools that look objects up by the written name (schema
        diffs, ``DROP CONSTRAINT`` in hand-written SQL, drizzle-kit's
        generated foreign key names) miss them. Two long names that share
        their first 63 bytes become one name, and the second CREATE fails or
        is skipped by ``IF NOT EXISTS``.

    Example:
        CREATE TABLE agent (id bigint PRIMARY KEY);
        CREATE TABLE conversation (id bigint PRIMARY KEY, agent_id bigint);
        ALTER TABLE conversation
            ADD CONSTRAINT conversation_agent_id_agent_id_fk_with_a_very_long_descriptive_name
            FOREIGN KEY (agent_id) REFERENCES agent (id);

    Use instead:
        CREATE TABLE agent (id bigint PRIMARY KEY);
        CREATE TABLE conversation (id bigint PRIMARY KEY, agent_id bigint);
        ALTER TABLE conversation ADD CONSTRAINT conversation_agent_id_fk
            FOREIGN KEY (agent_id) REFERENCES agent (id);

    References:
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    """

    meta = RuleMeta("NC104", "identifier-too-long", Severity.WARNING, "identifier over 63 bytes")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        uses: dict[str, list[Identifier]] = {}
        index = identifier_index(context)
        for identifier in index.long_tokens(may_hold_long_identifier, MAX_BYTES):
            uses.setdefault(identifier.text, []).append(identifier)
        if not uses:
            return
        by_cut: dict[str, set[str]] = {}
        for text in uses:
            by_cut.setdefault(_cut(text), set()).add(text)
        collided = _collided_names(context, by_cut)
        runners: dict[str, Runner | None] = {}
        for parsed in context.statements:
            if parsed.origin.file not in runners:
                in_use = runner_for(parsed.statement.migration, context.settings)
                runners[parsed.origin.file] = None if in_use.assumed else in_use.runner
        for text, places in sorted(uses.items(), key=lambda item: _first(item[1])):
            places.sort(key=lambda i: order_key(i.origin))
            cut = _cut(text)
            clash = collided.get(cut)
            if clash is None:
                others = sorted(by_cut[cut] - {text})
                for in_statement in _per_statement(places):
                    runner = runners.get(in_statement[0].origin.file)
                    yield self._too_long(in_statement, cut, others, runner)
            elif min(by_cut[cut]) == text:  # one error per clashing group
                yield self._clash(clash, places[0], cut, sorted(by_cut[cut]))

    def _too_long(
        self, places: list[Identifier], cut: str, others: list[str], runner: Runner | None
    ) -> Finding:
        first = places[0]
        locations = [Location.of(p.origin, "also used here") for p in places[1:MAX_RELATED]]
        details = [f"written ({first.byte_length} bytes): {first.text}", f"stored: {cut}"]
        details += [f"written elsewhere, stored under the same name: {o}" for o in others]
        return self.finding(
            f'identifier "{first.text}" is {first.byte_length} bytes; PostgreSQL '
            f'silently truncates it to "{cut}", so the catalog name differs from the written one',
            [first.origin, *locations],
            objects=[cut],
            fix=f"give it an explicit name of at most 63 bytes{_how_to_name(runner)}",
            details=details,
        )

    def _clash(
        self, clash: tuple[Location, bool], first: Identifier, cut: str, texts: list[str]
    ) -> Finding:
        names = " and ".join(f'"{t}"' for t in texts)
        where, failed = clash
        outcome = "fails" if failed else "is silently skipped by the exception handler"
        return self.finding(
            f'identifiers {names} truncate to the same name "{cut}" in one namespace: '
            f"the second CREATE {outcome}",
            [where, Location.of(first.origin, "first of the names")],
            severity=Severity.ERROR,
            objects=[cut],
            fix="shorten the names so they differ within their first 63 bytes",
            details=[f"written: {t}" for t in texts] + [f"stored: {cut}"],
        )


def _cut(text: str) -> str:
    return text.encode("utf-8")[:MAX_BYTES].decode("utf-8", errors="ignore")


def _per_statement(places: list[Identifier]) -> list[list[Identifier]]:
    """The places grouped by statement, in order: each statement writing the name is reported."""
    groups: dict[tuple[str, int], list[Identifier]] = {}
    for place in places:
        groups.setdefault((place.origin.file, place.origin.statement), []).append(place)
    return list(groups.values())


def _first(places: list[Identifier]) -> tuple[int, int]:
    return min(order_key(p.origin) for p in places)


def _collided_names(
    context: RuleContext, by_cut: dict[str, set[str]]
) -> dict[str, tuple[Location, bool]]:
    """Truncated names that two different long identifiers really clash on, and where."""
    shared = {cut for cut, texts in by_cut.items() if len(texts) > 1}
    if not shared:
        return {}
    found: dict[str, tuple[Location, bool]] = {}
    for event in context.events:
        if event.kind not in (EventKind.DUPLICATE, EventKind.SKIPPED_EXISTING):
            continue
        short = event.name.rsplit(".", 1)[-1]
        if short in shared and short not in found:
            failed = event.kind is EventKind.DUPLICATE
            found[short] = (Location.of(event.origin, "clash"), failed)
    return found


def _how_to_name(runner: Runner | None) -> str:
    """Where the ORM that wrote the migration takes an explicit name."""
    if runner is Runner.DRIZZLE:
        return (
            " (in the drizzle schema: foreignKey({ columns, foreignColumns, name }), "
            'index("name"), unique("name"))'
        )
    if runner is Runner.PRISMA:
        return ' (in schema.prisma: map: "name" on @relation, @@index, @@unique or @id)'
    return ""


# A token of more than 63 bytes: 64 identifier characters in a row, or a quoted name of 64
# characters ("" is one), in an ASCII text; 16 in any other (a character is 4 bytes at most).
_LONG_IN_ASCII = re.compile(r'[A-Za-z0-9_$]{64}|"(?:[^"]|""){64}')
_LONG_IN_OTHER = re.compile(IDENTIFIER_PART + r'{16}|"(?:[^"]|""){16}')


def may_hold_long_identifier(text: str) -> bool:
    """False only when no identifier token of ``text`` can be over 63 bytes."""
    pattern = _LONG_IN_ASCII if text.isascii() else _LONG_IN_OTHER
    return pattern.search(text) is not None
