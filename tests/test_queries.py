"""Query patterns: what sqlglot-based extraction sees, and the --queries file loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import QueryPattern
from checker.errors import InputError
from checker.queries import PredicateKind, bind_literals, load_query_file, parse_query


def shape(sql: str):  # type: ignore[no-untyped-def]
    return parse_query(QueryPattern("q", sql))


def test_equality_range_order_and_limit() -> None:
    access = shape(
        "SELECT * FROM ticket WHERE queue_id = ? AND status IN ('a', 'b') AND closed_at IS NULL "
        "AND opened_at >= $1 ORDER BY opened_at DESC NULLS LAST, id LIMIT 20"
    ).accesses[0]
    assert access.table == ("public", "ticket")
    assert access.fixed == ("queue_id",)
    assert access.equality == ("queue_id", "status", "closed_at")
    assert access.ranges == ("opened_at",)
    assert [(o.target, o.descending, o.nulls_first) for o in access.order] == [
        ("opened_at", True, False),
        ("id", False, False),
    ]
    assert access.limit == 20 and access.columns is None


def test_quoted_reserved_word_and_named_placeholders() -> None:
    access = shape('SELECT id FROM e WHERE session_id = :sid ORDER BY "offset"').accesses[0]
    assert access.fixed == ("session_id",)
    assert access.order[0].target == "offset"
    assert access.columns == frozenset({"id", "session_id", "offset"})


@pytest.mark.parametrize("operator", ["<->", "<=>", "<#>"])
def test_pgvector_distance_operators(operator: str) -> None:
    access = shape(f"SELECT id FROM c WHERE doc = 1 ORDER BY embedding {operator} ? LIMIT 5")
    distance = access.accesses[0].distance
    assert distance is not None and distance.operator == operator
    assert distance.column == "embedding"


def test_joins_give_each_table_its_predicates() -> None:
    accesses = shape(
        'SELECT u.email FROM "user" u JOIN member m ON m.user_id = u.id WHERE m.org_id = ?'
    ).accesses
    kinds = {a.table[1]: {(p.target, p.kind) for p in a.predicates} for a in accesses}
    assert kinds["member"] == {("org_id", PredicateKind.EQUAL), ("user_id", PredicateKind.JOIN)}
    assert kinds["user"] == {("id", PredicateKind.JOIN)}


def test_bind_literals_types_placeholders(tmp_path: Path) -> None:
    from checker.catalog import Catalog, Column, Table, TypeRef

    table = Table(
        "public",
        "c",
        (Column("id", TypeRef("bigint")), Column("embedding", TypeRef("vector", None, ("3",)))),
    )
    catalog = Catalog(tables={table.qualified: table})
    query = shape("SELECT id FROM c WHERE id = ? ORDER BY embedding <#> ? LIMIT ?")
    assert bind_literals(query, catalog) == (
        "SELECT id FROM c WHERE id = '1'::bigint ORDER BY embedding <#> '[1,1,1]'::\"vector\"(3) "
        "LIMIT 10"
    )


def test_query_file_directives_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text(
        "-- name: first\n-- expect-index: t_a_idx\n-- volume: high\nSELECT * FROM t WHERE a = ?;\n"
        "\nSELECT 1 FROM t WHERE b = ';' -- trailing\n;\n",
        encoding="utf-8",
    )
    first, second = load_query_file(path)
    assert (first.name, first.expect_index, first.volume) == ("first", "t_a_idx", "high")
    assert second.sql.startswith("SELECT 1 FROM t WHERE b = ';'")
    assert second.source == f"{path}:6"
    path.write_text("SELECT 1;\nSELECT FROM WHERE (;\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.sql:2:"):
        load_query_file(path)
    path.write_text("-- volume: huge\nSELECT 1;\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.sql:1: volume"):
        load_query_file(path)


def test_sqlglot_is_not_imported_without_queries() -> None:
    import subprocess
    import sys

    code = "import checker.queries, checker.coverage, sys; print('sqlglot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
