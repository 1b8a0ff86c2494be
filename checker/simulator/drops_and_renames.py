"""DROP of every modelled kind (with CASCADE effects) and RENAME of tables,
columns, constraints, indexes, types, enum-free objects."""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from checker.catalog import (
    ForeignKeyDetails,
    Index,
    QualifiedName,
    Table,
    TypeRef,
    View,
    display_name,
)
from checker.simulation import EventKind
from checker.simulator.definitions import names_of
from checker.simulator.objects import function_matches
from checker.simulator.state import State
from checker.simulator.tables import drop_table
from checker.simulator.types_and_enums import drop_type
from checker.types import PgNode

OT = ObjectType


def _key(state: State, names: Any) -> QualifiedName:
    return state.object_key(names)


def drop(state: State, node: PgNode) -> None:
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    kind = node.removeType
    relations = (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW)
    named = (
        frozenset(_relation_key(state, names_of(target)) for target in node.objects or ())
        if kind in relations
        else frozenset()
    )
    for target in node.objects or ():
        if kind in (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE):
            key = _relation_key(state, names_of(target))
            if key in state.tables:
                drop_table(state, key, cascade=cascade, location=None, named=named)
            else:
                _absent(state, node, "table", key)
        elif kind == OT.OBJECT_INDEX:
            key = _key(state, names_of(target))
            index = state.indexes.get(key)
            if index is None:
                _absent(state, node, "index", key)
            else:
                _drop_index(state, index, cascade)
        elif kind in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
            key = _key(state, target.names)
            if (
                key in state.enums
                or key in state.domains
                or key in state.composites
                or key in state.other_types
            ):
                drop_type(state, key, cascade=cascade, location=None)
            else:
                _absent(state, node, "type", key)
        elif kind in (OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
            key = _key(state, names_of(target))
            view = state.views.get(key)
            if view is None:
                _absent(state, node, "view", key)
            else:
                _drop_view(state, key, view, cascade, named)
        elif kind == OT.OBJECT_SEQUENCE:
            key = _key(state, names_of(target))
            sequence = state.sequences.pop(key, None)
            if sequence is None:
                _absent(state, node, "sequence", key)
            else:
                state.event(
                    EventKind.DROPPED, "sequence", display_name(key), previous=sequence.origin
                )
        elif kind in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE):
            _drop_function(state, node, target)
        elif kind == OT.OBJECT_TRIGGER:
            parts = names_of(target)
            table_key = _key(state, parts[:-1])
            trigger = state.triggers.pop((table_key, parts[-1]), None)
            label = f"{display_name(table_key)}.{parts[-1]}"
            if trigger is None:
                _absent(state, node, "trigger", (*table_key, parts[-1]), label)
            else:
                state.event(EventKind.DROPPED, "trigger", label, previous=trigger.origin)
        elif kind == OT.OBJECT_EXTENSION:
            name = str(getattr(target, "sval", target))
            if state.extensions.pop(name, None) is None:
                _absent(state, node, "extension", (name,), name)
            else:
                state.event(EventKind.DROPPED, "extension", name)
        elif kind == OT.OBJECT_SCHEMA:
            _drop_schema(state, node, str(getattr(target, "sval", target)), cascade)
        elif kind == OT.OBJECT_POLICY:
            # without IF EXISTS the table must exist; a policy the model does not know
            # (made outside the history) is not reported missing
            parts = names_of(target)
            key = _key(state, parts[:-1])
            if not node.missing_ok and state.relation_exists(key) is None:
                _absent(state, node, "table", key)
            policy = state.policies.pop((key, parts[-1]), None)
            if policy is not None:
                label = f"{display_name(key)}.{parts[-1]}"
                state.event(EventKind.DROPPED, "policy", label, previous=policy.origin)
        else:
            state.event(
                EventKind.NOT_ANALYSED,
                "statement",
                kind.name.removeprefix("OBJECT_").lower(),
                detail=f"DROP {kind.name.removeprefix('OBJECT_')} is not modelled",
            )


