"""The query × index coverage matrix of ``schema-check coverage``, as text or json."""

from __future__ import annotations

import json
from typing import Any

from checker import __version__
from checker.catalog import display_name
from checker.coverage import CoverageMatrix, IndexUse, QueryCoverage, TableCoverage, Verdict

COVERAGE_SCHEMA_VERSION = 1
_MARK = {
    Verdict.SERVED: "served",
    Verdict.SORT: "sort",
    Verdict.FILTER: "filter",
    Verdict.NOT_SERVED: "-",
}


def render_coverage_text(matrix: CoverageMatrix) -> str:
    """Per query: its verdict, the index that serves it, every index of its tables, and a
    compact matrix at the end."""
    lines: list[str] = []
    for number, query in enumerate(matrix.queries, start=1):
        lines += _query_text(number, query)
        lines.append("")
    lines += _matrix_text(matrix)
    counts = {v: sum(1 for q in matrix.queries if q.verdict is v) for v in Verdict}
    summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    lines.append(f"{len(matrix.queries)} queries: {summary or 'none'}")
    return "\n".join(lines) + "\n"


def _query_text(number: int, query: QueryCoverage) -> list[str]:
    best = query.best
    head = f"{number}. {query.query.name}: {query.verdict.value}"
    if best is not None and query.verdict is not Verdict.NOT_SERVED:
        head += f" by {best.index[1]}"
    lines = [head, f"   {query.query.sql}"]
    if query.query.expect_index:
        lines.append(f"   documented index: {query.query.expect_index}")
    if query.error:
        lines.append(f"   error: {query.error}")
    for missing in query.missing_tables:
        lines.append(f"   table {display_name(missing)} does not exist")
    for table in query.tables:
        lines += _table_text(table)
    return lines


def _table_text(table: TableCoverage) -> list[str]:
    lines = [f"   {display_name(table.table)}: {table.verdict.value}"]
    if not table.needs_index:
        lines[0] += " (no predicate, no order: a sequential scan is expected)"
    width = max((len(c.index[1]) for c in table.cells), default=0)
    for cell in sorted(table.cells, key=lambda c: c.score, reverse=True):
        lines.append(
            f"     {cell.verdict.value:<20} {cell.index[1]:<{width}}  {_cell_detail(cell)}"
        )
    if table.suggestion:
        lines.append(f"     would serve it: {table.suggestion}")
    return lines


def _cell_detail(cell: IndexUse) -> str:
    if cell.verdict is Verdict.NOT_SERVED:
        return cell.reason
    parts = []
    if cell.conditions:
        parts.append("by " + ", ".join(cell.conditions))
    if cell.provides_order:
        parts.append("in order" + (" (backward scan)" if cell.backward else ""))
    if cell.sort:
        parts.append("then sorted")
    if cell.filters:
        parts.append("filter " + " AND ".join(cell.filters))
    if cell.index_only:
        parts.append("index-only")
    return "; ".join(parts)


def _matrix_text(matrix: CoverageMatrix) -> list[str]:
    if not matrix.queries or not matrix.indexes:
        return []
    width = max(len(index[1]) for index in matrix.indexes)
    header = " " * width + "  " + " ".join(f"{n:>6}" for n in range(1, len(matrix.queries) + 1))
    lines = ["matrix (columns: queries; served / sort / filter / - not served):", header]
    for index in matrix.indexes:
        cells = []
        for number in range(len(matrix.queries)):
            cell = matrix.cell(number, index)
            cells.append(f"{_MARK[cell.verdict] if cell else '':>6}")
        lines.append(f"{index[1]:<{width}}  " + " ".join(cells))
    lines.append("")
    return lines


def coverage_document(matrix: CoverageMatrix) -> dict[str, Any]:
    """The json-ready form of the matrix (deterministic: query order, then index order)."""
    return {
        "schema_version": COVERAGE_SCHEMA_VERSION,
        "tool": {"name": "schema-check", "version": __version__},
        "indexes": [display_name(index) for index in matrix.indexes],
        "queries": [_query_json(query) for query in matrix.queries],
    }


def render_coverage_json(matrix: CoverageMatrix) -> str:
    return json.dumps(coverage_document(matrix), indent=2, ensure_ascii=False) + "\n"


def _query_json(query: QueryCoverage) -> dict[str, Any]:
    best = query.best
    return {
        "name": query.query.name,
        "sql": query.query.sql,
        "source": query.query.source,
        "expect_index": query.query.expect_index,
        "volume": query.query.volume,
        "verdict": query.verdict.value,
        "best_index": best.index[1] if best is not None else None,
        "error": query.error,
        "missing_tables": [display_name(t) for t in query.missing_tables],
        "tables": [_table_json(table) for table in query.tables],
    }


def _table_json(table: TableCoverage) -> dict[str, Any]:
    access = table.access
    return {
        "table": display_name(table.table),
        "verdict": table.verdict.value,
        "needs_index": table.needs_index,
        "equality": list(access.equality),
        "range": list(access.ranges),
        "order_by": [item.render() for item in access.order],
        "distance": (
            {"column": access.distance.column, "operator": access.distance.operator}
            if access.distance
            else None
        ),
        "limit": access.limit,
        "suggestion": table.suggestion,
        "cells": [
            {
                "index": display_name(cell.index),
                "verdict": cell.verdict.value,
                "conditions": list(cell.conditions),
                "filters": list(cell.filters),
                "sort": cell.sort,
                "ordered": cell.provides_order,
                "backward": cell.backward,
                "index_only": cell.index_only,
                "reason": cell.reason,
            }
            for cell in table.cells
        ],
    }
