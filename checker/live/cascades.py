"""Cascade probe: delete a generated row on the live server and compare with the prediction.

For a root table, the probe builds a small world inside a transaction that is
rolled back at the end: one root row, and for every foreign key that leads
(transitively) to it, one row of the referencing table pointing at the world
row of the referenced table. Other NOT NULL columns get plain values by type;
NOT NULL references outside the world get anchor rows of their own; a CHECK
constraint that rejects a generated row is dropped (inside the transaction)
and the insert retried. Then the root row is deleted: each world row that
vanished was deleted, one whose reference became NULL (or its default) was set
null, and each foreign-key violation names a table that blocks the delete (its
rows are removed and the delete retried, to find every blocker). What the
server did, table by table, is compared with the static model's deletion
closure; every disagreement is an LV504 finding. Triggers and rules that the
static model cannot see are exactly what this catches.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checker.catalog import (
    Catalog,
    Column,
    Constraint,
    FkAction,
    QualifiedName,
    Table,
    display_name,
)
from checker.findings import Finding, Location, Severity
from checker.model import Origin

if TYPE_CHECKING:
    import psycopg

    from checker.graph import DeletePath

CODE_CASCADE_DIFFERS = "LV504"
_MAX_RETRIES = 200  # inserts retried after dropping a CHECK, and blocked deletes retried


@dataclass(frozen=True, slots=True)
class Edge:
    child: QualifiedName
    parent: QualifiedName
    constraint: Constraint


@dataclass(frozen=True, slots=True)
class CascadeObservation:
    """What deleting one root row did on the server, table by table."""

    root: QualifiedName
    deleted: frozenset[QualifiedName] = frozenset()
    set_null: frozenset[QualifiedName] = frozenset()
    blocking: frozenset[QualifiedName] = frozenset()
    untouched: frozenset[QualifiedName] = frozenset()  # world rows the delete left as they were
    not_probed: tuple[str, ...] = ()  # tables/edges no row could be made for, with the reason
    dropped_checks: tuple[str, ...] = ()
    failure: str | None = None  # the delete failed for another reason than a foreign key
    probed_edges: frozenset[tuple[QualifiedName, str]] = frozenset()  # (child, constraint)


@dataclass(slots=True)
class _World:
    connection: psycopg.Connection[Any]
    live: Catalog
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    rows: dict[QualifiedName, dict[str, Any]] = field(default_factory=dict)  # world row keys
    anchors: dict[QualifiedName, dict[str, Any]] = field(default_factory=dict)
    dropped_checks: list[str] = field(default_factory=list)
    not_probed: list[str] = field(default_factory=list)
    probed: set[tuple[QualifiedName, str]] = field(default_factory=set)  # edges with a row
    # False: a CHECK that rejects a generated row leaves the table without one
    # (the populated-table probe must not change the schema it tests)
    drop_checks: bool = True
    last_error: Any = None  # the error of the last insert that failed (the trigger probe reads it)

    def insert(self, table: Table, fixed: dict[str, Any], depth: int = 0) -> dict[str, Any] | None:
        """Insert one row with ``fixed`` column values; returns its key columns' values."""
        import psycopg
        from psycopg import sql

        values: dict[str, Any] = dict(fixed)
        self.last_error = None
        references = {c for fk in table.foreign_keys for c in fk.columns}
        for edge_constraint in table.foreign_keys:
            details = edge_constraint.foreign_key
            if details is None or any(c in values for c in edge_constraint.columns):
                continue
            columns = [table.column(c) for c in edge_constraint.columns]
            if all(c is not None and not c.not_null for c in columns):
                continue  # nullable reference: leave it NULL
            parent = self.live.tables.get(details.ref_table)
            anchor = self.anchor(parent, depth + 1) if parent else None
            if anchor is None:
                return None
            for name, ref in zip(edge_constraint.columns, details.ref_columns, strict=False):
                values[name] = anchor.get(ref)
        statement, key = self._insert_statement(table, values, references, every=False)
        # one round trip: the savepoint, the insert and (when it succeeds) the release; a
        # failure skips the rest, as separate statements would have been skipped
        guarded = sql.SQL(
            "SAVEPOINT schema_check_probe_row;\n{};\nRELEASE SAVEPOINT schema_check_probe_row"
        )
        filled_every = False
        for _ in range(_MAX_RETRIES):
            try:
                cursor = self.connection.execute(guarded.format(statement))
                cursor.nextset()
                row = cursor.fetchone()
            except psycopg.errors.CheckViolation as error:
                self.connection.execute("ROLLBACK TO SAVEPOINT schema_check_probe_row")
                self.last_error = error
                violated = error.diag.constraint_name
                if not violated or not self.drop_checks or not self.drop_check(table, violated):
                    self.not_probed.append(
                        f"{display_name(table.qualified)}: {error.diag.message_primary}"
                    )
                    return None
                continue
            except psycopg.Error as error:
                self.connection.execute("ROLLBACK TO SAVEPOINT schema_check_probe_row")
                self.last_error = error
                if not filled_every and _null_written_elsewhere(error, table):
                    # a trigger copied one of the row's NULL columns into a NOT NULL column
                    # of another table (a profile made from the new user's email): again,
                    # with a value in every column the row may leave NULL
                    filled_every = True
                    statement, key = self._insert_statement(table, values, references, every=True)
                    continue
                self.not_probed.append(
                    f"{display_name(table.qualified)}: {error.diag.sqlstate} "
                    f"{error.diag.message_primary}"
                )
                return None
            return dict(zip(key, row or (), strict=False))
        return None

    def _insert_statement(
        self, table: Table, values: dict[str, Any], references: set[str], *, every: bool
    ) -> tuple[Any, tuple[str, ...]]:
        """The INSERT of one row (and the key columns it returns): ``values``, a value for
        each NOT NULL column without a default, and with ``every`` for each other column
        without a default too (a foreign key's columns stay NULL: no row is made for them)."""
        from psycopg import sql

        expressions: list[sql.Composable] = []
        names: list[sql.Composable] = []
        for column in table.columns:
            if column.name in values:
                names.append(sql.Identifier(column.name))
                expressions.append(sql.Literal(values[column.name]))
            elif not _has_default(column) and (
                column.not_null or (every and column.name not in references)
            ):
                names.append(sql.Identifier(column.name))
                expressions.append(self.value_for(column))
        key = _key_columns(table)
        # a table without columns (CREATE TABLE t ()) has no key to return: RETURNING
        # needs something, and the row found again is the empty one
        returning = sql.SQL(", ").join(sql.Identifier(c) for c in key) if key else sql.SQL("1")
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
            sql.Identifier(*table.qualified),
            sql.SQL(", ").join(names),
            sql.SQL(", ").join(expressions),
            returning,
        )
        if not names:
            statement = sql.SQL("INSERT INTO {} DEFAULT VALUES RETURNING {}").format(
                sql.Identifier(*table.qualified), returning
            )
        return statement, key

    def anchor(self, table: Table, depth: int) -> dict[str, Any] | None:
        """A row of ``table`` outside the world, for NOT NULL references."""
        if table.qualified in self.anchors:
            return self.anchors[table.qualified]
        if depth > 12:
            self.not_probed.append(f"{display_name(table.qualified)}: references nest too deep")
            return None
        row = self.insert(table, {}, depth)
        if row is not None:
            self.anchors[table.qualified] = row
        return row

    def drop_check(self, table: Table, name: str) -> bool:
        from psycopg import sql

        if table.constraint(name) is None or len(self.dropped_checks) > _MAX_RETRIES:
            return False
        self.connection.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(*table.qualified), sql.Identifier(name)
            )
        )
        self.dropped_checks.append(f"{display_name(table.qualified)}.{name}")
        return True

    def value_for(self, column: Column) -> Any:
        """A plain value of the column's type, unique enough for UNIQUE constraints."""
        from psycopg import sql

        number = next(self.counter)
        ref = column.type
        name = ref.name
        if ref.array_dims:
            return sql.Literal("{}")
        if ref.schema is not None and (ref.schema, name) in self.live.enums:
            label = self.live.enums[(ref.schema, name)].labels[0]
            return sql.SQL("{}::{}").format(sql.Literal(label), sql.Identifier(ref.schema, name))
        if name in ("text", "character varying", "character", "name", "citext"):
            # an address where the column holds one (a CHECK often insists on its form)
            text = f"p{number}@example.com" if "email" in column.name.lower() else f"p{number}"
            if ref.modifiers and ref.modifiers[0].isdigit():
                text = text[: int(ref.modifiers[0])]
            return sql.Literal(text)
        if name in ("smallint", "integer", "bigint", "numeric", "real", "double precision"):
            return sql.Literal(number)
        if name == "boolean":
            return sql.SQL("false")
        if name.startswith("timestamp") or name == "date" or name.startswith("time"):
            return sql.SQL("now()")
        if name in ("json", "jsonb"):
            return sql.Literal("{}")
        if name == "uuid":
            return sql.SQL("gen_random_uuid()")
        if name == "vector" and ref.modifiers:
            return sql.SQL("array_fill(0, ARRAY[{}])::vector").format(
                sql.Literal(int(ref.modifiers[0]))
            )
        if name == "bytea":
            return sql.SQL("'\\x00'::bytea")
        if name == "interval":
            return sql.SQL("'1 day'::interval")
        if name == "inet":
            return sql.SQL("'127.0.0.1'::inet")
        return sql.SQL("NULL")  # the insert fails with a NOT NULL violation, reported as not probed


