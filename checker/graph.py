"""The table/foreign-key graph and what deleting a row does to it.

One node per table, one edge child → parent per foreign key, carrying the
columns, the ON DELETE / ON UPDATE actions, deferrability and whether the
referencing columns may be NULL. The adjacency is kept in plain dicts:
importing networkx costs about 0.1 s, more than a whole static check of a
real schema should take, so it is imported only by the few algorithms that
need it (cycles through several tables, creation order, the ``graph`` view).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from checker.catalog import (
    NO_ORIGIN,
    Catalog,
    FkAction,
    QualifiedName,
    display_name,
)
from checker.model import Origin

if TYPE_CHECKING:
    import networkx as nx

# Enough paths to show every distinct way a table is reached in real schemas,
# few enough that a table referenced from everywhere cannot explode the search.
MAX_PATHS_PER_TABLE = 16
MAX_EXPANSIONS = 200_000


@dataclass(frozen=True, slots=True)
class FkEdge:
    """One foreign key as an edge of the graph: child to parent, with its actions."""

    child: QualifiedName
    parent: QualifiedName
    constraint: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    on_delete: FkAction
    on_update: FkAction
    nullable: bool  # every referencing column may be NULL
    # ON DELETE SET NULL / SET DEFAULT writes NULL into a NOT NULL column: the
    # parent's delete then fails (only the columns of ``SET NULL (col, ...)`` count)
    set_null_fails: bool = False
    delete_set_columns: tuple[str, ...] = ()
    deferrable: bool = False
    initially_deferred: bool = False
    not_valid: bool = False
    origin: Origin = NO_ORIGIN

    def label(self) -> str:
        return f"{','.join(self.columns)} {self.on_delete.value.upper()}"


@dataclass(frozen=True, slots=True)
class DeletePath:
    """A chain of foreign keys from the deleted root down to one table."""

    root: QualifiedName
    edges: tuple[FkEdge, ...]

    @property
    def target(self) -> QualifiedName:
        return self.edges[-1].child if self.edges else self.root

    def render(self) -> str:
        parts = [display_name(self.root)]
        for edge in self.edges:
            parts.append(f"→({edge.label()}) {display_name(edge.child)}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class DeletionClosure:
    """What deleting one row of ``root`` does, table by table, with the paths.

    ``deleted``: rows removed by CASCADE chains; ``set_null``: rows updated by
    SET NULL / SET DEFAULT; ``blocking``: RESTRICT / NO ACTION references that
    make the delete fail while referencing rows exist. A table may appear in
    several groups when different paths reach it.
    """

    root: QualifiedName
    deleted: Mapping[QualifiedName, tuple[DeletePath, ...]] = field(default_factory=dict)
    set_null: Mapping[QualifiedName, tuple[DeletePath, ...]] = field(default_factory=dict)
    blocking: Mapping[QualifiedName, tuple[DeletePath, ...]] = field(default_factory=dict)
    truncated: bool = False  # path enumeration stopped at its limits


class SchemaGraph:
    """Tables and foreign keys of a Catalog as a multigraph (child → parent)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # node → edges, each list sorted once so every query is a lookup
        self._nodes: dict[QualifiedName, None] = dict.fromkeys(catalog.tables)
        incoming: dict[QualifiedName, list[FkEdge]] = {}
        outgoing: dict[QualifiedName, list[FkEdge]] = {}
        edges: list[FkEdge] = []
        for table, constraint in catalog.foreign_keys():
            details = constraint.foreign_key
            if details is None:
                continue
            nullable = all(
                (column := table.column(name)) is not None and not column.not_null
                for name in constraint.columns
            )
            written = details.delete_set_columns or constraint.columns
            set_null_fails = details.on_delete is FkAction.SET_NULL or (
                details.on_delete is FkAction.SET_DEFAULT
                and any((c := table.column(n)) is not None and c.default is None for n in written)
            )
            set_null_fails = set_null_fails and any(
                (column := table.column(name)) is not None and column.not_null for name in written
            )
            edge = FkEdge(
                child=table.qualified,
                parent=details.ref_table,
                constraint=constraint.name,
                columns=constraint.columns,
                ref_columns=details.ref_columns,
                on_delete=details.on_delete,
                on_update=details.on_update,
                nullable=nullable,
                set_null_fails=set_null_fails,
                delete_set_columns=details.delete_set_columns,
                deferrable=constraint.deferrable,
                initially_deferred=constraint.initially_deferred,
                not_valid=constraint.not_valid,
                origin=constraint.origin,
            )
            self._nodes.setdefault(edge.child)
            self._nodes.setdefault(edge.parent)
            edges.append(edge)
            incoming.setdefault(edge.parent, []).append(edge)
            outgoing.setdefault(edge.child, []).append(edge)
        self._edges = edges
        self._incoming = {
            k: sorted(v, key=lambda e: (e.child, e.constraint)) for k, v in incoming.items()
        }
        self._outgoing = {
            k: sorted(v, key=lambda e: (e.parent, e.constraint)) for k, v in outgoing.items()
        }
        self._nx: nx.MultiDiGraph | None = None

    @property
    def nodes(self) -> list[QualifiedName]:
        """Every table, and every table a foreign key names, in catalog order."""
        return list(self._nodes)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The same graph as a networkx MultiDiGraph, built on first use."""
        if self._nx is None:
            import networkx as nx

            graph = nx.MultiDiGraph()
            graph.add_nodes_from(self._nodes)
            for edge in self._edges:
                graph.add_edge(edge.child, edge.parent, key=edge.constraint, edge=edge)
            self._nx = graph
        return self._nx

    def edges(self) -> Iterator[FkEdge]:
        return iter(self._edges)

    def referencing(self, parent: QualifiedName) -> list[FkEdge]:
        """Foreign keys that point at ``parent``, in a stable order."""
        return list(self._incoming.get(parent, ()))

    def referenced_by(self, child: QualifiedName) -> list[FkEdge]:
        """Foreign keys of ``child``."""
        return list(self._outgoing.get(child, ()))

    def deletion_closure(self, table: QualifiedName | str) -> DeletionClosure:
        """Follow ON DELETE actions from one deleted row of ``table``.

        Breadth first, so the shortest paths come first; a path never visits a
        table twice (cycles end a path). Up to MAX_PATHS_PER_TABLE paths are
        kept per table and group.
        """
        root = table if isinstance(table, tuple) else ("public", table)
        deleted: dict[QualifiedName, list[DeletePath]] = {}
        set_null: dict[QualifiedName, list[DeletePath]] = {}
        blocking: dict[QualifiedName, list[DeletePath]] = {}
        queue: deque[tuple[QualifiedName, tuple[FkEdge, ...], frozenset[QualifiedName]]] = deque()
        queue.append((root, (), frozenset({root})))
        expansions = 0
        truncated = False
        while queue:
            current, path, visited = queue.popleft()
            for edge in self._incoming.get(current, ()):
                expansions += 1
                if expansions > MAX_EXPANSIONS:
                    truncated = True
                    queue.clear()
                    break
                new_path = DeletePath(root, (*path, edge))
                if edge.on_delete is FkAction.CASCADE:
                    if not _keep(deleted, edge.child, new_path):
                        truncated = True
                        continue
                    # Back into a table already on the path (a self-reference or a
                    # ring): PostgreSQL deletes those other rows too, so the path is
                    # recorded, but what they reach was already walked from there.
                    if edge.child not in visited:
                        queue.append((edge.child, new_path.edges, visited | {edge.child}))
                elif edge.on_delete in (FkAction.SET_NULL, FkAction.SET_DEFAULT):
                    if not _keep(set_null, edge.child, new_path):
                        truncated = True
                else:
                    if not _keep(blocking, edge.child, new_path):
                        truncated = True
        return DeletionClosure(
            root=root,
            deleted={k: tuple(v) for k, v in sorted(deleted.items())},
            set_null={k: tuple(v) for k, v in sorted(set_null.items())},
            blocking={k: tuple(v) for k, v in sorted(blocking.items())},
            truncated=truncated,
        )

    def cycles(self) -> list[list[FkEdge]]:
        """Every elementary cycle of foreign keys (self-references included).

        Self-references are read off the adjacency; only a strongly connected
        group of several tables needs networkx's cycle enumeration.
        """
        found: list[list[FkEdge]] = []
        successors: dict[QualifiedName, set[QualifiedName]] = {}
        for edge in self._edges:
            successors.setdefault(edge.child, set()).add(edge.parent)
        by_pair: dict[tuple[QualifiedName, QualifiedName], FkEdge] = {}
        for edge in self._edges:
            pair = (edge.child, edge.parent)
            if pair not in by_pair or edge.constraint < by_pair[pair].constraint:
                by_pair[pair] = edge
        for component in _strongly_connected(self._nodes, successors):
            if len(component) == 1:
                (node,) = component
                if node in successors.get(node, ()):
                    found.append([by_pair[(node, node)]])
                continue
            import networkx as nx

            simple = nx.DiGraph()
            simple.add_nodes_from(sorted(component))
            for child in sorted(component):
                for parent in sorted(successors.get(child, ())):
                    if parent in component:
                        simple.add_edge(child, parent)
            for cycle in nx.simple_cycles(simple):
                # start every cycle at its smallest table, so the output is stable
                start = cycle.index(min(cycle))
                cycle = cycle[start:] + cycle[:start]
                nodes = [*cycle, cycle[0]]
                found.append([by_pair[(child, parent)] for child, parent in pairwise(nodes)])
        return sorted(found, key=lambda edges: [(e.child, e.constraint) for e in edges])

    def creation_order(self) -> list[QualifiedName]:
        """Tables in an order where every parent comes before its children.

        Tables on a cycle come together, in name order, with the cycle broken.
        """
        import networkx as nx

        simple = nx.DiGraph()
        simple.add_nodes_from(self._nodes)
        for edge in self._edges:
            if edge.child != edge.parent:
                simple.add_edge(edge.parent, edge.child)
        condensed = nx.condensation(simple)
        order: list[QualifiedName] = []
        for component in nx.lexicographical_topological_sort(
            condensed, key=lambda n: min(condensed.nodes[n]["members"])
        ):
            order.extend(sorted(condensed.nodes[component]["members"]))
        return order


def _strongly_connected(
    nodes: Iterable[QualifiedName], successors: Mapping[QualifiedName, set[QualifiedName]]
) -> list[set[QualifiedName]]:
    """Tarjan's strongly connected components, iteratively (deep chains of
    foreign keys must not hit the recursion limit)."""
    index: dict[QualifiedName, int] = {}
    low: dict[QualifiedName, int] = {}
    on_stack: set[QualifiedName] = set()
    stack: list[QualifiedName] = []
    components: list[set[QualifiedName]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[QualifiedName, Iterator[QualifiedName]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, iter(sorted(successors.get(root, ())))))
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(successors.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[QualifiedName] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _keep(
    group: dict[QualifiedName, list[DeletePath]], table: QualifiedName, path: DeletePath
) -> bool:
    paths = group.setdefault(table, [])
    if len(paths) >= MAX_PATHS_PER_TABLE:
        return False
    paths.append(path)
    return True
