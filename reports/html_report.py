"""The HTML compatibility report: one self-contained file, no network needed to open it.

``build_report_model(result)`` gathers everything the page shows from a
CheckResult (and what other parts left in ``result.extra``: live results,
baseline figures) into plain data, tolerating every missing part;
``render_html(model)`` fills the Jinja2 template with autoescaping on, so
identifiers from the schema always render as text. The FK graph's layout is
computed here (networkx generations, a few barycentre sweeps), so the page
needs no layout library and the output is the same on every run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker import __version__
from checker.findings import Finding, Location, Severity
from checker.invisible import reveal
from checker.model import Layer
from checker.rule import FAMILIES, RuleMeta, registry
from reports.common import display_path, position
from reports.verdict import Verdict, answer_claims

if TYPE_CHECKING:
    from checker.config import DeleteIntent
    from checker.drift import DriftTable
    from checker.engine import CheckResult
    from checker.graph import DeletePath, FkEdge, SchemaGraph

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ACTION_CLASS = {
    "cascade": "cascade",
    "set null": "setnull",
    "set default": "setdefault",
    "restrict": "restrict",
    "no action": "noaction",
}
_BREAKPOINT = re.compile(r"-->\s*statement-breakpoint.*$")
# Longer lists of findings open grouped by rule, each group collapsed but the errors.
GROUP_DEFAULT_ABOVE = 120
# The "Fix first" list at the top of the page: the change's errors, then its warnings.
FIX_FIRST_SHOWN = 15
_SQLSTATE = re.compile(r"SQLSTATE[:\s]+([0-9A-Z]{5})\b|:\s([0-9A-Z]{5})\s")

# ---------------------------------------------------------------------------
# The model: plain data the template renders.
# ---------------------------------------------------------------------------


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
    kind: str = "fk"  # fk | reads (a view) | uses (a function body) | fires (a trigger)


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


@dataclass(slots=True)
class TreeNode:
    table: str
    action: str  # root | cascade | setnull | setdefault | restrict | noaction
    via: str  # "column ON DELETE action" of the edge that reaches it
    contract: str = ""  # "preserve" | "remove" | ""
    children: list[TreeNode] = field(default_factory=list)


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
    problems: tuple[str, ...]  # parts of the model that could not be built
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


# ---------------------------------------------------------------------------
# Building the model
# ---------------------------------------------------------------------------


def build_report_model(result: CheckResult, *, title: str = "", base_url: str = "") -> ReportModel:
    """Everything the HTML report shows, from one CheckResult; missing parts become notes."""
    problems: list[str] = []
    findings: list[Finding] = list(getattr(result, "findings", []) or [])
    files = _safe(lambda: dict(result.sources.files), {}, problems, "sources")
    metas = {code: rule.meta for code, rule in registry().items()}
    live_data = result.live
    live_findings = list(_attr(live_data, "findings", []) or [])
    known = set(findings)
    all_findings = findings + [f for f in live_findings if f not in known]
    # Most severe first, then in file order: what a reader should look at first.
    all_findings.sort(key=lambda f: (-f.severity.rank, *f.sort_key()))
    # Judged against a base (--since, a baseline, or an extension on its base): the
    # change's findings are the list; the base's own are one line per rule below it.
    earlier = [f for f in all_findings if f.introduced is False]
    shown = [f for f in all_findings if f.introduced is not False]
    rows = _anchored(
        tuple(
            replace(_finding_row(f, files, metas), order=number) for number, f in enumerate(shown)
        )
    )
    if len(rows) > GROUP_DEFAULT_ABOVE:
        # Hundreds of notes would double the page: they keep their place and message,
        # their rule's documentation (linked) says what to do.
        rows = tuple(replace(r, compact=True) if r.severity == "info" else r for r in rows)
    urgent = [r for r in rows if r.severity in ("error", "warning")]
    earlier_rows = _anchored(tuple(_finding_row(f, files, metas) for f in earlier))
    graph = _safe(lambda: _graph_view(result.graph, all_findings), None, problems, "FK graph")
    closures = _safe(lambda: tuple(_closures(result)), (), problems, "deletion closures")
    coverage, coverage_note = _safe(
        lambda: _coverage(result), (None, "coverage could not be computed"), problems, "coverage"
    )
    timeline = _safe(lambda: tuple(_timeline(result, all_findings)), (), problems, "timeline")
    live = _safe(
        lambda: _live_view(live_data, files, result, all_findings), None, problems, "live results"
    )
    # where each table was created and last changed, and what the change did to it:
    # read once from the events, for the panels and the list of dropped tables
    history = _safe(lambda: _table_history(result), ({}, {}, {}, {}), problems, "table history")
    panels: tuple[TablePanel, ...] = _safe(
        lambda: _table_panels(result, files, rows + earlier_rows, history),
        (),
        problems,
        "table panels",
    )
    live_ran = live is not None and not live.error
    layers = result.settings.layers
    verdict = answer_claims(
        all_findings,
        live_ran=live_ran,
        queries_given=bool(result.settings.contract.queries),
        extension=bool(layers.extension or layers.proposal),
    )
    return ReportModel(
        title=title or "Schema compatibility report",
        version=__version__,
        subtitle=_subtitle(result),
        settings=_settings(result),
        verdict=verdict,
        family_counts=_family_counts(all_findings),
        catalog_counts=_safe(lambda: _catalog_counts(result), (), problems, "catalog counts"),
        has_extension=bool(layers.extension or layers.proposal or result.change is not None),
        findings=rows,
        groups=_groups(rows),
        judged=any(f.introduced is not None for f in all_findings),
        pre_existing=_groups(earlier_rows),
        pre_existing_count=len(earlier_rows),
        grouped=len(rows) > GROUP_DEFAULT_ABOVE,
        filter_severities=tuple(
            (s.value, sum(1 for r in rows if r.severity == s.value)) for s in Severity
        ),
        filter_families=tuple(
            (fam, FAMILIES.get(fam, fam), sum(1 for r in rows if r.family == fam))
            for fam in sorted({r.family for r in rows})
        ),
        filter_layers=tuple(
            (layer, sum(1 for r in rows if r.layer == layer))
            for layer in sorted({r.layer for r in rows}, key=_layer_order)
        ),
        graph=graph,
        closures=closures,
        coverage=coverage,
        coverage_note=coverage_note,
        timeline=timeline,
        live=live,
        timings=_timings(result),
        suppressed=int(getattr(result, "suppressed", 0) or 0),
        baseline=_baseline_facts(getattr(result, "extra", None) or {}),
        problems=tuple(problems),
        drift=_safe(result.drift, None, problems, "drift"),
        provenance=_provenance(result),
        version_warning=version_warning(result.settings.postgres, live_server_version(result)),
        rule_docs=_safe(
            lambda: _rule_docs({f.code for f in all_findings}), (), problems, "rule docs"
        ),
        tables=panels,
        objects=_safe(lambda: _schema_objects(result), None, problems, "schema objects"),
        changed_tables=sum(1 for panel in panels if panel.changed),
        dropped_tables=tuple(dict.fromkeys(history[3].get("", ()))),
        common_folder=_common_folder(rows),
        base_url=base_url.rstrip("/"),
        fix_first=tuple(urgent[:FIX_FIRST_SHOWN]),
        fix_first_more=max(0, len(urgent) - FIX_FIRST_SHOWN),
    )


def panel_data(model: ReportModel) -> str:
    """The table panels' bodies as compact JSON, for a ``<script type="application/json">``
    block the page's script turns into tables (with textContent) when a panel opens:
    a large schema's hundred panels cost a third of their HTML. Hidden characters are
    written out; ``<``, ``>`` and ``&`` are escaped, so the block cannot end early."""
    import json

    def rows(items: Sequence[PanelRow]) -> list[list[str]]:
        return [[row.name, *row.cells, row.changed] for row in items]

    data = {
        panel.anchor: {
            "created": panel.created,
            "changed": panel.changed_at,
            "comment": panel.comment,
            "columns": [list(panel.column_header), *rows(panel.columns)],
            "indexes": [list(panel.index_header), *rows(panel.indexes)],
            "constraints": rows(panel.constraints),
            "outgoing": rows(panel.outgoing),
            "incoming": rows(panel.incoming),
            "triggers": rows(panel.triggers),
            "views": list(panel.views),
            "findings": [list(finding) for finding in panel.findings],
            **({"dropped": list(panel.dropped)} if panel.dropped else {}),
        }
        for panel in model.tables
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = reveal(text, keep="")
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text


def _table_anchors(model: ReportModel) -> dict[str, str]:
    return {panel.name: panel.anchor for panel in model.tables}


def _rule_docs(codes: Iterable[str]) -> tuple[RuleDoc, ...]:
    import textwrap

    from checker.rule import DOC_SECTIONS

    rules = registry()
    docs = []
    for code in sorted(codes):
        rule = rules.get(code)
        if rule is None:
            continue
        text = rule.docs()
        sections = tuple(
            (section, textwrap.dedent(text[section]).strip())
            for section in DOC_SECTIONS
            if text.get(section, "").strip()
        )
        meta = rule.meta
        docs.append(RuleDoc(code, meta.name, meta.severity.value, meta.summary, sections))
    return tuple(docs)


def _safe(build: Any, default: Any, problems: list[str], what: str) -> Any:
    """Build one part of the report; a failure there must not lose the rest of it."""
    try:
        return build()
    except Exception as exc:
        problems.append(f"{what}: not available ({type(exc).__name__}: {exc})")
        return default


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    """An attribute of a dataclass-like object or a key of a mapping."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _layer_order(layer: str) -> int:
    return {"base": 0, "extension": 1, "proposal": 2}.get(layer, 3)