def _null_written_elsewhere(error: Any, table: Table) -> bool:
    """A NOT NULL violation (23502) in another table than the one the row went into: a
    trigger of that row wrote NULL there."""
    diag = error.diag
    return bool(
        diag.sqlstate == "23502"
        and diag.table_name
        and (diag.schema_name, diag.table_name) != table.qualified
    )


def _has_default(column: Column) -> bool:
    return column.default is not None or column.identity is not None or column.generated is not None


def _key_columns(table: Table) -> tuple[str, ...]:
    """Columns that find the row again: the primary key, else every column."""
    key = table.primary_key
    if key is not None:
        return tuple(key.columns)
    return tuple(column.name for column in table.columns)


def referencing_edges(live: Catalog, root: QualifiedName) -> list[Edge]:
    """Every foreign key that leads to ``root``, breadth first from it."""
    by_parent: dict[QualifiedName, list[Edge]] = {}
    for table, constraint in live.foreign_keys():
        if constraint.foreign_key is not None:
            parent = constraint.foreign_key.ref_table
            by_parent.setdefault(parent, []).append(Edge(table.qualified, parent, constraint))
    ordered: list[Edge] = []
    seen_tables = {root}
    queue = [root]
    while queue:
        parent = queue.pop(0)
        for edge in sorted(by_parent.get(parent, ()), key=lambda e: (e.child, e.constraint.name)):
            ordered.append(edge)
            if edge.child not in seen_tables:
                seen_tables.add(edge.child)
                queue.append(edge.child)
    return ordered


