"""The report's sections besides the graph and the table panels: deletion closures,
query × index coverage, the migration timeline and the live run."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from checker.catalog import QualifiedName, display_name
from checker.findings import Finding
from checker.model import SourceFile
from checker.platforms import is_platform_file
from reports.common import position
from reports.html.model import (
    ACTION_CLASS,
    CascadeRow,
    CascadeView,
    ClosureView,
    CoverageCell,
    CoverageView,
    LiveRow,
    LiveView,
    PlanView,
    TimelineRow,
    TreeNode,
    shown_path,
)

if TYPE_CHECKING:
    from checker.config import DeleteIntent
    from checker.coverage import CoverageMatrix
    from checker.engine import CheckResult, LiveUnavailable
    from checker.graph import DeletePath
    from checker.live.verify import LiveReport

_SQLSTATE = re.compile(r"SQLSTATE[:\s]+([0-9A-Z]{5})\b|:\s([0-9A-Z]{5})\s")


def closure_views(result: CheckResult) -> Iterable[ClosureView]:
    """What deleting a row of each of the contract's delete roots does, as a tree."""
    graph = result.graph
    for intent in result.settings.contract.deletes:
        parts = []
        if intent.preserves:
            parts.append("preserves " + ", ".join(intent.preserves))
        if intent.removes:
            parts.append("removes " + ", ".join(intent.removes))
        intent_text = f"deleting a row of {intent.root} " + " and ".join(parts)
        root_key = qualified(intent.root)
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

        branch = _Branch(display_name(root_key), "root", "", contract_of(display_name(root_key)))
        for group in (closure.deleted, closure.set_null, closure.blocking):
            for paths in group.values():
                for path in paths:
                    _insert_path(branch, path, contract_of)
        root = _frozen(branch)
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


def qualified(name: str) -> QualifiedName:
    if "." in name:
        schema, _, table = name.partition(".")
        return (schema, table)
    return ("public", name)


@dataclass(slots=True)
class _Branch:
    """A node of a deletion tree while paths are added to it (frozen into a TreeNode)."""

    table: str
    action: str
    via: str
    contract: str
    children: list[_Branch] = field(default_factory=list)


def _insert_path(root: _Branch, path: DeletePath, contract_of: Callable[[str], str]) -> None:
    node = root
    for edge in path.edges:
        action = ACTION_CLASS.get(edge.on_delete.value, "noaction")
        table = display_name(edge.child)
        via = f"{', '.join(edge.columns)} ON DELETE {edge.on_delete.value.upper()}"
        match = next(
            (c for c in node.children if c.table == table and c.via == via and c.action == action),
            None,
        )
        if match is None:
            match = _Branch(table, action, via, contract_of(table))
            node.children.append(match)
        node = match


def _frozen(branch: _Branch) -> TreeNode:
    """The tree as shown: cascades first, then by table and edge."""
    children = sorted(branch.children, key=lambda c: (c.action != "cascade", c.table, c.via))
    return TreeNode(
        branch.table,
        branch.action,
        branch.via,
        branch.contract,
        tuple(_frozen(child) for child in children),
    )


# ---------------------------------------------------------------------------
# Query × index coverage
# ---------------------------------------------------------------------------


def coverage_view(result: CheckResult) -> tuple[CoverageView | None, str]:
    """The documented queries × index matrix, or None and why there is none."""
    matrix = result.coverage()
    if matrix is None:
        return None, "no documented queries"
    return _coverage_from_matrix(matrix), ""


def _coverage_from_matrix(matrix: CoverageMatrix) -> CoverageView:
    """Rows: documented queries; columns: every index of the tables they read."""
    indexes = tuple(matrix.indexes)
    rows: list[tuple[str, str, str]] = []
    cells: list[tuple[CoverageCell, ...]] = []
    notes: list[str] = []
    for number, coverage in enumerate(matrix.queries):
        query = coverage.query
        verdict = coverage.verdict.value
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
        rows.append((query.name, query.sql, coverage_class(verdict) + "|" + summary))
        row: list[CoverageCell] = []
        for index in indexes:
            use = matrix.cell(number, index)
            if use is None:
                row.append(CoverageCell("none", ""))
                continue
            label = use.verdict.value
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
            row.append(CoverageCell(coverage_class(label), text, "; ".join(parts)))
        cells.append(tuple(row))
    return CoverageView(
        queries=tuple(rows),
        indexes=tuple(display_name(i) for i in indexes),
        cells=tuple(cells),
        notes=tuple(notes),
    )


def coverage_class(status: str) -> str:
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


