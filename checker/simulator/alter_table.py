"""ALTER TABLE: columns (add, drop, type, default, NOT NULL, identity), constraints
(add, drop, validate, alter), partitions and the flags the model keeps."""

from __future__ import annotations

from dataclasses import replace

from pglast.enums import AlterTableType, ConstrType, DropBehavior, ObjectType

from checker.catalog import (
    Column,
    Constraint,
    ConstraintKind,
    Identity,
    QualifiedName,
    Sequence,
    Table,
    display_name,
)
from checker.simulation import EventKind
from checker.simulator.definitions import build_column, collation_name, resolve_type
from checker.simulator.expressions import deparse
from checker.simulator.naming import choose_name
from checker.simulator.objects import security_invoker
from checker.simulator.state import State
from checker.simulator.tables import (
    add_constraints,
    attach_partition,
    drop_columns,
    partitions_of,
)
from checker.types import PgNode

A = AlterTableType

# Subcommands that change nothing the catalog model holds (storage, ownership,
# statistics, triggers enabled or not).
_NO_MODEL_EFFECT = frozenset(
    {
        A.AT_SetStatistics, A.AT_SetOptions, A.AT_ResetOptions, A.AT_SetStorage,
        A.AT_SetCompression, A.AT_ChangeOwner, A.AT_ClusterOn, A.AT_DropCluster,
        A.AT_SetAccessMethod, A.AT_SetTableSpace, A.AT_SetRelOptions, A.AT_ResetRelOptions,
        A.AT_ReplaceRelOptions, A.AT_EnableTrig, A.AT_EnableAlwaysTrig, A.AT_EnableReplicaTrig,
        A.AT_DisableTrig, A.AT_EnableTrigAll, A.AT_DisableTrigAll, A.AT_EnableTrigUser,
        A.AT_DisableTrigUser, A.AT_EnableRule, A.AT_EnableAlwaysRule, A.AT_EnableReplicaRule,
        A.AT_DisableRule, A.AT_ReplicaIdentity, A.AT_GenericOptions,
        A.AT_AlterColumnGenericOptions, A.AT_SetIdentity,
    }
)  # fmt: skip


def alter_table(state: State, node: PgNode) -> None:
    if node.objtype == ObjectType.OBJECT_VIEW:
        _alter_view_options(state, node)
        return
    if node.objtype != ObjectType.OBJECT_TABLE:
        # ALTER INDEX / SEQUENCE ... SET (...) and similar: storage options only.
        return
    key = state.relation_key(node.relation)
    label = display_name(key)
    if key not in state.tables:
        if node.missing_ok:
            state.event(EventKind.NO_OP, "table", label, location=node.relation.location)
        else:
            state.missing("table", key, label, location=node.relation.location)
        return
    for cmd in _in_pass_order(list(node.cmds or ())):
        _apply(state, key, cmd)


def _alter_view_options(state: State, node: PgNode) -> None:
    """ALTER VIEW ... SET / RESET (security_invoker): the only view option the model keeps."""
    key = state.relation_key(node.relation)
    view = state.views.get(key)
    if view is None or view.materialized:
        return
    invoker = view.security_invoker
    for cmd in node.cmds or ():
        if cmd.subtype == A.AT_SetRelOptions:
            invoker = security_invoker(cmd.def_, invoker)
        elif cmd.subtype == A.AT_ResetRelOptions and any(
            getattr(option, "defname", None) == "security_invoker" for option in cmd.def_ or ()
        ):
            invoker = False
    if invoker != view.security_invoker:
        state.views[key] = replace(view, security_invoker=invoker)
        state.event(EventKind.ALTERED, "view", display_name(key), action="security_invoker")


# ENABLE / DISABLE / FORCE / NO FORCE ROW LEVEL SECURITY: which field, set to what
_ROW_SECURITY = {
    A.AT_EnableRowSecurity: ("row_security", True, "enable row level security"),
    A.AT_DisableRowSecurity: ("row_security", False, "disable row level security"),
    A.AT_ForceRowSecurity: ("force_row_security", True, "force row level security"),
    A.AT_NoForceRowSecurity: ("force_row_security", False, "no force row level security"),
}


def _row_security(state: State, table: Table, subtype: AlterTableType) -> None:
    field, value, action = _ROW_SECURITY[subtype]
    if field == "row_security":
        changed = replace(table, row_security=value, row_security_set=state.origin_at(None))
    else:
        changed = replace(table, force_row_security=value)
    state.put_table(changed)
    state.event(EventKind.ALTERED, "table", display_name(table.qualified), action=action)