def observe_cascade(
    connection: psycopg.Connection[Any], live: Catalog, root: QualifiedName
) -> CascadeObservation:
    """Delete a generated row of ``root`` and see what happens; changes nothing in the end."""
    import psycopg
    from psycopg import sql

    root_table = live.tables.get(root)
    if root_table is None:
        return CascadeObservation(root, not_probed=(f"{display_name(root)}: no such table",))
    # A DEFERRABLE INITIALLY DEFERRED key checks only at commit, which the probe
    # never reaches (it rolls back): check every key at once, as the delete's
    # outcome at commit would be. (One round trip for both.)
    connection.execute("BEGIN;\nSET CONSTRAINTS ALL IMMEDIATE")
    try:
        world = _World(connection, live)
        root_row = world.insert(root_table, {})
        if root_row is None:
            return CascadeObservation(root, not_probed=tuple(world.not_probed))
        world.rows[root] = root_row
        edge_rows: list[tuple[Edge, dict[str, Any]]] = []
        linked: list[tuple[Any, ...]] = []  # the reference values each edge row started with
        # A table's world row comes from a CASCADE edge that may be found after the
        # table's own referencing edges; go round until no edge can be added.
        pending = referencing_edges(live, root)
        progress = True
        while pending and progress:
            ready = [edge for edge in pending if edge.parent in world.rows]
            pending = [edge for edge in pending if edge.parent not in world.rows]
            progress = bool(ready)
            for edge in ready:
                _add_edge_row(connection, live, world, edge, edge_rows, linked)
        blocking: set[QualifiedName] = set()
        removed: set[int] = set()  # edge rows taken away because they blocked the delete
        failure: str | None = None
        delete = sql.SQL("DELETE FROM {} WHERE {}").format(sql.Identifier(*root), _where(root_row))
        guarded = sql.SQL("SAVEPOINT schema_check_probe_delete;\n{}").format(delete)
        for _ in range(_MAX_RETRIES):
            try:
                connection.execute(guarded)
                break
            except (psycopg.errors.ForeignKeyViolation, psycopg.errors.RestrictViolation) as error:
                # 23503 for NO ACTION, 23001 for ON DELETE RESTRICT
                connection.execute("ROLLBACK TO SAVEPOINT schema_check_probe_delete")
                blocker = _blocking_table(live, error.diag.table_name, error.diag.constraint_name)
                if blocker is None or not _remove_blockers(connection, edge_rows, error, removed):
                    world.not_probed.append(f"delete blocked: {error.diag.message_primary}")
                    break
                blocking.add(blocker)
            except psycopg.Error as error:
                connection.execute("ROLLBACK TO SAVEPOINT schema_check_probe_delete")
                failure = f"{error.diag.sqlstate} {error.diag.message_primary}"
                break
        deleted: set[QualifiedName] = set()
        set_null: set[QualifiedName] = set()
        untouched: set[QualifiedName] = set()
        kept = [
            (edge, row, before)
            for position, ((edge, row), before) in enumerate(zip(edge_rows, linked, strict=True))
            if position not in removed
        ]
        # what became of each edge row: one SELECT each, all in one round trip
        queries = [
            sql.SQL("SELECT {} FROM {} WHERE {}").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in edge.constraint.columns),
                sql.Identifier(*edge.child),
                _where(row),
            )
            for edge, row, _ in kept
        ]
        found: list[tuple[Any, ...] | None] = []
        if queries:
            cursor = connection.execute(sql.SQL(";\n").join(queries))
            found.append(cursor.fetchone())
            while cursor.nextset():
                found.append(cursor.fetchone())
        for (edge, _, before), current in zip(kept, found, strict=True):
            if current is None:
                deleted.add(edge.child)
            elif tuple(current) != before:
                set_null.add(edge.child)  # SET NULL or SET DEFAULT: the reference changed
            else:
                untouched.add(edge.child)
        return CascadeObservation(
            root,
            frozenset(deleted),
            frozenset(set_null),
            frozenset(blocking),
            frozenset(untouched - deleted - set_null),
            tuple(world.not_probed),
            tuple(world.dropped_checks),
            failure,
            frozenset(world.probed),
        )
    finally:
        connection.execute("ROLLBACK")


