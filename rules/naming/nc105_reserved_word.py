"""NC105: objects named with a word PostgreSQL reserves (``user``, ``offset``, ``order``)."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.model import Origin
from checker.names import RESERVED_WORDS
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.naming._common import (
    DefinedObject,
    final_objects,
    identifier_index,
    severity_for_layer,
    written_name,
)

# Reserved words that are also expressions: unquoted, they parse and mean something else.
SILENT_MEANINGS = {
    "user": "the current role's name (SELECT * FROM user returns one row: the role)",
    "current_user": "the current role's name",
    "session_user": "the session role's name",
    "current_role": "the current role's name",
    "current_date": "today's date",
    "current_time": "the current time",
    "current_timestamp": "the current timestamp",
    "localtime": "the current time",
    "localtimestamp": "the current timestamp",
    "current_catalog": "the database name",
    "current_schema": "the current schema's name",
    "system_user": "the authenticated identity",
}


@register
class ReservedWordRule(Rule):
    """An object is named with a reserved key word.

    What it does:
        Reports every table, column, type, index, constraint, sequence, view
        and function whose name is a reserved key word of PostgreSQL, once,
        where it is defined. Objects the extension defines are a warning;
        names the base already has are information (they are history, but
        every query the extension writes against them must quote them).
        A statement that does not parse because of such a word is PS001's,
        whose hint names the word.

    Why it matters:
        The name has to be quoted in every statement and query for as long
        as it exists: ``ORDER BY offset`` is a syntax error, ``ORDER BY
        "offset"`` works. ORMs quote for you, hand-written SQL, BI tools and
        ad-hoc queries do not. Some reserved words are expressions, so the
        unquoted query even runs: ``SELECT * FROM user`` returns the current
        role instead of the user table.

    Example:
        CREATE TABLE agent_event (id bigint PRIMARY KEY, "offset" integer NOT NULL);

    Use instead:
        CREATE TABLE agent_event (id bigint PRIMARY KEY, position integer NOT NULL);

    References:
        https://www.postgresql.org/docs/current/sql-keywords-appendix.html
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    """

    meta = RuleMeta("NC105", "reserved-word", Severity.WARNING, "object named with a reserved word")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        index = identifier_index(context)
        for obj in final_objects(context):
            place = written_name(index, obj) if obj.name in RESERVED_WORDS else None
            if place is not None:  # derived names (a partition's columns) are not repeated
                yield self._finding(obj, place)

    def _finding(self, obj: DefinedObject, place: Origin) -> Finding:
        word = obj.name
        meaning = SILENT_MEANINGS.get(word)
        if meaning is not None:
            unquoted = f"unquoted, {word} still parses and means {meaning}"
        else:
            unquoted = f"unquoted, it is a syntax error (e.g. ORDER BY {word})"
        return self.finding(
            f'{obj.kind} {obj.label} is named with the reserved word "{word}": every statement '
            f'and query must write it quoted ("{word}"); {unquoted}',
            place,
            severity=severity_for_layer(obj.origin.layer),
            objects=[obj.label],
            fix=f'rename it (e.g. {_alternative(word, obj.kind)}) or always quote it: "{word}"',
        )


def _alternative(word: str, kind: str) -> str:
    if kind == "table":
        return f"{word}s" if not word.endswith("s") else f"{word}_entry"
    return {"offset": "position", "order": "sort_order", "user": "user_id"}.get(
        word, f"{word}_value"
    )
