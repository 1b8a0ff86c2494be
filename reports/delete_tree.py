"""`schema-check explain-delete TABLE`: one row's deletion closure as a tree, text and json.

The tree shows every foreign key edge the delete walks, with its ON DELETE
action; a table reached by several CASCADE paths is expanded once, at its
shallowest place. Below it, the tables are grouped into deleted / set null /
blocking with every path that puts them there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from checker.catalog import FkAction, QualifiedName, display_name
from checker.graph import DeletePath, DeletionClosure, FkEdge

_CASCADE = FkAction.CASCADE
_NULLING = (FkAction.SET_NULL, FkAction.SET_DEFAULT)
_COLOURS = {"deleted": "31", "set null": "33", "blocking": "1;35", "fails": "1;35"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def edge_outcome(edge: FkEdge) -> str:
    """What the edge does to the referencing rows: deleted, set null, fails or blocking."""
    if edge.on_delete is _CASCADE:
        return "deleted"
    if edge.on_delete in _NULLING:
        return "fails" if edge.set_null_fails else "set null"
    return "blocking"


def _walked_edges(closure: DeletionClosure) -> dict[QualifiedName, list[FkEdge]]:
    """Every edge on a recorded path, by the table whose deletion triggers it."""
    children: dict[QualifiedName, set[FkEdge]] = {}
    for group in (closure.deleted, closure.set_null, closure.blocking):
        for paths in group.values():
            for path in paths:
                for edge in path.edges:
                    children.setdefault(edge.parent, set()).add(edge)
    return {
        parent: sorted(edges, key=lambda e: (e.child, e.columns, e.constraint))
        for parent, edges in children.items()
    }


def _depths(closure: DeletionClosure) -> dict[QualifiedName, int]:
    """Shallowest CASCADE depth of each deleted table (the root is 0)."""
    depths = {closure.root: 0}
    for table, paths in closure.deleted.items():
        shallowest = min(len(p.edges) for p in paths)
        depths[table] = min(depths.get(table, shallowest), shallowest)
    return depths


def _tree(closure: DeletionClosure) -> dict[str, Any]:
    children = _walked_edges(closure)
    depths = _depths(closure)
    expanded: set[QualifiedName] = {closure.root}

    def node(edge: FkEdge, depth: int) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "table": display_name(edge.child),
            "constraint": edge.constraint,
            "columns": list(edge.columns),
            "references": f"{display_name(edge.parent)}({','.join(edge.ref_columns)})",
            "on_delete": edge.on_delete.value,
            "outcome": edge_outcome(edge),
            "nullable": edge.nullable,
            "deferrable": edge.deferrable,
            "initially_deferred": edge.initially_deferred,
            "children": [],
        }
        if edge.on_delete is _CASCADE:
            first_here = edge.child not in expanded and depths.get(edge.child) == depth
            if first_here:
                expanded.add(edge.child)
                entry["children"] = [node(e, depth + 1) for e in children.get(edge.child, [])]
            else:
                entry["expanded_elsewhere"] = bool(children.get(edge.child))
        return entry

    return {
        "table": display_name(closure.root),
        "children": [node(e, 1) for e in children.get(closure.root, [])],
    }


def _edge_dict(edge: FkEdge) -> dict[str, Any]:
    return {
        "constraint": edge.constraint,
        "child": display_name(edge.child),
        "columns": list(edge.columns),
        "parent": display_name(edge.parent),
        "ref_columns": list(edge.ref_columns),
        "on_delete": edge.on_delete.value,
    }


def _group(group: Mapping[QualifiedName, tuple[DeletePath, ...]]) -> list[dict[str, Any]]:
    return [
        {
            "table": display_name(table),
            "paths": [
                {"text": path.render(), "edges": [_edge_dict(e) for e in path.edges]}
                for path in paths
            ],
        }
        for table, paths in sorted(group.items())
    ]


def delete_tree_to_dict(closure: DeletionClosure) -> dict[str, Any]:
    """The closure as plain json data: the tree, then the three groups with every path."""
    return {
        "root": display_name(closure.root),
        "truncated": closure.truncated,
        "tree": _tree(closure),
        "deleted": _group(closure.deleted),
        "set_null": _group(closure.set_null),
        "blocking": _group(closure.blocking),
    }


def render_delete_tree_text(
    closure: DeletionClosure, *, colour: bool = False, max_paths: int | None = None
) -> str:
    """The closure as a terminal tree followed by the deleted / set null / blocking groups.

    ``max_paths`` limits the paths printed per table (None: all of them).
    """
    data = delete_tree_to_dict(closure)
    lines = [f"deleting one row of {data['root']}:", data["root"]]
    _render_children(data["tree"]["children"], "", lines, colour)
    lines.append("")
    summary = [
        ("deleted", "deleted", data["deleted"]),
        ("set null", "set null", data["set_null"]),
        ("blocking", "blocking", data["blocking"]),
    ]
    for title, outcome, entries in summary:
        count = f"{len(entries)} table{'s' if len(entries) != 1 else ''}"
        lines.append(_paint(f"{title} ({count})", _COLOURS[outcome], colour))
        if not entries:
            lines.append("  (none)")
        for entry in entries:
            lines.extend(_group_lines(entry, title, max_paths))
    if closure.truncated:
        lines.append("")
        lines.append("(path enumeration stopped at its limit: some paths are not listed)")
    return "\n".join(lines) + "\n"


def _render_children(
    children: list[dict[str, Any]], prefix: str, lines: list[str], colour: bool
) -> None:
    for position, child in enumerate(children):
        last = position == len(children) - 1
        branch = "└── " if last else "├── "
        action = child["on_delete"].upper()
        note = ""
        if child["outcome"] == "fails":
            note = "  fails: NOT NULL column"
        elif child["outcome"] == "blocking":
            deferred = " (deferred to commit)" if child["initially_deferred"] else ""
            note = f"  blocks the delete while rows reference it{deferred}"
        elif child.get("expanded_elsewhere"):
            note = "  (expanded above)"
        label = f"{child['table']}.{','.join(child['columns'])}"
        text = f"{action:<11} {label}  [{child['constraint']}]{note}"
        lines.append(prefix + branch + _paint(text, _COLOURS[child["outcome"]], colour))
        _render_children(child["children"], prefix + ("    " if last else "│   "), lines, colour)


def _group_lines(entry: Mapping[str, Any], title: str, max_paths: int | None) -> Iterable[str]:
    paths = entry["paths"]
    shown = paths if max_paths is None else paths[:max_paths]
    plural = "s" if len(paths) != 1 else ""
    if title == "deleted":
        yield f"  {entry['table']}  ({len(paths)} path{plural})"
    else:
        edges = sorted(
            {(p["edges"][-1]["constraint"], ",".join(p["edges"][-1]["columns"])) for p in paths}
        )
        via = ", ".join(f"{columns} [{name}]" for name, columns in edges)
        yield f"  {entry['table']}  ({len(paths)} path{plural}; {via})"
    for path in shown:
        yield f"      {path['text']}"
    if len(shown) < len(paths):
        yield f"      ... {len(paths) - len(shown)} more"