def _add_edge_row(
    connection: psycopg.Connection[Any],
    live: Catalog,
    world: _World,
    edge: Edge,
    edge_rows: list[tuple[Edge, dict[str, Any]]],
    linked: list[tuple[Any, ...]],
) -> None:
    """One row of the edge's child table that references the parent's world row."""
    parent_row = world.rows[edge.parent]
    child = live.tables.get(edge.child)
    details = edge.constraint.foreign_key
    if child is None or details is None:
        return
    fixed = {
        column: parent_row.get(ref)
        for column, ref in zip(edge.constraint.columns, details.ref_columns, strict=False)
    }
    if None in fixed.values():
        # referenced columns other than the key: read them from the parent row
        fixed = _referenced_values(connection, edge, parent_row)
    row = world.insert(child, fixed)
    if row is None:
        world.not_probed.append(f"edge {edge.constraint.name}: no row could be made")
        return
    edge_rows.append((edge, row))
    linked.append(tuple(fixed.get(column) for column in edge.constraint.columns))
    if details.on_delete is FkAction.CASCADE:
        # Only a row the delete removes passes the delete on to rows referencing it.
        world.rows.setdefault(edge.child, row)
    world.probed.add((edge.child, edge.constraint.name))


def _where(row: dict[str, Any]) -> Any:
    from psycopg import sql

    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value))
        for column, value in row.items()
    )


def _referenced_values(
    connection: psycopg.Connection[Any], edge: Edge, parent_row: dict[str, Any]
) -> dict[str, Any]:
    from psycopg import sql

    details = edge.constraint.foreign_key
    assert details is not None
    found = connection.execute(
        sql.SQL("SELECT {} FROM {} WHERE {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in details.ref_columns),
            sql.Identifier(*edge.parent),
            _where(parent_row),
        )
    ).fetchone()
    return dict(zip(edge.constraint.columns, found or (), strict=False))


def _blocking_table(
    live: Catalog, table_name: str | None, constraint_name: str | None
) -> QualifiedName | None:
    for table, constraint in live.foreign_keys():
        if constraint.name == constraint_name and table.name == table_name:
            return table.qualified
    return None


def _remove_blockers(
    connection: psycopg.Connection[Any],
    edge_rows: list[tuple[Edge, dict[str, Any]]],
    error: Any,
    removed: set[int],
) -> bool:
    """Delete our rows behind the violated constraint, so the next try finds the next blocker."""
    from psycopg import sql

    found = False
    for position, (edge, row) in enumerate(edge_rows):
        violated = edge.constraint.name == error.diag.constraint_name
        if violated and edge.child[1] == error.diag.table_name and position not in removed:
            connection.execute(
                sql.SQL("DELETE FROM {} WHERE {}").format(sql.Identifier(*edge.child), _where(row))
            )
            removed.add(position)
            found = True
    return found