def _subtitle(result: CheckResult) -> str:
    layers = getattr(result.settings, "layers", None)
    parts = []
    for name in ("base", "extension", "proposal"):
        paths = getattr(layers, name, ()) or ()
        if paths:
            shown = ", ".join(_rel(str(p)) for p in paths)
            parts.append(f"{name}: {shown}")
    return " · ".join(parts)


def _rel(path: str) -> str:
    return display_path(str(Path(path))) if path else path


def live_server_version(result: CheckResult) -> str:
    """The version of the server a live run really used ("" without one)."""
    live = result.live
    return str(getattr(live, "server_version", "") or "") if result.live_ran else ""


def version_warning(target: int | str, server: str) -> str:
    """A sentence when the live server's major version is not the target's ("" if same)."""
    major = server.split(".")[0].split()[0] if server else ""
    if not major or major == str(target):
        return ""
    return (
        f"The live run used PostgreSQL {server}, not the target PostgreSQL {target}: what "
        f"the server accepted or planned may differ on {target}."
    )


def _settings(result: CheckResult) -> tuple[tuple[str, str], ...]:
    settings = result.settings
    contract = settings.contract
    server = live_server_version(result)
    items = [
        ("target PostgreSQL", f"{settings.postgres} (the static checks)"),
        ("server PostgreSQL", f"{server} (live run)" if server else "no live run"),
        ("runner", settings.runner.value if settings.runner else "from each folder's layout"),
        ("fail on", str(settings.fail_on.value)),
    ]
    if settings.path is not None:
        items.append(("config", _rel(str(settings.path))))
    if contract.tenant_key:
        items.append(("tenant key", contract.tenant_key))
    if contract.prefix:
        items.append(("prefix", contract.prefix))
    items.append(("documented queries", str(len(contract.queries))))
    items.append(("delete intents", str(len(contract.deletes))))
    rules_run = getattr(result, "rules_run", ())
    if rules_run:
        items.append(("rules run", str(len(rules_run))))
    return tuple(items)


