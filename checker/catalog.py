"""The simulated catalog: what the schema looks like after the statements ran.

Plain frozen data. Identifiers are normalised the way PostgreSQL stores them
(unquoted names folded to lower case, 63-byte truncation); every object keeps
the origin of the statement that created it. The simulator builds a Catalog,
the live verifier introspects one from a server, and the two compare equal
when the static model is right.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from checker.model import Origin, pickled_as_tuple

QualifiedName = tuple[str, str]
"""(schema, name) of a relation, type, sequence or function."""

NO_ORIGIN = Origin("", 0, 0)


def display_name(name: QualifiedName) -> str:
    """``name`` for objects in public, ``schema.name`` elsewhere."""
    schema, relname = name
    return relname if schema == "public" else f"{schema}.{relname}"


def quote(name: str) -> str:
    """A double-quoted SQL identifier, the way drizzle-kit writes them: valid for any name
    (``checker.simulator.naming.quote_identifier`` quotes only when PostgreSQL would)."""
    return '"' + name.replace('"', '""') + '"'


def relation_sql(name: QualifiedName) -> str:
    """``name`` for SQL a user can paste: quoted, schema-qualified outside public."""
    schema, relname = name
    return quote(relname) if schema == "public" else f"{quote(schema)}.{quote(relname)}"


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class TypeRef:
    """A column or attribute type, in the form ``format_type()`` prints it.

    ``name`` is the base type as PostgreSQL displays it (``integer``,
    ``character varying``, ``timestamp without time zone``, ``vector`` or a
    user type's name), ``schema`` is set for user-defined types,
    ``modifiers`` are the typmod arguments and ``array_dims`` the number of
    ``[]``.
    """

    name: str
    schema: str | None = None
    modifiers: tuple[str, ...] = ()
    array_dims: int = 0

    @property
    def is_array(self) -> bool:
        return self.array_dims > 0

    @property
    def element(self) -> TypeRef:
        return TypeRef(self.name, self.schema, self.modifiers, 0)

    def render(self) -> str:
        base = self.name
        if self.modifiers:
            args = ",".join(self.modifiers)
            if base.startswith(("timestamp with", "time with")):
                base = base.replace(" with", f"({args}) with", 1)
            else:
                base = f"{base}({args})"
        return base + "[]" * self.array_dims

    def __str__(self) -> str:
        return self.render()


class Identity(StrEnum):
    ALWAYS = "always"
    BY_DEFAULT = "by default"


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Column:
    """A table's column: type, nullability, default, identity or generation, collation."""

    name: str
    type: TypeRef
    not_null: bool = False
    default: str | None = None
    identity: Identity | None = None
    generated: str | None = None  # expression of a GENERATED ALWAYS AS (...) STORED column
    collation: str | None = None
    comment: str | None = None
    origin: Origin = NO_ORIGIN


class ConstraintKind(StrEnum):
    PRIMARY_KEY = "primary key"
    UNIQUE = "unique"
    CHECK = "check"
    FOREIGN_KEY = "foreign key"
    EXCLUDE = "exclude"


class FkAction(StrEnum):
    NO_ACTION = "no action"
    RESTRICT = "restrict"
    CASCADE = "cascade"
    SET_NULL = "set null"
    SET_DEFAULT = "set default"


class FkMatch(StrEnum):
    SIMPLE = "simple"
    FULL = "full"
    PARTIAL = "partial"


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class ForeignKeyDetails:
    """What only a FOREIGN KEY constraint has."""

    ref_table: QualifiedName
    ref_columns: tuple[str, ...]
    on_delete: FkAction = FkAction.NO_ACTION
    on_update: FkAction = FkAction.NO_ACTION
    match: FkMatch = FkMatch.SIMPLE
    # ON DELETE SET NULL (col, ...) limits the action to some columns (PostgreSQL 15+)
    delete_set_columns: tuple[str, ...] = ()


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Constraint:
    """A table constraint: PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY or EXCLUDE."""

    name: str
    kind: ConstraintKind
    columns: tuple[str, ...] = ()
    expression: str | None = None  # CHECK expression, deparsed
    foreign_key: ForeignKeyDetails | None = None
    index: str | None = None  # name of the index behind a PK/UNIQUE/EXCLUDE
    deferrable: bool = False
    initially_deferred: bool = False
    not_valid: bool = False
    no_inherit: bool = False
    nulls_not_distinct: bool = False
    origin: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class IndexKey:
    """One key of an index: a column or an expression, with its options."""

    column: str | None = None
    expression: str | None = None
    opclass: str | None = None
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the direction
    collation: str | None = None

    def render(self) -> str:
        text = self.column if self.column is not None else f"({self.expression})"
        if self.collation:
            text += f' COLLATE "{self.collation}"'
        if self.opclass:
            text += f" {self.opclass}"
        if self.descending:
            text += " DESC"
        if self.nulls_first is not None and self.nulls_first != self.descending:
            text += " NULLS FIRST" if self.nulls_first else " NULLS LAST"
        return text


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Index:
    """An index: its table, method, keys, INCLUDE columns, predicate and uniqueness."""

    schema: str
    name: str
    table: QualifiedName
    method: str = "btree"
    keys: tuple[IndexKey, ...] = ()
    include: tuple[str, ...] = ()
    predicate: str | None = None
    unique: bool = False
    nulls_not_distinct: bool = False
    constraint: str | None = None  # set when the index backs a PK/UNIQUE/EXCLUDE constraint
    with_options: tuple[tuple[str, str], ...] = ()
    tablespace: str | None = None
    comment: str | None = None
    origin: Origin = NO_ORIGIN

    @property
    def qualified(self) -> QualifiedName:
        return (self.schema, self.name)

    @property
    def key_columns(self) -> tuple[str | None, ...]:
        """Column of every key, None where the key is an expression."""
        return tuple(key.column for key in self.keys)


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Partitioning:
    """How a partitioned table splits its rows: the strategy and the key."""

    strategy: str  # range | list | hash
    keys: tuple[str, ...]  # column names or deparsed expressions


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Table:
    """A table: its columns, constraints, partitioning or inheritance, and where it was created."""

    schema: str
    name: str
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    partitioning: Partitioning | None = None
    partition_of: QualifiedName | None = None
    partition_bound: str | None = None
    inherits: tuple[QualifiedName, ...] = ()
    unlogged: bool = False
    comment: str | None = None
    origin: Origin = NO_ORIGIN
    # False for a table made from a query whose columns were not all derived
    # (CREATE TABLE AS, SELECT INTO): a column it lacks here may exist for real
    columns_known: bool = True
    # ENABLE / FORCE ROW LEVEL SECURITY, and the statement that last turned row
    # security on or off (NO_ORIGIN: never, it is off since the table was created)
    row_security: bool = False
    force_row_security: bool = False
    row_security_set: Origin = NO_ORIGIN
    # (role, privilege) pairs of the data privileges (select, insert, update, delete)
    # REVOKEd since the table was made and not granted back: what its owner or platform
    # granted by default is otherwise assumed (ALTER DEFAULT PRIVILEGES ... REVOKE counts)
    revoked: frozenset[tuple[str, str]] = frozenset()

    @property
    def qualified(self) -> QualifiedName:
        return (self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def constraint(self, name: str) -> Constraint | None:
        for constraint in self.constraints:
            if constraint.name == name:
                return constraint
        return None

    @property
    def primary_key(self) -> Constraint | None:
        for constraint in self.constraints:
            if constraint.kind is ConstraintKind.PRIMARY_KEY:
                return constraint
        return None

    @property
    def foreign_keys(self) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if c.kind is ConstraintKind.FOREIGN_KEY)

    @property
    def checks(self) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if c.kind is ConstraintKind.CHECK)


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class EnumType:
    """An enum type and its labels, in order."""

    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None
    origin: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Domain:
    """A domain: its base type, NOT NULL, default and checks."""

    schema: str
    name: str
    base: TypeRef
    not_null: bool = False
    default: str | None = None
    checks: tuple[str, ...] = ()
    origin: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class CompositeType:
    """A composite type and its attributes, in order."""

    schema: str
    name: str
    attributes: tuple[tuple[str, TypeRef], ...] = ()
    origin: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Extension:
    """An installed extension and the schema it lives in."""

    name: str
    schema: str = "public"
    version: str | None = None
    origin: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Sequence:
    """A sequence, and the column that owns it (serial and identity columns)."""

    schema: str
    name: str
    data_type: str = "bigint"
    owned_by: tuple[QualifiedName, str] | None = None  # (table, column)
    origin: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class ViewRead:
    """A table (or view) a view's query reads, and the columns of it the query uses."""

    table: QualifiedName
    columns: tuple[str, ...] = ()


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class View:
    """A view or materialized view: its output columns, query and what the query reads."""

    schema: str
    name: str
    materialized: bool = False
    origin: Origin = NO_ORIGIN
    columns: tuple[str, ...] = ()  # output columns, in order; () when not derived
    query: str | None = None  # the defining query as written
    reads: tuple[ViewRead, ...] = ()  # what the query reads: DROP of any of it needs CASCADE
    # WITH (security_invoker): its tables are read with the caller's rights and row
    # security (else with the view owner's, which bypasses the owner's own tables' policies)
    security_invoker: bool = False


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class FunctionArgument:
    """One parameter of a function or procedure as declared."""

    name: str | None
    type: str
    mode: str = "in"  # in | out | inout | variadic | table
    has_default: bool = False


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Function:
    """A function or procedure: signature, language, volatility and body."""

    schema: str
    name: str
    arguments: str = ""  # argument types as written, normalised spacing
    returns: str | None = None
    language: str | None = None
    volatility: str | None = None  # immutable | stable | volatile
    is_procedure: bool = False
    origin: Origin = NO_ORIGIN
    parameters: tuple[FunctionArgument, ...] = ()  # every parameter, OUT ones too
    body: str | None = None  # the AS string (PL/pgSQL or SQL), or a BEGIN ATOMIC body's text
    # the span of ``body`` in its file: a place inside the body is body_origin.start + offset
    body_origin: Origin = NO_ORIGIN
    security_definer: bool = False
    settings: tuple[tuple[str, str], ...] = ()  # SET name = value clauses, names lower-case
    # the roles whose EXECUTE was REVOKEd since it was made and not granted back (the
    # default grants it to PUBLIC, and a platform to its API's roles)
    revoked_execute: frozenset[str] = frozenset()

    @property
    def qualified(self) -> QualifiedName:
        return (self.schema, self.name)

    @property
    def label(self) -> str:
        """``name(argument types)``, schema-qualified outside public."""
        return f"{display_name(self.qualified)}({self.arguments})"

    def setting(self, name: str) -> str | None:
        return next((value for key, value in self.settings if key == name), None)

    def body_place(self, offset: int, length: int = 1) -> Origin:
        """The file span of ``length`` characters at ``offset`` in the body."""
        if not self.body_origin.file:
            return self.origin
        start = self.body_origin.start + max(0, offset)
        return self.body_origin.narrowed(start, start + max(1, length))


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger: its table, the function it calls, and when it fires."""

    table: QualifiedName
    name: str
    function: QualifiedName | None = None
    origin: Origin = NO_ORIGIN
    timing: str = ""  # before | after | instead of
    events: tuple[str, ...] = ()  # insert | update | delete | truncate
    for_each_row: bool = False
    update_columns: tuple[str, ...] = ()  # UPDATE OF ...
    # REFERENCING NEW/OLD TABLE AS name: ("new" | "old", name)
    transition_tables: tuple[tuple[str, str], ...] = ()
    when: str | None = None


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Policy:
    """A row security policy of a table (CREATE POLICY)."""

    table: QualifiedName
    name: str
    origin: Origin = NO_ORIGIN
    command: str = "all"  # all | select | insert | update | delete
    permissive: bool = True  # AS RESTRICTIVE: False
    roles: tuple[str, ...] = ("public",)  # TO ...: role names, public, current_user
    using: str | None = None  # the USING expression, deparsed
    check: str | None = None  # the WITH CHECK expression, deparsed
    # the statement that last wrote USING or WITH CHECK (CREATE, or a later ALTER POLICY)
    expressions_at: Origin = NO_ORIGIN


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Catalog:
    """The whole simulated schema. Mappings are keyed by normalised names."""

    schemas: frozenset[str] = frozenset({"public"})
    tables: Mapping[QualifiedName, Table] = field(default_factory=dict)
    indexes: Mapping[QualifiedName, Index] = field(default_factory=dict)
    enums: Mapping[QualifiedName, EnumType] = field(default_factory=dict)
    domains: Mapping[QualifiedName, Domain] = field(default_factory=dict)
    composites: Mapping[QualifiedName, CompositeType] = field(default_factory=dict)
    extensions: Mapping[str, Extension] = field(default_factory=dict)
    sequences: Mapping[QualifiedName, Sequence] = field(default_factory=dict)
    views: Mapping[QualifiedName, View] = field(default_factory=dict)
    functions: Mapping[tuple[str, str, str], Function] = field(default_factory=dict)
    triggers: Mapping[tuple[QualifiedName, str], Trigger] = field(default_factory=dict)
    policies: Mapping[tuple[QualifiedName, str], Policy] = field(default_factory=dict)

    def table(self, name: str | QualifiedName) -> Table | None:
        key = name if isinstance(name, tuple) else ("public", name)
        return self.tables.get(key)

    def indexes_of(self, table: QualifiedName) -> list[Index]:
        return [index for index in self.indexes.values() if index.table == table]

    def foreign_keys(self) -> Iterator[tuple[Table, Constraint]]:
        for table in self.tables.values():
            for constraint in table.constraints:
                if constraint.kind is ConstraintKind.FOREIGN_KEY:
                    yield table, constraint

    def counts(self) -> dict[str, int]:
        """The figures ``schema-check inspect`` prints, named as in its json."""
        return {
            "tables": len(self.tables),
            "columns": sum(len(t.columns) for t in self.tables.values()),
            "foreign_keys": sum(len(t.foreign_keys) for t in self.tables.values()),
            "enums": len(self.enums),
            "checks": sum(len(t.checks) for t in self.tables.values()),
            "indexes": len(self.indexes),
            "domains": len(self.domains),
            "composite_types": len(self.composites),
            "extensions": len(self.extensions),
            "sequences": len(self.sequences),
            "views": len(self.views),
            "functions": len(self.functions),
            "triggers": len(self.triggers),
        }
