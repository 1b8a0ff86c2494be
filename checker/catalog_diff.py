"""One model-level diff of two catalogs, for every check that compares schemas.

The live verifier (LV502: the static model against the server) and the drift
checks (DR6xx: the migrations against drizzle-kit's snapshot or the ORM's
export) ask the same question of two Catalogs and get the same answer: a list
of ``Difference`` records, each with its aspect (table, column, type, ...),
both sides' values and origins. Spelling is never a difference: expressions are
compared through ``checker.spelling`` (casts to the column's own type, table
qualifiers, ``now()`` against ``CURRENT_TIMESTAMP``), types through their
aliases (``int4``/``integer``, ``varchar``/``character varying``), a constraint
or an index that differs only by name is a rename, and an operator class equal
to the access method's default compares equal to an unspecified one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from checker.catalog import (
    Catalog,
    Column,
    Constraint,
    ConstraintKind,
    Function,
    Index,
    IndexKey,
    Policy,
    QualifiedName,
    Table,
    TypeRef,
    display_name,
)
from checker.diff_kinds import Aspect as Aspect  # re-exported
from checker.diff_kinds import Form as Form  # re-exported
from checker.model import Origin
from checker.spelling import Canonicaliser, ExpressionKind, loose_form, same_expression

# Used when no server says which operator classes are defaults (PostgreSQL 18 + pgvector 0.8).
FALLBACK_DEFAULT_OPCLASSES = frozenset(
    ("btree", name)
    for name in (
        "int2_ops", "int4_ops", "int8_ops", "float4_ops", "float8_ops", "numeric_ops",
        "text_ops", "bpchar_ops", "bytea_ops", "bool_ops", "char_ops", "name_ops", "oid_ops",
        "date_ops", "time_ops", "timetz_ops", "timestamp_ops", "timestamptz_ops",
        "interval_ops", "uuid_ops", "enum_ops", "jsonb_ops", "inet_ops", "array_ops",
        "macaddr_ops", "bit_ops", "varbit_ops", "money_ops", "tsvector_ops", "record_ops",
    )
) | frozenset(
    {
        ("hash", "text_ops"), ("hash", "int4_ops"), ("hash", "int8_ops"), ("hash", "uuid_ops"),
        ("gin", "jsonb_ops"), ("gin", "array_ops"), ("gin", "tsvector_ops"),
        ("gist", "range_ops"), ("gist", "inet_ops"), ("gist", "tsvector_ops"),
        ("brin", "int4_minmax_ops"), ("brin", "int8_minmax_ops"),
        ("brin", "timestamp_minmax_ops"), ("brin", "timestamptz_minmax_ops"),
        ("ivfflat", "vector_l2_ops"),
    }
)  # fmt: skip

# Spellings of one type: ``int4`` and ``integer`` are the same column type.
TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "int2": "smallint", "int8": "bigint",
    "float4": "real", "float8": "double precision", "bool": "boolean",
    "varchar": "character varying", "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone", "timetz": "time with time zone",
    "decimal": "numeric", "char": "character", "bpchar": "character",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sides:
    """How messages name the two catalogs."""

    left: str  # "static model"
    right: str  # "server"
    left_in: str  # "in the static model"
    right_in: str  # "on the server"


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference between the left and the right catalog.

    ``subject`` is what the message says first: ``column t.c`` for a presence,
    ``column t.c NOT NULL`` for a value, ``index on t (c)`` for a rename. For a
    presence, ``left``/``right`` hold the object itself on its side (None on the
    other); for a value or a rename, the two values. ``place`` is where the left
    side puts it (None for an object only on the right, apart from indexes and
    constraints, which sit at their table); ``left_origin``/``right_origin`` are
    each side's own object (or the left table holding a right-only object).
    """

    aspect: Aspect
    form: Form
    subject: str
    left: object
    right: object
    place: Origin | None
    left_origin: Origin | None
    right_origin: Origin | None
    objects: tuple[str, ...]

    def describe(self, sides: Sides) -> str:
        if self.form is Form.LEFT_ONLY:
            return f"{self.subject} is {sides.left_in} but not {sides.right_in}"
        if self.form is Form.RIGHT_ONLY:
            return f"{self.subject} is {sides.right_in} but not {sides.left_in}"
        if self.form is Form.RENAMED:
            return (
                f"{self.subject} is named {self.left!r} {sides.left_in}, "
                f"{self.right!r} {sides.right_in}"
            )
        return (
            f"{self.subject}: {sides.left} has {shown(self.left)}, "
            f"{sides.right} has {shown(self.right)}"
        )