def _relation_key(state: State, names: tuple[str, ...]) -> QualifiedName:
    """An unqualified name is a temporary table's first, as on the server."""
    if len(names) == 1 and ("pg_temp", names[-1]) in state.tables:
        return ("pg_temp", names[-1])
    return _key(state, names)


def _drop_view(
    state: State, key: QualifiedName, view: View, cascade: bool, named: frozenset[QualifiedName]
) -> None:
    """DROP VIEW: the views that read it block it, or go with it under CASCADE; those
    the same DROP names go by name (PostgreSQL drops the objects of one DROP together)."""
    label = display_name(key)
    dependents = state.views_blocking("view", key, named, cascade, view.origin)
    if dependents is None:
        return
    del state.views[key]
    for index in state.table_indexes(key):
        state.remove_index(index.qualified)
    state.event(EventKind.DROPPED, "view", label, previous=view.origin)
    state.drop_dependent_views(
        dependents, detail=f"cascade from dropping view {label}", location=None
    )


def _absent(
    state: State, node: PgNode, kind: str, key: tuple[str, ...], label: str | None = None
) -> None:
    label = label or display_name((key[0], key[1]))
    if node.missing_ok:
        state.event(EventKind.NO_OP, kind, label, detail="IF EXISTS: nothing to drop")
    else:
        state.missing(kind, key, label)


def _drop_index(state: State, index: Index, cascade: bool) -> None:
    """DROP INDEX: refused while foreign keys are bound to the index, unless CASCADE
    drops them too; an index a constraint owns is refused even with CASCADE
    ("cannot drop index ... because constraint ... requires it")."""
    label = display_name(index.qualified)
    if index.constraint is not None:
        state.event(
            EventKind.REJECTED if cascade else EventKind.BLOCKED,
            "index",
            label,
            detail=f"constraint {index.constraint} requires it; drop the constraint instead",
            previous=index.origin,
        )
        return
    if not state.release_index(
        index,
        cascade=cascade,
        kind="index",
        label=label,
        what="it",
        previous=index.origin,
        cascade_detail=f"cascade from dropping index {label}",
        cascade_previous=True,
    ):
        return
    state.remove_index(index.qualified)
    state.event(EventKind.DROPPED, "index", label, previous=index.origin)


def _drop_function(state: State, node: PgNode, target: PgNode) -> None:
    key = _key(state, target.objname)
    matches = function_matches(state, target)
    if not matches:
        _absent(state, node, "function", key)
        return
    for function_key in matches:
        function = state.functions.pop(function_key)
        label = f"{display_name(key)}({function_key[2]})"
        state.event(EventKind.DROPPED, "function", label, previous=function.origin)


def _drop_schema(state: State, node: PgNode, name: str, cascade: bool) -> None:
    if name not in state.schemas:
        _absent(state, node, "schema", (name, ""), name)
        return
    tables = [k for k in state.tables if k[0] == name]
    others = [
        k for space in (state.enums, state.domains, state.composites) for k in space if k[0] == name
    ]
    if (tables or others) and not cascade:
        state.event(EventKind.BLOCKED, "schema", name, detail="schema is not empty")
        return
    for key in tables:
        if key in state.tables:
            drop_table(state, key, cascade=True, location=None)
    for key in others:
        drop_type(state, key, cascade=True, location=None)
    for space in (state.sequences, state.views):
        for key in [k for k in space if k[0] == name]:
            del space[key]
    state.schemas.discard(name)
    state.event(EventKind.DROPPED, "schema", name)


# ---- renames ---------------------------------------------------------------


