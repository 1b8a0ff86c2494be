"""What ``schema-check inspect`` prints: the simulated catalog, table by table
the way psql's ``\\d`` shows one (with its triggers), then its views and functions
with what their bodies use (text), or every object of it (json)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from checker.bodies import analyse_functions, used_tables
from checker.catalog import (
    Catalog,
    Constraint,
    ConstraintKind,
    Function,
    Index,
    QualifiedName,
    Table,
    Trigger,
    TypeRef,
    View,
    display_name,
)
from checker.findings import Location
from checker.model import Origin, SourceFile
from reports.common import position

# -- text ------------------------------------------------------------------------


def render_tables_text(catalog: Catalog) -> list[str]:
    """Every table, sorted by name, as psql's ``\\d`` describes it (triggers too); then
    every view with its columns and what it reads, then the functions."""
    indexes = _indexes_by_table(catalog)
    referenced_by = _referenced_by(catalog)
    triggers = _triggers_by_table(catalog)
    lines: list[str] = []
    for table in sorted(catalog.tables.values(), key=lambda t: t.qualified):
        lines += _describe(table, indexes.get(table.qualified, []), referenced_by)
        lines += _trigger_lines(triggers.get(table.qualified, []))
        lines.append("")
    for view in sorted(catalog.views.values(), key=lambda v: (v.schema, v.name)):
        lines += _describe_view(view, triggers.get((view.schema, view.name), []))
        lines.append("")
    lines += _functions_text(catalog)
    return lines


def _trigger_lines(triggers: Sequence[Trigger]) -> list[str]:
    if not triggers:
        return []
    return [
        "Triggers:",
        *(f"    {trigger.name} {trigger_definition(trigger)}" for trigger in triggers),
    ]


def trigger_definition(trigger: Trigger) -> str:
    """``BEFORE UPDATE OF a ON t FOR EACH ROW EXECUTE FUNCTION f()``, as psql words it."""
    events = []
    for event in trigger.events:
        if event == "update" and trigger.update_columns:
            events.append(f"UPDATE OF {', '.join(trigger.update_columns)}")
        else:
            events.append(event.upper())
    text = f"{trigger.timing.upper()} {' OR '.join(events)} ON {display_name(trigger.table)}"
    for kind, name in trigger.transition_tables:
        text += f" REFERENCING {kind.upper()} TABLE AS {name}"
    text += " FOR EACH ROW" if trigger.for_each_row else " FOR EACH STATEMENT"
    if trigger.when:
        text += f" WHEN ({trigger.when})"
    function = display_name(trigger.function) if trigger.function else "?"
    return f"{text} EXECUTE FUNCTION {function}()"


def _describe_view(view: View, triggers: Sequence[Trigger]) -> list[str]:
    kind = "Materialized view" if view.materialized else "View"
    lines = [f'{kind} "{view.schema}.{view.name}"']
    if view.columns:
        lines += _grid(("Column",), [(column,) for column in view.columns])
    else:
        lines.append("(columns not derived from the query)")
    if view.reads:
        lines.append("Reads:")
        lines += [
            f"    {display_name(read.table)}"
            + (f" ({', '.join(read.columns)})" if read.columns else "")
            for read in view.reads
        ]
    return lines + _trigger_lines(triggers)


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    """What inspect shows of a function: its signature and what its body uses."""

    function: Function
    uses: Mapping[QualifiedName, tuple[str, ...]]  # tables and views, with the columns named
    triggers: tuple[Trigger, ...]  # the triggers that call it
    unresolved: str | None = None  # why the body was not resolved (cannot parse it)


def function_summaries(catalog: Catalog) -> list[FunctionSummary]:
    """Every function, sorted by name and arguments, with its body resolved."""
    return [
        FunctionSummary(function, used_tables(analysis.uses), triggers, analysis.error)
        for function, analysis, triggers in analyse_functions(catalog)
    ]


def _arguments(function: Function) -> str:
    """The parameters as psql's ``\\df`` lists them: mode, name and type."""
    if not function.parameters:
        return function.arguments
    parts = []
    for parameter in function.parameters:
        if parameter.mode == "table":
            continue
        mode = "" if parameter.mode == "in" else f"{parameter.mode.upper()} "
        name = f"{parameter.name} " if parameter.name else ""
        default = " DEFAULT ..." if parameter.has_default else ""
        parts.append(f"{mode}{name}{parameter.type}{default}")
    return ", ".join(parts)


