"""FK207: deleting one row cascades into high-volume tables."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import QualifiedName, display_name
from checker.findings import Finding, Location, Severity
from checker.graph import DeletePath
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import closure_of, edge_location, format_rows, root_key

# Rows per day (contract volumes) from which a cascaded table is worth naming,
# and from which the cascade is a warning rather than information.
NOTABLE_VOLUME = 10_000
HIGH_VOLUME = 100_000
HISTORY_DAYS = (30, 365)


@register
class CascadeBlastRadiusRule(Rule):
    """Deleting one row of a root table cascades into high-volume tables.

    What it does:
        For each root table of the contract's ``[[contract.delete]]`` intents,
        follows the CASCADE chains from one deleted row and names every table
        it reaches whose contract volume is at least 10,000 rows per day,
        with the projected number of rows one delete can remove: the contract
        gives the whole table's rate, so one root row owns at most that many
        rows per day of history (shown for 30 days and a year). Warning from
        100,000 rows per day, information below.

    Why it matters:
        A cascade runs inside the single DELETE statement: every row it removes
        is deleted, WAL-logged and (with triggers and indexes) maintained in
        one transaction that holds its row locks until it ends. Deleting a
        busy workspace can then remove tens of millions of event rows at
        once: long locks, replication lag, a statement timeout that rolls it
        all back. Batched deletion, or soft deletion with background purging,
        keeps each transaction small.

    Example:
        CREATE TABLE room (id text PRIMARY KEY);
        CREATE TABLE message (
            id text PRIMARY KEY,
            room_id text NOT NULL REFERENCES room (id) ON DELETE CASCADE
        );

    Use instead:
        CREATE TABLE room (id text PRIMARY KEY, deleted_at timestamp);
        CREATE TABLE message (id text PRIMARY KEY, room_id text NOT NULL REFERENCES room (id));

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/sql-delete.html
    """

    meta = RuleMeta(
        "FK207",
        "cascade-blast-radius",
        Severity.WARNING,
        "a delete cascades into high-volume tables",
    )
    doc_contract = (
        '[volumes]\nmessage = 500000\n\n[[delete]]\nroot = "room"\nremoves = ["message"]\n'
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        contract = context.settings.contract
        roots: list[QualifiedName] = []
        for intent in contract.deletes:
            key = root_key(intent.root)
            if key in context.catalog.tables and key not in roots:
                roots.append(key)
        for root in roots:
            closure = closure_of(context, root)
            reached: list[tuple[int, QualifiedName, tuple[DeletePath, ...]]] = []
            for table, paths in closure.deleted.items():
                volume = contract.volume_of(table[1])
                if volume is not None and volume >= NOTABLE_VOLUME and table != root:
                    reached.append((volume, table, paths))
            if not reached:
                continue
            reached.sort(key=lambda item: (-item[0], item[1]))
            yield self._finding(root, reached)

    def _finding(
        self, root: QualifiedName, reached: list[tuple[int, QualifiedName, tuple[DeletePath, ...]]]
    ) -> Finding:
        root_name = display_name(root)
        total = sum(volume for volume, _, _ in reached)
        parts = []
        for volume, table, paths in reached:
            projections = ", ".join(
                f"{format_rows(volume * days)} after {days} days" for days in HISTORY_DAYS
            )
            parts.append(
                f"{display_name(table)} ({format_rows(volume)} rows/day: up to {projections}; "
                f"via {paths[0].render()})"
            )
        top_volume, top_table, top_paths = reached[0]
        shortest = min(top_paths, key=lambda p: len(p.edges))
        where: list[Location] = [
            edge_location(shortest.edges[0], f"first CASCADE toward {display_name(top_table)}")
        ]
        where += [edge_location(e) for e in shortest.edges[1:]]
        severity = Severity.WARNING if top_volume >= HIGH_VOLUME else Severity.INFO
        chain = " then ".join(
            f"DELETE FROM {display_name(e.child)} WHERE {', '.join(e.columns)} = ... LIMIT-batched"
            for e in reversed(shortest.edges)
        )
        return self.finding(
            f"deleting one {root_name} row cascades into {len(reached)} high-volume "
            f"table{'s' if len(reached) != 1 else ''} in a single statement, up to "
            f"{format_rows(total)} rows per day of history: " + "; ".join(parts),
            where,
            severity=severity,
            objects=[root_name, *(display_name(t) for _, t, _ in reached)],
            fix=(
                f"delete bottom-up in batches of ~10,000 rows, each in its own transaction "
                f"({chain}), before deleting the {root_name} row; or soft-delete {root_name} "
                f"(a deleted_at column) and purge in the background"
            ),
            details=[p.render() for _, _, paths in reached for p in paths],
        )
