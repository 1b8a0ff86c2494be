"""The HTML report's view model: plain frozen data the template renders, built from a
CheckResult by ``reports.html.build``; and the few names every part of it shares."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reports.common import display_path
from reports.verdict import Verdict

if TYPE_CHECKING:
    from checker.catalog import Catalog, QualifiedName
    from checker.drift import DriftTable

# The CSS class of each ON DELETE action.
ACTION_CLASS = {
    "cascade": "cascade",
    "set null": "setnull",
    "set default": "setdefault",
    "restrict": "restrict",
    "no action": "noaction",
}


def layer_order(layer: str) -> int:
    return {"base": 0, "extension": 1, "proposal": 2}.get(layer, 3)


def node_key(name: tuple[str, ...], prefix: str = "t") -> str:
    """A stable DOM id for a table (or view, function) of the graph and its panel."""
    digest = hashlib.sha1("\x1f".join(name).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{digest}"


def table_layer(catalog: Catalog, table: QualifiedName) -> str:
    origin = catalog.tables[table].origin
    return origin.layer.value if origin.file else "base"


def shown_path(path: str) -> str:
    return display_path(str(Path(path))) if path else path


@dataclass(frozen=True, slots=True)
class FindingRow:
    code: str
    name: str
    family: str
    family_name: str
    severity: str
    layer: str
    path: str
    line: int
    column: int
    location: str  # path:line:col, or "" when the finding has no location
    file_name: str  # name:line:col, shown first
    folder: str  # the folder part of the path, shown muted
    excerpt: str
    message: str
    details: tuple[str, ...]
    fix: str
    related: tuple[str, ...]
    objects: tuple[str, ...]
    order: int = 0  # position in the flat list (most severe first, then file order)
    fix_title: str = ""
    fix_sql: str = ""  # the fix's statements, one per line, for the copy button
    compact: bool = False  # a note in a long report: location and message only
    anchor: str = ""  # stable DOM id: the same finding keeps its link between runs

    def source_url(self, base_url: str) -> str:
        """Where the finding's file:line is in a repository browser ("" without a base URL
        or for a path outside the working directory)."""
        if not base_url or not self.path or self.path.startswith(("/", "..")):
            return ""
        from urllib.parse import quote

        return f"{base_url}/{quote(self.path.replace(chr(92), '/'))}#L{self.line}"

    @property
    def group(self) -> str:
        """The DOM id of its group in the grouped view."""
        return _group_key(self.code, self.severity)


def _group_key(code: str, severity: str) -> str:
    return f"g-{re.sub(r'[^A-Za-z0-9_-]', '_', code)}-{severity}"


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """The findings of one rule at one severity, for the grouped view of long lists."""

    code: str
    name: str
    family: str
    severity: str
    rows: tuple[FindingRow, ...]
    example: str  # the first finding's message, shown while the group is collapsed

    @property
    def key(self) -> str:
        return _group_key(self.code, self.severity)


@dataclass(frozen=True, slots=True)
class GraphNode:
    key: str  # stable DOM id
    label: str
    layer: str
    x: float
    y: float
    width: float
    height: float
    columns: int
    findings: int
    title: str
    context: bool = False  # a base table shown only because the extension references it
    hidden_edges: int = 0  # its references to tables this layout leaves out
    kind: str = "table"  # table | view | function


@dataclass(frozen=True, slots=True)
class GraphEdge:
    child: str
    parent: str
    action: str  # CSS class of the ON DELETE action ("dep" for a dependency)
    path: str  # SVG path data
    title: str
    label: str = ""  # the referencing columns, drawn in the neighbourhood view
    # fk | reads (a view) | uses (a function body) | fires (a trigger) | calls (a function)
    kind: str = "fk"


@dataclass(frozen=True, slots=True)
class GraphLayout:
    name: str  # "focus" (the extension's tables and their neighbours) | "all"
    width: float
    height: float
    frame_height: int  # pixels: the frame shows the layout at about page width
    nodes: tuple[GraphNode, ...]  # the tables, then the views and functions
    edges: tuple[GraphEdge, ...]

    @property
    def tables(self) -> int:
        return sum(1 for node in self.nodes if node.kind == "table")


@dataclass(frozen=True, slots=True)
class GraphView:
    layouts: tuple[GraphLayout, ...]  # the focus layout first, when there is one
    default: str  # the layout shown first
    actions: tuple[tuple[str, str, int], ...]  # (css class, label, count)
    layers: tuple[tuple[str, int], ...]  # (layer, tables)
    tables: int
    foreign_keys: int
    objects: tuple[tuple[str, int], ...] = ()  # (view | function, nodes of that kind)
    dependencies: tuple[tuple[str, str, int], ...] = ()  # (kind, label, edges)

    @property
    def nodes(self) -> tuple[GraphNode, ...]:
        """Every table (the full layout's table nodes)."""
        return tuple(node for node in self.layouts[-1].nodes if node.kind == "table")

    @property
    def dependency_edges(self) -> int:
        return sum(count for _, _, count in self.dependencies)

    def layout(self, name: str) -> GraphLayout | None:
        return next((layout for layout in self.layouts if layout.name == name), None)


@dataclass(frozen=True, slots=True)
class TreeNode:
    table: str
    action: str  # root | cascade | setnull | setdefault | restrict | noaction
    via: str  # "column ON DELETE action" of the edge that reaches it
    contract: str = ""  # "preserve" | "remove" | ""
    children: tuple[TreeNode, ...] = ()


@dataclass(frozen=True, slots=True)
class ClosureView:
    root: str
    intent: str
    found: bool
    tree: TreeNode | None
    deleted: int
    set_null: int
    blocking: int
    preserved_but_deleted: tuple[str, ...]
    removal_missed: tuple[str, ...]
    truncated: bool
    paths: int = 0  # nodes of the tree (the root excluded)
    deleted_tables: tuple[str, ...] = ()
    set_null_tables: tuple[str, ...] = ()
    blocking_tables: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CoverageCell:
    status: str  # served | partial | missing | expected | none
    text: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class CoverageView:
    queries: tuple[tuple[str, str, str], ...]  # (name, sql, "css class|verdict text")
    indexes: tuple[str, ...]
    cells: tuple[tuple[CoverageCell, ...], ...]  # [query][index]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    layer: str
    sequence: str
    name: str
    path: str
    status: str
    journal_idx: str
    when: str
    statements: int
    errors: int
    warnings: int
    infos: int
    gap_before: str = ""  # numbers missing between the previous file and this one


@dataclass(frozen=True, slots=True)
class LiveRow:
    code: str
    severity: str
    sqlstate: str
    location: str
    message: str
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CascadeRow:
    table: str
    static: str  # what the static closure predicts: "deleted", "set null", "blocks", "—"
    server: str  # what the server did, in the same words
    status: str  # agrees | differs | not-probed


@dataclass(frozen=True, slots=True)
class CascadeView:
    """One probed delete: the server's observation next to the static closure."""

    root: str
    in_contract: bool
    static: tuple[int, int, int]  # deleted, set null, blocking
    server: tuple[int, int, int]
    rows: tuple[CascadeRow, ...]  # every table either side names, disagreements first
    differences: int
    not_probed: tuple[str, ...]
    dropped_checks: tuple[str, ...]
    failure: str
    findings: tuple[str, ...]  # LV504 messages about this root


@dataclass(frozen=True, slots=True)
class PlanView:
    """One documented query: how the server planned it next to the static verdict."""

    query: str
    sql: str
    static_class: str  # served | partial | missing | none (CSS)
    static_verdict: str
    static_index: str  # the index the static model expects to serve it
    indexes: tuple[str, ...]
    sorts: bool
    sequential: tuple[str, ...]
    error: str
    findings: tuple[str, ...]  # LV503 messages about this query

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        return "differs" if self.findings else "agrees"


@dataclass(frozen=True, slots=True)
class LiveView:
    backend: str
    server: str
    timings: tuple[tuple[str, str, float], ...]  # (phase, text, share of the total 0-100)
    rows: tuple[LiveRow, ...]
    facts: tuple[tuple[str, str], ...]
    error: str
    total: str = ""
    cascades: tuple[CascadeView, ...] = ()
    plans: tuple[PlanView, ...] = ()
    applied: int | None = None
    failed: int | None = None


@dataclass(frozen=True, slots=True)
class PanelRow:
    """One line of a table panel's list: a column, an index, a constraint, a key."""

    name: str
    cells: tuple[str, ...]
    changed: str = ""  # what the change did to it: added | altered | "" (untouched)


@dataclass(frozen=True, slots=True)
class TablePanel:
    """Everything about one table, one click from the graph, the list or a finding."""

    key: str  # the graph node's key (t-…); the panel's DOM id is p-… with the same digest
    name: str
    layer: str
    comment: str
    created: str  # path:line of the statement that created it
    changed_at: str  # path:line of the last statement that altered it ("" if none)
    changed: str  # added | altered | "" : what the change did to the table
    columns: tuple[PanelRow, ...]
    indexes: tuple[PanelRow, ...]
    constraints: tuple[PanelRow, ...]
    outgoing: tuple[PanelRow, ...]  # (constraint; columns -> parent, ON DELETE)
    incoming: tuple[PanelRow, ...]
    triggers: tuple[PanelRow, ...]
    views: tuple[str, ...]  # views that read it
    findings: tuple[tuple[str, str, str, int], ...]  # (first anchor, severity, code, count)
    column_header: tuple[str, ...] = ("Column", "Type", "Null", "Default", "Comment")
    index_header: tuple[str, ...] = ("Index", "Definition", "Comment")
    dropped: tuple[str, ...] = ()  # what the change dropped from it ("column x", "constraint y")

    @property
    def anchor(self) -> str:
        return f"p-{self.key[2:]}"

    @property
    def finding_count(self) -> int:
        return sum(count for _, _, _, count in self.findings)


@dataclass(frozen=True, slots=True)
class SchemaObjects:
    """The schema's other objects: enums with their labels, functions, triggers, views."""

    enums: tuple[PanelRow, ...]
    functions: tuple[PanelRow, ...]
    triggers: tuple[PanelRow, ...]
    views: tuple[PanelRow, ...]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """A rule's built-in documentation, for the rules the report's findings name."""

    code: str
    name: str
    severity: str
    summary: str
    sections: tuple[tuple[str, str], ...]  # (section, text) in DOC_SECTIONS order


@dataclass(frozen=True, slots=True)
class ReportModel:
    title: str
    version: str
    subtitle: str
    settings: tuple[tuple[str, str], ...]
    verdict: Verdict
    family_counts: tuple[tuple[str, str, int, int, int], ...]  # family, name, e, w, i
    catalog_counts: tuple[tuple[str, int, int], ...]  # (what, base, extension+proposal)
    findings: tuple[FindingRow, ...]
    groups: tuple[FindingGroup, ...]
    grouped: bool  # the findings open grouped by rule (long lists)
    filter_severities: tuple[tuple[str, int], ...]
    filter_families: tuple[tuple[str, str, int], ...]
    filter_layers: tuple[tuple[str, int], ...]
    graph: GraphView | None
    closures: tuple[ClosureView, ...]
    coverage: CoverageView | None
    coverage_note: str
    timeline: tuple[TimelineRow, ...]
    live: LiveView | None
    timings: tuple[tuple[str, str], ...]
    suppressed: int
    baseline: tuple[tuple[str, str], ...]
    drift: DriftTable | None = None  # ORM | snapshot | migrations | live, one row per object
    provenance: str = ""  # the git commit the inputs were read at, when they are in git
    has_extension: bool = True  # no extension column (and no "Extension 0") without one
    judged: bool = False  # findings are split into introduced and pre-existing
    pre_existing: tuple[FindingGroup, ...] = ()  # the base's own findings, by rule
    pre_existing_count: int = 0
    version_warning: str = ""  # the live server's major version is not the target's
    fix_first: tuple[FindingRow, ...] = ()  # the errors to fix first, then the warnings
    fix_first_more: int = 0  # errors and warnings the short list leaves out
    rule_docs: tuple[RuleDoc, ...] = ()  # every rule a finding names, by code
    base_url: str = ""  # file:line links go to base_url/path#Lline ("" : no links)
    tables: tuple[TablePanel, ...] = ()  # every table, alphabetically
    objects: SchemaObjects | None = None
    changed_tables: int = 0  # tables the change adds or alters (0 without a change)
    dropped_tables: tuple[str, ...] = ()  # tables the change drops
    common_folder: str = ""  # the folder most findings are in: rows show only the others
