"""CREATE TABLE (with every constraint form, partitions, LIKE, INHERITS) and the
cascade effects of dropping tables and columns."""

from __future__ import annotations

from dataclasses import replace

from pglast import ast
from pglast.enums import ConstrType, TableLikeOption

from checker.catalog import (
    Column,
    Constraint,
    ConstraintKind,
    Index,
    Partitioning,
    QualifiedName,
    Sequence,
    Table,
    display_name,
)
from checker.model import Origin
from checker.simulation import EventKind
from checker.simulator.definitions import (
    build_column,
    check_constraint,
    foreign_key_constraint,
    index_constraint,
    names_of,
    set_not_null,
)
from checker.simulator.expressions import deparse
from checker.simulator.naming import (
    choose_name,
    expression_colname,
    index_column_names,
    name_addition,
)
from checker.simulator.state import TEMP_SCHEMA, State
from checker.types import PgNode

_STRATEGIES = {"r": "range", "l": "list", "h": "hash"}


def create_table(state: State, node: PgNode) -> None:
    key = state.relation_key(node.relation, create=True)
    label = display_name(key)
    if key[0] not in state.schemas and key[0] != TEMP_SCHEMA:
        state.missing("schema", (key[0],), key[0], location=node.relation.location)
    existing = state.relation_exists(key) or state.type_exists(key)
    if existing is not None:
        # Build the definition without touching the catalog, so rules can compare
        # the skipped definition with the one that is kept.
        saved_events = state.events
        state.events = []
        skipped = _definition_only(state, node, key)
        state.events = saved_events
        if node.if_not_exists:
            state.event(
                EventKind.SKIPPED_EXISTING,
                "table",
                label,
                location=node.relation.location,
                previous=getattr(existing, "origin", None),
                kept=existing,
                skipped=skipped,
            )
        else:
            state.duplicate("table", label, existing, skipped, location=node.relation.location)
        return
    if node.partbound is not None and node.inhRelations:
        parent_key = state.relation_key(node.inhRelations[0])
        parent = state.tables.get(parent_key)
        if parent is not None and parent.partitioning is None:
            # PostgreSQL: '"parent" is not partitioned'; nothing is created.
            state.event(
                EventKind.REJECTED,
                "table",
                label,
                location=node.relation.location,
                previous=parent.origin,
                detail=f"{display_name(parent_key)} is not partitioned",
            )
            return
    written: set[str] = set()
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef) and element.colname:
            if str(element.colname) in written:
                # PostgreSQL: 'column "x" specified more than once'; nothing is created.
                state.event(
                    EventKind.REJECTED,
                    "table",
                    label,
                    location=element.location,
                    detail=f'column "{element.colname}" specified more than once',
                )
                return
            written.add(str(element.colname))
    build_table(state, node, key)
    state.event(EventKind.CREATED, "table", label, location=node.relation.location)


def _definition_only(state: State, node: PgNode, key: QualifiedName) -> Table:
    """The table a CREATE would build, computed on a scratch copy of the state."""
    scratch = State(postgres_version=state.postgres_version, current=state.current)
    scratch.schemas = set(state.schemas)
    scratch.tables = {k: v for k, v in state.tables.items() if k != key}
    scratch.enums, scratch.domains = state.enums, state.domains
    scratch.composites, scratch.extensions = state.composites, state.extensions
    return build_table(scratch, node, key)


