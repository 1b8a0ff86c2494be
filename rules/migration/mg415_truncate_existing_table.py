"""MG415: TRUNCATE of a table that existed before the run; with CASCADE, an error."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import QualifiedName, display_name
from checker.findings import Finding, Location, Severity
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import DropBehavior, ast
from rules.migration._history import replay, table_name
from rules.migration._schema_at import SchemaAt, schema_at


def _referencing_closure(schema: SchemaAt, root: QualifiedName, step: int) -> list[str]:
    """Every table that references ``root``, directly or through others, by name, as the
    foreign keys stand just before the statement at ``step``."""
    seen: set[QualifiedName] = {root}
    pending = [root]
    while pending:
        for child in schema.referencing(pending.pop(), step):
            if child not in seen:
                seen.add(child)
                pending.append(child)
    seen.discard(root)
    return sorted(display_name(name) for name in seen)


def _key(relation: ast.RangeVar) -> QualifiedName:
    return (str(relation.schemaname or "public"), str(relation.relname))


@register
class TruncateExistingTableRule(Rule):
    """A migration empties a table that holds data.

    What it does:
        Reports ``TRUNCATE`` of a table that exists before the statement's
        run starts: for the change under review, a table of the base; within
        a history deployed file by file, a table created by an earlier file.
        ``TRUNCATE ... CASCADE`` is an error: it also empties every table
        that references the named one through foreign keys, whatever their
        ON DELETE actions, and the message lists them as the foreign keys
        stand at that statement (a reference a later migration adds is not
        emptied). A plain TRUNCATE is a warning: PostgreSQL refuses it while
        another table references this one, and otherwise it empties only the
        named table, which may be what the migration means (a cache, a
        derived table it refills), but no query in the migration says so.
        Tables the same run created are empty and exempt.

    Why it matters:
        TRUNCATE deletes every row at once, fires no ON DELETE trigger, and
        cannot be undone once the run commits; in a migration it runs on
        production exactly as on an empty development database, where it
        looked harmless. CASCADE widens it to tables the author may not know
        reference this one: user data disappears from tables the migration
        never names. It also takes an ACCESS EXCLUSIVE lock on every table
        it empties.

    Example:
        TRUNCATE account_session CASCADE;

    Use instead:
        DELETE FROM account_session WHERE expires_at < now();

    References:
        https://www.postgresql.org/docs/current/sql-truncate.html
    """

    meta = RuleMeta(
        "MG415",
        "truncate-existing-table",
        Severity.WARNING,
        "TRUNCATE of an existing table (CASCADE: an error)",
        resumable=True,
    )
    doc_setup = (
        "CREATE TABLE account (id text PRIMARY KEY);\n"
        "CREATE TABLE account_session (id text PRIMARY KEY, expires_at timestamptz);\n"
        "CREATE TABLE session_event (id text PRIMARY KEY,"
        " session_id text REFERENCES account_session (id));"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed, history, _events in replay(context):
            node = parsed.node
            if not isinstance(node, ast.TruncateStmt):
                continue
            cascade = node.behavior == DropBehavior.DROP_CASCADE
            for relation in node.relations or ():
                if not isinstance(relation, ast.RangeVar):
                    continue
                table = table_name(relation)
                creation = history.created("table", table)
                if creation is None or not creation.before(parsed):
                    continue
                start = max(0, relation.location or 0)
                origin = parsed.statement.span(start, start + len(str(relation.relname)))
                places: list[Origin | Location] = [
                    origin,
                    Location.of(creation.origin, f"{table} created here"),
                ]
                if cascade:
                    reached = _referencing_closure(schema_at(context), _key(relation), history.step)
                    also = (
                        f"; CASCADE also empties every table that references it: "
                        f"{', '.join(reached)}"
                        if reached
                        else "; CASCADE would also empty any table that comes to reference it"
                    )
                    yield self.finding(
                        f"TRUNCATE {table} CASCADE on a table that exists before this migration: "
                        f"it deletes every row of {table}{also}, "
                        "with no ON DELETE action consulted and no way back once the run commits",
                        places,
                        severity=Severity.ERROR,
                        objects=[table, *reached],
                        fix=(
                            "delete only the rows the migration means to remove with "
                            "DELETE ... WHERE, and let the foreign keys' ON DELETE actions "
                            "decide what happens to the rows that reference them"
                        ),
                    )
                else:
                    yield self.finding(
                        f"TRUNCATE {table} on a table that exists before this migration: it "
                        "deletes every row on every database the "
                        "migration reaches, production included, under an ACCESS EXCLUSIVE lock",
                        places,
                        objects=[table],
                        fix=(
                            "delete only the rows the migration means to remove with "
                            "DELETE ... WHERE; if emptying the table is the intent (a cache or a "
                            "derived table), say so with a suppression comment"
                        ),
                    )
