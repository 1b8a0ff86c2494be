"""Where the HTML report's graph puts each node and how it draws each edge: tables in
rows by foreign-key depth (networkx generations, a barycentre sweep), views and functions
in rows below them; the page needs no layout library and the output never varies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.catalog import Catalog, QualifiedName, display_name
from reports.html.model import (
    ACTION_CLASS,
    GraphEdge,
    GraphLayout,
    GraphNode,
    layer_order,
    node_key,
)

if TYPE_CHECKING:
    from checker.graph import FkEdge

_NODE_HEIGHT = 26.0
_ROW_GAP = 70.0
_NODE_GAP = 14.0
_MAX_ROW_WIDTH = 1500.0
_CHAR_WIDTH = 6.9
_FRAME_WIDTH = 1330.0  # the graph frame's width on a typical screen, for its height


@dataclass(frozen=True, slots=True)
class DependantObject:
    """A view or function drawn in the graph next to the tables it depends on."""

    key: tuple[str, ...]  # ("view", schema, name) | ("function", schema, name, arguments)
    kind: str  # view | function
    label: str
    layer: str
    title: str


@dataclass(frozen=True, slots=True)
class Dependency:
    """An edge that is not a foreign key: a view reads, a body uses, a trigger fires.

    Ends are a table's qualified name or a ``DependantObject.key``."""

    source: tuple[str, ...]
    target: tuple[str, ...]
    kind: str  # reads | uses | fires | calls
    title: str
    label: str