def build_table(state: State, node: PgNode, key: QualifiedName) -> Table:
    """Create the table in ``state``: columns first, then CHECK, PK/UNIQUE, FK,
    in the order PostgreSQL creates (and therefore names) them."""
    schema, name = key
    origin = state.origin_at(node.relation.location)
    columns: list[Column] = []
    inherited: list[Constraint] = []
    parents = [state.relation_key(rv) for rv in node.inhRelations or ()]
    for parent_key in parents:
        parent = state.tables.get(parent_key)
        if parent is None:
            state.missing("table", parent_key, display_name(parent_key))
            continue
        for column in parent.columns:
            if all(c.name != column.name for c in columns):
                columns.append(replace(column, origin=origin))
        inherited.extend(c for c in parent.constraints if c.kind is ConstraintKind.CHECK)
    pending: list[tuple[ast.Constraint, str | None]] = []
    likes: list[tuple[Table, int]] = []  # LIKE sources and their INCLUDING options
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            if node.partbound is not None and element.typeName is None:
                _merge_partition_column(columns, element, pending)
                continue
            column, constraints = build_column(state, key, element, create_sequences=True)
            columns = [c for c in columns if c.name != column.name]
            columns.append(column)
            pending.extend((c, column.name) for c in constraints)
        elif isinstance(element, ast.Constraint):
            pending.append((element, None))
        elif isinstance(element, ast.TableLikeClause):
            source_key = state.relation_key(element.relation)
            source = state.tables.get(source_key)
            if source is None:
                state.missing("table", source_key, display_name(source_key))
            else:
                options = int(element.options or 0)
                columns.extend(_like_column(column, options, origin) for column in source.columns)
                likes.append((source, options))
    partitioning = None
    if node.partspec is not None:
        keys = tuple(
            str(p.name) if p.name else deparse(p.expr) for p in node.partspec.partParams or ()
        )
        strategy = str(getattr(node.partspec.strategy, "value", node.partspec.strategy))
        partitioning = Partitioning(_STRATEGIES.get(strategy, strategy), keys)
    table = Table(
        schema=schema,
        name=name,
        columns=tuple(columns),
        partitioning=partitioning,
        partition_of=parents[0] if node.partbound is not None and parents else None,
        partition_bound=deparse(node.partbound) if node.partbound is not None else None,
        inherits=tuple(parents) if node.partbound is None else (),
        unlogged=getattr(node.relation, "relpersistence", "p") == "u",
        constraints=tuple(inherited),
        origin=origin,
        revoked=state.default_revoked.get(schema, frozenset()),
    )
    state.put_table(table)
    add_constraints(state, table, pending)
    for source, options in likes:
        _copy_like(state, key, source, options, origin)
    if table.partition_of is not None:
        parent = state.tables.get(table.partition_of)
        if parent is not None:
            attach_partition(state, parent, state.tables[key])
    return state.tables[key]


def _key_names(index: Index) -> list[str | None]:
    """The names an index's keys lend a copy of it: columns, and expressions' names."""
    return [key.column or expression_colname(key.expression) for key in index.keys]


def _like_column(column: Column, options: int, origin: Origin) -> Column:
    """A column copied by ``LIKE``: its type and NOT NULL always, its default, identity,
    generation expression and comment only when the clause includes them."""
    return replace(
        column,
        default=column.default if options & TableLikeOption.CREATE_TABLE_LIKE_DEFAULTS else None,
        identity=column.identity if options & TableLikeOption.CREATE_TABLE_LIKE_IDENTITY else None,
        generated=column.generated
        if options & TableLikeOption.CREATE_TABLE_LIKE_GENERATED
        else None,
        comment=column.comment if options & TableLikeOption.CREATE_TABLE_LIKE_COMMENTS else None,
        origin=origin,
    )


def _copy_like(
    state: State, key: QualifiedName, source: Table, options: int, origin: Origin
) -> None:
    """What ``LIKE source INCLUDING IDENTITY`` / ``CONSTRAINTS`` / ``INDEXES`` copies: a
    sequence for each identity column, the CHECK
    constraints under their names, and every index under the name PostgreSQL chooses for
    an unnamed one on the new table (``<table>_pkey``, ``<table>_<columns>_key``,
    ``<table>_<columns>_idx``), with the PRIMARY KEY, UNIQUE and EXCLUDE constraints
    behind them."""
    table = state.tables[key]
    for column in source.columns:
        if column.identity is not None and options & TableLikeOption.CREATE_TABLE_LIKE_IDENTITY:
            # a copied identity column gets a sequence of its own, named for the new table
            name = choose_name(table.name, column.name, "seq", state.relation_taken(table.schema))
            sequence = Sequence(table.schema, name, column.type.name, (key, column.name), origin)
            state.sequences[sequence.schema, sequence.name] = sequence
    if options & TableLikeOption.CREATE_TABLE_LIKE_CONSTRAINTS:
        for check in (c for c in source.constraints if c.kind is ConstraintKind.CHECK):
            table = _append(state, table, replace(check, origin=origin))
    if not options & TableLikeOption.CREATE_TABLE_LIKE_INDEXES:
        return
    for index in state.table_indexes(source.qualified):
        backing = next((c for c in source.constraints if c.index == index.name), None)
        naming = index_column_names([*_key_names(index), *index.include])
        if backing is None:
            name = choose_name(
                table.name, name_addition(naming), "idx", state.relation_taken(table.schema)
            )
        else:
            taken = state.relation_taken(table.schema, constraint=True)
            if backing.kind is ConstraintKind.PRIMARY_KEY:
                name = choose_name(table.name, None, "pkey", taken)
            else:
                label = "excl" if backing.kind is ConstraintKind.EXCLUDE else "key"
                name = choose_name(table.name, name_addition(naming), label, taken)
            table = _append(state, table, replace(backing, name=name, index=name, origin=origin))
        clone = replace(
            index,
            schema=table.schema,
            name=name,
            table=key,
            constraint=name if backing is not None else None,
            comment=None,
            origin=origin,
        )
        state.put_index(clone, state.index_columns.get(index.qualified))
        state.event(EventKind.CREATED, "index", name)