def _functions_text(catalog: Catalog) -> list[str]:
    summaries = function_summaries(catalog)
    if not summaries:
        return []
    rows = []
    for summary in summaries:
        function = summary.function
        uses = "; ".join(
            display_name(table) + (f" ({', '.join(columns)})" if columns else "")
            for table, columns in summary.uses.items()
        )
        if summary.unresolved is not None:
            uses = "(body not parsed)"
        rows.append(
            (
                display_name(function.qualified),
                _arguments(function),
                "(procedure)" if function.is_procedure else function.returns or "",
                function.language or "",
                "definer" if function.security_definer else "invoker",
                function.volatility or "volatile",
                ", ".join(f"{name}={value}" for name, value in function.settings),
                uses,
            )
        )
    header = (
        "Name", "Arguments", "Returns", "Language", "Security", "Volatility", "Settings", "Uses",
    )  # fmt: skip
    lines = ["Functions:", *_grid(header, rows)]
    called = [s for s in summaries if s.triggers]
    if called:
        lines.append("Called by triggers:")
        lines += [
            f"    {display_name(s.function.qualified)}(): "
            + ", ".join(f"{t.name} on {display_name(t.table)}" for t in s.triggers)
            for s in called
        ]
    return [*lines, ""]


def _describe(
    table: Table,
    indexes: list[Index],
    referenced_by: Mapping[QualifiedName, list[tuple[Table, Constraint]]],
) -> list[str]:
    kind = "Partitioned table" if table.partitioning is not None else "Table"
    lines = [f'{kind} "{table.schema}.{table.name}"']
    rows = [
        (
            column.name,
            column.type.render(),
            column.collation or "",
            "not null" if column.not_null else "",
            _column_default(column.default, column.identity, column.generated),
        )
        for column in table.columns
    ]
    lines += _grid(("Column", "Type", "Collation", "Nullable", "Default"), rows)
    if table.partitioning is not None:
        keys = ", ".join(table.partitioning.keys)
        lines.append(f"Partition key: {table.partitioning.strategy.upper()} ({keys})")
    if table.partition_of is not None:
        bound = f" {table.partition_bound}" if table.partition_bound else ""
        lines.append(f"Partition of: {display_name(table.partition_of)}{bound}")
    primary = table.primary_key
    if primary is not None:
        lines += ["Primary key:", f'    "{primary.name}" ({", ".join(primary.columns)})']
    uniques = [c for c in table.constraints if c.kind is ConstraintKind.UNIQUE]
    if uniques:
        lines.append("Unique constraints:")
        lines += [f'    "{c.name}" {constraint_definition(c)}' for c in _by_name(uniques)]
    if indexes:
        lines.append("Indexes:")
        lines += [f'    "{i.name}" {index_definition(i, table)}' for i in indexes]
    checks = table.checks
    if checks:
        lines.append("Check constraints:")
        lines += [f'    "{c.name}" {constraint_definition(c)}' for c in _by_name(checks)]
    foreign = table.foreign_keys
    if foreign:
        lines.append("Foreign-key constraints:")
        lines += [f'    "{c.name}" {constraint_definition(c)}' for c in _by_name(foreign)]
    others = [c for c in table.constraints if c.kind is ConstraintKind.EXCLUDE]
    if others:
        lines.append("Exclusion constraints:")
        lines += [f'    "{c.name}" {constraint_definition(c)}' for c in _by_name(others)]
    incoming = referenced_by.get(table.qualified, [])
    if incoming:
        lines.append("Referenced by:")
        lines += [
            f'    TABLE "{display_name(child.qualified)}" CONSTRAINT "{constraint.name}" '
            f"{constraint_definition(constraint)}"
            for child, constraint in incoming
        ]
    return lines