def rename(state: State, node: PgNode) -> None:
    kind = node.renameType
    new = str(node.newname)
    if kind in (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE):
        _rename_table(state, node, new)
    elif kind == OT.OBJECT_COLUMN:
        _rename_column(state, node, new)
    elif kind == OT.OBJECT_TABCONSTRAINT:
        _rename_constraint(state, node, new)
    elif kind == OT.OBJECT_INDEX:
        key = state.relation_key(node.relation)
        index = state.indexes.get(key)
        if index is None:
            return _absent_rename(state, node, "index", key)
        if _taken(state, (key[0], new), index):
            return
        _rename_index(state, index, new)
        state.event(EventKind.RENAMED, "index", display_name(key), detail=new)
    elif kind in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
        _rename_type(state, node, new)
    elif kind in (OT.OBJECT_SEQUENCE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
        key = state.relation_key(node.relation)
        space: dict[Any, Any] = state.sequences if kind == OT.OBJECT_SEQUENCE else state.views
        found = space.get(key)
        if found is None:
            return _absent_rename(state, node, "relation", key)
        if _taken(state, (key[0], new), found):
            return
        del space[key]
        space[(key[0], new)] = replace(found, name=new)
        state.event(EventKind.RENAMED, "relation", display_name(key), detail=new)
    elif kind == OT.OBJECT_TRIGGER:
        key = state.relation_key(node.relation)
        trigger = state.triggers.pop((key, str(node.subname)), None)
        if trigger is None:
            return _absent_rename(state, node, "trigger", (*key, str(node.subname)))
        state.triggers[(key, new)] = replace(trigger, name=new)
        state.event(EventKind.RENAMED, "trigger", f"{display_name(key)}.{node.subname}", detail=new)
    elif kind == OT.OBJECT_POLICY:
        key = state.relation_key(node.relation)
        policy = state.policies.pop((key, str(node.subname)), None)
        if policy is not None:
            state.policies[(key, new)] = replace(policy, name=new)
            label = f"{display_name(key)}.{node.subname}"
            state.event(EventKind.RENAMED, "policy", label, detail=new)
    elif kind in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE):
        _rename_function(state, node, new)
    elif kind == OT.OBJECT_SCHEMA:
        state.event(EventKind.NOT_ANALYSED, "schema", str(node.subname), detail="RENAME SCHEMA")
    else:
        state.event(
            EventKind.NOT_ANALYSED,
            "statement",
            kind.name.removeprefix("OBJECT_").lower(),
            detail=f"RENAME of {kind.name.removeprefix('OBJECT_')} is not modelled",
        )
    return None


def _rename_function(state: State, node: PgNode, new: str) -> None:
    """Triggers call a function by oid: they follow it to its new name."""
    matches = function_matches(state, node.object)
    if not matches:
        return _absent_rename(state, node, "function", _key(state, node.object.objname))
    for function_key in matches:
        new_key = (function_key[0], new, function_key[2])
        if new_key in state.functions:
            state.duplicate("function", f"{new}({function_key[2]})", state.functions[new_key],
                            state.functions[function_key])  # fmt: skip
            continue
        function = state.functions.pop(function_key)
        state.functions[new_key] = replace(function, name=new)
        for trigger_key, trigger in list(state.triggers.items()):
            if trigger.function == (function_key[0], function_key[1]):
                state.triggers[trigger_key] = replace(trigger, function=(function_key[0], new))
        state.event(EventKind.RENAMED, "function", function.label, detail=new)
    return None


def _retarget_views(state: State, old: QualifiedName, new: QualifiedName,
                    columns: dict[str, str] | None = None) -> None:  # fmt: skip
    """Views read tables by oid: a renamed table or column stays read under its new name."""
    for view_key, view in list(state.views.items()):
        reads = []
        for read in view.reads:
            if read.table == old:
                renamed = tuple((columns or {}).get(c, c) for c in read.columns)
                read = replace(read, table=new, columns=renamed)
            reads.append(read)
        state.views[view_key] = replace(view, reads=tuple(reads))


def _absent_rename(state: State, node: PgNode, kind: str, key: tuple[str, ...]) -> None:
    label = display_name((key[0], key[1])) + ("." + ".".join(key[2:]) if len(key) > 2 else "")
    if node.missing_ok:
        state.event(EventKind.NO_OP, kind, label)
    else:
        state.missing(kind, key, label)


