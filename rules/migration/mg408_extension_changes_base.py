"""MG408: the extension alters, drops or renames an object the base created."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.model import Layer
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import ast
from rules.migration._history import Creation, History, replay, table_name

_CHANGES = (EventKind.ALTERED, EventKind.DROPPED, EventKind.RENAMED)
# Objects named "table.part" belong to the table.
_TABLE_PARTS = frozenset({"column", "constraint", "trigger"})


@register
class ExtensionChangesBaseRule(Rule):
    """The extension changes an object of the base schema.

    What it does:
        Where the contract declares the extension additive-only
        (``additive_only = true`` under ``[contract]``), reports every
        statement of the extension layer that alters, drops or renames a
        table, column, constraint, index, type or other object the base layer
        created, and every index or trigger it adds to a base table. Without
        that declaration the rule is silent: the next migration of the same
        project may change what it likes. Foreign keys from extension tables to base tables are not
        reported here: they change the extension's table (the lock they take
        on the base table is MG409's subject).

    Why it matters:
        An additive extension can be installed, upgraded and removed without
        touching the application it extends. Once it changes base objects,
        the base's own migrations and ORM schema no longer describe the
        database: a later base migration can fail on the changed object, and
        ``drizzle-kit push`` proposes to undo the change. Drops and renames
        break the base application at once.

    Example:
        ALTER TABLE account ADD COLUMN agent_enabled boolean DEFAULT false;

    Use instead:
        CREATE TABLE ext_account_settings (
            account_id text PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
            agent_enabled boolean NOT NULL DEFAULT false
        );

    References:
        https://www.postgresql.org/docs/current/ddl-alter.html
        https://orm.drizzle.team/docs/drizzle-kit-push
    """

    meta = RuleMeta(
        "MG408",
        "extension-changes-base",
        Severity.WARNING,
        "extension alters or drops a base object",
        resumable=True,
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text);"
    doc_contract = "additive_only = true"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if not context.settings.contract.additive_only:
            return
        for parsed, history, events in replay(context):
            if parsed.statement.layer is not Layer.EXTENSION:
                continue
            reported = False
            for event in events:
                if event.kind not in _CHANGES:
                    continue
                owner = self._owner(history, event)
                if owner is not None and owner[1].layer is Layer.BASE:
                    reported = True
                    yield self._changed(event, owner[0], owner[1])
            if not reported:
                yield from self._added_to_base_table(parsed, history)

    @staticmethod
    def _owner(history: History, event: SimEvent) -> tuple[str, Creation] | None:
        """The base object an event acts on: the table for columns and constraints."""
        name = event.name
        if event.object_kind in _TABLE_PARTS and "." in name:
            own = history.created(event.object_kind, name)
            if own is not None and own.layer is not Layer.BASE:
                return None  # a column or constraint the change added (reported there)
            name = name.rsplit(".", 1)[0]
            creation = history.created("table", name)
            return (f"table {name}", creation) if creation else None
        kind = "table" if event.object_kind == "relation" else event.object_kind
        creation = history.created(kind, name)
        return (f"{event.object_kind} {name}", creation) if creation else None

    def _changed(self, event: SimEvent, owner: str, creation: Creation) -> Finding:
        verb = {EventKind.DROPPED: "drops", EventKind.RENAMED: "renames"}.get(event.kind, "alters")
        what = f"{event.object_kind} {event.name}"
        action = f" ({event.action})" if event.action else ""
        if event.detail and event.kind is EventKind.RENAMED:
            action = f" to {event.detail}"
        part = "" if what == owner else f" of base {owner}"
        breaking = event.kind is not EventKind.ALTERED
        if event.object_kind == "index" and event.kind is EventKind.DROPPED:
            effect = "the base's queries lose the index it planned for"
        elif event.kind is EventKind.RENAMED:
            effect = "the base application's statements that use the old name fail"
        elif breaking:
            effect = "the base application's statements that use it fail"
        else:
            effect = "the base's migrations and drizzle schema no longer describe it"
        return self.finding(
            f"the extension {verb} {what}{action}{part}, created by the base: the extension "
            f"is no longer additive, and {effect}",
            [Location.of(event.origin), Location.of(creation.origin, "created by the base here")],
            severity=Severity.ERROR if breaking else Severity.WARNING,
            objects=[event.name],
            fix="leave base objects as they are: keep extension data in extension tables "
            "that reference the base (a 1:1 side table instead of a new base column)",
        )

    def _added_to_base_table(self, parsed: ParsedStatement, history: History) -> Iterator[Finding]:
        node = parsed.node
        if isinstance(node, ast.IndexStmt):
            what = f"index {node.idxname or '(unnamed)'}"
        elif isinstance(node, ast.CreateTrigStmt):
            what = f"trigger {node.trigname}"
        else:
            return
        table = table_name(node.relation)
        creation = history.created("table", table)
        if creation is None or creation.layer is not Layer.BASE:
            return
        start = parsed.origin.start + max(0, node.relation.location)
        yield self.finding(
            f"the extension adds {what} to base table {table}: the base's migrations and drizzle "
            "schema do not know it, so drizzle-kit push proposes to drop it and a later base "
            "migration can collide with it",
            [
                parsed.origin.narrowed(start, start + len(str(node.relation.relname))),
                Location.of(creation.origin, "created by the base here"),
            ],
            objects=[table, what],
            fix="propose the index or trigger to the base schema instead, or document it in "
            "the contract as an agreed change",
        )