def _family_counts(findings: Sequence[Finding]) -> tuple[tuple[str, str, int, int, int], ...]:
    rows = []
    for family, name in FAMILIES.items():
        mine = [f for f in findings if f.family == family]
        rows.append(
            (
                family,
                name,
                sum(1 for f in mine if f.severity is Severity.ERROR),
                sum(1 for f in mine if f.severity is Severity.WARNING),
                sum(1 for f in mine if f.severity is Severity.INFO),
            )
        )
    return tuple(rows)


def _catalog_counts(result: CheckResult) -> tuple[tuple[str, int, int], ...]:
    catalog = result.simulation.catalog

    def split(objects: Iterable[Any]) -> tuple[int, int]:
        base = other = 0
        for obj in objects:
            origin = getattr(obj, "origin", None)
            if origin is not None and bool(origin.file) and origin.layer is not Layer.BASE:
                other += 1
            else:
                base += 1
        return base, other

    tables = list(catalog.tables.values())
    foreign_keys = [c for t in tables for c in t.foreign_keys]
    columns = [c for t in tables for c in t.columns]
    rows = [
        ("tables", *split(tables)),
        ("columns", *split(columns)),
        ("foreign keys", *split(foreign_keys)),
        ("indexes", *split(catalog.indexes.values())),
        ("enum types", *split(catalog.enums.values())),
        ("statements", *_statement_split(result)),
    ]
    return tuple((name, base, other) for name, base, other in rows)


def _statement_split(result: CheckResult) -> tuple[int, int]:
    """``result.statement_count()`` (the count every output shows), by layer."""
    base = sum(1 for s in result.sources.statements if s.layer is Layer.BASE)
    return base, result.statement_count() - base


def _groups(rows: Sequence[FindingRow]) -> tuple[FindingGroup, ...]:
    """The findings by rule and severity (a rule's errors apart from its warnings):
    the most severe first, then the most frequent."""
    by_rule: dict[tuple[str, str], list[FindingRow]] = {}
    for row in rows:
        by_rule.setdefault((row.code, row.severity), []).append(row)
    ranks = {s.value: s.rank for s in Severity}
    groups = [
        FindingGroup(
            code=code,
            name=members[0].name,
            family=members[0].family,
            severity=severity,
            rows=tuple(members),
            example=members[0].message,
        )
        for (code, severity), members in by_rule.items()
    ]
    groups.sort(key=lambda g: (-ranks.get(g.severity, 0), -len(g.rows), g.code))
    return tuple(groups)


