"""The HTML report's table panels (one per table: columns, indexes, constraints, keys
both ways, triggers, views, findings, history) and its lists of the other objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from checker.catalog import (
    Column,
    Constraint,
    Index,
    QualifiedName,
    Table,
    Trigger,
    display_name,
)
from checker.findings import Location, Severity
from checker.model import Layer, Origin, SourceFile
from reports.common import position
from reports.html.model import (
    FindingRow,
    PanelRow,
    SchemaObjects,
    TablePanel,
    node_key,
    table_layer,
)

if TYPE_CHECKING:
    from checker.engine import CheckResult


@dataclass(frozen=True, slots=True)
class TableHistory:
    """Per table display name: the origin that created it, the last one that changed
    it (itself, a column, a constraint or an index), what the change (a non-base
    statement) did to each object name: "added" or "altered", and what the change
    dropped from each table (its columns and constraints; whole tables under "")."""

    created: Mapping[str, Origin]
    last: Mapping[str, Origin]
    marks: Mapping[str, str]
    dropped: Mapping[str, Sequence[str]]


def _where(origin: Origin | None, files: Mapping[str, SourceFile]) -> str:
    if origin is None or not origin.file:
        return ""
    pos = position(Location.of(origin), files)
    return f"{pos.path}:{pos.line}"


def _default_text(column: Column) -> str:
    if column.identity is not None:
        return f"generated {column.identity.value} as identity"
    if column.generated is not None:
        return f"generated always as ({column.generated}) stored"
    return column.default or ""


def table_history(result: CheckResult) -> TableHistory:
    """What the simulator's events say of each table (see TableHistory)."""
    from pglast import ast

    from checker.simulation import EventKind

    catalog = result.simulation.catalog
    index_table = {index.name: index.table for index in catalog.indexes.values()}
    tables = {display_name(q) for q in catalog.tables}
    created: dict[str, Origin] = {}
    last: dict[str, Origin] = {}
    marks: dict[str, str] = {}
    dropped: dict[str, list[str]] = {}
    changing = {EventKind.CREATED, EventKind.ALTERED, EventKind.RENAMED, EventKind.COMMENTED}
    index_owner: dict[str, str] = {}  # every index ever created -> its table's name
    for event in result.simulation.events:
        if event.object_kind == "index" and event.kind is EventKind.CREATED:
            # CREATE INDEX, and CREATE/ALTER TABLE with a primary key or unique constraint
            node = event.statement.node
            if isinstance(node, ast.IndexStmt | ast.CreateStmt | ast.AlterTableStmt):
                relation = node.relation
                if relation is not None and relation.relname:
                    schema = relation.schemaname or "public"
                    index_owner[event.name] = display_name((schema, str(relation.relname)))
        if event.kind is EventKind.DROPPED and event.statement.statement.layer is not Layer.BASE:
            owner, _, own = event.name.rpartition(".")
            if event.object_kind == "index" and index_owner.get(event.name) in tables:
                table_name = index_owner[event.name]
                dropped.setdefault(table_name, []).append(f"index {own or event.name}")
                marks.setdefault(table_name, "altered")
                continue
            if event.object_kind == "table" and event.name not in tables:
                dropped.setdefault("", []).append(event.name)
            elif event.object_kind in ("column", "constraint") and owner in tables:
                dropped.setdefault(owner, []).append(f"{event.object_kind} {own}")
                marks.setdefault(owner, "altered")
            continue
        if event.kind not in changing:
            continue
        name = event.name
        if event.object_kind == "table":
            table = name
        elif event.object_kind == "index" and name.rpartition(".")[2] in index_table:
            table = display_name(index_table[name.rpartition(".")[2]])
        else:
            table = name.rpartition(".")[0]
        if table not in tables:
            continue
        origin = event.statement.statement.origin
        if event.object_kind == "table" and event.kind is EventKind.CREATED:
            created.setdefault(table, origin)
        else:
            last[table] = origin
        if event.statement.statement.layer is not Layer.BASE:
            mark = "added" if event.kind is EventKind.CREATED else "altered"
            if marks.get(name) != "added":
                marks[name] = mark
            if table != name and marks.get(table) != "added":
                marks[table] = "altered"
    return TableHistory(created, last, marks, dropped)


