"""pgvector's index methods, operator classes and distance operators: what the coverage
of a documented nearest-neighbour query and the vector-index rule both need, without
the query parsing the coverage brings with it."""

from __future__ import annotations

VECTOR_METHODS = frozenset({"hnsw", "ivfflat"})

# pgvector operator classes and the one distance operator each serves.
OPCLASS_OPERATOR = {
    f"{kind}_{metric}_ops": operator
    for kind in ("vector", "halfvec", "sparsevec")
    for metric, operator in (("l2", "<->"), ("ip", "<#>"), ("cosine", "<=>"), ("l1", "<+>"))
} | {"bit_hamming_ops": "<~>", "bit_jaccard_ops": "<%>"}
OPERATOR_NAME = {
    "<->": "L2 distance",
    "<#>": "negative inner product",
    "<=>": "cosine distance",
    "<+>": "L1 distance",
    "<~>": "Hamming distance",
    "<%>": "Jaccard distance",
}