def _in_pass_order(cmds: list[PgNode]) -> list[PgNode]:
    """The subcommands in the order PostgreSQL applies them where it matters here: it adds
    a statement's new columns (its ADD COLUMN pass) before its constraints, so
    ``ADD CONSTRAINT c CHECK (b <> ''), ADD COLUMN b text`` works, as migration tools
    that diff schemas write it. Every other subcommand keeps its written place."""
    first = next((i for i, cmd in enumerate(cmds) if cmd.subtype == A.AT_AddConstraint), None)
    if first is None:
        return cmds
    later = cmds[first:]
    columns = [cmd for cmd in later if cmd.subtype == A.AT_AddColumn]
    return [*cmds[:first], *columns, *(cmd for cmd in later if cmd.subtype != A.AT_AddColumn)]


def _column(state: State, table: Table, name: str, location: int | None) -> Column | None:
    column = table.column(name)
    if column is None:
        state.missing("column", (*table.qualified, name), f"{table.name}.{name}", location=location)
    return column


def _replace_column(state: State, table: Table, column: Column) -> Table:
    columns = tuple(column if c.name == column.name else c for c in table.columns)
    table = replace(table, columns=columns)
    state.put_table(table)
    return table


def _apply(state: State, key: tuple[str, str], cmd: PgNode) -> None:
    table = state.tables[key]
    subtype = cmd.subtype
    location = getattr(cmd.def_, "location", None) if cmd.def_ is not None else None
    location = location if location is not None else getattr(cmd, "location", None)
    cascade = cmd.behavior == DropBehavior.DROP_CASCADE
    name = str(cmd.name) if cmd.name else ""
    label = f"{table.name}.{name}"
    if subtype in _ROW_SECURITY:
        _row_security(state, table, subtype)
    elif subtype == A.AT_AddColumn:
        _add_column(state, table, cmd)
    elif subtype in (A.AT_ColumnDefault, A.AT_DropNotNull, A.AT_SetNotNull):
        column = _column(state, table, name, location)
        if column is None:
            return
        if subtype == A.AT_ColumnDefault:
            default = deparse(cmd.def_) if cmd.def_ is not None else None
            action = "set default" if default is not None else "drop default"
            column = replace(column, default=default)
        else:
            action = "set not null" if subtype == A.AT_SetNotNull else "drop not null"
            column = replace(column, not_null=subtype == A.AT_SetNotNull)
        _replace_column(state, table, column)
        state.event(EventKind.ALTERED, "column", label, location=location, action=action)
    elif subtype == A.AT_DropColumn:
        if table.column(name) is None:
            if cmd.missing_ok:
                state.event(EventKind.NO_OP, "column", label, location=location)
            else:
                _column(state, table, name, location)
            return
        if drop_columns(state, key, {name}, cascade=cascade, location=location):
            state.event(EventKind.DROPPED, "column", label, location=location)
    elif subtype == A.AT_AlterColumnType:
        column = _column(state, table, name, location)
        if column is None:
            return
        new_type = resolve_type(state, cmd.def_.typeName)
        # SET DATA TYPE ... COLLATE x sets the collation; without COLLATE the
        # column takes the new type's default collation
        coll = cmd.def_.collClause
        collation = collation_name(coll.collname) if coll is not None else None
        _replace_column(state, table, replace(column, type=new_type, collation=collation))
        state.event(
            EventKind.ALTERED,
            "column",
            label,
            location=location,
            action="alter column type",
            detail=f"{column.type} -> {new_type}",
        )
    elif subtype == A.AT_AddConstraint:
        _add_constraint(state, table, cmd.def_)
    elif subtype == A.AT_DropConstraint:
        _drop_constraint(state, table, name, cascade=cascade, missing_ok=bool(cmd.missing_ok))
    elif subtype in (A.AT_ValidateConstraint, A.AT_AlterConstraint):
        target = name or str(getattr(cmd.def_, "conname", "") or "")
        constraint = table.constraint(target)
        if constraint is None:
            state.missing("constraint", (*key, target), f"{table.name}.{target}")
            return
        if subtype == A.AT_ValidateConstraint:
            changed, action = replace(constraint, not_valid=False), "validate constraint"
        else:
            changed = replace(
                constraint,
                deferrable=bool(cmd.def_.deferrable),
                initially_deferred=bool(cmd.def_.initdeferred),
            )
            action = "alter constraint"
        constraints = tuple(changed if c is constraint else c for c in table.constraints)
        state.put_table(replace(table, constraints=constraints))
        state.event(EventKind.ALTERED, "constraint", f"{table.name}.{target}", action=action)
    elif subtype in (A.AT_AddIdentity, A.AT_DropIdentity, A.AT_SetExpression, A.AT_DropExpression):
        _identity_or_expression(state, table, cmd, location)
    elif subtype in (A.AT_AttachPartition, A.AT_DetachPartition):
        _partition(state, table, cmd)
    elif subtype in (A.AT_SetLogged, A.AT_SetUnLogged):
        state.put_table(replace(table, unlogged=subtype == A.AT_SetUnLogged))
        state.event(EventKind.ALTERED, "table", table.name, action="set logged/unlogged")
    elif subtype not in _NO_MODEL_EFFECT:
        state.event(
            EventKind.NOT_ANALYSED,
            "statement",
            table.name,
            location=location,
            detail=f"ALTER TABLE subcommand {getattr(subtype, 'name', subtype)} is not modelled",
        )