def table_panels(
    result: CheckResult,
    files: Mapping[str, SourceFile],
    rows: Sequence[FindingRow],
    history: TableHistory,
) -> tuple[TablePanel, ...]:
    """Every table's panel, alphabetically."""
    from reports.catalog_report import constraint_definition, index_definition

    catalog = result.simulation.catalog
    graph_layers = {table: table_layer(catalog, table) for table in catalog.tables}
    created, last, marks, dropped = (
        history.created,
        history.last,
        history.marks,
        history.dropped,
    )
    by_table: dict[QualifiedName, list[Index]] = {}
    for index in catalog.indexes.values():
        by_table.setdefault(index.table, []).append(index)
    incoming: dict[QualifiedName, list[tuple[Table, Constraint]]] = {}
    for child, constraint in catalog.foreign_keys():
        details = constraint.foreign_key
        if details is not None:
            incoming.setdefault(details.ref_table, []).append((child, constraint))
    triggers: dict[QualifiedName, list[Trigger]] = {}
    for trigger in catalog.triggers.values():
        triggers.setdefault(trigger.table, []).append(trigger)
    views: dict[tuple[str, str], list[str]] = {}
    for view in catalog.views.values():
        for read in view.reads:
            views.setdefault(read.table, []).append(display_name((view.schema, view.name)))
    named: dict[str, list[FindingRow]] = {}
    for row in rows:
        for obj in row.objects:
            for head in {obj, obj.rpartition(".")[0]}:
                if head:
                    named.setdefault(head, []).append(row)
    panels = []
    for qualified in sorted(catalog.tables, key=lambda q: (display_name(q), q)):
        table = catalog.tables[qualified]
        name = display_name(qualified)
        # The parts of a table the change creates are the change's too (CREATE TABLE
        # says so once, for the table).
        part_default = "added" if marks.get(name) == "added" else ""
        columns = tuple(
            PanelRow(
                column.name,
                (
                    column.type.render(),
                    "not null" if column.not_null else "null",
                    _default_text(column),
                    column.comment or "",
                ),
                marks.get(f"{name}.{column.name}", part_default),
            )
            for column in table.columns
        )
        indexes = tuple(
            PanelRow(
                index.name,
                (index_definition(index, table), index.comment or ""),
                marks.get(display_name((index.schema, index.name)), "")
                or marks.get(index.name, part_default),
            )
            for index in sorted(by_table.get(qualified, []), key=lambda i: i.name)
        )
        constraints = tuple(
            PanelRow(
                c.name,
                (c.kind.value, constraint_definition(c)),
                marks.get(f"{name}.{c.name}", part_default),
            )
            for c in sorted(table.constraints, key=lambda c: (c.kind.value, c.name))
            if c.kind.value != "foreign key"
        )
        outgoing = tuple(
            PanelRow(
                c.name,
                (
                    ", ".join(c.columns),
                    display_name(c.foreign_key.ref_table),
                    ", ".join(c.foreign_key.ref_columns),
                    c.foreign_key.on_delete.value.upper(),
                ),
                marks.get(f"{name}.{c.name}", part_default),
            )
            for c in sorted(table.foreign_keys, key=lambda c: c.name)
            if c.foreign_key is not None
        )
        incoming_rows = tuple(
            PanelRow(
                c.name,
                (
                    display_name(child.qualified),
                    ", ".join(c.columns),
                    ", ".join(c.foreign_key.ref_columns) if c.foreign_key else "",
                    c.foreign_key.on_delete.value.upper() if c.foreign_key else "",
                ),
                marks.get(f"{display_name(child.qualified)}.{c.name}", ""),
            )
            for child, c in sorted(
                incoming.get(qualified, []), key=lambda pair: (pair[0].qualified, pair[1].name)
            )
        )
        trigger_rows = tuple(
            PanelRow(
                trigger.name,
                (
                    f"{trigger.timing} {' or '.join(trigger.events)}".strip().upper(),
                    "for each row" if trigger.for_each_row else "for each statement",
                    display_name(trigger.function) if trigger.function else "",
                ),
            )
            for trigger in sorted(triggers.get(qualified, []), key=lambda t: t.name)
        )
        # One link per rule (to its first finding here), with the count: a busy table
        # is named by dozens of findings, which the list below shows in full.
        by_rule: dict[tuple[str, str], list[FindingRow]] = {}
        for row in named.get(name, []):
            group = by_rule.setdefault((row.code, row.severity), [])
            if row not in group:
                group.append(row)
        ranks = {s.value: s.rank for s in Severity}
        findings = [
            (members[0].anchor, severity, code, len(members))
            for (code, severity), members in sorted(
                by_rule.items(), key=lambda item: (-ranks.get(item[0][1], 0), item[0][0])
            )
        ]
        column_header, columns = _without_empty(
            ("Column", "Type", "Null", "Default", "Comment"), columns
        )
        index_header, indexes = _without_empty(("Index", "Definition", "Comment"), indexes)
        panels.append(
            TablePanel(
                key=node_key(qualified),
                name=name,
                layer=graph_layers[qualified],
                comment=table.comment or "",
                created=_where(created.get(name) or table.origin, files),
                changed_at=_where(last.get(name), files),
                changed=marks.get(name, ""),
                dropped=tuple(dict.fromkeys(dropped.get(name, ()))),
                columns=columns,
                indexes=indexes,
                constraints=constraints,
                outgoing=outgoing,
                incoming=incoming_rows,
                triggers=trigger_rows,
                views=tuple(sorted(set(views.get(qualified, [])))),
                findings=tuple(findings),
                column_header=column_header,
                index_header=index_header,
            )
        )
    return tuple(panels)


