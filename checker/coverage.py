"""Index coverage: which index serves each documented query, and how well.

For every table a query reads, every index of that table gets a cell with a
verdict: served (no sort, no filter), served with a sort, served with a
filter, or not served. The rules follow the B-tree planner's own logic:
leading keys pinned by equality (in any order), then one range key or the
ORDER BY keys in order with one consistent direction (all as declared or all
reversed, NULLS order included); a partial index only when the query's
predicates imply its predicate; INCLUDE columns make a scan index-only;
an HNSW / IVFFlat index serves only the distance operator of its opclass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from checker.catalog import Catalog, Index, IndexKey, QualifiedName
from checker.config import QueryPattern
from checker.fixes import new_name, sql_name
from checker.queries import (
    OrderItem,
    PredicateKind,
    QueryParseError,
    QueryShape,
    TableAccess,
    canonical_text,
    conjunct_texts,
    parse_query,
)
from checker.vectors import OPCLASS_OPERATOR, OPERATOR_NAME, VECTOR_METHODS

ORDERED_METHODS = frozenset({"btree"})
INDEX_ONLY_METHODS = frozenset({"btree", "gist", "spgist"})


class Verdict(StrEnum):
    SERVED = "served"
    SORT = "served with a sort"
    FILTER = "served with a filter"
    NOT_SERVED = "not served"

    @property
    def rank(self) -> int:
        """Higher is better."""
        return {"served": 3, "served with a sort": 2, "served with a filter": 1}.get(self.value, 0)


@dataclass(frozen=True, slots=True)
class IndexUse:
    """One cell of the matrix: what one index does for one table access."""

    index: QualifiedName
    verdict: Verdict
    conditions: tuple[str, ...] = ()  # keys that narrow the scan (leading equality, one range)
    filters: tuple[str, ...] = ()  # predicates checked row by row after the index
    sort: bool = False  # an explicit Sort remains
    provides_order: bool = False
    backward: bool = False  # the order comes from scanning the index backward
    index_only: bool = False
    reason: str = ""

    @property
    def score(self) -> tuple[int, int, int, int, int]:
        """Preference among cells, as the planner would weigh them (higher is better)."""
        return (
            int(self.verdict is not Verdict.NOT_SERVED),
            int(self.verdict is Verdict.SERVED),
            len(self.conditions),
            int(not self.sort) - len(self.filters),
            int(self.index_only),
        )


@dataclass(frozen=True, slots=True)
class TableCoverage:
    """How well each index serves one table access of a query, and the best one."""

    access: TableAccess
    cells: tuple[IndexUse, ...]
    best: IndexUse | None
    verdict: Verdict
    suggestion: str | None = None  # CREATE INDEX that would serve the access
    # the suggested index's plain ascending leading columns, and whether it is partial:
    # what a narrower index must match to be made redundant by it
    suggested_columns: tuple[str, ...] = ()
    suggested_partial: bool = False
    suggested_keys: int = 0  # how many keys it has in all

    @property
    def table(self) -> QualifiedName:
        return self.access.table

    @property
    def needs_index(self) -> bool:
        """False for an access with no predicate and no order: a sequential scan is right."""
        a = self.access
        return bool(a.predicates or a.order or a.distance)


@dataclass(frozen=True, slots=True)
class QueryCoverage:
    """How a documented query is served: per table, and overall."""

    query: QueryPattern
    shape: QueryShape | None
    tables: tuple[TableCoverage, ...]
    verdict: Verdict
    error: str | None = None  # the query does not parse
    error_offset: int = 0
    missing_tables: tuple[QualifiedName, ...] = ()

    @property
    def best(self) -> IndexUse | None:
        """The index that serves the first (usually only) table the query filters."""
        for table in self.tables:
            if table.needs_index:
                return table.best
        return None


@dataclass(frozen=True, slots=True)
class CoverageMatrix:
    """The documented queries against the indexes of the tables they touch."""

    queries: tuple[QueryCoverage, ...]
    indexes: tuple[QualifiedName, ...]  # the columns: every index of every table queried

    def cell(self, query: int, index: QualifiedName) -> IndexUse | None:
        for table in self.queries[query].tables:
            for use in table.cells:
                if use.index == index:
                    return use
        return None


def coverage_matrix(catalog: Catalog, queries: Iterable[QueryPattern]) -> CoverageMatrix:
    """Match every query against every index of the tables it reads."""
    covered: list[QueryCoverage] = []
    columns: dict[QualifiedName, None] = {}
    for pattern in queries:
        coverage = query_coverage(catalog, pattern)
        covered.append(coverage)
        for table in coverage.tables:
            for use in table.cells:
                columns[use.index] = None
    return CoverageMatrix(tuple(covered), tuple(columns))


def query_coverage(catalog: Catalog, pattern: QueryPattern) -> QueryCoverage:
    try:
        shape = parse_query(pattern, catalog)
    except QueryParseError as exc:
        return QueryCoverage(pattern, None, (), Verdict.NOT_SERVED, exc.message, exc.offset)
    tables: list[TableCoverage] = []
    missing: list[QualifiedName] = []
    for access in shape.accesses:
        if access.table not in catalog.tables:
            missing.append(access.table)
            continue
        indexes = sorted(catalog.indexes_of(access.table), key=lambda i: i.name)
        tables.append(table_coverage(catalog, access, indexes))
    relevant = [t for t in tables if t.needs_index]
    verdict = min((t.verdict for t in relevant), key=lambda v: v.rank, default=Verdict.SERVED)
    if missing:
        verdict = Verdict.NOT_SERVED
    return QueryCoverage(pattern, shape, tuple(tables), verdict, missing_tables=tuple(missing))


def table_coverage(
    catalog: Catalog, access: TableAccess, indexes: Sequence[Index]
) -> TableCoverage:
    cells = tuple(match_index(catalog, access, index) for index in indexes)
    usable = [c for c in cells if c.verdict is not Verdict.NOT_SERVED]
    best = max(usable, key=lambda c: c.score) if usable else None
    if not (access.predicates or access.order or access.distance):
        return TableCoverage(access, cells, best, Verdict.SERVED)
    verdict = best.verdict if best is not None else Verdict.NOT_SERVED
    if verdict is Verdict.SERVED:
        return TableCoverage(access, cells, best, verdict)
    sql, columns, partial, keys = _suggest(access)
    return TableCoverage(access, cells, best, verdict, sql, columns, partial, keys)


# ---------------------------------------------------------------- one index


def match_index(catalog: Catalog, access: TableAccess, index: Index) -> IndexUse:
    """The cell of one index for one table access."""
    implied, reason = _predicate_implied(index, access)
    if not implied:
        return IndexUse(index.qualified, Verdict.NOT_SERVED, reason=reason)
    if index.method in VECTOR_METHODS:
        return _match_vector(access, index, implied_texts=_implied_texts(index))
    keys = [_key_target(key) for key in index.keys]
    covered_texts = _implied_texts(index)
    conditions, narrowed = _leading_conditions(access, index, keys)
    fixed = set(access.fixed)
    # ORDER BY columns pinned to one value by the WHERE clause need no order at all
    wants_order = bool([i for i in access.order if i.target not in fixed] or access.distance)
    order_ok, backward = (False, False)
    if index.method in ORDERED_METHODS and wants_order and not access.distance:
        order_ok, backward = _order_matches(access, index, keys, len(conditions))
    sort = wants_order and not order_ok
    filters = tuple(
        p.text
        for p in access.predicates
        if p.target not in conditions and p.text not in covered_texts
    )
    index_only = index.method in INDEX_ONLY_METHODS and _index_only(catalog, access, index)
    use = IndexUse(
        index.qualified,
        Verdict.NOT_SERVED,
        conditions=tuple(conditions),
        filters=filters,
        sort=sort,
        provides_order=order_ok,
        backward=backward,
        index_only=index_only,
    )
    if narrowed:
        verdict = Verdict.SORT if sort else Verdict.FILTER if filters else Verdict.SERVED
    elif order_ok:
        # a full scan in index order: fine with no predicate, a filter on every row otherwise
        verdict = Verdict.FILTER if filters else Verdict.SERVED
    elif index.method in ORDERED_METHODS and any(p.target in keys for p in access.predicates):
        verdict = Verdict.FILTER  # the condition is on a later key: every entry is read
    else:
        return IndexUse(index.qualified, Verdict.NOT_SERVED, reason=_why_unusable(index, keys))
    return _replace_verdict(use, verdict)


def _replace_verdict(use: IndexUse, verdict: Verdict) -> IndexUse:
    return IndexUse(
        use.index,
        verdict,
        use.conditions,
        use.filters,
        use.sort,
        use.provides_order,
        use.backward,
        use.index_only,
        use.reason,
    )


def _key_target(key: IndexKey) -> str:
    if key.column is not None:
        return key.column
    return canonical_text(key.expression or "") or f"({key.expression})"


def _leading_conditions(
    access: TableAccess, index: Index, keys: list[str]
) -> tuple[list[str], bool]:
    """Keys that narrow the scan: leading keys with an equality, then one range key."""
    equality = set(access.equality)
    ranges = set(access.ranges)
    if index.method == "hash":
        single = set(access.targets(PredicateKind.EQUAL, PredicateKind.JOIN))
        hit = len(keys) == 1 and keys[0] in single
        return (keys[:1] if hit else []), hit
    if index.method not in ORDERED_METHODS:
        # GIN, GiST, BRIN...: usable when a predicate names a key; no order, no prefix rule
        hits = [k for k in keys if k in equality or k in ranges]
        return hits, bool(hits)
    conditions: list[str] = []
    for key in keys:
        if key in equality:
            conditions.append(key)
            continue
        if key in ranges:
            conditions.append(key)
        break
    return conditions, bool(conditions)


def _order_matches(
    access: TableAccess, index: Index, keys: list[str], _conditions: int
) -> tuple[bool, bool]:
    """Whether the index returns rows in the ORDER BY order, and if so backward."""
    fixed = set(access.fixed)
    wanted = [item for item in access.order if item.target not in fixed]
    if not wanted:
        return True, False
    # keys pinned to one value do not change the order the rest come in
    remaining = [
        (key, target) for key, target in zip(index.keys, keys, strict=True) if target not in fixed
    ]
    if len(wanted) > len(remaining):
        return False, False
    directions: set[bool] = set()
    for item, (key, target) in zip(wanted, remaining, strict=False):
        if item.target != target:
            return False, False
        directions.add(_same_direction(item, key))
        if item.descending == key.descending and item.nulls_first != _nulls_first(key):
            return False, False
        if item.descending != key.descending and item.nulls_first == _nulls_first(key):
            return False, False
    if len(directions) != 1:
        return False, False
    return True, not directions.pop()


def _nulls_first(key: IndexKey) -> bool:
    return key.descending if key.nulls_first is None else key.nulls_first


def _same_direction(item: OrderItem, key: IndexKey) -> bool:
    return item.descending == key.descending


def _predicate_implied(index: Index, access: TableAccess) -> tuple[bool, str]:
    if index.predicate is None:
        return True, ""
    needed = conjunct_texts(index.predicate)
    if needed is None:
        return False, f"partial index predicate {index.predicate} could not be compared"
    have = {p.text for p in access.predicates}
    for atom in needed:
        if atom in have or _implied_atom(atom, access):
            continue
        return False, f"partial index: the query does not imply WHERE {index.predicate}"
    return True, ""


def _implied_atom(atom: str, access: TableAccess) -> bool:
    """``col IS NOT NULL`` follows from any strict comparison on the column."""
    suffix = " IS NOT NULL"
    if atom.startswith("NOT ") and atom.endswith(" IS NULL"):
        atom = atom[4:-8] + suffix
    if not atom.endswith(suffix):
        return False
    column = atom[: -len(suffix)].strip('"')
    strict = (PredicateKind.EQUAL, PredicateKind.IN, PredicateKind.RANGE, PredicateKind.JOIN)
    return column in access.targets(*strict)


def _implied_texts(index: Index) -> frozenset[str]:
    """Query conjuncts the partial predicate already guarantees: no recheck needed."""
    if index.predicate is None:
        return frozenset()
    return frozenset(conjunct_texts(index.predicate) or ())


def _index_only(catalog: Catalog, access: TableAccess, index: Index) -> bool:
    available = {k.column for k in index.keys if k.column is not None} | set(index.include)
    if access.columns is None:
        table = catalog.tables.get(access.table)
        if table is None:
            return False
        needed = {c.name for c in table.columns}
    else:
        needed = set(access.columns)
    return needed <= available


def _match_vector(access: TableAccess, index: Index, implied_texts: frozenset[str]) -> IndexUse:
    key = index.keys[0] if index.keys else None
    served_operator = OPCLASS_OPERATOR.get(key.opclass or "") if key else None
    distance = access.distance
    if distance is None or key is None or key.column != distance.column:
        reason = (
            f"{index.method} serves only ORDER BY {key.column if key else '?'} <op> ... LIMIT n"
        )
        return IndexUse(index.qualified, Verdict.NOT_SERVED, reason=reason)
    if served_operator != distance.operator:
        opclass = key.opclass or "no operator class"
        served = (
            f"{served_operator} ({OPERATOR_NAME.get(served_operator, '')})"
            if served_operator
            else "none"
        )
        reason = (
            f"{opclass} serves {served}; the query orders by {distance.operator} "
            f"({OPERATOR_NAME.get(distance.operator, 'unknown')})"
        )
        return IndexUse(index.qualified, Verdict.NOT_SERVED, reason=reason)
    filters = tuple(p.text for p in access.predicates if p.text not in implied_texts)
    verdict = Verdict.FILTER if filters else Verdict.SERVED
    reason = "" if access.has_limit else "without LIMIT the index is not used for ordering"
    if not access.has_limit:
        verdict = Verdict.NOT_SERVED
    return IndexUse(
        index.qualified,
        verdict,
        conditions=(key.column or "",),
        filters=filters,
        provides_order=verdict is not Verdict.NOT_SERVED,
        reason=reason,
    )


def _why_unusable(index: Index, keys: list[str]) -> str:
    if not keys:
        return "no keys"
    if index.method in ORDERED_METHODS:
        return f"leading key {keys[0]} is not constrained by the query"
    return f"{index.method} index: no predicate of the query uses its keys"


# ---------------------------------------------------------------- suggestion


def suggest_index(access: TableAccess) -> str:
    """A CREATE INDEX that serves the access without a sort or a filter."""
    return _suggest(access)[0]


def _suggest(access: TableAccess) -> tuple[str, tuple[str, ...], bool, int]:
    """The CREATE INDEX, its leading plain ascending columns, whether it is partial,
    and how many keys it has."""
    quoted_table = (
        sql_name(access.table[1])
        if access.table[0] == "public"
        else (f"{sql_name(access.table[0])}.{sql_name(access.table[1])}")
    )
    if access.distance is not None:
        operator = access.distance.operator
        opclass = next(
            (o for o, op in OPCLASS_OPERATOR.items() if op == operator and o.startswith("vector")),
            None,
        )
        column = access.distance.column
        name = _index_name(access.table[1], [column, "hnsw"])
        key = f"{sql_name(column)} {opclass}" if opclass else sql_name(column)
        return f"CREATE INDEX {name} ON {quoted_table} USING hnsw ({key});", (), False, 1
    keys: list[str] = []
    names: list[str] = []
    plain: list[str] = []  # leading keys that are columns in ascending order
    partial: list[str] = []
    for predicate in access.predicates:
        if predicate.kind is PredicateKind.IS_NULL and predicate.is_column:
            partial.append(f"{sql_name(predicate.target)} IS NULL")
            continue
        if predicate.kind in (PredicateKind.EQUAL, PredicateKind.IN, PredicateKind.JOIN):
            _add_key(predicate.target, predicate.is_column, keys, names)
            if predicate.is_column and len(plain) == len(names) - 1:
                plain.append(predicate.target)
    fixed = set(access.fixed)
    ordered = [item for item in access.order if item.target not in fixed]
    for item in ordered:
        text = sql_name(item.target) if item.is_column else f"({item.target})"
        if item.descending:
            text += " DESC"
        if item.nulls_first != item.descending:
            text += " NULLS FIRST" if item.nulls_first else " NULLS LAST"
        if item.target not in names:
            keys.append(text)
            names.append(item.target)
            if item.is_column and text == sql_name(item.target) and len(plain) == len(names) - 1:
                plain.append(item.target)
    if not ordered:
        for target in access.ranges:
            _add_key(target, not target.endswith(")"), keys, names)
            break
    if not keys:
        keys = [sql_name(p.columns[0]) for p in access.predicates[:1] if p.columns]
        names = [p.columns[0] for p in access.predicates[:1] if p.columns]
    name = _index_name(access.table[1], names)
    where = f" WHERE {' AND '.join(partial)}" if partial else ""
    if not plain and names and keys[0] == sql_name(names[0]):
        plain = names[:1]
    sql = f"CREATE INDEX {name} ON {quoted_table} ({', '.join(keys)}){where};"
    return sql, tuple(plain), bool(partial), len(keys)


def _add_key(target: str, is_column: bool, keys: list[str], names: list[str]) -> None:
    if target in names:
        return
    keys.append(sql_name(target) if is_column else f"({target})")
    names.append(target)


def _index_name(table: str, columns: Sequence[str]) -> str:
    words = [table, *("".join(ch if ch.isalnum() else "_" for ch in c).strip("_") for c in columns)]
    return sql_name(new_name(*words, suffix="_idx"))