def _common_folder(rows: Sequence[FindingRow]) -> str:
    """The folder of most findings, when they are in more than one (else "": each row
    shows its folder)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.location:
            counts[row.folder] = counts.get(row.folder, 0) + 1
    if len(counts) < 2:
        return ""
    return max(sorted(counts), key=lambda folder: counts[folder])


def _anchored(rows: tuple[FindingRow, ...]) -> tuple[FindingRow, ...]:
    """Each row with a DOM id from its rule, place and message (not its position, so a
    link to a finding survives other findings coming and going); repeats are numbered."""
    seen: dict[str, int] = {}
    anchored = []
    for row in rows:
        key = "\x1f".join((row.code, row.location, row.message))
        anchor = "f-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        seen[anchor] = seen.get(anchor, 0) + 1
        if seen[anchor] > 1:
            anchor += f"-{seen[anchor]}"
        anchored.append(replace(row, anchor=anchor))
    return tuple(anchored)


def _finding_row(
    finding: Finding, files: Mapping[str, Any], metas: Mapping[str, RuleMeta]
) -> FindingRow:
    meta = metas.get(finding.code)
    primary = finding.primary
    path, line, column, location, excerpt, file_name, folder = "", 0, 0, "", "", "", ""
    layer = "none"
    if primary is not None:
        pos = position(primary, files)
        path, line, column = pos.path, pos.line, pos.column
        location = pos.place
        folder, _, name = pos.path.replace("\\", "/").rpartition("/")
        file_name = f"{name}:{pos.line}:{pos.column}"
        folder = f"{folder}/" if folder else ""
        source = files.get(primary.file)
        if source is not None:
            excerpt = _BREAKPOINT.sub("", source.line_text(pos.line)).strip()[:240]
        if primary.layer is not None:
            layer = primary.layer.value
    related = []
    for loc in finding.locations[1:]:
        rel = position(loc, files)
        label = f" ({loc.label})" if loc.label else ""
        related.append(f"{rel.place}{label}")
    return FindingRow(
        code=finding.code,
        name=meta.name if meta else "",
        family=finding.family,
        family_name=FAMILIES.get(finding.family, finding.family),
        severity=finding.severity.value,
        layer=layer,
        path=path,
        line=line,
        column=column,
        location=location,
        file_name=file_name,
        folder=folder,
        excerpt=excerpt,
        message=finding.message,
        details=finding.details,
        fix=str(finding.fix) if finding.fix else "",
        related=tuple(related),
        objects=finding.objects,
        fix_title=finding.fix.title if finding.fix else "",
        fix_sql="\n".join(finding.fix.statements) if finding.fix else "",
    )


# ---------------------------------------------------------------------------
# Table panels and the schema's other objects
# ---------------------------------------------------------------------------


def _where(origin: Any, files: Mapping[str, Any]) -> str:
    if origin is None or not getattr(origin, "file", ""):
        return ""
    pos = position(Location.of(origin), files)
    return f"{pos.path}:{pos.line}"


def _default_text(column: Any) -> str:
    if column.identity is not None:
        return f"generated {column.identity.value} as identity"
    if column.generated is not None:
        return f"generated always as ({column.generated}) stored"
    return column.default or ""


def _table_history(
    result: CheckResult,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """Per table display name: the origin that created it, the last one that changed
    it (itself, a column, a constraint or an index), what the change (a non-base
    statement) did to each object name: "added" or "altered", and what the change
    dropped from each table (its columns and constraints; whole tables under "")."""
    from checker.simulation import EventKind

    catalog = result.simulation.catalog
    index_table = {index.name: index.table for index in catalog.indexes.values()}
    from checker.catalog import display_name

    tables = {display_name(q) for q in catalog.tables}
    created: dict[str, Any] = {}
    last: dict[str, Any] = {}
    marks: dict[str, str] = {}
    dropped: dict[str, list[str]] = {}
    changing = {EventKind.CREATED, EventKind.ALTERED, EventKind.RENAMED, EventKind.COMMENTED}
    index_owner: dict[str, str] = {}  # every index ever created -> its table's name
    for event in result.simulation.events:
        if event.object_kind == "index" and event.kind is EventKind.CREATED:
            relation = getattr(event.statement.node, "relation", None)
            if relation is not None and getattr(relation, "relname", None):
                schema = getattr(relation, "schemaname", None) or "public"
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
    return created, last, marks, dropped


def _table_panels(
    result: CheckResult,
    files: Mapping[str, Any],
    rows: Sequence[FindingRow],
    history: tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, list[str]]],
) -> tuple[TablePanel, ...]:
    from checker.catalog import display_name
    from reports.catalog_report import constraint_definition, index_definition

    catalog = result.simulation.catalog
    graph_layers = {table: _table_layer(catalog, table) for table in catalog.tables}
    created, last, marks, dropped = history
    by_table: dict[tuple[str, str], list[Any]] = {}
    for index in catalog.indexes.values():
        by_table.setdefault(index.table, []).append(index)
    incoming: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    for child, constraint in catalog.foreign_keys():
        details = constraint.foreign_key
        if details is not None:
            incoming.setdefault(details.ref_table, []).append((child, constraint))
    triggers: dict[tuple[str, str], list[Any]] = {}
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
                key=_node_key(qualified),
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


def _schema_objects(result: CheckResult) -> SchemaObjects:
    from checker.catalog import display_name

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


# ---------------------------------------------------------------------------
# The FK graph: layered layout, parents above their children
# ---------------------------------------------------------------------------

_NODE_HEIGHT = 26.0
_ROW_GAP = 70.0
_NODE_GAP = 14.0
_MAX_ROW_WIDTH = 1500.0
_CHAR_WIDTH = 6.9
# Above this many tables the whole graph no longer reads at page width: the
# report opens on the extension's tables and their direct neighbours instead.
FOCUS_DEFAULT_ABOVE = 40
_FRAME_WIDTH = 1330.0  # the graph frame's width on a typical screen, for its height
_ACTION_LABELS = {
    "cascade": "ON DELETE CASCADE",
    "setnull": "SET NULL",
    "setdefault": "SET DEFAULT",
    "restrict": "RESTRICT",
    "noaction": "NO ACTION",
}


def _node_key(name: tuple[str, ...], prefix: str = "t") -> str:
    digest = hashlib.sha1("\x1f".join(name).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{digest}"


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
    kind: str  # reads | uses | fires
    title: str
    label: str


_DEPENDENCY_LABELS = {
    "reads": "view reads",
    "uses": "function uses",
    "fires": "trigger fires",
}


def _dependencies(
    catalog: Any,
) -> tuple[dict[tuple[str, ...], DependantObject], tuple[Dependency, ...]]:
    """The views and functions of ``catalog`` and what each depends on: the tables and
    views a view reads, those a function body uses, and each trigger's table -> its
    function (one edge per table and function, naming every trigger)."""
    from checker.bodies import analyse_functions, used_tables
    from checker.catalog import display_name
    from reports.catalog_report import trigger_definition

    objects: dict[tuple[str, ...], DependantObject] = {}
    edges: list[Dependency] = []

    def layer_of(origin: Any) -> str:
        return origin.layer.value if origin.file else "base"

    def end(name: tuple[str, str]) -> tuple[str, ...] | None:
        if name in catalog.tables:
            return name
        if name in catalog.views:
            return ("view", *name)
        return None

    for qualified, view in sorted(catalog.views.items()):
        key = ("view", *qualified)
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
    for function, analysis, _triggers in analyse_functions(catalog):
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
    fired: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Any]] = {}
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


def _graph_view(graph: SchemaGraph, findings: Sequence[Finding]) -> GraphView | None:
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
    layers = {table: _table_layer(catalog, table) for table in tables}
    everything = _layout(
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
            _layout(
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
        action = _ACTION_CLASS.get(edge.on_delete.value, "noaction")
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
        layers=tuple(sorted(layer_counts.items(), key=lambda item: _layer_order(item[0]))),
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


def _layout(
    name: str,
    catalog: Any,
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

    from checker.catalog import display_name

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
        isolated.sort(key=lambda t: (_layer_order(layers[t]), t))
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
                key=_node_key(table, "f" if name == "focus" else "t"),
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
    graph_edges = []
    pair_seen: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    for edge in edges:
        child, parent = nodes.get(edge.child), nodes.get(edge.parent)
        if child is None or parent is None:
            continue
        nth = pair_seen.get((edge.child, edge.parent), 0)
        pair_seen[(edge.child, edge.parent)] = nth + 1
        graph_edges.append(
            GraphEdge(
                child=child.key,
                parent=parent.key,
                action=_ACTION_CLASS.get(edge.on_delete.value, "noaction"),
                path=_edge_path(child, parent, nth),
                title=_edge_title(edge),
                label=", ".join(edge.columns),
            )
        )
    for dependency in dependencies:
        source, target = placed.get(dependency.source), placed.get(dependency.target)
        if source is None or target is None:
            continue
        nth = pair_seen.get((dependency.source, dependency.target), 0)
        pair_seen[(dependency.source, dependency.target)] = nth + 1
        graph_edges.append(
            GraphEdge(
                child=source.key,
                parent=target.key,
                action="dep",
                path=_edge_path(source, target, nth),
                title=dependency.title,
                label=dependency.label or dependency.kind,
                kind=dependency.kind,
            )
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
                key=_node_key(item.key, prefix),
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


def _table_layer(catalog: Any, table: tuple[str, str]) -> str:
    origin = catalog.tables[table].origin
    return origin.layer.value if getattr(origin, "file", "") else "base"


def _barycentre(dag: Any, table: tuple[str, str], order: Mapping[tuple[str, str], float]) -> float:
    placed = [order[p] for p in dag.predecessors(table) if p in order]
    return sum(placed) / len(placed) if placed else 0.5


def _wrap(members: list[tuple[str, str]], width_of: Any) -> list[list[tuple[str, str]]]:
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
    from checker.catalog import display_name

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


# ---------------------------------------------------------------------------
# Deletion closures of the contract's delete roots
# ---------------------------------------------------------------------------


def _closures(result: CheckResult) -> Iterable[ClosureView]:
    from fnmatch import fnmatchcase

    from checker.catalog import display_name

    graph = result.graph
    for intent in result.settings.contract.deletes:
        parts = []
        if intent.preserves:
            parts.append("preserves " + ", ".join(intent.preserves))
        if intent.removes:
            parts.append("removes " + ", ".join(intent.removes))
        intent_text = f"deleting a row of {intent.root} " + " and ".join(parts)
        root_key = _qualified(intent.root)
        if graph.catalog.tables.get(root_key) is None:
            yield ClosureView(intent.root, intent_text, False, None, 0, 0, 0, (), (), False)
            continue
        closure = result.closure(root_key)

        def contract_of(table: str, intent: DeleteIntent = intent) -> str:
            if table in intent.preserves:
                return "preserve"
            if any(fnmatchcase(table, pattern) for pattern in intent.removes):
                return "remove"
            return ""

        root = TreeNode(display_name(root_key), "root", "", contract_of(display_name(root_key)))
        for group in (closure.deleted, closure.set_null, closure.blocking):
            for paths in group.values():
                for path in paths:
                    _insert_path(root, path, contract_of)
        _sort_tree(root)
        deleted_names = {display_name(t) for t in closure.deleted}
        preserved_deleted = tuple(sorted(t for t in intent.preserves if t in deleted_names))
        removal_targets = sorted(
            display_name(t)
            for t in graph.catalog.tables
            if any(fnmatchcase(display_name(t), p) for p in intent.removes) and t != root_key
        )
        missed = tuple(t for t in removal_targets if t not in deleted_names)
        yield ClosureView(
            root=display_name(root_key),
            intent=intent_text,
            found=True,
            tree=root,
            deleted=len(closure.deleted),
            set_null=len(closure.set_null),
            blocking=len(closure.blocking),
            preserved_but_deleted=preserved_deleted,
            removal_missed=missed,
            truncated=closure.truncated,
            paths=_tree_size(root) - 1,
            deleted_tables=tuple(sorted(display_name(t) for t in closure.deleted)),
            set_null_tables=tuple(sorted(display_name(t) for t in closure.set_null)),
            blocking_tables=tuple(sorted(display_name(t) for t in closure.blocking)),
        )


def _tree_size(node: TreeNode) -> int:
    return 1 + sum(_tree_size(child) for child in node.children)


def _qualified(name: str) -> tuple[str, str]:
    if "." in name:
        schema, _, table = name.partition(".")
        return (schema, table)
    return ("public", name)


def _insert_path(root: TreeNode, path: DeletePath, contract_of: Any) -> None:
    from checker.catalog import display_name

    node = root
    for edge in path.edges:
        action = _ACTION_CLASS.get(edge.on_delete.value, "noaction")
        table = display_name(edge.child)
        via = f"{', '.join(edge.columns)} ON DELETE {edge.on_delete.value.upper()}"
        match = next(
            (c for c in node.children if c.table == table and c.via == via and c.action == action),
            None,
        )
        if match is None:
            match = TreeNode(table, action, via, contract_of(table))
            node.children.append(match)
        node = match


def _sort_tree(node: TreeNode) -> None:
    node.children.sort(key=lambda c: (c.action != "cascade", c.table, c.via))
    for child in node.children:
        _sort_tree(child)


# ---------------------------------------------------------------------------
# Query × index coverage
# ---------------------------------------------------------------------------


def _coverage(result: CheckResult) -> tuple[CoverageView | None, str]:
    matrix = result.coverage()
    if matrix is None:
        return None, "no documented queries"
    return _coverage_from_matrix(matrix), ""


def _coverage_from_matrix(matrix: Any) -> CoverageView:
    """Rows: documented queries; columns: every index of the tables they read."""
    from checker.catalog import display_name

    indexes = tuple(matrix.indexes)
    rows: list[tuple[str, str, str]] = []
    cells: list[tuple[CoverageCell, ...]] = []
    notes: list[str] = []
    for number, coverage in enumerate(matrix.queries):
        query = coverage.query
        verdict = str(getattr(coverage.verdict, "value", coverage.verdict))
        best = coverage.best
        summary = verdict
        if coverage.error:
            summary = f"query does not parse: {coverage.error}"
        elif coverage.missing_tables:
            missing = ", ".join(display_name(t) for t in coverage.missing_tables)
            summary = f"reads {missing}, which does not exist"
        for table in coverage.tables:
            if table.suggestion and table.verdict.rank < 3:
                notes.append(f"{query.name}: {table.suggestion}")
        rows.append((query.name, query.sql, _coverage_class(verdict) + "|" + summary))
        row: list[CoverageCell] = []
        for index in indexes:
            use = matrix.cell(number, index)
            if use is None:
                row.append(CoverageCell("none", ""))
                continue
            label = str(getattr(use.verdict, "value", use.verdict))
            parts = []
            if use.conditions:
                parts.append("narrows on " + ", ".join(use.conditions))
            if use.filters:
                parts.append("filters " + ", ".join(use.filters))
            if use.sort:
                parts.append("then sorts")
            if use.reason:
                parts.append(use.reason)
            is_best = best is not None and best.index == index and use.verdict.rank > 0
            expected = query.expect_index is not None and index[1] == query.expect_index
            text = ("★ " if is_best else "") + label + (" (expected)" if expected else "")
            row.append(CoverageCell(_coverage_class(label), text, "; ".join(parts)))
        cells.append(tuple(row))
    return CoverageView(
        queries=tuple(rows),
        indexes=tuple(display_name(i) for i in indexes),
        cells=tuple(cells),
        notes=tuple(notes),
    )


def _coverage_class(status: str) -> str:
    status = status.lower()
    if status.startswith("not") or "missing" in status:
        return "missing"
    if "sort" in status or "filter" in status:
        return "partial"
    if "served" in status:
        return "served"
    return "none"


# ---------------------------------------------------------------------------
# Migration timeline, live results, timings
# ---------------------------------------------------------------------------


def _timeline(result: CheckResult, findings: Sequence[Finding]) -> Iterable[TimelineRow]:
    statements: dict[str, int] = {}
    for statement in result.sources.statements:
        statements[statement.origin.file] = statements.get(statement.origin.file, 0) + 1
    per_file: dict[str, list[int]] = {}
    for finding in findings:
        if finding.primary is None:
            continue
        counts = per_file.setdefault(finding.primary.file, [0, 0, 0])
        counts[3 - finding.severity.rank] += 1
    previous: int | None = None
    for migration in result.sources.migrations:
        gap = ""
        if migration.sequence is not None:
            if previous is not None and migration.sequence > previous + 1:
                first, last = previous + 1, migration.sequence - 1
                gap = f"{first:04d}" if first == last else f"{first:04d}–{last:04d}"
            previous = migration.sequence
        entry = migration.journal
        when = ""
        if entry is not None and entry.when is not None:
            when = datetime.fromtimestamp(entry.when / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
        errors, warnings, infos = per_file.get(migration.path, [0, 0, 0])
        yield TimelineRow(
            layer=migration.layer.value,
            sequence="" if migration.sequence is None else f"{migration.sequence:04d}",
            name=migration.name,
            path=_rel(migration.path),
            status=migration.status.value,
            journal_idx="" if entry is None else str(entry.idx),
            when=when,
            statements=statements.get(migration.path, 0),
            errors=errors,
            warnings=warnings,
            infos=infos,
            gap_before=gap,
        )


def _live_view(
    live: Any, files: Mapping[str, Any], result: CheckResult, findings: Sequence[Finding]
) -> LiveView | None:
    if live is None:
        return None
    error = str(_attr(live, "error", "") or "")
    rows = []
    for finding in _attr(live, "findings", []) or []:
        text = " ".join([finding.message, *finding.details])
        match = _SQLSTATE.search(text)
        sqlstate = ""
        if match:
            candidate = match.group(1) or match.group(2) or ""
            sqlstate = candidate if any(ch.isdigit() for ch in candidate) else ""
        location = ""
        if finding.primary is not None:
            pos = position(finding.primary, files)
            location = pos.place
        rows.append(
            LiveRow(
                finding.code,
                finding.severity.value,
                sqlstate,
                location,
                finding.message,
                tuple(finding.details),
            )
        )
    raw_timings = {str(k): v for k, v in (_attr(live, "timings", {}) or {}).items()}
    seconds = {k: _as_float(v) for k, v in raw_timings.items()}
    total = sum(v for v in seconds.values() if v is not None)
    timings = tuple(
        (
            phase.replace("_", " "),
            _seconds(value),
            round(100.0 * (seconds[phase] or 0.0) / total, 1) if total else 0.0,
        )
        for phase, value in raw_timings.items()
    )
    facts = []
    label = _attr(live, "label")
    if label:
        facts.append(("ran on", str(label)))
    applied = _attr(live, "applied_count", _attr(live, "applied"))
    failed = _attr(live, "failed_count", _attr(live, "failed"))
    canonicalised = _attr(live, "canonicalised")
    if canonicalised:
        plural = "s" if canonicalised != 1 else ""
        facts.append(
            ("expressions", f"{canonicalised} static expression{plural} the server printed")
        )
    unobserved = _attr(live, "locks_unobserved")
    if unobserved:
        plural = "s" if unobserved != 1 else ""
        facts.append(
            ("locks not observed", f"{unobserved} statement{plural} outside a transaction")
        )
    return LiveView(
        backend=str(_attr(live, "backend", "") or ""),
        server=str(_attr(live, "server_version", "") or _attr(live, "server", "") or ""),
        timings=timings,
        rows=tuple(rows),
        facts=tuple(facts),
        error=error,
        total=_seconds(total) if total else "",
        cascades=tuple(
            sorted(_cascade_views(live, result, findings), key=lambda c: not c.in_contract)
        ),
        plans=tuple(_plan_views(live, result, findings)),
        applied=applied if isinstance(applied, int) else None,
        failed=failed if isinstance(failed, int) else None,
    )


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_WORDS = {"deleted": "deleted", "set_null": "set null", "blocking": "blocks"}


def _cascade_views(
    live: Any, result: CheckResult, findings: Sequence[Finding]
) -> Iterable[CascadeView]:
    """Each probed delete root: what the server did next to the static deletion closure."""
    from checker.catalog import display_name

    roots = {_qualified(intent.root) for intent in result.settings.contract.deletes}
    for observation in _attr(live, "cascades", ()) or ():
        root = observation.root
        closure = result.closure(root)
        static: dict[str, set[str]] = {}
        server: dict[str, set[str]] = {}
        for group, word in _WORDS.items():
            for table in getattr(closure, group):
                static.setdefault(display_name(table), set()).add(word)
            for table in getattr(observation, group):
                server.setdefault(display_name(table), set()).add(word)
        name = display_name(root)
        mine = [f for f in findings if f.code == "LV504" and f.objects[:1] == (name,)]
        # The engine decides what is a disagreement (LV504): a difference it does
        # not report is a prediction the probe could not build rows for.
        contradicted = {f.objects[1] for f in mine if len(f.objects) > 1}
        table_rows = []
        for table in sorted(set(static) | set(server)):
            said, did = static.get(table, set()), server.get(table, set())
            if table in contradicted:
                status = "differs"
            elif said == did:
                status = "agrees"
            else:
                status = "not-probed"
            shown = _joined(did)
            if status == "not-probed" and not did:
                shown = "not observed"
            table_rows.append(CascadeRow(table, _joined(said), shown, status))
        rank = {"differs": 0, "not-probed": 1, "agrees": 2}
        table_rows.sort(key=lambda r: (rank[r.status], r.table))
        messages = tuple(f.message for f in mine)
        yield CascadeView(
            root=name,
            in_contract=root in roots,
            static=(len(closure.deleted), len(closure.set_null), len(closure.blocking)),
            server=(
                len(observation.deleted),
                len(observation.set_null),
                len(observation.blocking),
            ),
            rows=tuple(table_rows),
            differences=sum(1 for r in table_rows if r.status == "differs"),
            not_probed=tuple(observation.not_probed),
            dropped_checks=tuple(observation.dropped_checks),
            failure=str(observation.failure or ""),
            findings=messages,
        )


def _joined(words: set[str]) -> str:
    order = list(_WORDS.values())
    return ", ".join(sorted(words, key=order.index)) if words else "—"


def _plan_views(live: Any, result: CheckResult, findings: Sequence[Finding]) -> Iterable[PlanView]:
    """Each documented query's plan on the server next to the static coverage verdict."""
    plans = _attr(live, "plans", ()) or ()
    if not plans:
        return
    matrix = result.coverage()
    coverage = {q.query.name: q for q in matrix.queries} if matrix is not None else {}
    for plan in plans:
        predicted = coverage.get(plan.query)
        sql, verdict, css, index = "", "not in the contract", "none", ""
        if predicted is not None:
            sql = predicted.query.sql
            verdict = str(getattr(predicted.verdict, "value", predicted.verdict))
            css = _coverage_class(verdict)
            if predicted.error:
                verdict = f"does not parse: {predicted.error}"
            best = predicted.best
            if best is not None:
                index = best.index[1]
        label = f"query {plan.query!r}"
        messages = tuple(f.message for f in findings if f.code == "LV503" and label in f.message)
        yield PlanView(
            query=plan.query,
            sql=sql,
            static_class=css,
            static_verdict=verdict,
            static_index=index,
            indexes=tuple(plan.indexes),
            sorts=bool(plan.sorts),
            sequential=tuple(plan.sequential),
            error=str(plan.error or ""),
            findings=messages,
        )


