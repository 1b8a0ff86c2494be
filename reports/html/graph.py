"""What the HTML report's graph shows: every table, its foreign keys, and the views and
functions that depend on tables (a view reads, a function body uses, a trigger fires);
``reports.html.layout`` places them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from checker.catalog import Catalog, QualifiedName, Trigger, display_name
from checker.findings import Finding
from checker.model import Origin
from reports.html.layout import DependantObject, Dependency, place_graph
from reports.html.model import ACTION_CLASS, GraphView, layer_order, table_layer

if TYPE_CHECKING:
    from checker.bodies import BodyUse
    from checker.graph import SchemaGraph

# Above this many tables the whole graph no longer reads at page width: the
# report opens on the extension's tables and their direct neighbours instead.
FOCUS_DEFAULT_ABOVE = 40
_ACTION_LABELS = {
    "cascade": "ON DELETE CASCADE",
    "setnull": "SET NULL",
    "setdefault": "SET DEFAULT",
    "restrict": "RESTRICT",
    "noaction": "NO ACTION",
}


_DEPENDENCY_LABELS = {
    "reads": "view reads",
    "uses": "function uses",
    "fires": "trigger fires",
    "calls": "function calls",
}


def _dependencies(
    catalog: Catalog,
) -> tuple[dict[tuple[str, ...], DependantObject], tuple[Dependency, ...]]:
    """The views and functions of ``catalog`` and what each depends on: the tables and
    views a view reads, those a function body uses, and each trigger's table -> its
    function (one edge per table and function, naming every trigger)."""
    from checker.bodies import analyse_functions, used_tables
    from reports.catalog_report import trigger_definition

    objects: dict[tuple[str, ...], DependantObject] = {}
    edges: list[Dependency] = []

    def layer_of(origin: Origin) -> str:
        return origin.layer.value if origin.file else "base"

    def end(name: QualifiedName) -> tuple[str, ...] | None:
        if name in catalog.tables:
            return name
        if name in catalog.views:
            return ("view", *name)
        return None

    for qualified, view in sorted(catalog.views.items()):
        key: tuple[str, ...] = ("view", *qualified)
        label = display_name(qualified)
        what = "materialized view" if view.materialized else "view"
        reads = [display_name(read.table) for read in view.reads]
        objects[key] = DependantObject(
            key, "view", label, layer_of(view.origin), f"{what} {label}: reads {', '.join(reads)}"
        )
        for read in view.reads:
            target = end(read.table)
            if target is None or target == key:
                continue
            read_columns = ", ".join(read.columns)
            title = f"{label} reads {display_name(read.table)}"
            if read_columns:
                title += f" ({read_columns})"
            edges.append(Dependency(key, target, "reads", title, ""))
    functions: dict[tuple[str, str], tuple[str, ...]] = {}
    analysed = analyse_functions(catalog)
    for function, _analysis, _triggers in analysed:
        key = ("function", function.schema, function.name, function.arguments)
        if not function.arguments or function.qualified not in functions:
            functions[function.qualified] = key
    for function, analysis, _triggers in analysed:
        key = ("function", function.schema, function.name, function.arguments)
        if not function.arguments or function.qualified not in functions:
            functions[function.qualified] = key
        what = "procedure" if function.is_procedure else "function"
        uses = used_tables(analysis.uses)
        used = ", ".join(display_name(table) for table in uses) or "no table"
        objects[key] = DependantObject(
            key,
            "function",
            function.label,
            layer_of(function.origin),
            f"{what} {function.label}: uses {used}",
        )
        for table, columns in uses.items():
            target = end(table)
            if target is None:
                continue
            text = f"{function.label} uses {display_name(table)}"
            if columns:
                text += f" ({', '.join(columns)})"
            edges.append(Dependency(key, target, "uses", text, ""))
        for callee in _called(analysis.uses, function.schema, functions):
            if callee != key:
                title = f"{function.label} calls {callee[2]}()"
                edges.append(Dependency(key, callee, "calls", title, ""))
    fired: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Trigger]] = {}
    for _, trigger in sorted(catalog.triggers.items()):
        source = end(trigger.table)
        target = functions.get(trigger.function) if trigger.function else None
        if source is not None and target is not None:
            fired.setdefault((source, target), []).append(trigger)
    for (source, target), triggers in fired.items():
        names = ", ".join(trigger.name for trigger in triggers)
        title = "; ".join(f"trigger {t.name}: {trigger_definition(t)}" for t in triggers)
        edges.append(Dependency(source, target, "fires", title, names))
    return objects, tuple(edges)


def _called(
    uses: Sequence[BodyUse],
    schema: str,
    functions: dict[tuple[str, str], tuple[str, ...]],
) -> list[tuple[str, ...]]:
    """The schema's functions a body calls, once each in order of first call: a call
    names a function without its schema, so the caller's schema is tried, then public."""
    from checker.bodies import UseKind

    called: list[tuple[str, ...]] = []
    for use in uses:
        if use.kind is not UseKind.FUNCTION or not use.found:
            continue
        target = functions.get((schema, use.name)) or functions.get(("public", use.name))
        if target is not None and target not in called:
            called.append(target)
    return called