def cascade_findings(
    static: Catalog,
    observation: CascadeObservation,
    *,
    severity: Severity = Severity.ERROR,
) -> list[Finding]:
    """LV504 for every table where the server's cascade differs from the static prediction."""
    from checker.graph import SchemaGraph

    closure = SchemaGraph(static).deletion_closure(observation.root)

    def probed(groups: Mapping[QualifiedName, tuple[DeletePath, ...]]) -> set[QualifiedName]:
        # Only predictions whose whole path the probe built rows for can be contradicted.
        return {
            table
            for table, paths in groups.items()
            if any(
                all((e.child, e.constraint) in observation.probed_edges for e in path.edges)
                for path in paths
            )
        }

    predicted = {
        "deleted": probed(closure.deleted),
        "set null": probed(closure.set_null),
        "blocks the delete": probed(closure.blocking),
    }
    observed = {
        "deleted": set(observation.deleted),
        "set null": set(observation.set_null),
        "blocks the delete": set(observation.blocking),
    }
    tables = set().union(*predicted.values(), *observed.values())
    root = display_name(observation.root)
    findings: list[Finding] = []
    if observation.failure is not None:
        found = static.tables.get(observation.root)
        origin = found.origin if found is not None else None
        findings.append(
            Finding(
                code=CODE_CASCADE_DIFFERS,
                severity=severity,
                message=(
                    f"deleting a row of {root} fails on the server ({observation.failure}); "
                    "the static model sees nothing that would stop it"
                ),
                locations=(Location.of(origin),) if origin is not None and origin.file else (),
                objects=(root,),
                details=("a trigger or rule the static model does not follow is the likely cause",),
            )
        )
        return findings
    for table in sorted(tables):
        said = sorted(kind for kind, group in predicted.items() if table in group)
        saw = sorted(kind for kind, group in observed.items() if table in group)
        if said == saw or _unprobed(table, observation):
            continue
        if not said and closure.truncated:
            continue  # the closure stopped enumerating paths: silence is not a prediction
        if said and not saw and table in observation.untouched:
            saw = ["left unchanged"]
        if not saw and table not in observation.untouched:
            continue  # no row of it could be made: nothing observed, nothing to contradict
        origin = _edge_origin(static, table, observation.root)
        paths = (
            closure.deleted.get(table, ())
            + closure.set_null.get(table, ())
            + closure.blocking.get(table, ())
        )
        findings.append(
            Finding(
                code=CODE_CASCADE_DIFFERS,
                severity=severity,
                message=(
                    f"deleting a row of {root}: the static model predicts {display_name(table)} "
                    f"rows {_join(_PREDICTED[k] for k in said) or 'are left alone'}; "
                    f"on the server they {_join(_OBSERVED[k] for k in saw)}"
                ),
                locations=(Location.of(origin),) if origin is not None and origin.file else (),
                objects=(root, display_name(table)),
                details=tuple(f"predicted path: {path.render()}" for path in paths[:3]),
            )
        )
    return findings


def _unprobed(table: QualifiedName, observation: CascadeObservation) -> bool:
    name = display_name(table)
    return any(note.startswith(f"{name}:") for note in observation.not_probed)


def _edge_origin(static: Catalog, table: QualifiedName, root: QualifiedName) -> Origin | None:
    found = static.tables.get(table)
    if found is None:
        return None
    for constraint in found.foreign_keys:
        if constraint.foreign_key and constraint.foreign_key.ref_table == root:
            return constraint.origin
    fks = found.foreign_keys
    return fks[0].origin if fks else found.origin


_PREDICTED = {
    "deleted": "are deleted",
    "set null": "are set to NULL",
    "blocks the delete": "block the delete",
}
_OBSERVED = {
    "deleted": "were deleted",
    "set null": "were set to NULL",
    "blocks the delete": "blocked the delete",
    "left unchanged": "were left unchanged",
}


def _join(kinds: Iterable[str]) -> str:
    return " and ".join(kinds)


def probe_roots(static: Catalog, contract_roots: Sequence[str]) -> list[QualifiedName]:
    """Roots to probe: the contract's delete roots, and base tables extension FKs point at."""
    from checker.model import Layer

    roots: set[QualifiedName] = set()
    for root in contract_roots:
        roots.add(root if isinstance(root, tuple) else ("public", root))
    for _, constraint in static.foreign_keys():
        details = constraint.foreign_key
        if details is None or constraint.origin.layer is Layer.BASE:
            continue
        parent = static.tables.get(details.ref_table)
        if parent is not None and parent.origin.layer is Layer.BASE:
            roots.add(details.ref_table)
    return sorted(roots)