def _grid(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]


def _column_default(default: str | None, identity: Any, generated: str | None) -> str:
    if identity is not None:
        return f"generated {identity.value} as identity"
    if generated is not None:
        return f"generated always as ({generated}) stored"
    return default or ""


def _by_name(constraints: tuple[Constraint, ...] | list[Constraint]) -> list[Constraint]:
    return sorted(constraints, key=lambda c: c.name)


def constraint_definition(constraint: Constraint) -> str:
    """The constraint as ``pg_get_constraintdef`` words it (near enough)."""
    columns = ", ".join(constraint.columns)
    if constraint.kind is ConstraintKind.CHECK:
        text = f"CHECK ({constraint.expression or ''})"
    elif constraint.kind is ConstraintKind.FOREIGN_KEY and constraint.foreign_key is not None:
        details = constraint.foreign_key
        text = (
            f"FOREIGN KEY ({columns}) REFERENCES {display_name(details.ref_table)}"
            f"({', '.join(details.ref_columns)})"
        )
        if details.match.value != "simple":
            text += f" MATCH {details.match.value.upper()}"
        if details.on_update.value != "no action":
            text += f" ON UPDATE {details.on_update.value.upper()}"
        if details.on_delete.value != "no action":
            text += f" ON DELETE {details.on_delete.value.upper()}"
            if details.delete_set_columns:
                text += f" ({', '.join(details.delete_set_columns)})"
    elif constraint.kind is ConstraintKind.EXCLUDE:
        text = f"EXCLUDE ({constraint.expression or columns})"
    else:
        nulls = " NULLS NOT DISTINCT" if constraint.nulls_not_distinct else ""
        text = f"{constraint.kind.value.upper()}{nulls} ({columns})"
    if constraint.deferrable:
        text += " DEFERRABLE"
        if constraint.initially_deferred:
            text += " INITIALLY DEFERRED"
    if constraint.not_valid:
        text += " NOT VALID"
    return text


_BACKING = {
    ConstraintKind.PRIMARY_KEY: "PRIMARY KEY, ",
    ConstraintKind.UNIQUE: "UNIQUE CONSTRAINT, ",
    ConstraintKind.EXCLUDE: "EXCLUDE CONSTRAINT, ",
}


def index_definition(index: Index, table: Table | None = None) -> str:
    """psql's index line: ``UNIQUE, btree (a, b DESC) INCLUDE (c) WHERE ...``."""
    prefix = ""
    backed = table.constraint(index.constraint) if table and index.constraint else None
    if backed is not None:
        prefix = _BACKING.get(backed.kind, "")
    elif index.unique:
        prefix = "UNIQUE, "
    text = f"{prefix}{index.method} ({', '.join(key.render() for key in index.keys)})"
    if index.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    if index.include:
        text += f" INCLUDE ({', '.join(index.include)})"
    if index.with_options:
        text += f" WITH ({', '.join(f'{k}={v}' for k, v in index.with_options)})"
    if index.predicate:
        text += f" WHERE {index.predicate}"
    return text


def _indexes_by_table(catalog: Catalog) -> dict[QualifiedName, list[Index]]:
    found: dict[QualifiedName, list[Index]] = {}
    for index in catalog.indexes.values():
        found.setdefault(index.table, []).append(index)
    for indexes in found.values():
        indexes.sort(key=lambda i: i.name)
    return found


def _triggers_by_table(catalog: Catalog) -> dict[QualifiedName, list[Trigger]]:
    found: dict[QualifiedName, list[Trigger]] = {}
    for key in sorted(catalog.triggers):
        trigger = catalog.triggers[key]
        found.setdefault(trigger.table, []).append(trigger)
    return found


