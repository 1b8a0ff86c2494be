"""Compare the static Catalog with the live one: one LV502 finding per difference.

A finding sits at the static object's origin (the statement that made it);
objects that exist only on the server have no static origin, and the verifier
places them afterwards. Expressions are compared through
``checker.live.expressions`` (loose form first, then the server's own printer);
operator classes written explicitly but equal to the default compare equal to
an unspecified one, since that is how PostgreSQL stores them.
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
    QualifiedName,
    Table,
    TypeRef,
    display_name,
)
from checker.findings import Finding, Location, Severity
from checker.live.expressions import Canonicaliser, ExpressionKind, loose_form, same_expression
from checker.model import Origin

CODE_CATALOG_DIFFERS = "LV502"

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

# Spellings of argument and result types, to match functions written as `int` with `integer`.
_TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "int2": "smallint", "int8": "bigint",
    "float4": "real", "float8": "double precision", "bool": "boolean",
    "varchar": "character varying", "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone", "timetz": "time with time zone",
    "decimal": "numeric", "char": "character", "bpchar": "character",
}  # fmt: skip

K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class _Differ:
    default_opclasses: frozenset[tuple[str, str]]
    canonicalise: Canonicaliser | None
    severity: Severity
    static: Catalog
    findings: list[Finding] = field(default_factory=list)

    def report(self, message: str, origin: Origin | None, objects: Iterable[str]) -> None:
        where = (Location.of(origin),) if origin is not None and origin.file else ()
        self.findings.append(
            Finding(
                code=CODE_CATALOG_DIFFERS,
                severity=self.severity,
                message=message,
                locations=where,
                objects=tuple(objects),
            )
        )

    def presence(
        self,
        kind: str,
        static: Mapping[K, V],
        live: Mapping[K, V],
        label: Callable[[K], str],
        origin: Callable[[V], Origin | None],
    ) -> list[tuple[V, V]]:
        """Report objects on one side only; return the pairs present on both."""
        pairs: list[tuple[V, V]] = []
        for key in sorted(set(static) | set(live), key=repr):
            if key in static and key in live:
                pairs.append((static[key], live[key]))
            elif key in static:
                self.report(
                    f"{kind} {label(key)} is in the static model but not on the server",
                    origin(static[key]),
                    (label(key),),
                )
            else:
                self.report(
                    f"{kind} {label(key)} is on the server but not in the static model",
                    None,
                    (label(key),),
                )
        return pairs

    def differs(
        self, what: str, static: object, live: object, origin: Origin | None, name: str
    ) -> None:
        self.report(f"{what}: static model has {static}, server has {live}", origin, (name,))

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
        ):
            self.column(static, column_static, column_live)
        self.constraints(static, live)
        origin = static.origin
        if _partitioning(static) != _partitioning(live):
            self.differs(
                f"table {name} partitioning",
                _partitioning(static),
                _partitioning(live),
                origin,
                name,
            )
        if static.partition_of != live.partition_of:
            self.differs(
                f"table {name} partition of", static.partition_of, live.partition_of, origin, name
            )
        if static.unlogged != live.unlogged:
            self.differs(f"table {name} unlogged", static.unlogged, live.unlogged, origin, name)
        if tuple(static.inherits) != tuple(live.inherits):
            self.differs(f"table {name} inherits", static.inherits, live.inherits, origin, name)

    def column(self, table: Table, static: Column, live: Column) -> None:
        name = f"{display_name(table.qualified)}.{static.name}"
        origin = static.origin if static.origin.file else table.origin
        if type_key(static.type) != type_key(live.type):
            self.differs(
                f"column {name} type", static.type.render(), live.type.render(), origin, name
            )
        if static.not_null != live.not_null:
            self.differs(f"column {name} NOT NULL", static.not_null, live.not_null, origin, name)
        if not same_expression(
            static.default,
            live.default,
            kind=ExpressionKind.DEFAULT,
            table=table.qualified,
            column=static.name,
            canonicalise=self.canonicalise,
        ):
            self.differs(f"column {name} default", static.default, live.default, origin, name)
        if static.identity != live.identity:
            self.differs(
                f"column {name} identity",
                static.identity and static.identity.value,
                live.identity and live.identity.value,
                origin,
                name,
            )
        if not same_expression(
            static.generated, live.generated, kind=ExpressionKind.GENERATED, table=table.qualified
        ):
            self.differs(
                f"column {name} generated expression",
                static.generated,
                live.generated,
                origin,
                name,
            )
        if (static.collation or None) != (live.collation or None):
            self.differs(f"column {name} collation", static.collation, live.collation, origin, name)

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
                self.report(
                    f"{constraint.kind.value} constraint on {table_name} is named "
                    f"{constraint.name!r} in the static model, {match.name!r} on the server",
                    constraint.origin if constraint.origin.file else static.origin,
                    (f"{table_name}.{constraint.name}",),
                )
        for constraint in only_static:
            self.report(
                f"{constraint.kind.value} constraint {table_name}.{constraint.name} is in the "
                "static model but not on the server",
                constraint.origin if constraint.origin.file else static.origin,
                (f"{table_name}.{constraint.name}",),
            )
        for constraint in only_live:
            self.report(
                f"{constraint.kind.value} constraint {table_name}.{constraint.name} is on the "
                "server but not in the static model",
                static.origin,
                (f"{table_name}.{constraint.name}",),
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
        if static.kind is not live.kind:
            self.differs(f"{what} kind", static.kind.value, live.kind.value, origin, name)
            return
        if static.kind is not ConstraintKind.CHECK and tuple(static.columns) != tuple(live.columns):
            self.differs(
                f"{what} columns", _names(static.columns), _names(live.columns), origin, name
            )
        if static.kind is ConstraintKind.CHECK and not same_expression(
            static.expression,
            live.expression,
            kind=ExpressionKind.CHECK,
            table=table.qualified,
            canonicalise=self.canonicalise,
        ):
            self.differs(f"{what} expression", static.expression, live.expression, origin, name)
        for flag in ("deferrable", "initially_deferred", "not_valid", "nulls_not_distinct"):
            if getattr(static, flag) != getattr(live, flag):
                label = flag.replace("_", " ")
                self.differs(
                    f"{what} {label}", getattr(static, flag), getattr(live, flag), origin, name
                )
        if static.kind is ConstraintKind.CHECK and static.no_inherit != live.no_inherit:
            self.differs(f"{what} NO INHERIT", static.no_inherit, live.no_inherit, origin, name)
        static_fk, live_fk = static.foreign_key, live.foreign_key
        if static_fk is None or live_fk is None:
            return
        if static_fk.ref_table != live_fk.ref_table:
            self.differs(
                f"{what} references",
                display_name(static_fk.ref_table),
                display_name(live_fk.ref_table),
                origin,
                name,
            )
        static_refs = static_fk.ref_columns or self.primary_key_columns(static_fk.ref_table)
        if tuple(static_refs) != tuple(live_fk.ref_columns):
            self.differs(
                f"{what} referenced columns",
                _names(static_refs),
                _names(live_fk.ref_columns),
                origin,
                name,
            )
        if static_fk.on_delete != live_fk.on_delete:
            self.differs(
                f"{what} ON DELETE",
                static_fk.on_delete.value,
                live_fk.on_delete.value,
                origin,
                name,
            )
        if static_fk.on_update != live_fk.on_update:
            self.differs(
                f"{what} ON UPDATE",
                static_fk.on_update.value,
                live_fk.on_update.value,
                origin,
                name,
            )
        if static_fk.match != live_fk.match:
            self.differs(f"{what} MATCH", static_fk.match.value, live_fk.match.value, origin, name)
        if tuple(static_fk.delete_set_columns) != tuple(live_fk.delete_set_columns):
            self.differs(
                f"{what} ON DELETE SET columns",
                _names(static_fk.delete_set_columns),
                _names(live_fk.delete_set_columns),
                origin,
                name,
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
                self.report(
                    f"index {display_name(key)} on {display_name(index.table)} is in the static "
                    "model but not on the server",
                    index.origin,
                    (display_name(key),),
                )
                continue
            renamed = only_live.pop(match)
            self.report(
                f"index on {display_name(index.table)} ({_render_keys(index.keys)}) is named "
                f"{index.name!r} in the static model, {renamed.name!r} on the server",
                index.origin,
                (display_name(key),),
            )
        for key, index in sorted(only_live.items()):
            self.report(
                f"index {display_name(key)} on {display_name(index.table)} is on the server but "
                "not in the static model",
                self.table_origin(index.table),
                (display_name(key),),
            )
        for key in sorted(set(static) & set(live)):
            self.index(static[key], live[key])

    def table_origin(self, table: QualifiedName) -> Origin | None:
        found = self.static.tables.get(table)
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
                f"{what} table", display_name(static.table), display_name(live.table), origin, name
            )
            return
        if static.method != live.method:
            self.differs(f"{what} method", static.method, live.method, origin, name)
        if static.unique != live.unique:
            self.differs(f"{what} UNIQUE", static.unique, live.unique, origin, name)
        if static.nulls_not_distinct != live.nulls_not_distinct:
            self.differs(
                f"{what} NULLS NOT DISTINCT",
                static.nulls_not_distinct,
                live.nulls_not_distinct,
                origin,
                name,
            )
        if not self.same_keys(static, live):
            self.differs(
                f"{what} keys", _render_keys(static.keys), _render_keys(live.keys), origin, name
            )
        if tuple(static.include) != tuple(live.include):
            self.differs(
                f"{what} INCLUDE", _names(static.include), _names(live.include), origin, name
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
            self.differs(f"{what} predicate", static.predicate, live.predicate, origin, name)
        if (static.constraint or None) != (live.constraint or None):
            self.differs(
                f"{what} backs constraint", static.constraint, live.constraint, origin, name
            )
        if sorted(static.with_options) != sorted(live.with_options):
            self.differs(
                f"{what} WITH options",
                dict(static.with_options),
                dict(live.with_options),
                origin,
                name,
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
            "enum type", static.enums, live.enums, display_name, lambda e: e.origin
        ):
            if tuple(enum_static.labels) != tuple(enum_live.labels):
                name = display_name((enum_static.schema, enum_static.name))
                self.differs(
                    f"enum type {name} labels",
                    _labels(enum_static.labels),
                    _labels(enum_live.labels),
                    enum_static.origin,
                    name,
                )
        for domain_static, domain_live in self.presence(
            "domain", static.domains, live.domains, display_name, lambda d: d.origin
        ):
            name = display_name((domain_static.schema, domain_static.name))
            origin = domain_static.origin
            if type_key(domain_static.base) != type_key(domain_live.base):
                self.differs(
                    f"domain {name} base type",
                    domain_static.base.render(),
                    domain_live.base.render(),
                    origin,
                    name,
                )
            if domain_static.not_null != domain_live.not_null:
                self.differs(
                    f"domain {name} NOT NULL",
                    domain_static.not_null,
                    domain_live.not_null,
                    origin,
                    name,
                )
            if _loose_set(domain_static.checks) != _loose_set(domain_live.checks):
                self.differs(
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
                    f"extension {ext_static.name} schema",
                    ext_static.schema,
                    ext_live.schema,
                    ext_static.origin,
                    ext_static.name,
                )
            if ext_static.version and ext_static.version != ext_live.version:
                self.differs(
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
                    f"sequence {name} type",
                    seq_static.data_type,
                    seq_live.data_type,
                    seq_static.origin,
                    name,
                )
            if seq_static.owned_by != seq_live.owned_by:
                self.differs(
                    f"sequence {name} owned by",
                    _owner(seq_static.owned_by),
                    _owner(seq_live.owned_by),
                    seq_static.origin,
                    name,
                )
        for view_static, view_live in self.presence(
            "view", static.views, live.views, display_name, lambda v: v.origin
        ):
            if view_static.materialized != view_live.materialized:
                name = display_name((view_static.schema, view_static.name))
                self.differs(
                    f"view {name} materialized",
                    view_static.materialized,
                    view_live.materialized,
                    view_static.origin,
                    name,
                )
        self.functions(static.functions, live.functions)
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
                    f"trigger {name} function",
                    display_name(trigger_static.function),
                    trigger_live.function and display_name(trigger_live.function),
                    trigger_static.origin,
                    name,
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
                    f"function {name} returns",
                    function_static.returns,
                    function_live.returns,
                    origin,
                    name,
                )
            if function_static.language and function_static.language != function_live.language:
                self.differs(
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
                    f"function {name} volatility",
                    function_static.volatility,
                    function_live.volatility,
                    origin,
                    name,
                )


def diff_catalogs(
    static: Catalog,
    live: Catalog,
    *,
    default_opclasses: frozenset[tuple[str, str]] | None = None,
    canonicalise: Canonicaliser | None = None,
    severity: Severity = Severity.WARNING,
) -> list[Finding]:
    """Every difference between the static model and the live catalog, as LV502 findings.

    ``default_opclasses`` are the (access method, operator class) pairs the
    server uses by default (``ServerFacts.default_opclasses``); ``canonicalise``
    lets the server print static expressions (``ServerCanonicaliser``).
    """
    differ = _Differ(
        default_opclasses if default_opclasses is not None else FALLBACK_DEFAULT_OPCLASSES,
        canonicalise,
        severity,
        static,
    )
    for table_static, table_live in differ.presence(
        "table", static.tables, live.tables, display_name, lambda t: t.origin
    ):
        differ.table(table_static, table_live)
    differ.indexes(static.indexes, live.indexes)
    differ.types(static, live)
    differ.others(static, live)
    return sorted(differ.findings, key=Finding.sort_key)


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
    return _TYPE_ALIASES.get(name, name)


def _arguments(arguments: str) -> str:
    return ", ".join(_type_name(part) for part in arguments.split(",") if part.strip())


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
