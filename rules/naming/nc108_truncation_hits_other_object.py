"""NC108: a long name in DROP, ALTER or RENAME truncates to another object's name."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind, Identifier, ParsedStatement
from checker.syntax import ConstrType, all_nodes, ast
from rules.migration._common import relative

MAX_BYTES = 63  # NAMEDATALEN - 1
_KINDS = ("constraint", "index", "table", "relation")


@register
class TruncationHitsOtherObjectRule(Rule):
    """A DROP, ALTER or RENAME names an object by a long name that truncates to another one's.

    What it does:
        Follows each DROP, ALTER or RENAME of a constraint, index or table
        written with a name over 63 bytes. PostgreSQL cuts that name to 63
        bytes before it looks the object up; when the object found was
        created under a different long name (one that only shares its first
        63 bytes), the statement acts on an object its author did not
        write. The finding names both, and what is lost with the object
        (a foreign key, a uniqueness guarantee, a table and its rows).

    Why it matters:
        Generated names (drizzle-kit's ``<table>_<column>_<table>_<column>_fk``)
        grow past 63 bytes on long table names. A later migration that
        drops a stale constraint by its long name then silently drops a
        live one instead: the foreign key or unique constraint is gone, and
        no error says so, since ``IF EXISTS`` finds the truncated name.

    Example:
        CREATE TABLE team_member_invitation (id bigint PRIMARY KEY);
        CREATE TABLE team_member_invitation_reminder (id bigint, invitation_id bigint);
        ALTER TABLE team_member_invitation_reminder ADD CONSTRAINT
            team_member_invitation_reminder_invitation_id_team_member_invitation_id_fk
            FOREIGN KEY (invitation_id) REFERENCES team_member_invitation (id);
        ALTER TABLE team_member_invitation_reminder DROP CONSTRAINT IF EXISTS
            team_member_invitation_reminder_invitation_id_team_member_invitations_id_fk;

    Use instead:
        CREATE TABLE team_member_invitation (id bigint PRIMARY KEY);
        CREATE TABLE team_member_invitation_reminder (id bigint, invitation_id bigint);
        ALTER TABLE team_member_invitation_reminder ADD CONSTRAINT
            team_member_invitation_reminder_invitation_fk
            FOREIGN KEY (invitation_id) REFERENCES team_member_invitation (id);
        ALTER TABLE team_member_invitation_reminder DROP CONSTRAINT IF EXISTS
            team_member_invitation_reminder_invitations_fk;

    References:
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
        https://www.postgresql.org/docs/current/sql-altertable.html
    """

    meta = RuleMeta(
        "NC108",
        "truncation-hits-other-object",
        Severity.ERROR,
        "long name in DROP/ALTER/RENAME truncates to another object's name",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        by_statement: dict[tuple[str, int], list[ParsedStatement]] = {}
        for parsed in context.statements:
            key = (parsed.origin.file, parsed.origin.statement)
            by_statement.setdefault(key, []).append(parsed)
        created_at: dict[str, Origin] = {}  # display name -> the statement that created it
        for event in context.events:
            if event.object_kind not in _KINDS:
                continue
            if event.kind is EventKind.CREATED:
                created_at[event.name] = event.statement.origin
                continue
            if event.kind not in (EventKind.DROPPED, EventKind.RENAMED, EventKind.ALTERED):
                continue
            previous = event.previous or created_at.get(event.name)
            if event.kind is EventKind.RENAMED and previous is not None:
                prefix, dot, _ = event.name.rpartition(".")
                created_at[f"{prefix}{dot}{event.detail}"] = previous
            if previous is None:
                continue
            stored = event.name.rsplit(".", 1)[-1]
            if len(stored.encode("utf-8")) < _SHORTEST_CUT:
                continue  # no name over 63 bytes is cut to one this short
            written = _long_names(event.statement.identifiers, stored)
            if not written:
                continue
            creation = by_statement.get((previous.file, previous.statement), [])
            created = {i.text for p in creation for i in _long_names(p.identifiers, stored)}
            plain = {i.text for p in creation for i in p.identifiers}
            name = written[0]
            if not created or name.text in plain:
                continue  # created under the same long name, or under the short one
            effect = _effect(event.kind, event.detail, creation, stored, event.object_kind)
            yield self._finding(context, event.object_kind, previous, name, created, effect)

    def _finding(
        self,
        context: RuleContext,
        kind: str,
        created_at: Origin,
        written: Identifier,
        created: set[str],
        lost: str,
    ) -> Finding:
        other = sorted(created)[0]
        stored = written.truncated
        where = relative(context.sources, created_at)
        return self.finding(
            f'"{written.text}" is cut to 63 bytes, "{stored}", which is {kind} '
            f'"{other}" (created at {where}), not the one written here: this statement acts '
            f"on that {kind}, and {lost}",
            [written.origin, Location.of(created_at, f"the {kind} it really hits")],
            objects=[stored],
            fix=(
                f"name the {kind} you mean by a name of at most 63 bytes that no other object "
                f"shares; if {other!r} must stay, drop this statement or recreate what it removes"
            ),
            details=[f"written: {written.text}", f"hits: {other}", f"stored name: {stored}"],
        )


# a name over 63 bytes is cut on a character boundary: to 60 bytes at the least
_SHORTEST_CUT = MAX_BYTES - 3


def _long_names(identifiers: tuple[Identifier, ...], stored: str) -> list[Identifier]:
    return [i for i in identifiers if i.byte_length > MAX_BYTES and i.truncated == stored]


def _effect(
    kind: EventKind, new_name: str, creation: list[ParsedStatement], stored: str, object_kind: str
) -> str:
    """What the statement does to the object it really hits."""
    if kind is EventKind.RENAMED:
        return f'renames it to "{new_name}": later statements that name it by its own name miss it'
    if kind is EventKind.ALTERED:
        return "changes it instead of the one the author meant"
    return _what_is_lost(creation, stored, object_kind)


def _what_is_lost(creation: list[ParsedStatement], stored: str, kind: str) -> str:
    for parsed in creation:
        for node in all_nodes(parsed.node):
            if isinstance(node, ast.Constraint) and node.conname == stored:
                if node.contype == ConstrType.CONSTR_FOREIGN and node.pktable is not None:
                    return f"the foreign key to {node.pktable.relname} is lost"
                if node.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
                    return "the uniqueness it guaranteed is lost"
                return "its check is lost"
            if isinstance(node, ast.IndexStmt) and node.idxname == stored:
                return (
                    "the uniqueness it guaranteed is lost" if node.unique else "its index is lost"
                )
    if kind == "table":
        return "the table and its rows are lost"
    return f"the {kind} the author meant is left as it was"