def timeline_rows(result: CheckResult, findings: Sequence[Finding]) -> Iterable[TimelineRow]:
    """Each migration file in order, with its journal entry and its findings' counts."""
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
        if is_platform_file(migration.path):
            continue  # the platform's objects: no file of the project
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
            path=shown_path(migration.path),
            status=migration.status.value,
            journal_idx="" if entry is None else str(entry.idx),
            when=when,
            statements=statements.get(migration.path, 0),
            errors=errors,
            warnings=warnings,
            infos=infos,
            gap_before=gap,
        )


def live_report(result: CheckResult) -> LiveReport | None:
    """The live verification's report, when one ran to the end."""
    from checker.engine import LiveUnavailable

    live = result.live
    return None if live is None or isinstance(live, LiveUnavailable) else live


def live_view(
    live: LiveReport | LiveUnavailable | None,
    files: Mapping[str, SourceFile],
    result: CheckResult,
    findings: Sequence[Finding],
) -> LiveView | None:
    """The live run's section: what the server did, or why it could not run."""
    from checker.engine import LiveUnavailable

    if live is None:
        return None
    if isinstance(live, LiveUnavailable):
        return LiveView(live.backend, "", (), (), (), live.error)
    rows = []
    for finding in live.findings:
        text = " ".join([finding.message, *finding.details])
        match = _SQLSTATE.search(text)
        sqlstate = ""
        if match:
            candidate = match.group(1) or match.group(2) or ""
            sqlstate = candidate if any(ch.isdigit() for ch in candidate) else ""
        location = ""
        if finding.primary is not None:
            location = position(finding.primary, files).place
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
    total = sum(live.timings.values())
    timings = tuple(
        (
            phase.replace("_", " "),
            seconds_text(value),
            round(100.0 * value / total, 1) if total else 0.0,
        )
        for phase, value in live.timings.items()
    )
    facts = []
    if live.label:
        facts.append(("ran on", live.label))
    if live.canonicalised:
        plural = "s" if live.canonicalised != 1 else ""
        facts.append(
            ("expressions", f"{live.canonicalised} static expression{plural} the server printed")
        )
    if live.locks_unobserved:
        plural = "s" if live.locks_unobserved != 1 else ""
        facts.append(
            (
                "locks not observed",
                f"{live.locks_unobserved} statement{plural} outside a transaction",
            )
        )
    return LiveView(
        backend=live.backend,
        server=live.server_version,
        timings=timings,
        rows=tuple(rows),
        facts=tuple(facts),
        error="",
        total=seconds_text(total) if total else "",
        cascades=tuple(
            sorted(_cascade_views(live, result, findings), key=lambda c: not c.in_contract)
        ),
        plans=tuple(_plan_views(live, result, findings)),
        applied=live.applied_count,
        failed=live.failed_count,
    )


# what a delete does to a table, in the order deleted, set null, blocking
_WORDS = ("deleted", "set null", "blocks")


def _cascade_views(
    live: LiveReport, result: CheckResult, findings: Sequence[Finding]
) -> Iterable[CascadeView]:
    """Each probed delete root: what the server did next to the static deletion closure."""
    roots = {qualified(intent.root) for intent in result.settings.contract.deletes}
    for observation in live.cascades:
        root = observation.root
        closure = result.closure(root)
        static: dict[str, set[str]] = {}
        server: dict[str, set[str]] = {}
        predicted = (closure.deleted, closure.set_null, closure.blocking)
        observed = (observation.deleted, observation.set_null, observation.blocking)
        for word, expected, seen in zip(_WORDS, predicted, observed, strict=True):
            for qualified_table in expected:
                static.setdefault(display_name(qualified_table), set()).add(word)
            for qualified_table in seen:
                server.setdefault(display_name(qualified_table), set()).add(word)
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
    order = list(_WORDS)
    return ", ".join(sorted(words, key=order.index)) if words else "—"


def _plan_views(
    live: LiveReport, result: CheckResult, findings: Sequence[Finding]
) -> Iterable[PlanView]:
    """Each documented query's plan on the server next to the static coverage verdict."""
    plans = live.plans
    if not plans:
        return
    matrix = result.coverage()
    coverage = {q.query.name: q for q in matrix.queries} if matrix is not None else {}
    for plan in plans:
        predicted = coverage.get(plan.query)
        sql, verdict, css, index = "", "not in the contract", "none", ""
        if predicted is not None:
            sql = predicted.query.sql
            verdict = predicted.verdict.value
            css = coverage_class(verdict)
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


def seconds_text(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
