"""SchemaGraph on a hand-made catalog with known answers (no parser involved)."""

from __future__ import annotations

from checker.catalog import (
    Catalog,
    Column,
    Constraint,
    ConstraintKind,
    FkAction,
    ForeignKeyDetails,
    Table,
    TypeRef,
)
from checker.graph import SchemaGraph

TEXT = TypeRef("text")


def _table(name: str, *fks: tuple[str, str, FkAction, bool]) -> Table:
    """A table with id plus one column per FK: (column, parent, action, not_null)."""
    columns = [Column("id", TEXT, not_null=True)]
    constraints = [Constraint(f"{name}_pkey", ConstraintKind.PRIMARY_KEY, ("id",))]
    for column, parent, action, not_null in fks:
        columns.append(Column(column, TEXT, not_null=not_null))
        constraints.append(
            Constraint(
                f"{name}_{column}_fk",
                ConstraintKind.FOREIGN_KEY,
                (column,),
                foreign_key=ForeignKeyDetails(("public", parent), ("id",), on_delete=action),
            )
        )
    return Table("public", name, tuple(columns), tuple(constraints))


def _graph(*tables: Table) -> SchemaGraph:
    return SchemaGraph(Catalog(tables={t.qualified: t for t in tables}))


C, N, R, A = FkAction.CASCADE, FkAction.SET_NULL, FkAction.RESTRICT, FkAction.NO_ACTION


def test_cascade_chain_set_null_stop_and_restrict_block() -> None:
    graph = _graph(
        _table("user"),
        _table("agent", ("created_by", "user", C, True)),
        _table("session", ("agent_id", "agent", C, True), ("user_id", "user", N, False)),
        _table("event", ("session_id", "session", C, True)),
        _table("invoice", ("user_id", "user", R, True)),
        _table("note", ("event_id", "event", A, True)),
    )
    closure = graph.deletion_closure("user")
    assert sorted(n for _, n in closure.deleted) == ["agent", "event", "session"]
    assert [p.render() for p in closure.deleted[("public", "event")]] == [
        "user →(created_by CASCADE) agent →(agent_id CASCADE) session →(session_id CASCADE) event"
    ]
    assert [p.render() for p in closure.set_null[("public", "session")]] == [
        "user →(user_id SET NULL) session"
    ]
    assert sorted(n for _, n in closure.blocking) == ["invoice", "note"]


def test_multiple_paths_and_cycles_terminate() -> None:
    graph = _graph(
        _table("a", ("b_id", "b", C, False)),
        _table("b", ("a_id", "a", C, False)),
        _table("c", ("a_id", "a", C, False), ("b_id", "b", C, False)),
        _table("d", ("parent_id", "d", C, False), ("a_id", "a", C, False)),
    )
    closure = graph.deletion_closure("a")
    # other rows of a (referencing the deleted b rows) and of d (children of
    # deleted d rows) go too: the paths back into visited tables are kept
    assert sorted(n for _, n in closure.deleted) == ["a", "b", "c", "d"]
    assert [p.render() for p in closure.deleted[("public", "a")]] == [
        "a →(a_id CASCADE) b →(b_id CASCADE) a"
    ]
    assert len(closure.deleted[("public", "c")]) == 2  # directly, and through b
    cycles = graph.cycles()
    assert [[e.constraint for e in cycle] for cycle in cycles] == [
        ["a_b_id_fk", "b_a_id_fk"],
        ["d_parent_id_fk"],
    ]


def test_creation_order_puts_parents_first() -> None:
    graph = _graph(
        _table("event", ("session_id", "session", C, True)),
        _table("session", ("user_id", "user", N, False)),
        _table("user"),
    )
    assert [n for _, n in graph.creation_order()] == ["user", "session", "event"]