def _seconds(value: Any) -> str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _timings(result: CheckResult) -> tuple[tuple[str, str], ...]:
    timings = [(name, _seconds(value)) for name, value in (result.timings or {}).items()]
    return tuple(timings)


def _baseline_facts(extra: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    baseline = extra.get("baseline")
    if baseline is None:
        return ()
    facts = []
    for key in ("path", "accepted", "new", "fixed"):
        value = _attr(baseline, key)
        if value is not None:
            facts.append((key, str(len(value)) if isinstance(value, list | tuple) else str(value)))
    return tuple(facts)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _finalize(value: Any) -> Any:
    """Every value the template prints: hidden characters (bidi controls, zero-width)
    written out as ``<U+XXXX>`` text, in element content and attributes alike, so no
    name can reorder or hide part of the page. Markup (the inline script) is left alone."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return reveal(value, keep="\n\t")
    return value


def _content(text: Any) -> Any:
    """Text for element content: ``<``, ``>`` and ``&`` escaped, quotes left as they are
    (they only matter inside attributes, and SQL excerpts are full of them)."""
    import html

    from markupsafe import Markup

    return Markup(html.escape(reveal(str(text), keep="\n\t"), quote=False))


def _isolate(text: Any, names: Iterable[str] = (), links: Mapping[str, str] | None = None) -> Any:
    """``text`` escaped, with each of ``names`` (a finding's objects, and their last
    dotted part) in it wrapped in ``<bdi>`` so a right-to-left name cannot reorder
    the words around it; the whole text is a ``<bdi>`` when no name is given."""
    from markupsafe import Markup

    def escape(value: str) -> Any:
        return _content(value)

    shown = reveal(str(text), keep="\n\t")
    names = tuple(names)
    spelt = (part for name in names for part in (name, name.rpartition(".")[2]))
    candidates = {reveal(part, keep="") for part in spelt}
    candidates.discard("")
    if not names:
        return Markup("<bdi>") + escape(shown) + Markup("</bdi>")
    if not candidates:
        return escape(shown)
    pattern = re.compile(
        "|".join(
            rf"(?<![\w.]){re.escape(name)}(?![\w])"
            for name in sorted(candidates, key=lambda n: (-len(n), n))
        )
    )
    parts: list[Any] = []
    cursor = 0
    linked: set[str] = set()  # a name links to its panel once per message
    for match in pattern.finditer(shown):
        parts.append(escape(shown[cursor : match.start()]))
        found = match.group()
        isolated = Markup("<bdi>") + escape(found) + Markup("</bdi>")
        anchor = (links or {}).get(found) or (links or {}).get(found.rpartition(".")[0])
        if anchor and found not in linked:
            linked.add(found)
            isolated = Markup('<a href="#') + anchor + Markup('">') + isolated
            isolated += Markup("</a>")
        parts.append(isolated)
        cursor = match.end()
    parts.append(escape(shown[cursor:]))
    return Markup("").join(parts)


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    environment.filters["isolate"] = _isolate
    environment.filters["content"] = _content
    return environment


def render_html(model: ReportModel) -> str:
    """The whole page. Script and style are inlined; a Content-Security-Policy
    allows only that one script (by hash), so no injected handler could run."""
    from markupsafe import Markup

    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    style = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    if "</" in script or "</" in style:
        raise ValueError("inline script/style must not contain '</'")
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    import base64

    script_hash = "sha256-" + base64.b64encode(digest).decode("ascii")
    environment = _environment()
    template = environment.get_template("report.html.j2")
    return str(
        template.render(
            m=model,
            table_anchors=_table_anchors(model),
            changed_keys=frozenset(panel.key[2:] for panel in model.tables if panel.changed),
            panel_json=Markup(panel_data(model)),
            script=Markup(script),
            style=Markup(style),
            script_hash=script_hash,
        )
    )


def write_html_report(
    result: CheckResult, path: Path, *, title: str = "", base_url: str = ""
) -> None:
    """Build the model from ``result`` and write the page to ``path``; ``base_url`` makes
    each file:line a link to ``base_url/path#Lline`` (a repository browser at a commit)."""
    from checker.errors import InputError

    if base_url and not base_url.startswith(("https://", "http://", "file://")):
        raise InputError(f"--html-base-url {base_url}: not an http(s) or file URL")
    text = render_html(build_report_model(result, title=title, base_url=base_url))
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the HTML report: {exc.strerror or exc}") from None


def _provenance(result: CheckResult) -> str:
    from checker.engine import layer_inputs
    from checker.provenance import input_commit

    paths = [given for given, _layer in layer_inputs(result.settings) if isinstance(given, Path)]
    found = input_commit(paths)
    return found.describe() if found is not None else ""