def graph_view(graph: SchemaGraph, findings: Sequence[Finding]) -> GraphView | None:
    """The tables, their foreign keys and what depends on them, laid out once for every
    table and, in a larger schema with an extension, once for the extension's part."""
    catalog = graph.catalog
    tables = sorted(catalog.tables)
    if not tables:
        return None
    objects, dependencies = _dependencies(catalog)
    edges = sorted(graph.edges(), key=lambda e: (e.child, e.parent, e.constraint))
    finding_counts: dict[str, int] = {}
    for finding in findings:
        for obj in finding.objects:
            head = obj.split(".")[-2] if obj.count(".") >= 1 else obj
            finding_counts[head] = finding_counts.get(head, 0) + 1
    layers = {table: table_layer(catalog, table) for table in tables}
    everything = place_graph(
        "all",
        catalog,
        tables,
        edges,
        layers,
        finding_counts,
        edges,
        context=frozenset(),
        objects=tuple(objects.values()),
        dependencies=dependencies,
    )
    layouts = [everything]
    own = {t for t in tables if layers[t] != "base"}
    neighbours = {e.parent for e in edges if e.child in own} | {
        e.child for e in edges if e.parent in own
    }
    focus = sorted(own | neighbours)
    if own and len(focus) < len(tables):
        focus_set = set(focus)
        focus_edges = [e for e in edges if e.child in focus_set and e.parent in focus_set]
        # the views and functions that depend on (or are fired by) the extension's tables
        near_own = {d.source for d in dependencies if d.target in own} | {
            d.target for d in dependencies if d.source in own
        }
        layouts.insert(
            0,
            place_graph(
                "focus",
                catalog,
                focus,
                focus_edges,
                layers,
                finding_counts,
                edges,
                context=frozenset(neighbours - own),
                objects=tuple(o for o in objects.values() if o.key in near_own),
                dependencies=dependencies,
            ),
        )
    default = "focus" if len(layouts) > 1 and len(tables) > FOCUS_DEFAULT_ABOVE else "all"
    action_counts: dict[str, int] = {}
    for edge in edges:
        action = ACTION_CLASS.get(edge.on_delete.value, "noaction")
        action_counts[action] = action_counts.get(action, 0) + 1
    layer_counts: dict[str, int] = {}
    for table in tables:
        layer_counts[layers[table]] = layer_counts.get(layers[table], 0) + 1
    return GraphView(
        layouts=tuple(layouts),
        default=default,
        actions=tuple(
            (css, label, action_counts.get(css, 0)) for css, label in _ACTION_LABELS.items()
        ),
        layers=tuple(sorted(layer_counts.items(), key=lambda item: layer_order(item[0]))),
        tables=len(tables),
        foreign_keys=len(edges),
        objects=tuple(
            (kind, count)
            for kind in ("view", "function")
            if (count := sum(1 for o in objects.values() if o.kind == kind))
        ),
        dependencies=tuple(
            (kind, label, count)
            for kind, label in _DEPENDENCY_LABELS.items()
            if (count := sum(1 for d in dependencies if d.kind == kind))
        ),
    )
