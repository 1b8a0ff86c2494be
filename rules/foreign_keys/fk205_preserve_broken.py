"""FK205: a CASCADE path deletes rows the contract says a delete preserves."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import FkAction, display_name
from checker.config import DeleteIntent
from checker.findings import Finding, Location, Severity
from checker.graph import DeletePath, FkEdge
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    closure_of,
    edge_location,
    fk_clause,
    root_key,
    tables_matching,
)


@register
class PreserveBrokenRule(Rule):
    """Deleting a row cascades into a table the contract says must be preserved.

    What it does:
        For every ``[[contract.delete]]`` intent with ``preserves``, follows
        the ON DELETE actions from one deleted row of ``root`` and reports each
        preserved table (names may be globs such as ``parlant_*``) that some
        chain of CASCADE foreign keys reaches, with every such path, e.g.
        ``user →(created_by CASCADE) agent →(agent_id CASCADE) session``. A
        direct SET NULL foreign key does not protect a table that another
        path deletes. The primary location is the CASCADE edge where the
        first path enters the preserved tables.

    Why it matters:
        "Deleting a user keeps the conversation history" is decided by the
        whole graph of ON DELETE actions, not by the one foreign key between
        the two tables. A single CASCADE further up (the user's agents, the
        user's workspaces) silently deletes the data the design promised to
        keep, and nothing fails: the rows are just gone.

    Example:
        CREATE TABLE person (id text PRIMARY KEY);
        CREATE TABLE bot (
            id text PRIMARY KEY,
            owner_id text NOT NULL REFERENCES person (id) ON DELETE CASCADE
        );
        CREATE TABLE chat (
            id text PRIMARY KEY,
            bot_id text NOT NULL REFERENCES bot (id) ON DELETE CASCADE,
            person_id text REFERENCES person (id) ON DELETE SET NULL
        );

    Use instead:
        CREATE TABLE person (id text PRIMARY KEY);
        CREATE TABLE bot (
            id text PRIMARY KEY,
            owner_id text REFERENCES person (id) ON DELETE SET NULL
        );
        CREATE TABLE chat (
            id text PRIMARY KEY,
            bot_id text NOT NULL REFERENCES bot (id) ON DELETE CASCADE,
            person_id text REFERENCES person (id) ON DELETE SET NULL
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/sql-delete.html
    """

    meta = RuleMeta(
        "FK205", "preserve-intent-broken", Severity.ERROR, "a CASCADE path deletes preserved rows"
    )
    doc_contract = '[[delete]]\nroot = "person"\npreserves = ["chat"]\n'

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for intent in context.settings.contract.deletes:
            if intent.preserves:
                yield from self._check_intent(context, intent)

    def _check_intent(self, context: RuleContext, intent: DeleteIntent) -> Iterator[Finding]:
        catalog = context.catalog
        root = root_key(intent.root)
        if root not in catalog.tables:
            return  # PS003 reports the name the schema does not have
        preserved = set(tables_matching(catalog, intent.preserves)) - {root}
        closure = closure_of(context, root)
        root_name = display_name(root)
        for table in sorted(preserved):
            paths = closure.deleted.get(table, ())
            if not paths:
                continue
            name = display_name(table)
            entries = _entry_edges(paths, preserved)
            rendered = [p.render() for p in paths]
            more = " (path list truncated)" if closure.truncated else ""
            message = (
                f"deleting one {root_name} row deletes {name} rows, which the contract says it "
                f"preserves: {len(paths)} CASCADE path{'s' if len(paths) != 1 else ''}{more}: "
                + "; ".join(rendered)
            )
            where: list[Location] = [edge_location(e, f"{e.constraint} CASCADE") for e in entries]
            fixes = []
            for edge in entries:
                child = catalog.tables.get(edge.child)
                constraint = child.constraint(edge.constraint) if child is not None else None
                if child is None or constraint is None or constraint.foreign_key is None:
                    continue
                action = FkAction.SET_NULL if edge.nullable else FkAction.RESTRICT
                fixes.append(fk_clause(child, constraint, constraint.foreign_key, action))
            yield self.finding(
                message,
                where,
                objects=[name, root_name, *(e.constraint for e in entries)],
                fix=(
                    "break every path where it enters the preserved tables (SET NULL on a nullable "
                    "column, or RESTRICT), or soft-delete the root row instead: " + " ".join(fixes)
                ),
                details=rendered,
            )


def _entry_edges(paths: tuple[DeletePath, ...], preserved: set[tuple[str, str]]) -> list[FkEdge]:
    """Per path, the first CASCADE edge whose child is a preserved table; deduplicated."""
    found: list[FkEdge] = []
    for path in paths:
        for edge in path.edges:
            if edge.child in preserved:
                if edge not in found:
                    found.append(edge)
                break
    return found