def _taken(state: State, key: QualifiedName, current: Any) -> bool:
    existing = state.relation_exists(key)
    # Renaming a relation to its own name fails too ('relation "x" already exists');
    # applying it would also unlink the table's indexes from it.
    if existing is not None:
        state.duplicate("relation", display_name(key), existing, current)
        return True
    return False


def _rename_index(state: State, index: Index, new: str) -> None:
    # An index behind a constraint and its constraint share one name: renaming
    # either renames both (RenameRelationInternal / RenameConstraintById).
    used = state.index_columns.get(index.qualified)
    state.remove_index(index.qualified)
    state.put_index(replace(index, name=new, constraint=new if index.constraint else None), used)
    table = state.tables.get(index.table)
    if table is not None and index.constraint is not None:
        constraints = tuple(
            replace(c, name=new, index=new) if c.name == index.constraint else c
            for c in table.constraints
        )
        state.put_table(replace(table, constraints=constraints))


def _rename_table(state: State, node: PgNode, new: str) -> None:
    key = state.relation_key(node.relation)
    table = state.tables.get(key)
    if table is None:
        return _absent_rename(state, node, "table", key)
    new_key = (key[0], new)
    if _taken(state, new_key, table) or state.type_exists(new_key) not in (None, table):
        return None
    state.remove_table(key)
    state.put_table(_retarget(replace(table, name=new), key, new_key))
    for dependent_key in state.referencing_tables(key):
        state.put_table(_retarget(state.tables[dependent_key], key, new_key))
    for index in state.table_indexes(key):
        used = state.index_columns.get(index.qualified)
        state.remove_index(index.qualified)
        state.put_index(replace(index, table=new_key), used)
    state.indexes_by_table.pop(key, None)
    for trigger_key in [k for k in state.triggers if k[0] == key]:
        trigger = state.triggers.pop(trigger_key)
        state.triggers[(new_key, trigger_key[1])] = replace(trigger, table=new_key)
    for policy_key in [k for k in state.policies if k[0] == key]:
        policy = state.policies.pop(policy_key)
        state.policies[(new_key, policy_key[1])] = replace(policy, table=new_key)
    for sequence_key, sequence in list(state.sequences.items()):
        if sequence.owned_by is not None and sequence.owned_by[0] == key:
            state.sequences[sequence_key] = replace(
                sequence, owned_by=(new_key, sequence.owned_by[1])
            )
    for _other_key, other in list(state.tables.items()):
        if other.partition_of == key:
            state.put_table(replace(other, partition_of=new_key))
    _retarget_views(state, key, new_key)
    state.event(EventKind.RENAMED, "table", display_name(key), detail=new)
    return None


def _retarget(table: Table, old: QualifiedName, new: QualifiedName) -> Table:
    constraints = []
    for constraint in table.constraints:
        fk = constraint.foreign_key
        if fk is not None and fk.ref_table == old:
            constraint = replace(constraint, foreign_key=replace(fk, ref_table=new))
        constraints.append(constraint)
    return replace(table, constraints=tuple(constraints))