def shown(value: object) -> object:
    """A side's value as a message shows it: nothing is "none", not Python's None."""
    return "none" if value is None else value


def _located(origin: Origin | None) -> Origin | None:
    return origin if origin is not None and origin.file else None


K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class _Differ:
    """One comparison of two catalogs, collecting the differences as it goes."""

    default_opclasses: frozenset[tuple[str, str]]
    canonicalise: Canonicaliser | None
    static: Catalog
    right: Catalog
    policy_expressions: bool = False
    found: list[Difference] = field(default_factory=list)

    def add(
        self,
        aspect: Aspect,
        form: Form,
        subject: str,
        left: object,
        right: object,
        place: Origin | None,
        objects: Iterable[str],
        *,
        left_origin: Origin | None = None,
        right_origin: Origin | None = None,
    ) -> None:
        self.found.append(
            Difference(
                aspect,
                form,
                subject,
                left,
                right,
                _located(place),
                _located(left_origin if left_origin is not None else place),
                _located(right_origin),
                tuple(objects),
            )
        )

    def presence(
        self,
        kind: str,
        static: Mapping[K, V],
        live: Mapping[K, V],
        label: Callable[[K], str],
        origin: Callable[[V], Origin | None],
        aspect: Aspect = Aspect.OTHER,
        context: Origin | None = None,
        right_context: Origin | None = None,
    ) -> list[tuple[V, V]]:
        """Record objects on one side only; return the pairs present on both.

        ``context`` is the left side's place for a right-only object (its table),
        ``right_context`` the right side's for a left-only one."""
        pairs: list[tuple[V, V]] = []
        for key in sorted(set(static) | set(live), key=repr):
            if key in static and key in live:
                pairs.append((static[key], live[key]))
            elif key in static:
                subject = f"{kind} {label(key)}"
                self.add(
                    aspect,
                    Form.LEFT_ONLY,
                    subject,
                    static[key],
                    None,
                    origin(static[key]),
                    (label(key),),
                    right_origin=right_context,
                )
            else:
                subject = f"{kind} {label(key)}"
                self.add(
                    aspect,
                    Form.RIGHT_ONLY,
                    subject,
                    None,
                    live[key],
                    None,
                    (label(key),),
                    left_origin=context,
                    right_origin=origin(live[key]),
                )
        return pairs

    def differs(
        self,
        aspect: Aspect,
        what: str,
        static: object,
        live: object,
        origin: Origin | None,
        name: str,
        right: Origin | None = None,
    ) -> None:
        self.add(aspect, Form.DIFFERS, what, static, live, origin, (name,), right_origin=right)

    # ------------------------------------------------------------------ tables

    def table(self, static: Table, live: Table) -> None:
        name = display_name(static.qualified)
        live_columns = {column.name: column for column in live.columns}
        static_columns = {column.name: column for column in static.columns}
        if not static.columns_known:  # made from a query: only the derived columns are known
            live_columns = {k: v for k, v in live_columns.items() if k in static_columns}
        for column_static, column_live in self.presence(
            "column",
            static_columns,
            live_columns,
            lambda column: f"{name}.{column}",
            lambda column: column.origin if column.origin.file else static.origin,
            Aspect.COLUMN,
            static.origin,
            live.origin,
        ):
            self.column(static, column_static, column_live)
        self.constraints(static, live)
        origin = static.origin
        if _partitioning(static) != _partitioning(live):
            self.differs(
                Aspect.OTHER,
                f"table {name} partitioning",
                _partitioning(static),
                _partitioning(live),
                origin,
                name,
            )
        if static.partition_of != live.partition_of:
            self.differs(
                Aspect.OTHER,
                f"table {name} partition of",
                static.partition_of,
                live.partition_of,
                origin,
                name,
            )
        if static.unlogged != live.unlogged:
            self.differs(
                Aspect.OTHER, f"table {name} unlogged", static.unlogged, live.unlogged, origin, name
            )
        for attribute, what in (
            ("row_security", "row level security"),
            ("force_row_security", "forced row level security"),
        ):
            if getattr(static, attribute) != getattr(live, attribute):
                where = static.row_security_set if static.row_security_set.file else origin
                there = live.row_security_set if live.row_security_set.file else live.origin
                self.differs(
                    Aspect.ROW_SECURITY,
                    f"table {name} {what}",
                    getattr(static, attribute),
                    getattr(live, attribute),
                    where,
                    name,
                    there,
                )
        if tuple(static.inherits) != tuple(live.inherits):
            self.differs(
                Aspect.OTHER, f"table {name} inherits", static.inherits, live.inherits, origin, name
            )

    def column(self, table: Table, static: Column, live: Column) -> None:
        name = f"{display_name(table.qualified)}.{static.name}"
        origin = static.origin if static.origin.file else table.origin
        if type_key(static.type) != type_key(live.type):
            self.differs(
                Aspect.TYPE,
                f"column {name} type",
                static.type.render(),
                live.type.render(),
                origin,
                name,
            )
        if static.not_null != live.not_null:
            self.differs(
                Aspect.NULLABILITY,
                f"column {name} NOT NULL",
                static.not_null,
                live.not_null,
                origin,
                name,
                live.origin,
            )
        if not same_expression(
            static.default,
            live.default,
            kind=ExpressionKind.DEFAULT,
            table=table.qualified,
            column=static.name,
            canonicalise=self.canonicalise,
        ):
            self.differs(
                Aspect.DEFAULT,
                f"column {name} default",
                static.default,
                live.default,
                origin,
                name,
                live.origin,
            )
        if static.identity != live.identity:
            self.differs(
                Aspect.OTHER,
                f"column {name} identity",
                static.identity and static.identity.value,
                live.identity and live.identity.value,
                origin,
                name,
                live.origin,
            )
        if not same_expression(
            static.generated, live.generated, kind=ExpressionKind.GENERATED, table=table.qualified
        ):
            self.differs(
                Aspect.OTHER,
                f"column {name} generated expression",
                static.generated,
                live.generated,
                origin,
                name,
                live.origin,
            )
        if (static.collation or None) != (live.collation or None):
            self.differs(
                Aspect.OTHER,
                f"column {name} collation",
                static.collation,
                live.collation,
                origin,
                name,
                live.origin,
            )

    def constraints(self, static: Table, live: Table) -> None:
        table_name = display_name(static.qualified)
        static_by_name = {c.name: c for c in static.constraints}
        live_by_name = {c.name: c for c in live.constraints}
        only_static = [c for n, c in static_by_name.items() if n not in live_by_name]
        only_live = [c for n, c in live_by_name.items() if n not in static_by_name]
        # Same constraint under another name: one finding about the name, then compare.
        renamed: list[tuple[Constraint, Constraint]] = []
        for constraint in list(only_static):
            signature = self.constraint_signature(constraint)
            match = next((c for c in only_live if self.constraint_signature(c) == signature), None)
            if match is not None:
                only_static.remove(constraint)
                only_live.remove(match)
                renamed.append((constraint, match))
                self.add(
                    constraint_aspect(constraint.kind),
                    Form.RENAMED,
                    f"{constraint.kind.value} constraint on {table_name}",
                    constraint.name,
                    match.name,
                    constraint.origin if constraint.origin.file else static.origin,
                    (f"{table_name}.{constraint.name}",),
                    right_origin=match.origin,
                )
        for constraint in only_static:
            self.add(
                constraint_aspect(constraint.kind),
                Form.LEFT_ONLY,
                f"{constraint.kind.value} constraint {table_name}.{constraint.name}",
                constraint,
                None,
                constraint.origin if constraint.origin.file else static.origin,
                (f"{table_name}.{constraint.name}",),
                right_origin=live.origin,
            )
        for constraint in only_live:
            self.add(
                constraint_aspect(constraint.kind),
                Form.RIGHT_ONLY,
                f"{constraint.kind.value} constraint {table_name}.{constraint.name}",
                None,
                constraint,
                static.origin,
                (f"{table_name}.{constraint.name}",),
                right_origin=constraint.origin,
            )
        pairs = [(static_by_name[n], live_by_name[n]) for n in static_by_name if n in live_by_name]
        for constraint_static, constraint_live in pairs + renamed:
            self.constraint(static, constraint_static, constraint_live)

    def constraint_signature(self, constraint: Constraint) -> tuple[object, ...]:
        details = constraint.foreign_key
        expression = loose_form(constraint.expression) if constraint.expression else None
        return (
            constraint.kind,
            tuple(constraint.columns) if constraint.kind is not ConstraintKind.CHECK else (),
            details.ref_table if details else None,
            expression,
        )

    def constraint(self, table: Table, static: Constraint, live: Constraint) -> None:
        name = f"{display_name(table.qualified)}.{static.name}"
        origin = static.origin if static.origin.file else table.origin
        what = f"{static.kind.value} constraint {name}"
        aspect = constraint_aspect(static.kind)
        if static.kind is not live.kind:
            self.differs(
                aspect,
                f"{what} kind",
                static.kind.value,
                live.kind.value,
                origin,
                name,
                live.origin,
            )
            return
        if static.kind is not ConstraintKind.CHECK and tuple(static.columns) != tuple(live.columns):
            self.differs(
                aspect,
                f"{what} columns",
                _names(static.columns),
                _names(live.columns),
                origin,
                name,
            )
        if static.kind is ConstraintKind.CHECK and not same_expression(
            static.expression,
            live.expression,
            kind=ExpressionKind.CHECK,
            table=table.qualified,
            canonicalise=self.canonicalise,
        ):
            self.differs(
                aspect,
                f"{what} expression",
                static.expression,
                live.expression,
                origin,
                name,
                live.origin,
            )
        for flag in ("deferrable", "initially_deferred", "not_valid", "nulls_not_distinct"):
            if getattr(static, flag) != getattr(live, flag):
                label = flag.replace("_", " ")
                self.differs(
                    Aspect.OTHER,
                    f"{what} {label}",
                    getattr(static, flag),
                    getattr(live, flag),
                    origin,
                    name,
                )
        if static.kind is ConstraintKind.CHECK and static.no_inherit != live.no_inherit:
            self.differs(
                Aspect.OTHER,
                f"{what} NO INHERIT",
                static.no_inherit,
                live.no_inherit,
                origin,
                name,
                live.origin,
            )
        static_fk, live_fk = static.foreign_key, live.foreign_key
        if static_fk is None or live_fk is None:
            return
        if static_fk.ref_table != live_fk.ref_table:
            self.differs(
                aspect,
                f"{what} references",
                display_name(static_fk.ref_table),
                display_name(live_fk.ref_table),
                origin,
                name,
                live.origin,
            )
        static_refs = static_fk.ref_columns or self.primary_key_columns(static_fk.ref_table)
        if tuple(static_refs) != tuple(live_fk.ref_columns):
            self.differs(
                aspect,
                f"{what} referenced columns",
                _names(static_refs),
                _names(live_fk.ref_columns),
                origin,
                name,
                live.origin,
            )
        if static_fk.on_delete != live_fk.on_delete:
            self.differs(
                aspect,
                f"{what} ON DELETE",
                static_fk.on_delete.value,
                live_fk.on_delete.value,
                origin,
                name,
                live.origin,
            )
        if static_fk.on_update != live_fk.on_update:
            self.differs(
                aspect,
                f"{what} ON UPDATE",
                static_fk.on_update.value,
                live_fk.on_update.value,
                origin,
                name,
                live.origin,
            )
        if static_fk.match != live_fk.match:
            self.differs(
                Aspect.OTHER,
                f"{what} MATCH",
                static_fk.match.value,
                live_fk.match.value,
                origin,
                name,
                live.origin,
            )
        if tuple(static_fk.delete_set_columns) != tuple(live_fk.delete_set_columns):
            self.differs(
                aspect,
                f"{what} ON DELETE SET columns",
                _names(static_fk.delete_set_columns),
                _names(live_fk.delete_set_columns),
                origin,
                name,
                live.origin,
            )

    def primary_key_columns(self, table: QualifiedName) -> tuple[str, ...]:
        referenced = self.static.tables.get(table)
        key = referenced.primary_key if referenced else None
        return tuple(key.columns) if key else ()

    # ----------------------------------------------------------------- indexes

    def indexes(
        self, static: Mapping[QualifiedName, Index], live: Mapping[QualifiedName, Index]
    ) -> None:
        only_static = {k: v for k, v in static.items() if k not in live}
        only_live = {k: v for k, v in live.items() if k not in static}
        for key, index in sorted(only_static.items()):
            signature = self.index_signature(index)
            match = next(
                (k for k, v in sorted(only_live.items()) if self.index_signature(v) == signature),
                None,
            )
            if match is None:
                self.add(
                    Aspect.INDEX,
                    Form.LEFT_ONLY,
                    f"index {display_name(key)} on {display_name(index.table)}",
                    index,
                    None,
                    index.origin,
                    (display_name(key),),
                    right_origin=self.right_table_origin(index.table),
                )
                continue
            renamed = only_live.pop(match)
            self.add(
                Aspect.INDEX,
                Form.RENAMED,
                f"index on {display_name(index.table)} ({_render_keys(index.keys)})",
                index.name,
                renamed.name,
                index.origin,
                (display_name(key),),
                right_origin=renamed.origin,
            )
        for key, index in sorted(only_live.items()):
            self.add(
                Aspect.INDEX,
                Form.RIGHT_ONLY,
                f"index {display_name(key)} on {display_name(index.table)}",
                None,
                index,
                self.table_origin(index.table),
                (display_name(key),),
                right_origin=index.origin,
            )
        for key in sorted(set(static) & set(live)):
            self.index(static[key], live[key])

    def table_origin(self, table: QualifiedName) -> Origin | None:
        found = self.static.tables.get(table)
        return found.origin if found else None

    def right_table_origin(self, table: QualifiedName) -> Origin | None:
        found = self.right.tables.get(table)
        return found.origin if found else None

    def index_signature(self, index: Index) -> tuple[object, ...]:
        return (
            index.table,
            index.method,
            index.unique,
            tuple(self.key_signature(key) for key in index.keys),
            loose_form(index.predicate) if index.predicate else None,
        )

    def key_signature(self, key: IndexKey) -> tuple[object, ...]:
        return (
            key.column,
            loose_form(key.expression) if key.expression else None,
            key.descending,
            _nulls_first(key),
        )

    def opclass(self, method: str, opclass: str | None) -> str | None:
        if opclass is None or (method, opclass) in self.default_opclasses:
            return None
        return opclass

    def index(self, static: Index, live: Index) -> None:
        name = display_name(static.qualified)
        what = f"index {name}"
        origin = static.origin
        if static.table != live.table:
            self.differs(
                Aspect.INDEX,
                f"{what} table",
                display_name(static.table),
                display_name(live.table),
                origin,
                name,
            )
            return
        if static.method != live.method:
            self.differs(
                Aspect.INDEX,
                f"{what} method",
                static.method,
                live.method,
                origin,
                name,
                live.origin,
            )
        if static.unique != live.unique:
            self.differs(
                Aspect.INDEX,
                f"{what} UNIQUE",
                static.unique,
                live.unique,
                origin,
                name,
                live.origin,
            )
        if static.nulls_not_distinct != live.nulls_not_distinct:
            self.differs(
                Aspect.INDEX,
                f"{what} NULLS NOT DISTINCT",
                static.nulls_not_distinct,
                live.nulls_not_distinct,
                origin,
                name,
                live.origin,
            )
        if not self.same_keys(static, live):
            self.differs(
                Aspect.INDEX,
                f"{what} keys",
                _render_keys(static.keys),
                _render_keys(live.keys),
                origin,
                name,
            )
        if tuple(static.include) != tuple(live.include):
            self.differs(
                Aspect.INDEX,
                f"{what} INCLUDE",
                _names(static.include),
                _names(live.include),
                origin,
                name,
            )
        first_column = next((k.column for k in live.keys if k.column), None)
        if not same_expression(
            static.predicate,
            live.predicate,
            kind=ExpressionKind.PREDICATE,
            table=static.table,
            column=first_column,
            canonicalise=self.canonicalise,
        ):
            self.differs(
                Aspect.INDEX,
                f"{what} predicate",
                static.predicate,
                live.predicate,
                origin,
                name,
                live.origin,
            )
        if (static.constraint or None) != (live.constraint or None):
            self.differs(
                Aspect.OTHER,
                f"{what} backs constraint",
                static.constraint,
                live.constraint,
                origin,
                name,
            )
        if sorted(static.with_options) != sorted(live.with_options):
            self.differs(
                Aspect.INDEX,
                f"{what} WITH options",
                dict(static.with_options),
                dict(live.with_options),
                origin,
                name,
                live.origin,
            )

    def same_keys(self, static: Index, live: Index) -> bool:
        if len(static.keys) != len(live.keys):
            return False
        for static_key, live_key in zip(static.keys, live.keys, strict=True):
            if static_key.column != live_key.column:
                return False
            if static_key.column is None and not same_expression(
                static_key.expression,
                live_key.expression,
                kind=ExpressionKind.INDEX_KEY,
                table=static.table,
                canonicalise=self.canonicalise,
            ):
                return False
            if self.opclass(static.method, static_key.opclass) != self.opclass(
                live.method, live_key.opclass
            ):
                return False
            if static_key.descending != live_key.descending:
                return False
            if _nulls_first(static_key) != _nulls_first(live_key):
                return False
            if (static_key.collation or None) != (live_key.collation or None):
                return False
        return True

    # ------------------------------------------------------------ other kinds

    def types(self, static: Catalog, live: Catalog) -> None:
        for enum_static, enum_live in self.presence(
            "enum type", static.enums, live.enums, display_name, lambda e: e.origin, Aspect.ENUM
        ):
            if tuple(enum_static.labels) != tuple(enum_live.labels):
                name = display_name((enum_static.schema, enum_static.name))
                self.differs(
                    Aspect.ENUM,
                    f"enum type {name} labels",
                    _labels(enum_static.labels),
                    _labels(enum_live.labels),
                    enum_static.origin,
                    name,
                    enum_live.origin,
                )
        for domain_static, domain_live in self.presence(
            "domain", static.domains, live.domains, display_name, lambda d: d.origin
        ):
            name = display_name((domain_static.schema, domain_static.name))
            origin = domain_static.origin
            if type_key(domain_static.base) != type_key(domain_live.base):
                self.differs(
                    Aspect.OTHER,
                    f"domain {name} base type",
                    domain_static.base.render(),
                    domain_live.base.render(),
                    origin,
                    name,
                )
            if domain_static.not_null != domain_live.not_null:
                self.differs(
                    Aspect.OTHER,
                    f"domain {name} NOT NULL",
                    domain_static.not_null,
                    domain_live.not_null,
                    origin,
                    name,
                )
            if _loose_set(domain_static.checks) != _loose_set(domain_live.checks):
                self.differs(
                    Aspect.OTHER,
                    f"domain {name} checks",
                    list(domain_static.checks),
                    list(domain_live.checks),
                    origin,
                    name,
                )
            if (domain_static.default is None) != (domain_live.default is None) or (
                domain_static.default
                and domain_live.default
                and loose_form(domain_static.default) != loose_form(domain_live.default)
            ):
                self.differs(
                    Aspect.OTHER,
                    f"domain {name} default",
                    domain_static.default,
                    domain_live.default,
                    origin,
                    name,
                )
        for composite_static, composite_live in self.presence(
            "composite type", static.composites, live.composites, display_name, lambda c: c.origin
        ):
            static_attrs = [(n, type_key(t)) for n, t in composite_static.attributes]
            live_attrs = [(n, type_key(t)) for n, t in composite_live.attributes]
            if static_attrs != live_attrs:
                name = display_name((composite_static.schema, composite_static.name))
                self.differs(
                    Aspect.OTHER,
                    f"composite type {name} attributes",
                    _attributes(composite_static.attributes),
                    _attributes(composite_live.attributes),
                    composite_static.origin,
                    name,
                )

    def others(self, static: Catalog, live: Catalog) -> None:
        for ext_static, ext_live in self.presence(
            "extension", static.extensions, live.extensions, str, lambda e: e.origin
        ):
            if ext_static.schema != ext_live.schema:
                self.differs(
                    Aspect.OTHER,
                    f"extension {ext_static.name} schema",
                    ext_static.schema,
                    ext_live.schema,
                    ext_static.origin,
                    ext_static.name,
                )
            if ext_static.version and ext_static.version != ext_live.version:
                self.differs(
                    Aspect.OTHER,
                    f"extension {ext_static.name} version",
                    ext_static.version,
                    ext_live.version,
                    ext_static.origin,
                    ext_static.name,
                )
        for seq_static, seq_live in self.presence(
            "sequence", static.sequences, live.sequences, display_name, lambda s: s.origin
        ):
            name = display_name((seq_static.schema, seq_static.name))
            if _type_name(seq_static.data_type) != _type_name(seq_live.data_type):
                self.differs(
                    Aspect.OTHER,
                    f"sequence {name} type",
                    seq_static.data_type,
                    seq_live.data_type,
                    seq_static.origin,
                    name,
                )
            if seq_static.owned_by != seq_live.owned_by:
                self.differs(
                    Aspect.OTHER,
                    f"sequence {name} owned by",
                    _owner(seq_static.owned_by),
                    _owner(seq_live.owned_by),
                    seq_static.origin,
                    name,
                )
        for view_static, view_live in self.presence(
            "view", static.views, live.views, display_name, lambda v: v.origin
        ):
            name = display_name((view_static.schema, view_static.name))
            if view_static.security_invoker != view_live.security_invoker:
                self.differs(
                    Aspect.ROW_SECURITY,
                    f"view {name} security_invoker",
                    view_static.security_invoker,
                    view_live.security_invoker,
                    view_static.origin,
                    name,
                    view_live.origin,
                )
            if view_static.materialized != view_live.materialized:
                self.differs(
                    Aspect.OTHER,
                    f"view {name} materialized",
                    view_static.materialized,
                    view_live.materialized,
                    view_static.origin,
                    name,
                )
        self.functions(static.functions, live.functions)
        pairs: list[tuple[Policy, Policy]] = []
        for table in sorted({key[0] for key in (*static.policies, *live.policies)}):
            # a policy on one side only is placed at its table on the other
            pairs += self.presence(
                "policy",
                {k: p for k, p in static.policies.items() if k[0] == table},
                {k: p for k, p in live.policies.items() if k[0] == table},
                lambda key: f"{key[1]} on {display_name(key[0])}",
                lambda p: p.origin if p.origin.file else None,
                Aspect.ROW_SECURITY,
                context=self.table_origin(table),
                right_context=self.right_table_origin(table),
            )
        for policy_static, policy_live in pairs:
            label = f"{policy_static.name} on {display_name(policy_static.table)}"
            # TO current_user names whoever ran the statement: the server stores that role
            compared: tuple[str, ...] = ("command", "permissive", "roles")
            if set(policy_static.roles) & {"current_user", "session_user", "current_role"}:
                compared = ("command", "permissive")
            for attribute in compared:
                if getattr(policy_static, attribute) != getattr(policy_live, attribute):
                    self.differs(
                        Aspect.ROW_SECURITY,
                        f"policy {label} {attribute}",
                        getattr(policy_static, attribute),
                        getattr(policy_live, attribute),
                        policy_static.origin,
                        label,
                        policy_live.origin,
                    )
            if self.policy_expressions:
                self.policy_expressions_of(label, policy_static, policy_live)
        for trigger_static, trigger_live in self.presence(
            "trigger",
            static.triggers,
            live.triggers,
            lambda key: f"{key[1]} on {display_name(key[0])}",
            lambda t: t.origin if t.origin.file else self.table_origin(t.table),
        ):
            if trigger_static.function and trigger_static.function != trigger_live.function:
                name = f"{trigger_static.name} on {display_name(trigger_static.table)}"
                self.differs(
                    Aspect.OTHER,
                    f"trigger {name} function",
                    display_name(trigger_static.function),
                    trigger_live.function and display_name(trigger_live.function),
                    trigger_static.origin,
                    name,
                )

    def policy_expressions_of(self, label: str, static: Policy, live: Policy) -> None:
        """USING and WITH CHECK of one policy on both sides (two catalogs simulated from
        SQL: a server's printing of them is not compared)."""
        for attribute, what in (("using", "USING"), ("check", "WITH CHECK")):
            left, right = getattr(static, attribute), getattr(live, attribute)
            if not same_expression(left, right, kind=ExpressionKind.PREDICATE, table=static.table):
                self.differs(
                    Aspect.ROW_SECURITY,
                    f"policy {label} {what}",
                    left,
                    right,
                    static.expressions_at if static.expressions_at.file else static.origin,
                    label,
                    live.expressions_at if live.expressions_at.file else live.origin,
                )

    def functions(
        self,
        static: Mapping[tuple[str, str, str], Function],
        live: Mapping[tuple[str, str, str], Function],
    ) -> None:
        def key(function: Function) -> tuple[str, str, str]:
            return (function.schema, function.name, _arguments(function.arguments))

        static_by = {key(f): f for f in static.values()}
        live_by = {key(f): f for f in live.values()}
        for function_static, function_live in self.presence(
            "function",
            static_by,
            live_by,
            lambda k: f"{display_name((k[0], k[1]))}({k[2]})",
            lambda f: f.origin,
        ):
            name = f"{display_name((function_static.schema, function_static.name))}"
            origin = function_static.origin
            if function_static.returns and _type_name(function_static.returns) != _type_name(
                function_live.returns or ""
            ):
                self.differs(
                    Aspect.OTHER,
                    f"function {name} returns",
                    function_static.returns,
                    function_live.returns,
                    origin,
                    name,
                )
            if function_static.language and function_static.language != function_live.language:
                self.differs(
                    Aspect.OTHER,
                    f"function {name} language",
                    function_static.language,
                    function_live.language,
                    origin,
                    name,
                )
            if (
                function_static.volatility
                and function_static.volatility != function_live.volatility
            ):
                self.differs(
                    Aspect.OTHER,
                    f"function {name} volatility",
                    function_static.volatility,
                    function_live.volatility,
                    origin,
                    name,
                )