def _merge_partition_column(
    columns: list[Column], element: PgNode, pending: list[tuple[ast.Constraint, str | None]]
) -> None:
    # "col WITH OPTIONS NOT NULL DEFAULT ..." in PARTITION OF adds to the parent's column.
    for position, column in enumerate(columns):
        if column.name != element.colname:
            continue
        for constraint in element.constraints or ():
            if constraint.contype == ConstrType.CONSTR_NOTNULL:
                column = replace(column, not_null=True)
            elif constraint.contype == ConstrType.CONSTR_DEFAULT:
                column = replace(column, default=deparse(constraint.raw_expr))
            else:
                pending.append((constraint, column.name))
        columns[position] = column


def add_constraints(
    state: State, table: Table, pending: list[tuple[ast.Constraint, str | None]]
) -> Table:
    """Add constraints in PostgreSQL's creation order: CHECK with the table, then the
    PRIMARY KEY index, the other UNIQUE/EXCLUDE indexes, and the foreign keys last."""
    checks = [p for p in pending if p[0].contype == ConstrType.CONSTR_CHECK]
    primary = [p for p in pending if p[0].contype == ConstrType.CONSTR_PRIMARY]
    uniques = [
        p
        for p in pending
        if p[0].contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_EXCLUSION)
    ]
    foreign = [p for p in pending if p[0].contype == ConstrType.CONSTR_FOREIGN]
    taken: list[str] = [c.name for c in table.constraints]
    for node, _column in checks:
        check = check_constraint(state, table, node, taken)
        # 'column "x" does not exist': the constraint is not created
        if not state.absent_columns(table, check.columns, location=node.location):
            table = _append(state, table, check)
    for node, column in [*primary, *uniques]:
        if node.contype == ConstrType.CONSTR_PRIMARY and table.primary_key is not None:
            assumed = assume_dropped(state, table, table.primary_key, node.location)
            if assumed is not None:
                table = assumed
            else:
                state.duplicate(
                    "constraint",
                    f"{table.name} primary key",
                    table.primary_key,
                    None,
                    location=node.location,
                )
                continue
        constraint, index = index_constraint(state, table, node, column)
        keys = (*constraint.columns, *index.include)
        # 'column "x" named in key does not exist': the constraint is not created
        if state.absent_columns(table, keys, location=node.location):
            continue
        if _same_index_exists(table, constraint):
            continue
        if node.conname and state.relation_exists((table.schema, constraint.name)) is not None:
            existing = state.relation_exists((table.schema, constraint.name))
            owner = next((c for c in table.constraints if c.index == constraint.name), None)
            assumed = (
                assume_dropped(state, table, owner, node.location) if owner is not None else None
            )
            if assumed is None:
                state.duplicate("index", constraint.name, existing, index, location=node.location)
                continue
            table = assumed
        table = set_not_null(
            table, constraint.columns if node.contype == ConstrType.CONSTR_PRIMARY else ()
        )
        table = _append(state, table, constraint)
        state.put_index(index)
        state.event(EventKind.CREATED, "index", index.name, location=node.location)
    for node, column in foreign:
        table = _append(state, table, foreign_key_constraint(state, table, node, column, taken))
    return table