def _without_empty(
    header: tuple[str, ...], rows: tuple[PanelRow, ...]
) -> tuple[tuple[str, ...], tuple[PanelRow, ...]]:
    """Leave out the cells that are empty on every row (no column has a comment, say)."""
    keep = [i for i in range(len(header) - 1) if any(row.cells[i] for row in rows)]
    if len(keep) == len(header) - 1:
        return header, rows
    return (
        (header[0], *(header[i + 1] for i in keep)),
        tuple(replace(row, cells=tuple(row.cells[i] for i in keep)) for row in rows),
    )


def schema_objects(result: CheckResult) -> SchemaObjects:
    """The enums, functions, triggers and views, each a list of its own."""
    catalog = result.simulation.catalog
    enums = tuple(
        PanelRow(display_name(q), (", ".join(e.labels), e.comment or ""))
        for q, e in sorted(catalog.enums.items())
    )
    functions = tuple(
        PanelRow(
            f"{display_name((f.schema, f.name))}({f.arguments})",
            (
                "procedure" if f.is_procedure else f"returns {f.returns or 'void'}",
                f.language or "",
                ", ".join(
                    part
                    for part in (
                        f.volatility or "",
                        "security definer" if f.security_definer else "",
                    )
                    if part
                ),
            ),
        )
        for _, f in sorted(catalog.functions.items())
    )
    triggers = tuple(
        PanelRow(
            t.name,
            (
                display_name(t.table),
                f"{t.timing} {' or '.join(t.events)}".strip().upper(),
                display_name(t.function) if t.function else "",
            ),
        )
        for _, t in sorted(catalog.triggers.items())
    )
    views = tuple(
        PanelRow(
            display_name(q),
            (
                "materialized view" if v.materialized else "view",
                ", ".join(sorted({display_name(r.table) for r in v.reads})),
            ),
        )
        for q, v in sorted(catalog.views.items())
    )
    return SchemaObjects(enums, functions, triggers, views)