def _add_column(state: State, table: Table, cmd: PgNode) -> None:
    definition: PgNode = cmd.def_
    label = f"{table.name}.{definition.colname}"
    existing = table.column(str(definition.colname))
    if existing is not None:
        saved_events = state.events
        state.events = []
        skipped, _ = build_column(state, table.qualified, definition, create_sequences=False)
        state.events = saved_events
        if cmd.missing_ok:
            state.event(
                EventKind.SKIPPED_EXISTING,
                "column",
                label,
                location=definition.location,
                previous=existing.origin,
                kept=existing,
                skipped=skipped,
            )
        else:
            state.duplicate("column", label, existing, skipped, location=definition.location)
        return
    column, constraints = build_column(state, table.qualified, definition, create_sequences=True)
    table = replace(table, columns=(*table.columns, column))
    state.put_table(table)
    state.event(
        EventKind.ALTERED, "table", table.name, location=definition.location, action="add column"
    )
    state.event(EventKind.CREATED, "column", label, location=definition.location)
    _add_column_to_partitions(state, table.qualified, column)
    add_constraints(state, table, [(c, column.name) for c in constraints])


def _add_column_to_partitions(state: State, parent: QualifiedName, column: Column) -> None:
    """A column added to a partitioned table is added to every partition of it, at every
    level, as PostgreSQL adds it (ALTER TABLE ... ADD COLUMN recurses)."""
    for partition_key in partitions_of(state, parent):
        partition = state.tables[partition_key]
        if partition.column(column.name) is None:
            state.put_table(replace(partition, columns=(*partition.columns, column)))
        _add_column_to_partitions(state, partition_key, column)


def _add_constraint(state: State, table: Table, node: PgNode) -> None:
    if node.indexname and node.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        _constraint_using_index(state, table, node)
        return
    if node.contype == ConstrType.CONSTR_NOTNULL:
        for column_name in [str(getattr(k, "sval", k)) for k in node.keys or ()]:
            column = _column(state, table, column_name, node.location)
            if column is not None:
                table = _replace_column(state, table, replace(column, not_null=True))
        return
    before = {c.name for c in table.constraints}
    added = add_constraints(state, table, [(node, None)])
    for constraint in added.constraints:
        if constraint.name not in before:
            state.event(
                EventKind.ALTERED,
                "table",
                table.name,
                location=node.location,
                action="add constraint",
                detail=constraint.name,
            )
            _clone_to_partitions(state, added.qualified, constraint)


def _clone_to_partitions(state: State, parent: QualifiedName, constraint: Constraint) -> None:
    """A CHECK or FOREIGN KEY added to a partitioned table is added to every partition
    under the same name, as attaching a partition later does."""
    if constraint.kind not in (ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY):
        return
    for partition_key in partitions_of(state, parent):
        partition = state.tables[partition_key]
        if partition.constraint(constraint.name) is None:
            state.put_table(replace(partition, constraints=(*partition.constraints, constraint)))
        _clone_to_partitions(state, partition_key, constraint)