def assume_dropped(
    state: State, table: Table, constraint: Constraint, location: int | None
) -> Table | None:
    """``table`` without ``constraint``, when SQL built at run time earlier in the file
    dropped some constraint of the table (its name unknown) and this statement needs this
    one gone: the statement is taken to run as its author meant, and the assumption is
    said (not analysed). None (nothing assumed) when no such drop precedes it, or when
    foreign keys lean on the table's keys (a plain drop of a key they use fails)."""
    if any(count > 0 for count in state.referencing.get(table.qualified, {}).values()):
        return None
    drop = state.take_unknown_drop(table.qualified)
    if drop is None:
        return None
    if constraint.index is not None:
        state.remove_index((table.schema, constraint.index))
        table = state.tables[table.qualified]
    table = replace(table, constraints=tuple(c for c in table.constraints if c is not constraint))
    state.put_table(table)
    state.event(
        EventKind.NOT_ANALYSED,
        "constraint",
        f"{table.name}.{constraint.name}",
        location=location,
        detail="assumed that the earlier EXECUTE, whose SQL is built at run time, dropped "
        f"constraint {constraint.name} of {display_name(table.qualified)}: this statement "
        "needs it gone",
        previous=drop.origin,
    )
    return table


def _same_index_exists(table: Table, constraint: Constraint) -> bool:
    # transformIndexConstraints keeps one index when CREATE TABLE repeats the same
    # key columns (UNIQUE next to PRIMARY KEY on the same columns).
    return any(
        c.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)
        and c.columns == constraint.columns
        and constraint.kind is ConstraintKind.UNIQUE
        and c.origin.statement == constraint.origin.statement
        for c in table.constraints
    )


def _append(state: State, table: Table, constraint: Constraint) -> Table:
    existing = table.constraint(constraint.name)
    label = f"{table.name}.{constraint.name}"
    if existing is not None:
        assumed = assume_dropped(state, table, existing, None)
        if assumed is None:
            state.duplicate("constraint", label, existing, constraint)
            return table
        table = assumed
    table = replace(table, constraints=(*table.constraints, constraint))
    state.put_table(table)
    state.event(EventKind.CREATED, "constraint", label, origin=constraint.origin)
    return table


def attach_partition(state: State, parent: Table, partition: Table) -> None:
    """A new partition gets the parent's CHECK and FK constraints (same names) and a
    copy of each of its indexes, named for the partition."""
    clones = [
        c
        for c in parent.constraints
        if c.kind in (ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY)
        and partition.constraint(c.name) is None
    ]
    table = replace(partition, constraints=(*partition.constraints, *clones))
    for index in state.table_indexes(parent.qualified):
        names = index_column_names([*_key_names(index), *index.include])
        if index.constraint is not None:
            parent_constraint = parent.constraint(index.constraint)
            primary = parent_constraint is not None and (
                parent_constraint.kind is ConstraintKind.PRIMARY_KEY
            )
            label = "pkey" if primary else "key"
            taken = state.relation_taken(table.schema, constraint=True)
            name = choose_name(table.name, None if primary else name_addition(names), label, taken)
            if parent_constraint is not None:
                clone = replace(parent_constraint, name=name, index=name)
                table = replace(table, constraints=(*table.constraints, clone))
        else:
            taken = state.relation_taken(table.schema)
            name = choose_name(table.name, name_addition(names), "idx", taken)
        state.put_index(
            replace(
                index,
                schema=table.schema,
                name=name,
                table=table.qualified,
                constraint=name if index.constraint else None,
                origin=table.origin,
            ),
            state.index_columns.get(index.qualified),
        )
    state.put_table(table)


def partitions_of(state: State, key: QualifiedName) -> list[QualifiedName]:
    return [k for k, t in state.tables.items() if t.partition_of == key]


