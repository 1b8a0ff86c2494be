"""Enum, composite and domain types: CREATE, ALTER TYPE ... ADD/RENAME VALUE,
ALTER DOMAIN, and DROP TYPE with its CASCADE effect on columns."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast.enums import ConstrType

from checker.catalog import CompositeType, Domain, EnumType, QualifiedName, display_name
from checker.simulation import EventKind
from checker.simulator.definitions import names_of, resolve_type
from checker.simulator.expressions import deparse
from checker.simulator.state import OtherType, State
from checker.simulator.tables import drop_columns
from checker.types import PgNode


def _create_type(state: State, key: QualifiedName, built: Any, kind: str, location: Any) -> bool:
    """Register a new type unless its name is taken (then DUPLICATE)."""
    label = display_name(key)
    if key[0] not in state.schemas:
        state.missing("schema", (key[0],), key[0], location=location)
    existing = state.type_exists(key)
    if existing is not None:
        state.duplicate(kind, label, existing, built, location=location)
        return False
    state.event(EventKind.CREATED, kind, label, location=location)
    return True


def create_enum(state: State, node: PgNode) -> None:
    key = state.object_key(node.typeName, create=True)
    enum = EnumType(key[0], key[1], names_of(node.vals), origin=state.origin_at(None))
    if _create_type(state, key, enum, "enum", None):
        state.enums[key] = enum


def create_range(state: State, node: PgNode) -> None:
    """CREATE TYPE ... AS RANGE: the range type, and from PostgreSQL 14 on its
    multirange (named by ``multirange_type_name``, else as the server names it)."""
    key = state.object_key(node.typeName, create=True)
    made = OtherType(key[0], key[1], "range", state.origin_at(None))
    if not _create_type(state, key, made, "type", None):
        return
    state.other_types[key] = made
    if state.postgres_version < 14:
        return
    options = {str(option.defname).lower(): option.arg for option in node.params or ()}
    named = options.get("multirange_type_name")
    if named is not None:
        multi = state.object_key(getattr(named, "names", named), create=True)
    else:
        name = key[1]
        # as the server names it: "range" replaced by "multirange", else a suffix
        at = name.rfind("range")
        multi_name = f"{name[:at]}multirange{name[at + 5 :]}" if at >= 0 else f"{name}_multirange"
        multi = (key[0], multi_name)
    multirange = OtherType(multi[0], multi[1], "multirange", state.origin_at(None))
    if _create_type(state, multi, multirange, "type", None):
        state.other_types[multi] = multirange


def create_base_type(state: State, node: PgNode) -> None:
    """CREATE TYPE name (INPUT = ..., OUTPUT = ...) or the shell CREATE TYPE name."""
    key = state.object_key(node.defnames, create=True)
    existing = state.other_types.get(key)
    made = OtherType(key[0], key[1], "base", state.origin_at(None))
    if existing is not None and existing.kind == "base" and node.definition:
        state.other_types[key] = made  # the shell type gets its definition
        state.event(EventKind.ALTERED, "type", display_name(key))
        return
    if _create_type(state, key, made, "type", None):
        state.other_types[key] = made


def create_composite(state: State, node: PgNode) -> None:
    key = state.relation_key(node.typevar, create=True)
    attributes = tuple(
        (str(c.colname), resolve_type(state, c.typeName)) for c in node.coldeflist or ()
    )
    composite = CompositeType(key[0], key[1], attributes, state.origin_at(node.typevar.location))
    if state.relation_exists(key) is not None:
        state.duplicate("composite", display_name(key), state.relation_exists(key), composite)
        return
    if _create_type(state, key, composite, "composite", node.typevar.location):
        state.composites[key] = composite


def create_domain(state: State, node: PgNode) -> None:
    key = state.object_key(node.domainname, create=True)
    not_null = False
    default: str | None = None
    checks: list[str] = []
    for constraint in node.constraints or ():
        if constraint.contype == ConstrType.CONSTR_NOTNULL:
            not_null = True
        elif constraint.contype == ConstrType.CONSTR_DEFAULT:
            default = deparse(constraint.raw_expr)
        elif constraint.contype == ConstrType.CONSTR_CHECK:
            checks.append(deparse(constraint.raw_expr))
    domain = Domain(
        key[0],
        key[1],
        resolve_type(state, node.typeName),
        not_null,
        default,
        tuple(checks),
        state.origin_at(None),
    )
    if _create_type(state, key, domain, "domain", None):
        state.domains[key] = domain


def alter_domain(state: State, node: PgNode) -> None:
    key = state.object_key(node.typeName)
    domain = state.domains.get(key)
    if domain is None:
        if not node.missing_ok:
            state.missing("type", key, display_name(key))
        return
    subtype = str(node.subtype)
    if subtype == "T":
        domain = replace(domain, default=deparse(node.def_) if node.def_ is not None else None)
    elif subtype in ("N", "O"):
        domain = replace(domain, not_null=subtype == "O")
    elif subtype == "C" and getattr(node.def_, "contype", None) == ConstrType.CONSTR_CHECK:
        domain = replace(domain, checks=(*domain.checks, deparse(node.def_.raw_expr)))
    state.domains[key] = domain
    state.event(EventKind.ALTERED, "domain", display_name(key), action=f"alter domain {subtype}")


def alter_enum(state: State, node: PgNode) -> None:
    key = state.object_key(node.typeName)
    label = display_name(key)
    enum = state.enums.get(key)
    if enum is None:
        state.missing("type", key, label)
        return
    labels = list(enum.labels)
    if node.oldVal:
        old, new = str(node.oldVal), str(node.newVal)
        if old not in labels:
            state.missing("enum value", (*key, old), f"{label}.{old}")
            return
        if new in labels:
            state.duplicate("enum value", f"{label}.{new}", enum, None)
            return
        labels[labels.index(old)] = new
        state.enums[key] = replace(enum, labels=tuple(labels))
        state.event(
            EventKind.ALTERED, "enum", label, action="rename value", detail=f"{old} -> {new}"
        )
        return
    value = str(node.newVal)
    if value in labels:
        if node.skipIfNewValExists:
            state.event(EventKind.SKIPPED_EXISTING, "enum value", f"{label}.{value}", kept=enum)
        else:
            state.duplicate("enum value", f"{label}.{value}", enum, value)
        return
    position = len(labels)
    if node.newValNeighbor:
        neighbor = str(node.newValNeighbor)
        if neighbor not in labels:
            state.missing("enum value", (*key, neighbor), f"{label}.{neighbor}")
            return
        position = labels.index(neighbor) + (1 if node.newValIsAfter else 0)
    labels.insert(position, value)
    state.enums[key] = replace(enum, labels=tuple(labels))
    state.event(EventKind.ALTERED, "enum", label, action="add value", detail=value)


def drop_type(state: State, key: QualifiedName, *, cascade: bool, location: Any) -> bool:
    """Drop an enum, composite or domain; with CASCADE the columns (and domains)
    of that type go too, without it the drop is blocked while anything uses it."""
    label = display_name(key)
    users: list[tuple[QualifiedName, str]] = []
    for table_key, table in state.tables.items():
        for column in table.columns:
            if (column.type.schema, column.type.name) == key:
                users.append((table_key, column.name))
    domains = [k for k, d in state.domains.items() if (d.base.schema, d.base.name) == key]
    if (users or domains) and not cascade:
        state.event(
            EventKind.BLOCKED,
            "type",
            label,
            location=location,
            detail="used by "
            + ", ".join(
                [f"{display_name(t)}.{c}" for t, c in users] + [display_name(d) for d in domains]
            ),
        )
        return False
    by_table: dict[QualifiedName, set[str]] = {}
    for table_key, column_name in users:
        by_table.setdefault(table_key, set()).add(column_name)
    for table_key, columns in by_table.items():
        drop_columns(
            state, table_key, columns, cascade=True, location=location,
            reason=f"cascade from dropping type {label}",
        )  # fmt: skip
        for column_name in sorted(columns):
            state.event(
                EventKind.DROPPED,
                "column",
                f"{display_name(table_key)}.{column_name}",
                location=location,
                detail=f"cascade from dropping type {label}",
            )
    for domain_key in domains:
        drop_type(state, domain_key, cascade=True, location=location)
    found: Any = state.enums.pop(key, None) or state.domains.pop(key, None)
    found = found or state.composites.pop(key, None) or state.other_types.pop(key, None)
    if getattr(found, "kind", "") == "range":
        # its multirange goes with it
        for other_key, other in list(state.other_types.items()):
            if other.kind == "multirange" and other.origin == found.origin:
                del state.other_types[other_key]
    state.event(
        EventKind.DROPPED, "type", label, location=location, previous=getattr(found, "origin", None)
    )
    return True
