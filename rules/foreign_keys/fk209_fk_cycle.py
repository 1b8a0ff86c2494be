"""FK209: foreign keys that form a cycle between tables."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import FkAction, display_name, quote, relation_sql
from checker.findings import Finding, Severity
from checker.graph import FkEdge
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import action_sql, columns_sql, edge_location

_BLOCKING = (FkAction.NO_ACTION, FkAction.RESTRICT)


@register
class ForeignKeyCycleRule(Rule):
    """Foreign keys form a cycle through two or more tables.

    What it does:
        Reports every elementary cycle of foreign keys through two or more
        tables, naming each constraint with its ON DELETE action and whether
        it is DEFERRABLE, and says what deleting a row of each table does to
        the cycle. A table that references itself (a tree) is not reported.

    Why it matters:
        Rows in a cycle cannot be inserted one at a time when every key is NOT
        NULL and checked immediately: the first row has nothing to point at.
        Deleting is as fragile: with CASCADE all around, deleting any row may
        remove the whole connected set; with RESTRICT or NO ACTION on the
        way, the delete fails until a reference is cleared first; with mixed
        actions, the outcome depends on which table you start from. Making
        one key DEFERRABLE INITIALLY DEFERRED (or nullable) gives the
        cycle a well-defined entry point.

    Example:
        CREATE TABLE team (id text PRIMARY KEY, lead_id text NOT NULL);
        CREATE TABLE player (
            id text PRIMARY KEY,
            team_id text NOT NULL REFERENCES team (id) ON DELETE CASCADE
        );
        ALTER TABLE team ADD CONSTRAINT team_lead_fk FOREIGN KEY (lead_id) REFERENCES player (id);

    Use instead:
        CREATE TABLE team (id text PRIMARY KEY);
        CREATE TABLE player (
            id text PRIMARY KEY,
            team_id text NOT NULL REFERENCES team (id) ON DELETE CASCADE,
            is_lead boolean NOT NULL DEFAULT false
        );

    References:
        https://www.postgresql.org/docs/current/sql-set-constraints.html
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
    """

    meta = RuleMeta("FK209", "fk-cycle", Severity.WARNING, "foreign keys form a cycle")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for cycle in context.graph.cycles():
            if len({edge.child for edge in cycle}) < 2:
                continue
            # Start at the smallest edge so the primary location does not depend on the search.
            first = min(range(len(cycle)), key=lambda i: (cycle[i].child, cycle[i].constraint))
            yield self._finding(cycle[first:] + cycle[:first])

    def _finding(self, cycle: list[FkEdge]) -> Finding:
        tables = [display_name(edge.child) for edge in cycle]
        ring = " → ".join([*tables, tables[0]])
        described = []
        for edge in cycle:
            deferral = (
                "DEFERRABLE INITIALLY DEFERRED"
                if edge.initially_deferred
                else "DEFERRABLE"
                if edge.deferrable
                else "not deferrable"
            )
            null = "nullable" if edge.nullable else "NOT NULL"
            described.append(
                f"{edge.constraint} ({display_name(edge.child)}.{','.join(edge.columns)} → "
                f"{display_name(edge.parent)}, ON DELETE {action_sql(edge.on_delete)}, "
                f"{deferral}, {null})"
            )
        entry = next((e for e in cycle if e.initially_deferred or e.nullable), None)
        if entry is None:
            insert = (
                "no row can be inserted first: every key is NOT NULL and checked at once, so "
                "only a single statement (data-modifying CTEs) or SET CONSTRAINTS on a "
                "DEFERRABLE key works"
            )
        elif entry.initially_deferred:
            insert = (
                f"rows go in inside one transaction, {entry.constraint} being checked at COMMIT"
            )
        else:
            insert = (
                f"rows go in by leaving {display_name(entry.child)}.{','.join(entry.columns)} "
                f"NULL first and setting it afterwards"
            )
        deletes = []
        size = len(cycle)
        for position, edge in enumerate(cycle):
            # Deleting a row of edge.parent acts on edge.child, then on whatever references
            # edge.child in the ring: the ring is walked backwards.
            ring_edges = [cycle[(position - step) % size] for step in range(size)]
            start = display_name(edge.parent)
            child = display_name(edge.child)
            if all(e.on_delete is FkAction.CASCADE for e in ring_edges):
                deletes.append(f"deleting one {start} row cascades all the way around the cycle")
            elif edge.on_delete in _BLOCKING:
                deletes.append(
                    f"deleting one {start} row fails while {child} rows reference it "
                    f"({edge.constraint})"
                )
            elif edge.on_delete is FkAction.CASCADE:
                stop = next(e for e in ring_edges if e.on_delete is not FkAction.CASCADE)
                ends = "fails at" if stop.on_delete in _BLOCKING else "stops at"
                deletes.append(
                    f"deleting one {start} row cascades into {child} and {ends} "
                    f"{stop.constraint} ({action_sql(stop.on_delete)})"
                )
            else:
                deletes.append(
                    f"deleting one {start} row sets {child}.{','.join(edge.columns)} "
                    f"({action_sql(edge.on_delete)}) and stops there"
                )
        target = next((e for e in cycle if e.nullable), cycle[0])
        fix = (
            f"ALTER TABLE {relation_sql(target.child)} ALTER CONSTRAINT {quote(target.constraint)} "
            f"DEFERRABLE INITIALLY DEFERRED; or drop one key of the cycle (e.g. model "
            f"{display_name(target.child)}.({columns_sql(target.columns)}) as a flag on the "
            "other side)"
        )
        return self.finding(
            f"foreign key cycle {ring}: "
            + "; ".join(described)
            + f"; {insert}; "
            + "; ".join(deletes),
            [edge_location(edge) for edge in cycle],
            objects=[*tables, *(edge.constraint for edge in cycle)],
            fix=fix,
            details=deletes,
        )