def place_graph(
    name: str,
    catalog: Catalog,
    tables: Sequence[tuple[str, str]],
    edges: Sequence[FkEdge],
    layers: Mapping[tuple[str, str], str],
    finding_counts: Mapping[str, int],
    all_edges: Sequence[FkEdge],
    *,
    context: frozenset[tuple[str, str]],
    objects: Sequence[DependantObject] = (),
    dependencies: Sequence[Dependency] = (),
) -> GraphLayout:
    """Place ``tables`` in rows by foreign-key depth and draw ``edges`` between them;
    then ``objects`` (views, functions) in rows below, each under the tables it
    depends on, with the ``dependencies`` whose both ends are shown."""
    import networkx as nx

    connected = {e.child for e in edges} | {e.parent for e in edges}
    # Depth: parents first. Cycles are collapsed so that the generations exist.
    dag = nx.DiGraph()
    dag.add_nodes_from(t for t in tables if t in connected)
    for edge in edges:
        if edge.child != edge.parent and edge.child in dag and edge.parent in dag:
            dag.add_edge(edge.parent, edge.child)
    condensed = nx.condensation(dag)
    depth: dict[tuple[str, str], int] = {}
    for level, generation in enumerate(nx.topological_generations(condensed)):
        for component in generation:
            for member in condensed.nodes[component]["members"]:
                depth[member] = level
    # Longest-path depth reads better than generations for FK trees: a child sits
    # just below its lowest parent.
    for component in nx.topological_sort(condensed):
        members = condensed.nodes[component]["members"]
        for member in members:
            parents = [p for p in dag.predecessors(member) if p not in members]
            if parents:
                depth[member] = max(depth[member], *(depth[p] + 1 for p in parents))
    levels: dict[int, list[tuple[str, str]]] = {}
    for table in tables:
        if table in depth:
            levels.setdefault(depth[table], []).append(table)
    isolated = [t for t in tables if t not in depth]

    # References of a shown table to or from tables this layout leaves out.
    shown = set(tables)
    hidden: dict[tuple[str, str], int] = {}
    if len(shown) < len(layers):
        for edge in all_edges:
            if (edge.child in shown) != (edge.parent in shown):
                inside = edge.child if edge.child in shown else edge.parent
                hidden[inside] = hidden.get(inside, 0) + 1

    def width_of(table: tuple[str, str]) -> float:
        extra = len(f" +{hidden[table]}") * _CHAR_WIDTH if table in hidden else 0.0
        return max(70.0, len(display_name(table)) * _CHAR_WIDTH + extra + 22.0)

    # Order within a level: barycentre of the parents' positions.
    order: dict[tuple[str, str], float] = {}
    rows: list[list[tuple[str, str]]] = []
    for level in sorted(levels):
        members = levels[level]
        if level == 0:
            members.sort(key=lambda t: (layers[t] != "base", -dag.out_degree(t), t))
        else:
            members.sort(key=lambda t: (_barycentre(dag, t, order), t))
        wrapped = _wrap(members, width_of)
        rows.extend(wrapped)
        for row in wrapped:
            for position_in_row, table in enumerate(row):
                order[table] = position_in_row / max(1, len(row) - 1)
    if isolated:
        isolated.sort(key=lambda t: (layer_order(layers[t]), t))
        rows.extend(_wrap(isolated, width_of))

    widest = max(sum(width_of(t) for t in row) + _NODE_GAP * (len(row) - 1) for row in rows)
    nodes: dict[tuple[str, str], GraphNode] = {}
    y = 20.0
    isolated_set = set(isolated)
    previous_isolated = False
    for row in rows:
        row_isolated = row[0] in isolated_set
        if row_isolated and not previous_isolated:
            y += 24.0  # a gap before the unconnected tables
        previous_isolated = row_isolated
        total = sum(width_of(t) for t in row) + _NODE_GAP * (len(row) - 1)
        x = 20.0 + (widest - total) / 2
        for table in row:
            width = width_of(table)
            label = display_name(table)
            info = catalog.tables[table]
            count = finding_counts.get(label, 0)
            title = f"{label}: {len(info.columns)} columns, {len(info.foreign_keys)} foreign keys"
            title += f", {layers[table]} layer"
            if count:
                title += f"; named by {count} finding{'s' if count != 1 else ''}"
            if hidden.get(table):
                more = hidden[table]
                title += f"; {more} more reference{'s' if more != 1 else ''} to tables not shown"
            nodes[table] = GraphNode(
                key=node_key(table, "f" if name == "focus" else "t"),
                label=label,
                layer=layers[table],
                x=round(x, 1),
                y=round(y, 1),
                width=round(width, 1),
                height=_NODE_HEIGHT,
                columns=len(info.columns),
                findings=count,
                title=title,
                context=table in context,
                hidden_edges=hidden.get(table, 0),
            )
            x += width + _NODE_GAP
        y += _NODE_HEIGHT + _ROW_GAP
    placed: dict[tuple[str, ...], GraphNode] = {}
    placed.update(nodes.items())
    if objects:
        y, widest = _place_objects(name, objects, dependencies, placed, y, widest)
    graph_edges: list[GraphEdge] = []
    Pair = tuple[tuple[str, ...], tuple[str, ...]]
    pair_seen: dict[Pair, int] = {}

    def connect(
        source: GraphNode | None, target: GraphNode | None, pair: Pair, **drawn: str
    ) -> None:
        """An edge between two placed nodes; the nth edge of one pair curves further out."""
        if source is None or target is None:
            return
        nth = pair_seen.get(pair, 0)
        pair_seen[pair] = nth + 1
        path = _edge_path(source, target, nth)
        graph_edges.append(GraphEdge(child=source.key, parent=target.key, path=path, **drawn))

    for edge in edges:
        connect(
            nodes.get(edge.child),
            nodes.get(edge.parent),
            (edge.child, edge.parent),
            action=ACTION_CLASS.get(edge.on_delete.value, "noaction"),
            title=_edge_title(edge),
            label=", ".join(edge.columns),
        )
    for dependency in dependencies:
        connect(
            placed.get(dependency.source),
            placed.get(dependency.target),
            (dependency.source, dependency.target),
            action="dep",
            title=dependency.title,
            label=dependency.label or dependency.kind,
            kind=dependency.kind,
        )
    width = round(widest + 40.0, 1)
    height = round(y - _ROW_GAP + 20.0, 1)
    # The frame shows the layout at (about) the page's width, within bounds.
    natural = height * min(1.0, _FRAME_WIDTH / width)
    return GraphLayout(
        name=name,
        width=width,
        height=height,
        frame_height=round(max(240.0, min(760.0, natural + 24.0))),
        nodes=(
            *(nodes[t] for t in tables if t in nodes),
            *(placed[o.key] for o in objects if o.key in placed),
        ),
        edges=tuple(graph_edges),
    )