def _referenced_by(catalog: Catalog) -> dict[QualifiedName, list[tuple[Table, Constraint]]]:
    found: dict[QualifiedName, list[tuple[Table, Constraint]]] = {}
    for table, constraint in catalog.foreign_keys():
        if constraint.foreign_key is not None:
            found.setdefault(constraint.foreign_key.ref_table, []).append((table, constraint))
    for incoming in found.values():
        incoming.sort(key=lambda pair: (pair[0].qualified, pair[1].name))
    return found


# -- json ------------------------------------------------------------------------


def catalog_document(catalog: Catalog, files: Mapping[str, SourceFile]) -> dict[str, Any]:
    """Every object of the catalog as plain JSON data, sorted by name.

    Places are ``{file, line, column}``; types are written as PostgreSQL
    prints them; a table also lists its indexes (with their definition), its
    triggers and the foreign keys that reference it; a function, the tables
    and columns its body uses and the triggers that call it.
    """
    indexes = _indexes_by_table(catalog)
    referenced_by = _referenced_by(catalog)
    triggers = _triggers_by_table(catalog)
    tables = []
    for table in sorted(catalog.tables.values(), key=lambda t: t.qualified):
        entry = _plain(table, files)
        for constraint in entry["constraints"]:
            constraint["definition"] = constraint_definition(
                next(c for c in table.constraints if c.name == constraint["name"])
            )
        entry["indexes"] = [
            {**_plain(index, files), "definition": index_definition(index, table)}
            for index in indexes.get(table.qualified, [])
        ]
        entry["foreign_keys"] = [c for c in entry["constraints"] if c["kind"] == "foreign key"]
        entry["referenced_by"] = [
            {
                "table": display_name(child.qualified),
                "constraint": constraint.name,
                "definition": constraint_definition(constraint),
            }
            for child, constraint in referenced_by.get(table.qualified, [])
        ]
        entry["triggers"] = [
            {"name": trigger.name, "definition": trigger_definition(trigger)}
            for trigger in triggers.get(table.qualified, [])
        ]
        tables.append(entry)

    def listed(objects: Mapping[Any, Any]) -> list[Any]:
        return [_plain(objects[key], files) for key in sorted(objects)]

    return {
        "schemas": sorted(catalog.schemas),
        "tables": tables,
        "enums": listed(catalog.enums),
        "domains": listed(catalog.domains),
        "composite_types": listed(catalog.composites),
        "extensions": listed(catalog.extensions),
        "sequences": listed(catalog.sequences),
        "views": listed(catalog.views),
        "functions": [
            {
                **_plain(summary.function, files),
                "label": summary.function.label,
                "uses": [
                    {"table": display_name(table), "columns": list(columns)}
                    for table, columns in summary.uses.items()
                ],
                "triggers": [
                    {"table": display_name(t.table), "name": t.name} for t in summary.triggers
                ],
                "unresolved": summary.unresolved,
            }
            for summary in function_summaries(catalog)
        ],
        "triggers": [
            {
                **_plain(catalog.triggers[key], files),
                "definition": trigger_definition(catalog.triggers[key]),
            }
            for key in sorted(catalog.triggers)
        ],
        "policies": listed(catalog.policies),
    }


def _plain(value: Any, files: Mapping[str, SourceFile]) -> Any:
    """A catalog value as JSON data: dataclasses as objects (a place as
    file/line/column), types rendered, enums by value, names qualified."""
    if isinstance(value, Origin):
        if not value.file:
            return None
        where = position(Location.of(value), files)
        return {"file": where.path, "line": where.line, "column": where.column}
    if isinstance(value, TypeRef):
        return value.render()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name), files)
            for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(item, files) for item in value]
    if isinstance(value, frozenset):
        return [_plain(item, files) for item in sorted(value)]
    return value
