"""IX307: pgvector indexes: opclass no query uses, no dimensions, too many dimensions."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Catalog, Index, QualifiedName
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.vectors import OPCLASS_OPERATOR, OPERATOR_NAME, VECTOR_METHODS
from rules.index._common import describe, indexes_sorted, matrix

# Most dimensions an HNSW / IVFFlat index accepts, by column type (pgvector 0.8).
MAX_DIMENSIONS = {"vector": 2000, "halfvec": 4000, "bit": 64000}


@register
class VectorIndexRule(Rule):
    """A pgvector index that cannot be built, or that no documented query can use.

    What it does:
        For every HNSW and IVFFlat index: reports a ``vector`` column declared
        without dimensions and dimensions above the method's limit (2,000 for
        ``vector``, 4,000 for ``halfvec``), which make CREATE INDEX fail
        (errors), and an operator class whose distance operator none of the
        documented queries on that column uses (``vector_cosine_ops`` serves
        only ``<=>``, ``vector_l2_ops`` only ``<->``, ``vector_ip_ops`` only
        ``<#>``) (warning).

    Why it matters:
        An approximate-nearest-neighbour index is built for one distance. A
        query ordering by another distance cannot use it and falls back to
        computing the distance for every row, which is exactly what the index
        was meant to avoid, with no error to show it.

    Example:
        CREATE TABLE chunk (id bigint PRIMARY KEY, embedding vector(1536));
        CREATE INDEX chunk_embedding_idx ON chunk USING hnsw (embedding vector_l2_ops);

    Use instead:
        CREATE TABLE chunk (id bigint PRIMARY KEY, embedding vector(1536));
        CREATE INDEX chunk_embedding_idx ON chunk USING hnsw (embedding vector_cosine_ops);

    References:
        https://github.com/pgvector/pgvector#hnsw
        https://github.com/pgvector/pgvector#ivfflat
    """

    meta = RuleMeta(
        "IX307", "vector-index", Severity.ERROR, "pgvector index unusable or unbuildable"
    )
    doc_setup = "CREATE EXTENSION IF NOT EXISTS vector;"
    doc_contract = """
    [[query]]
    name = "nearest chunks"
    sql = "SELECT id FROM chunk ORDER BY embedding <=> ? LIMIT 10"
    """

    def check(self, context: RuleContext) -> Iterator[Finding]:
        operators = _documented_operators(context)
        for index in indexes_sorted(context.catalog):
            if index.method not in VECTOR_METHODS or not index.keys:
                continue
            yield from self._dimensions(context.catalog, index)
            yield from self._operator(index, operators)

    def _dimensions(self, catalog: Catalog, index: Index) -> Iterator[Finding]:
        key = index.keys[0]
        table = catalog.tables.get(index.table)
        column = table.column(key.column) if table is not None and key.column else None
        if column is None or column.type.is_array or column.type.name not in MAX_DIMENSIONS:
            return
        type_name = column.type.name
        where = f"{index.table[1]}.{column.name}"
        if not column.type.modifiers:
            yield self.finding(
                f"Index {index.name} ({index.method}) is on {where}, declared {type_name} "
                "without dimensions: pgvector rejects the CREATE INDEX (column does not have "
                "dimensions)",
                index.origin,
                objects=[index.name, where],
                fix=f"declare the column with its dimensions, e.g. {type_name}(1536)",
            )
            return
        try:
            dimensions = int(column.type.modifiers[0])
        except ValueError:
            return
        limit = MAX_DIMENSIONS[type_name]
        if dimensions > limit:
            yield self.finding(
                f"Index {index.name} ({index.method}) is on {where} {type_name}({dimensions}): "
                f"{index.method} indexes {type_name} up to {limit} dimensions, so pgvector "
                "rejects the CREATE INDEX",
                index.origin,
                objects=[index.name, where],
                fix=(
                    f"index a halfvec cast instead, e.g. USING {index.method} "
                    f"(({column.name}::halfvec({dimensions})) halfvec_cosine_ops), or reduce "
                    "the dimensions"
                    if type_name == "vector" and dimensions <= MAX_DIMENSIONS["halfvec"]
                    else "reduce the dimensions (or quantise to bit)"
                ),
            )

    def _operator(
        self, index: Index, operators: dict[tuple[QualifiedName, str], set[str]]
    ) -> Iterator[Finding]:
        key = index.keys[0]
        used = operators.get((index.table, key.column or ""))
        if not used:
            return
        served = OPCLASS_OPERATOR.get(key.opclass or "")
        if served in used:
            return
        wanted = sorted(used)
        opclass = key.opclass or "the default operator class"
        proposal = next(
            (o for o, op in OPCLASS_OPERATOR.items() if op == wanted[0] and o.startswith("vector")),
            None,
        )
        yield self.finding(
            f"Index {describe(index)} serves {served or 'no distance operator'} "
            f"({OPERATOR_NAME.get(served or '', 'none')}), but the documented queries on "
            f"{index.table[1]}.{key.column} order by {', '.join(wanted)} "
            f"({', '.join(OPERATOR_NAME.get(o, o) for o in wanted)}): {opclass} is never used "
            "and those queries compute the distance for every row",
            index.origin,
            severity=Severity.WARNING,
            objects=[index.name],
            fix=(
                f"CREATE INDEX ... USING {index.method} ({key.column} {proposal});"
                if proposal
                else None
            ),
        )


def _documented_operators(context: RuleContext) -> dict[tuple[QualifiedName, str], set[str]]:
    coverage = matrix(context)
    found: dict[tuple[QualifiedName, str], set[str]] = {}
    if coverage is None:
        return found
    for query in coverage.queries:
        for table in query.tables:
            distance = table.access.distance
            if distance is not None:
                found.setdefault((table.table, distance.column), set()).add(distance.operator)
    return found
