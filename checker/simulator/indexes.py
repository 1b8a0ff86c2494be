"""CREATE INDEX: keys, opclasses, order, INCLUDE, partial predicates, and the
name PostgreSQL picks for an unnamed index (``<table>_<cols>_idx``)."""

from __future__ import annotations

from checker.catalog import Index, QualifiedName, display_name
from checker.simulation import EventKind
from checker.simulator.definitions import index_key, names_of
from checker.simulator.expressions import column_refs, deparse
from checker.simulator.naming import (
    choose_name,
    element_colname,
    index_column_names,
    name_addition,
)
from checker.simulator.state import State
from checker.simulator.tables import partitions_of
from checker.types import PgNode


def create_index(state: State, node: PgNode) -> None:
    table_key = state.relation_key(node.relation)
    table = state.tables.get(table_key)
    if table is None:
        view = state.views.get(table_key)
        if view is not None and view.materialized:
            _create_on_view(state, node, table_key)
            return
        state.missing("table", table_key, display_name(table_key), location=node.relation.location)
        return
    elements = [*(node.indexParams or ()), *(node.indexIncludingParams or ())]
    used: set[str] = set()
    for element in elements:
        if element.name:
            used.add(str(element.name))
        elif element.expr is not None:
            used.update(column_refs(element.expr))
    if node.whereClause is not None:
        used.update(column_refs(node.whereClause))
    if state.absent_columns(table, sorted(used)):
        return  # the server rejects the index: nothing is created
    naming = index_column_names([element_colname(e) for e in elements])
    schema = table.schema
    if node.idxname:
        name = str(node.idxname)
    else:
        name = choose_name(table.name, name_addition(naming), "idx", state.relation_taken(schema))
    index = Index(
        schema=schema,
        name=name,
        table=table_key,
        method=str(node.accessMethod or "btree"),
        keys=tuple(index_key(e) for e in node.indexParams or ()),
        include=tuple(str(e.name) for e in node.indexIncludingParams or () if e.name),
        predicate=deparse(node.whereClause) if node.whereClause is not None else None,
        unique=bool(node.unique),
        nulls_not_distinct=bool(node.nulls_not_distinct),
        with_options=tuple((str(o.defname), deparse(o.arg)) for o in node.options or ()),
        tablespace=str(node.tableSpace) if node.tableSpace else None,
        origin=state.origin_at(None),
    )
    existing = state.relation_exists((schema, name))
    if existing is not None:
        if node.if_not_exists:
            state.event(
                EventKind.SKIPPED_EXISTING,
                "index",
                name,
                previous=getattr(existing, "origin", None),
                kept=existing,
                skipped=index,
            )
        else:
            state.duplicate("index", name, existing, index)
        return
    state.put_index(index, used)
    state.event(EventKind.CREATED, "index", name)
    if table.partitioning is not None and node.relation.inh:
        _cascade_to_partitions(state, table_key, index, naming, used)


def _cascade_to_partitions(
    state: State, table_key: QualifiedName, index: Index, naming: list[str], used: set[str]
) -> None:
    # An index on a partitioned table is created on every partition, each named
    # by the usual rule for the partition (DefineIndex recursing with no name).
    for partition_key in partitions_of(state, table_key):
        partition = state.tables[partition_key]
        name = choose_name(
            partition.name, name_addition(naming), "idx", state.relation_taken(partition.schema)
        )
        from dataclasses import replace

        child = replace(index, schema=partition.schema, name=name, table=partition_key)
        state.put_index(child, used)
        state.event(EventKind.CREATED, "index", name, detail=f"partition of {index.name}")
        if partition.partitioning is not None:
            _cascade_to_partitions(state, partition_key, child, naming, used)


def _create_on_view(state: State, node: PgNode, view_key: QualifiedName) -> None:
    elements = list(node.indexParams or ())
    naming = index_column_names([element_colname(e) for e in elements])
    name = (
        str(node.idxname)
        if node.idxname
        else choose_name(
            view_key[1], name_addition(naming), "idx", state.relation_taken(view_key[0])
        )
    )
    index = Index(
        schema=view_key[0],
        name=name,
        table=view_key,
        method=str(node.accessMethod or "btree"),
        keys=tuple(index_key(e) for e in elements),
        unique=bool(node.unique),
        origin=state.origin_at(None),
    )
    if state.relation_exists(index.qualified) is not None:
        if not node.if_not_exists:
            state.duplicate("index", name, state.relation_exists(index.qualified), index)
        return
    state.put_index(index, set(names_of(e.name for e in elements if e.name)))
    state.event(EventKind.CREATED, "index", name)