def diff_catalogs(
    left: Catalog,
    right: Catalog,
    *,
    default_opclasses: frozenset[tuple[str, str]] | None = None,
    canonicalise: Canonicaliser | None = None,
    policy_expressions: bool = False,
) -> list[Difference]:
    """Every difference between two catalogs of one schema, left against right.

    ``default_opclasses`` are the (access method, operator class) pairs the
    server uses by default; ``canonicalise`` lets a server print the left
    side's expressions the way it stores them; ``policy_expressions`` compares
    policies' USING and WITH CHECK too.
    """
    differ = _Differ(
        default_opclasses if default_opclasses is not None else FALLBACK_DEFAULT_OPCLASSES,
        canonicalise,
        left,
        right,
        policy_expressions,
    )
    for table_left, table_right in differ.presence(
        "table", left.tables, right.tables, display_name, lambda t: t.origin, Aspect.TABLE
    ):
        differ.table(table_left, table_right)
    differ.indexes(left.indexes, right.indexes)
    differ.types(left, right)
    differ.others(left, right)
    return differ.found


def constraint_aspect(kind: ConstraintKind) -> Aspect:
    if kind is ConstraintKind.CHECK:
        return Aspect.CHECK
    if kind is ConstraintKind.FOREIGN_KEY:
        return Aspect.FOREIGN_KEY
    if kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE):
        return Aspect.KEY
    return Aspect.OTHER