def _rename_column(state: State, node: PgNode, new: str) -> None:
    key = state.relation_key(node.relation)
    old = str(node.subname)
    table = state.tables.get(key)
    if table is None:
        return _absent_rename(state, node, "table", key)
    column = table.column(old)
    label = f"{table.name}.{old}"
    if column is None and table.columns_known:
        return _absent_rename(state, node, "column", (*key, old))
    # a column of a table made from a query may exist underived: its constraints and
    # indexes follow the rename all the same
    if table.column(new) is not None:
        state.duplicate("column", f"{table.name}.{new}", table.column(new), column)
        return None
    swap = {old: new}
    columns = tuple(replace(c, name=new) if c.name == old else c for c in table.columns)
    constraints = []
    for constraint in table.constraints:
        renamed = tuple(swap.get(c, c) for c in constraint.columns)
        fk = constraint.foreign_key
        if fk is not None and fk.ref_table == key:
            fk = replace(fk, ref_columns=tuple(swap.get(c, c) for c in fk.ref_columns))
        constraints.append(replace(constraint, columns=renamed, foreign_key=fk))
    state.put_table(replace(table, columns=columns, constraints=tuple(constraints)))
    for dependent_key in state.referencing_tables(key):
        dependent = state.tables[dependent_key]
        fixed = []
        for constraint in dependent.constraints:
            fk = constraint.foreign_key
            if fk is not None and fk.ref_table == key:
                new_fk: ForeignKeyDetails = replace(
                    fk, ref_columns=tuple(swap.get(c, c) for c in fk.ref_columns)
                )
                constraint = replace(constraint, foreign_key=new_fk)
            fixed.append(constraint)
        state.put_table(replace(dependent, constraints=tuple(fixed)))
    for index in state.table_indexes(key):
        keys = tuple(replace(k, column=new) if k.column == old else k for k in index.keys)
        include = tuple(new if c == old else c for c in index.include)
        used = {swap.get(c, c) for c in state.index_columns.get(index.qualified, frozenset())}
        state.put_index(replace(index, keys=keys, include=include), used)
    for sequence_key, sequence in list(state.sequences.items()):
        if sequence.owned_by == (key, old):
            state.sequences[sequence_key] = replace(sequence, owned_by=(key, new))
    _retarget_views(state, key, key, swap)
    state.event(EventKind.RENAMED, "column", label, detail=new)
    return None


def _rename_constraint(state: State, node: PgNode, new: str) -> None:
    key = state.relation_key(node.relation)
    old = str(node.subname)
    table = state.tables.get(key)
    if table is None:
        return _absent_rename(state, node, "table", key)
    constraint = table.constraint(old)
    if constraint is None:
        return _absent_rename(state, node, "constraint", (*key, old))
    if table.constraint(new) is not None:
        state.duplicate("constraint", f"{table.name}.{new}", table.constraint(new), constraint)
        return None
    if constraint.index is not None:
        index = state.indexes.get((table.schema, constraint.index))
        if index is not None:
            if _taken(state, (table.schema, new), index):
                return None
            _rename_index(state, index, new)
    else:
        constraints = tuple(replace(c, name=new) if c.name == old else c for c in table.constraints)
        state.put_table(replace(table, constraints=constraints))
    state.event(EventKind.RENAMED, "constraint", f"{table.name}.{old}", detail=new)
    return None


def _rename_type(state: State, node: PgNode, new: str) -> None:
    names = node.object.names if isinstance(node.object, ast.TypeName) else node.object
    key = state.object_key(names)
    new_key = (key[0], new)
    spaces: tuple[dict[Any, Any], ...] = (
        state.enums,
        state.domains,
        state.composites,
        state.other_types,
    )
    for space in spaces:
        found = space.get(key)
        if found is None:
            continue
        existing = state.type_exists(new_key)
        if existing is not None:
            state.duplicate("type", display_name(new_key), existing, found)
            return
        del space[key]
        space[new_key] = replace(found, name=new)
        _retype_columns(state, key, new_key)
        state.event(EventKind.RENAMED, "type", display_name(key), detail=new)
        return
    _absent_rename(state, node, "type", key)


def _retype_columns(state: State, old: QualifiedName, new: QualifiedName) -> None:
    # Columns point at the type by oid on the server; here they hold its name.
    for table_key, table in list(state.tables.items()):
        if not any((c.type.schema, c.type.name) == old for c in table.columns):
            continue
        columns = tuple(
            replace(c, type=TypeRef(new[1], new[0], c.type.modifiers, c.type.array_dims))
            if (c.type.schema, c.type.name) == old
            else c
            for c in table.columns
        )
        state.put_table(replace(state.tables[table_key], columns=columns))