def drop_table(
    state: State,
    key: QualifiedName,
    *,
    cascade: bool,
    location: int | None,
    named: frozenset[QualifiedName] = frozenset(),
) -> None:
    """Drop a table with its indexes, triggers, policies and owned sequences; with CASCADE
    also the foreign keys of other tables that point at it. ``named``: the other
    relations the same DROP names, which go too and so block nothing (PostgreSQL
    drops the objects of one DROP together)."""
    table = state.tables[key]
    dependents = [d for d in state.referencing_tables(key) if d not in named]
    label = display_name(key)
    if dependents and not cascade:
        state.event(
            EventKind.BLOCKED,
            "table",
            label,
            location=location,
            detail="referenced by foreign keys of "
            + ", ".join(display_name(d) for d in dependents),
            previous=table.origin,
        )
        return
    views = state.views_blocking("table", key, named, cascade, table.origin, location)
    if views is None:
        return
    state.drop_dependent_views(views, detail=f"cascade from dropping {label}", location=location)
    for dependent_key in dependents:
        dependent = state.tables[dependent_key]
        kept = []
        for constraint in dependent.constraints:
            fk = constraint.foreign_key
            if fk is not None and fk.ref_table == key:
                state.event(
                    EventKind.DROPPED,
                    "constraint",
                    f"{dependent.name}.{constraint.name}",
                    location=location,
                    detail=f"cascade from dropping {label}",
                    previous=constraint.origin,
                )
            else:
                kept.append(constraint)
        state.put_table(replace(dependent, constraints=tuple(kept)))
    for partition in partitions_of(state, key):
        drop_table(state, partition, cascade=cascade, location=location)
    for index in state.table_indexes(key):
        state.remove_index(index.qualified)
    for trigger_key in [k for k in state.triggers if k[0] == key]:
        del state.triggers[trigger_key]
    for policy_key in [k for k in state.policies if k[0] == key]:
        del state.policies[policy_key]
    for sequence_key, sequence in list(state.sequences.items()):
        if sequence.owned_by is not None and sequence.owned_by[0] == key:
            del state.sequences[sequence_key]
    state.remove_table(key)
    state.event(EventKind.DROPPED, "table", label, location=location, previous=table.origin)


def drop_columns(
    state: State,
    key: QualifiedName,
    columns: set[str],
    *,
    cascade: bool,
    location: int | None,
    reason: str = "",
) -> bool:
    """Remove columns and everything that uses them: indexes, constraints, owned
    sequences; foreign keys of other tables that reference them need CASCADE."""
    table = state.tables[key]
    label = display_name(key)
    referencing: list[tuple[QualifiedName, Constraint]] = []
    for other_key in [*state.referencing_tables(key), key]:
        for constraint in state.tables[other_key].foreign_keys:
            fk = constraint.foreign_key
            # a self-reference that is dropped along with its own columns needs no CASCADE
            if (
                fk is not None
                and fk.ref_table == key
                and columns & set(fk.ref_columns)
                and (other_key != key or not columns & set(constraint.columns))
            ):
                referencing.append((other_key, constraint))
    if referencing and not cascade:
        state.event(
            EventKind.BLOCKED,
            "column",
            f"{label}.{', '.join(sorted(columns))}",
            location=location,
            detail="referenced by "
            + ", ".join(f"{display_name(k)}.{c.name}" for k, c in referencing),
        )
        return False
    views = state.views_reading(key, columns)
    if views and not cascade:
        state.event(
            EventKind.BLOCKED,
            "column",
            f"{label}.{', '.join(sorted(columns))}",
            location=location,
            detail="views depend on it: " + ", ".join(display_name(v) for v in views),
        )
        return False
    state.drop_dependent_views(
        views,
        detail=reason or f"cascade from dropping column {label}.{', '.join(sorted(columns))}",
        location=location,
    )
    for other_key, constraint in referencing:
        state.drop_cascaded_foreign_key(
            other_key,
            constraint,
            detail=reason or f"cascade from dropping column {label}",
            location=location,
            previous=constraint.origin,
        )
    table = state.tables[key]
    kept: list[Constraint] = []
    for constraint in table.constraints:
        if columns & set(constraint.columns):
            state.event(
                EventKind.DROPPED,
                "constraint",
                f"{table.name}.{constraint.name}",
                location=location,
                detail=reason or "uses a dropped column",
                previous=constraint.origin,
            )
        else:
            kept.append(constraint)
    for index in state.table_indexes(key):
        if columns & state.index_columns.get(index.qualified, frozenset()):
            state.remove_index(index.qualified)
            state.event(
                EventKind.DROPPED,
                "index",
                index.name,
                location=location,
                detail=reason or "uses a dropped column",
                previous=index.origin,
            )
    for sequence_key, sequence in list(state.sequences.items()):
        if (
            sequence.owned_by is not None
            and sequence.owned_by[0] == key
            and (sequence.owned_by[1] in columns)
        ):
            del state.sequences[sequence_key]
    state.put_table(
        replace(
            table,
            columns=tuple(c for c in table.columns if c.name not in columns),
            constraints=tuple(kept),
        )
    )
    return True


__all__ = ["build_table", "create_table", "drop_columns", "drop_table", "names_of"]