def type_key(ref: TypeRef) -> tuple[object, ...]:
    """What must agree for two column types to be the same to PostgreSQL.

    Array dimensions collapse to "is an array" (PostgreSQL does not enforce
    them and format_type prints one ``[]``); the schema of a user type in
    ``public`` may be left out by the static side.
    """
    schema = None if ref.schema in (None, "public", "pg_catalog") else ref.schema
    modifiers = tuple(m.strip() for m in ref.modifiers)
    return (_type_name(ref.name), schema, modifiers, ref.array_dims > 0)


def _type_name(name: str) -> str:
    name = " ".join(name.lower().split())
    return TYPE_ALIASES.get(name, name)


def _arguments(arguments: str) -> str:
    """A signature's argument types, compared without their schemas: the server prints a
    type of a schema off its search path qualified (``basejump.account_role``), the static
    model as written."""
    return ", ".join(
        _type_name(part.strip().rsplit(".", 1)[-1]) for part in arguments.split(",") if part.strip()
    )


def _nulls_first(key: IndexKey) -> bool:
    return key.descending if key.nulls_first is None else key.nulls_first


def _partitioning(table: Table) -> tuple[str, tuple[str, ...]] | None:
    if table.partitioning is None:
        return None
    return (table.partitioning.strategy.lower(), tuple(table.partitioning.keys))


def _render_keys(keys: Iterable[IndexKey]) -> str:
    return ", ".join(key.render() for key in keys)


def _names(names: Iterable[str]) -> str:
    return "(" + ", ".join(names) + ")"


def _labels(labels: Iterable[str]) -> str:
    return "(" + ", ".join(repr(label) for label in labels) + ")"


def _attributes(attributes: Iterable[tuple[str, TypeRef]]) -> str:
    return "(" + ", ".join(f"{name} {ref.render()}" for name, ref in attributes) + ")"


def _owner(owner: tuple[QualifiedName, str] | None) -> str | None:
    if owner is None:
        return None
    return f"{display_name(owner[0])}.{owner[1]}"


def _loose_set(expressions: Iterable[str]) -> frozenset[str]:
    return frozenset(loose_form(expression) for expression in expressions)
