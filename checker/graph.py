"""The table/foreign-key graph and what deleting a row does to it.

A networkx MultiDiGraph: one node per table, one edge child → parent per
foreign key, carrying the columns, the ON DELETE / ON UPDATE actions,
deferrability and whether the referencing columns may be NULL.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import networkx as nx

from checker.catalog import (
    NO_ORIGIN,
    Catalog,
    FkAction,
    QualifiedName,
    display_name,
)
from checker.model import Origin

# Enough paths to show every distinct way a table is reached in real schemas,
# few enough that a table referenced from everywhere cannot explode the search.
MAX_PATHS_PER_TABLE = 16
MAX_EXPANSIONS = 200_000


@dataclass(frozen=True, slots=True)
class FkEdge:
    child: QualifiedName
    parent: QualifiedName
    constraint: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    on_delete: FkAction
    on_update: FkAction
    nullable: bool  # every referencing column may be NULL
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
    """Tables and foreign keys of a Catalog as a MultiDiGraph (child → parent)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        for name in catalog.tables:
            self.graph.add_node(name)
        for table, constraint in catalog.foreign_keys():
            details = constraint.foreign_key
            if details is None:
                continue
            nullable = all(
                (column := table.column(name)) is not None and not column.not_null
                for name in constraint.columns
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
                deferrable=constraint.deferrable,
                initially_deferred=constraint.initially_deferred,
                not_valid=constraint.not_valid,
                origin=constraint.origin,
            )
            self.graph.add_edge(edge.child, edge.parent, key=edge.constraint, edge=edge)

    def edges(self) -> Iterator[FkEdge]:
        for _, _, data in self.graph.edges(data=True):
            yield data["edge"]

    def referencing(self, parent: QualifiedName) -> list[FkEdge]:
        """Foreign keys that point at ``parent``, in a stable order."""
        if parent not in self.graph:
            return []
        found = [data["edge"] for _, _, data in self.graph.in_edges(parent, data=True)]
        return sorted(found, key=lambda e: (e.child, e.constraint))

    def referenced_by(self, child: QualifiedName) -> list[FkEdge]:
        """Foreign keys of ``child``."""
        if child not in self.graph:
            return []
        found = [data["edge"] for _, _, data in self.graph.out_edges(child, data=True)]
        return sorted(found, key=lambda e: (e.parent, e.constraint))

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
            for edge in self.referencing(current):
                expansions += 1
                if expansions > MAX_EXPANSIONS:
                    truncated = True
                    queue.clear()
                    break
                new_path = DeletePath(root, (*path, edge))
                if edge.on_delete is FkAction.CASCADE:
                    if edge.child in visited:
                        continue
                    if not _keep(deleted, edge.child, new_path):
                        truncated = True
                        continue
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
        """Every elementary cycle of foreign keys (self-references included)."""
        found: list[list[FkEdge]] = []
        simple = nx.DiGraph()
        simple.add_nodes_from(self.graph.nodes)
        for child, parent in self.graph.edges():
            simple.add_edge(child, parent)
        for cycle in nx.simple_cycles(simple):
            # start every cycle at its smallest table, so the output is stable
            start = cycle.index(min(cycle))
            cycle = cycle[start:] + cycle[:start]
            nodes = [*cycle, cycle[0]]
            edges: list[FkEdge] = []
            for child, parent in pairwise(nodes):
                options = sorted(
                    (data["edge"] for data in self.graph.get_edge_data(child, parent).values()),
                    key=lambda e: e.constraint,
                )
                edges.append(options[0])
            found.append(edges)
        return sorted(found, key=lambda edges: [(e.child, e.constraint) for e in edges])

    def creation_order(self) -> list[QualifiedName]:
        """Tables in an order where every parent comes before its children.

        Tables on a cycle come together, in name order, with the cycle broken.
        """
        simple = nx.DiGraph()
        simple.add_nodes_from(self.graph.nodes)
        for child, parent in self.graph.edges():
            if child != parent:
                simple.add_edge(parent, child)
        condensed = nx.condensation(simple)
        order: list[QualifiedName] = []
        for component in nx.lexicographical_topological_sort(
            condensed, key=lambda n: min(condensed.nodes[n]["members"])
        ):
            order.extend(sorted(condensed.nodes[component]["members"]))
        return order


def _keep(
    group: dict[QualifiedName, list[DeletePath]], table: QualifiedName, path: DeletePath
) -> bool:
    paths = group.setdefault(table, [])
    if len(paths) >= MAX_PATHS_PER_TABLE:
        return False
    paths.append(path)
    return True
