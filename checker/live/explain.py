"""EXPLAIN probe: does the server plan each documented query with the index the contract expects?

Every ``[[contract.query]]`` is planned with ``EXPLAIN (GENERIC_PLAN)``
(PostgreSQL 16+: ``$n`` parameters need no values; the contract's ``?``
placeholders are numbered first) and sequential scans disabled, so on empty
tables the planner still shows which index it can use at all. LV503 when the
expected index is not in the plan, when a table can only be read by a
sequential scan, or when the query does not plan at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.catalog import Catalog, display_name
from checker.config import QueryPattern
from checker.findings import Finding, Location, Severity
from checker.model import Origin

if TYPE_CHECKING:
    import psycopg

    from checker.coverage import QueryCoverage

CODE_PLAN_DIFFERS = "LV503"
_INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


@dataclass(frozen=True, slots=True)
class PlanObservation:
    query: str  # the pattern's name
    indexes: tuple[str, ...] = ()  # indexes the plan uses, in plan order
    sequential: tuple[str, ...] = ()  # tables read by a sequential scan despite enable_seqscan=off
    sorts: bool = False  # the plan sorts (the ORDER BY is not served by an index)
    error: str | None = None  # the query did not plan: SQLSTATE and message


def numbered_placeholders(sql: str) -> str:
    """``?`` placeholders as ``$1``, ``$2``...; a ``?`` inside a string or comment stays."""
    from pglast import parser

    try:
        tokens = parser.scan(sql)
    except parser.ParseError:
        return sql
    pieces: list[str] = []
    last = 0
    number = 0
    for token in tokens:
        if token.name == "Op" and sql[token.start : token.end + 1] == "?":
            number += 1
            pieces.append(sql[last : token.start])
            pieces.append(f"${number}")
            last = token.end + 1
    pieces.append(sql[last:])
    return "".join(pieces)


def explain_query(connection: psycopg.Connection[Any], pattern: QueryPattern) -> PlanObservation:
    """Plan one documented query; changes nothing (settings are local to a rolled-back block)."""
    import psycopg

    connection.execute("BEGIN")
    try:
        connection.execute("SET LOCAL enable_seqscan = off")
        # On the empty tables of a scratch database the planner prefers a bitmap
        # scan plus a sort even where an ordered index scan exists; bitmap scans
        # never return rows in index order, so with them off the plan shows
        # whether an index can deliver the order (what the static verdict says).
        connection.execute("SET LOCAL enable_bitmapscan = off")
        connection.execute("SAVEPOINT schema_check_explain")
        try:
            row = connection.execute(
                f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {numbered_placeholders(pattern.sql)}"
            ).fetchone()
        except psycopg.Error as error:
            message = f"{error.diag.sqlstate} {error.diag.message_primary}"
            return PlanObservation(pattern.name, error=message)
    finally:
        connection.execute("ROLLBACK")
    plan = row[0] if row else []
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = list(_nodes(plan[0]["Plan"])) if plan else []
    return PlanObservation(
        pattern.name,
        indexes=tuple(n["Index Name"] for n in nodes if n.get("Node Type") in _INDEX_NODES),
        sequential=tuple(
            n.get("Relation Name", "?") for n in nodes if n.get("Node Type") == "Seq Scan"
        ),
        sorts=any(n.get("Node Type") in ("Sort", "Incremental Sort") for n in nodes),
    )


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def plan_findings(
    static: Catalog,
    pattern: QueryPattern,
    observation: PlanObservation,
    *,
    predicted: QueryCoverage | None = None,
    severity: Severity = Severity.WARNING,
) -> list[Finding]:
    """LV503 when the plan fails, misses the expected index, needs a sequential
    scan, or disagrees with the static coverage verdict ``predicted`` (the index
    that serves the query, and whether a Sort remains)."""
    where = _place(static, pattern, observation)
    label = f"query {pattern.name!r}"
    if observation.error is not None:
        return [
            _finding(f"{label} does not plan on the server: {observation.error}", where, severity)
        ]
    uses = ", ".join(observation.indexes) or "no index"
    sorting = "; the plan sorts" if observation.sorts else ""
    if pattern.expect_index and pattern.expect_index not in observation.indexes:
        return [
            _finding(
                f"{label}: the server's plan does not use {pattern.expect_index} "
                f"(uses {uses}{sorting})",
                where,
                severity,
                pattern.expect_index,
            )
        ]
    if observation.sequential:
        tables = ", ".join(sorted(set(observation.sequential)))
        return [
            _finding(
                f"{label}: no index can serve it; the server scans {tables} sequentially "
                "even with sequential scans disabled",
                where,
                severity,
            )
        ]
    best = predicted.best if predicted is not None else None
    if best is None:
        return []
    expected = best.index[1]
    if expected not in observation.indexes:
        return [
            _finding(
                f"{label}: the static verdict says {expected} serves it ({best.verdict.value}); "
                f"the server's plan uses {uses}{sorting}",
                where,
                severity,
                expected,
            )
        ]
    if best.sort != observation.sorts:
        said = "a sort" if best.sort else "no sort"
        found = "sorts" if observation.sorts else "does not sort"
        return [
            _finding(
                f"{label}: the static verdict predicted {said} after {expected}; "
                f"the server's plan {found}",
                where,
                severity,
                expected,
            )
        ]
    return []


def _place(static: Catalog, pattern: QueryPattern, observation: PlanObservation) -> Origin | None:
    """The query's declaration, else the expected index's statement, else the
    first table the plan scans sequentially."""
    if pattern.origin is not None:
        return pattern.origin
    if pattern.expect_index:
        for index in static.indexes.values():
            if index.name == pattern.expect_index:
                return index.origin
    for name in observation.sequential:
        table = static.table(name)
        if table is not None:
            return table.origin
    return None


def _finding(
    message: str, where: Origin | None, severity: Severity, index: str | None = None
) -> Finding:
    locations = (Location.of(where),) if where is not None and where.file else ()
    objects = (display_name(("public", index)),) if index else ()
    return Finding(CODE_PLAN_DIFFERS, severity, message, locations, objects)