def _constraint_using_index(state: State, table: Table, node: PgNode) -> None:
    # ADD CONSTRAINT ... UNIQUE USING INDEX: the index becomes the constraint's and
    # takes the constraint's name when one is given.
    index = state.indexes.get((table.schema, str(node.indexname)))
    if index is None:
        state.missing("index", (table.schema, str(node.indexname)), str(node.indexname))
        return
    name = str(node.conname or index.name)
    kind = (
        ConstraintKind.PRIMARY_KEY
        if node.contype == ConstrType.CONSTR_PRIMARY
        else ConstraintKind.UNIQUE
    )
    columns = tuple(k.column for k in index.keys if k.column is not None)
    from checker.catalog import Constraint

    constraint = Constraint(
        name, kind, columns, index=name, origin=state.origin_at(node.location),
        deferrable=bool(node.deferrable), initially_deferred=bool(node.initdeferred),
    )  # fmt: skip
    used = state.index_columns.get(index.qualified)
    state.remove_index(index.qualified)
    state.put_index(replace(index, name=name, constraint=name), used)
    if kind is ConstraintKind.PRIMARY_KEY:
        table = replace(
            table,
            columns=tuple(
                replace(c, not_null=True) if c.name in columns else c for c in table.columns
            ),
        )
    state.put_table(replace(table, constraints=(*table.constraints, constraint)))
    state.event(EventKind.CREATED, "constraint", f"{table.name}.{name}", location=node.location)


def _drop_constraint(
    state: State, table: Table, name: str, *, cascade: bool, missing_ok: bool
) -> None:
    label = f"{table.name}.{name}"
    constraint = table.constraint(name)
    if constraint is None:
        if missing_ok:
            state.event(EventKind.NO_OP, "constraint", label)
        else:
            state.missing("constraint", (*table.qualified, name), label)
        return
    if constraint.index is not None:
        index = state.indexes.get((table.schema, constraint.index))
        if index is not None and not state.release_index(
            index,
            cascade=cascade,
            kind="constraint",
            label=label,
            what="its index",
            previous=constraint.origin,
            cascade_detail="cascade",
        ):
            return
        state.remove_index((table.schema, constraint.index))
        table = state.tables[table.qualified]
    remaining = tuple(c for c in table.constraints if c.name != name)
    state.put_table(replace(table, constraints=remaining))
    state.event(EventKind.DROPPED, "constraint", label, previous=constraint.origin)


def _identity_or_expression(state: State, table: Table, cmd: PgNode, location: int | None) -> None:
    name = str(cmd.name)
    column = _column(state, table, name, location)
    if column is None:
        return
    subtype = cmd.subtype
    if subtype == A.AT_AddIdentity:
        when = getattr(cmd.def_, "generated_when", "d")
        identity = Identity.ALWAYS if when == "a" else Identity.BY_DEFAULT
        sequence_name = choose_name(table.name, name, "seq", state.relation_taken(table.schema))
        state.sequences[(table.schema, sequence_name)] = Sequence(
            table.schema,
            sequence_name,
            column.type.name,
            (table.qualified, name),
            state.origin_at(location),
        )
        column, action = replace(column, identity=identity, not_null=True), "add identity"
    elif subtype == A.AT_DropIdentity:
        for key, sequence in list(state.sequences.items()):
            if sequence.owned_by == (table.qualified, name):
                del state.sequences[key]
        column, action = replace(column, identity=None), "drop identity"
    elif subtype == A.AT_SetExpression:
        column, action = replace(column, generated=deparse(cmd.def_)), "set expression"
    else:
        column, action = replace(column, generated=None), "drop expression"
    _replace_column(state, table, column)
    state.event(EventKind.ALTERED, "column", f"{table.name}.{name}", action=action)


def _partition(state: State, table: Table, cmd: PgNode) -> None:
    partition_key = state.relation_key(cmd.def_.name)
    partition = state.tables.get(partition_key)
    label = display_name(partition_key)
    if partition is None:
        state.missing("table", partition_key, label, location=cmd.def_.name.location)
        return
    if cmd.subtype == A.AT_AttachPartition:
        bound = deparse(cmd.def_.bound) if cmd.def_.bound is not None else None
        partition = replace(partition, partition_of=table.qualified, partition_bound=bound)
        state.put_table(partition)
        attach_partition(state, table, partition)
        action = "attach partition"
    else:
        state.put_table(replace(partition, partition_of=None, partition_bound=None))
        action = "detach partition"
    state.event(EventKind.ALTERED, "table", table.name, action=action, detail=label)