def _place_objects(
    layout: str,
    objects: Sequence[DependantObject],
    dependencies: Sequence[Dependency],
    placed: dict[tuple[str, ...], GraphNode],
    y: float,
    widest: float,
) -> tuple[float, float]:
    """Rows of views and functions below the tables, each near the middle of what it
    depends on; returns the next row's y and the widest row."""
    centres = {key: node.x + node.width / 2 for key, node in placed.items()}
    ends: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for dependency in dependencies:
        ends.setdefault(dependency.source, []).append(dependency.target)
        ends.setdefault(dependency.target, []).append(dependency.source)

    def centre_of(item: DependantObject) -> float:
        xs = [centres[other] for other in ends.get(item.key, ()) if other in centres]
        return sum(xs) / len(xs) if xs else widest

    def width_of(item: DependantObject) -> float:
        return max(70.0, len(item.label) * _CHAR_WIDTH + 22.0)

    ordered = sorted(objects, key=lambda o: (centre_of(o), o.kind, o.label))
    rows: list[list[DependantObject]] = [[]]
    used = 0.0
    for item in ordered:
        if rows[-1] and used + width_of(item) > _MAX_ROW_WIDTH:
            rows.append([])
            used = 0.0
        rows[-1].append(item)
        used += width_of(item) + _NODE_GAP
    y += 24.0  # a gap between the tables and what depends on them
    prefix = "fo" if layout == "focus" else "o"
    for row in rows:
        total = sum(width_of(o) for o in row) + _NODE_GAP * (len(row) - 1)
        widest = max(widest, total)
        x = 20.0 + max(0.0, (widest - total) / 2)
        for item in row:
            width = width_of(item)
            placed[item.key] = GraphNode(
                key=node_key(item.key, prefix),
                label=item.label,
                layer=item.layer,
                x=round(x, 1),
                y=round(y, 1),
                width=round(width, 1),
                height=_NODE_HEIGHT,
                columns=0,
                findings=0,
                title=item.title,
                kind=item.kind,
            )
            x += width + _NODE_GAP
        y += _NODE_HEIGHT + _ROW_GAP
    return y, widest


def _barycentre(dag: Any, table: tuple[str, str], order: Mapping[tuple[str, str], float]) -> float:
    placed = [order[p] for p in dag.predecessors(table) if p in order]
    return sum(placed) / len(placed) if placed else 0.5


def _wrap(
    members: list[QualifiedName], width_of: Callable[[QualifiedName], float]
) -> list[list[QualifiedName]]:
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for table in members:
        width = width_of(table)
        if rows[-1] and used + width > _MAX_ROW_WIDTH:
            rows.append([])
            used = 0.0
        rows[-1].append(table)
        used += width + _NODE_GAP
    return rows


def _edge_path(child: GraphNode, parent: GraphNode, nth: int) -> str:
    shift = nth * 6.0
    if child.key == parent.key:
        x = child.x + child.width
        y = child.y + child.height / 2
        return (
            f"M{x:.1f},{y - 6:.1f} C{x + 34 + shift:.1f},{y - 26:.1f} "
            f"{x + 34 + shift:.1f},{y + 26:.1f} {x:.1f},{y + 6:.1f}"
        )
    # Spread the ends over the boxes, towards the other end, so that the
    # references of a much-referenced table do not meet in one point.
    child_centre = child.x + child.width / 2
    parent_centre = parent.x + parent.width / 2
    pull = (parent_centre - child_centre) * 0.25
    x1 = child_centre + max(-child.width / 2 + 6, min(child.width / 2 - 6, pull)) + shift
    x2 = parent_centre + max(-parent.width / 2 + 6, min(parent.width / 2 - 6, -pull)) + shift
    if parent.y < child.y:
        y1, y2 = child.y, parent.y + parent.height
    elif parent.y > child.y:
        y1, y2 = child.y + child.height, parent.y
    else:  # same row: arc above
        y1 = y2 = child.y
        lift = 30.0 + abs(x2 - x1) * 0.15
        top = y1 - lift
        return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{top:.1f} {x2:.1f},{top:.1f} {x2:.1f},{y2:.1f}"
    middle = (y1 + y2) / 2
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"


def _edge_title(edge: FkEdge) -> str:
    text = (
        f"{display_name(edge.child)}({', '.join(edge.columns)}) → "
        f"{display_name(edge.parent)}({', '.join(edge.ref_columns)}) "
        f"ON DELETE {edge.on_delete.value.upper()}"
    )
    if edge.constraint:
        text += f" [{edge.constraint}]"
    if edge.nullable:
        text += ", nullable"
    return text
