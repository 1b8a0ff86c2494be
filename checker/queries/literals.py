"""Sample literals for EXPLAIN: a value of each parameter's type, so a documented
query can be planned on a live server."""

from __future__ import annotations

from checker.catalog import Catalog, TypeRef
from checker.queries.shapes import QueryParameter, QueryShape

# ---------------------------------------------------------------- literals for EXPLAIN

_NUMERIC = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
_TEMPORAL = {
    "timestamp without time zone": "2024-01-01 00:00:00",
    "timestamp with time zone": "2024-01-01 00:00:00+00",
    "date": "2024-01-01",
    "time without time zone": "00:00:00",
    "time with time zone": "00:00:00+00",
    "interval": "1 day",
}


def sample_literal(type_ref: TypeRef, catalog: Catalog) -> str:
    """A constant of the given type, spelled as a typed SQL literal."""
    element = type_ref.element
    name = element.name
    if name in _NUMERIC:
        value = "1"
    elif name == "boolean":
        value = "true"
    elif name == "uuid":
        value = "00000000-0000-0000-0000-000000000001"
    elif name in _TEMPORAL:
        value = _TEMPORAL[name]
    elif name in ("json", "jsonb"):
        value = "{}"
    elif name in ("vector", "halfvec"):
        dims = int(element.modifiers[0]) if element.modifiers else 3
        value = "[" + ",".join(["1"] * dims) + "]"
    else:
        enum = catalog.enums.get((element.schema or "public", name))
        value = enum.labels[0] if enum is not None and enum.labels else "x"
    quoted = "'" + value.replace("'", "''") + "'"
    type_text = element.render()
    if element.schema is not None or name not in _BUILTIN_SPELLINGS:
        type_text = (
            f'"{name}"' if element.schema in (None, "public") else f'"{element.schema}"."{name}"'
        )
        if element.modifiers:
            type_text += "(" + ",".join(element.modifiers) + ")"
    return f"{quoted}::{type_text}"


_BUILTIN_SPELLINGS = (
    _NUMERIC
    | set(_TEMPORAL)
    | {
        "boolean",
        "uuid",
        "json",
        "jsonb",
        "text",
        "character varying",
        "character",
    }
)


def bind_literals(shape: QueryShape, catalog: Catalog) -> str:
    """The query text with every placeholder replaced by a typed literal (for EXPLAIN)."""
    sql = shape.pattern.sql
    out: list[str] = []
    last = 0
    for parameter in sorted(shape.parameters, key=lambda p: p.start):
        out.append(sql[last : parameter.start])
        out.append(_literal_for(parameter, catalog))
        last = parameter.end
    out.append(sql[last:])
    return "".join(out)


def _literal_for(parameter: QueryParameter, catalog: Catalog) -> str:
    if parameter.context == "limit":
        return "10"
    type_ref: TypeRef | None = None
    if parameter.table is not None and parameter.column is not None:
        table = catalog.tables.get(parameter.table)
        column = table.column(parameter.column) if table is not None else None
        type_ref = column.type if column is not None else None
    if type_ref is None:
        return "'1'"
    literal = sample_literal(type_ref, catalog)
    if parameter.context == "array":
        return f"ARRAY[{literal}]"
    return literal
