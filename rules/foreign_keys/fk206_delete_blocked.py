"""FK206: a delete the contract requires is blocked, or leaves rows it should remove."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import FkAction, QualifiedName, display_name
from checker.config import DeleteIntent
from checker.findings import Finding, Location, Severity
from checker.graph import DeletePath, DeletionClosure, FkEdge
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    action_sql,
    cascade_note,
    closure_of,
    edge_location,
    fk_clause,
    nulling_fails,
    root_key,
    tables_matching,
)


@register
class DeleteBlockedRule(Rule):
    """A delete the contract relies on fails, or does not remove what it must.

    What it does:
        For every ``[[contract.delete]]`` intent, follows the ON DELETE actions
        from one deleted row of ``root``. Reports each RESTRICT / NO ACTION
        foreign key on a path (and each SET NULL on a NOT NULL column), which
        makes the delete fail while referencing rows exist; a deferred NO
        ACTION key whose rows the same delete cascades away is a warning. For
        intents with ``removes`` (globs such as ``parlant_*``), also reports
        each such table that no CASCADE path reaches: its rows stay behind.

    Why it matters:
        A workspace or account deletion that fails with a foreign key
        violation (SQLSTATE 23503) in production is an outage of that
        feature, found late because test data rarely has the blocking row.
        Tables the delete does not reach keep rows of a tenant that no longer
        exists: orphans that leak data and break "right to be forgotten".

    Example:
        CREATE TABLE org (id text PRIMARY KEY);
        CREATE TABLE invoice (id text PRIMARY KEY, org_id text NOT NULL REFERENCES org (id));
        CREATE TABLE audit (id text PRIMARY KEY, org_id text NOT NULL);

    Use instead:
        CREATE TABLE org (id text PRIMARY KEY);
        CREATE TABLE invoice (
            id text PRIMARY KEY,
            org_id text NOT NULL REFERENCES org (id) ON DELETE CASCADE
        );
        CREATE TABLE audit (
            id text PRIMARY KEY,
            org_id text NOT NULL REFERENCES org (id) ON DELETE CASCADE
        );

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/sql-set-constraints.html
    """

    meta = RuleMeta(
        "FK206",
        "required-delete-blocked",
        Severity.ERROR,
        "a required delete is blocked or incomplete",
    )
    doc_contract = '[[delete]]\nroot = "org"\nremoves = ["invoice", "audit"]\n'

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for intent in context.settings.contract.deletes:
            root = root_key(intent.root)
            if root not in context.catalog.tables:
                continue  # PS003 reports the name the schema does not have
            closure = closure_of(context, root)
            yield from self._blocking(context, closure)
            if intent.removes:
                yield from self._not_reached(context, intent, closure)

    def _blocking(self, context: RuleContext, closure: DeletionClosure) -> Iterator[Finding]:
        root = display_name(closure.root)
        by_edge: dict[FkEdge, list[DeletePath]] = {}
        for group in closure.blocking.values():
            for path in group:
                by_edge.setdefault(path.edges[-1], []).append(path)
        for group in closure.set_null.values():
            for path in group:
                if nulling_fails(context.catalog, path.edges[-1]):
                    by_edge.setdefault(path.edges[-1], []).append(path)
        for edge, paths in sorted(
            by_edge.items(), key=lambda item: (item[0].child, item[0].constraint)
        ):
            child = display_name(edge.child)
            parent = display_name(edge.parent)
            columns = ", ".join(edge.columns)
            cascaded = edge.child in closure.deleted
            severity = Severity.ERROR
            if edge.on_delete in (FkAction.SET_NULL, FkAction.SET_DEFAULT):
                outcome = f"fails with a not-null violation (23502): {child}.{columns} is NOT NULL"
            elif edge.on_delete is FkAction.NO_ACTION and edge.initially_deferred and cascaded:
                severity = Severity.WARNING
                outcome = (
                    f"fails at COMMIT (the check is deferred) unless the {child} rows that "
                    f"reference the deleted {parent} rows are among those the same delete "
                    "cascades away"
                )
            else:
                state = "23001" if edge.on_delete is FkAction.RESTRICT else "23503"
                outcome = (
                    f"fails ({state}) while {child} rows reference the deleted {parent} rows "
                    f"through ({columns})"
                )
                if cascaded:
                    outcome += cascade_note(edge, closure)
            rendered = [p.render() for p in paths]
            table = context.catalog.tables.get(edge.child)
            constraint = table.constraint(edge.constraint) if table is not None else None
            fix = None
            if table is not None and constraint is not None and constraint.foreign_key is not None:
                fix = (
                    f"delete the referencing rows with the parent (or keep them with SET NULL on "
                    f"a nullable column): "
                    f"{fk_clause(table, constraint, constraint.foreign_key, FkAction.CASCADE)}"
                )
            yield self.finding(
                f"deleting one {root} row {outcome}: {edge.constraint} is ON DELETE "
                f"{action_sql(edge.on_delete)}, on the path " + "; ".join(rendered),
                edge_location(edge),
                severity=severity,
                objects=[root, child, edge.constraint],
                fix=fix,
                details=rendered,
            )

    def _not_reached(
        self, context: RuleContext, intent: DeleteIntent, closure: DeletionClosure
    ) -> Iterator[Finding]:
        catalog = context.catalog
        root = display_name(closure.root)
        targets = tables_matching(catalog, intent.removes)  # PS003 reports those matching none
        for table in targets:
            if table == closure.root or table in closure.deleted or table in closure.blocking:
                continue
            name = display_name(table)
            nulled: tuple[DeletePath, ...] = closure.set_null.get(table, ())
            if nulled:
                via = "; ".join(p.render() for p in nulled)
                outcome = f"its rows stay, with the reference set to NULL ({via})"
            else:
                outcome = "no CASCADE path leads there: its rows stay behind as orphans"
            where: QualifiedName = table
            origin = catalog.tables[where].origin
            yield self.finding(
                f"deleting one {root} row must remove {name} rows (contract), but {outcome}",
                Location.of(origin),
                objects=[root, name],
                fix=(
                    f"reference {root} (or a table it cascades to) from {name} with ON DELETE "
                    f"CASCADE, or delete the {name} rows explicitly before the {root} row"
                ),
            )
