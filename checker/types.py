"""Type names as ``format_type()`` prints them.

The parser gives a TypeName in whatever spelling the author chose (``int``,
``int4``, ``pg_catalog.int4``, ``varchar(255)``, ``timestamptz``); the
catalog stores one spelling per type so that two columns of the same type
compare equal, and the live catalog (read with format_type) compares equal too.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
from typing import Any

from pglast import ast

from checker.catalog import TypeRef

# A pglast node. pglast's stubs type every field Optional; the parser guarantees the
# fields the simulator reads for each statement kind, so nodes are handled as Any.
PgNode = Any

# Internal (pg_type.typname) names and grammar aliases → format_type() display names.
_DISPLAY = {
    "int2": "smallint",
    "int4": "integer",
    "int": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "char": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
    "decimal": "numeric",
}

BUILTIN_TYPES = frozenset(
    {
        "smallint", "integer", "bigint", "real", "double precision", "boolean", "numeric",
        "character varying", "character", "text", "name", '"char"',
        "timestamp without time zone", "timestamp with time zone", "date",
        "time without time zone", "time with time zone", "interval",
        "bit", "bit varying", "bytea", "json", "jsonb", "jsonpath", "uuid", "xml",
        "inet", "cidr", "macaddr", "macaddr8", "money", "tsvector", "tsquery",
        "oid", "regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole",
        "point", "line", "lseg", "box", "path", "polygon", "circle",
        "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
        "int4multirange", "int8multirange", "nummultirange", "tsmultirange",
        "tstzmultirange", "datemultirange", "pg_lsn", "pg_snapshot", "txid_snapshot",
        "record", "void", "trigger", "event_trigger", "anyelement", "anyarray",
        "anyenum", "anynonarray", "anyrange", "cstring", "internal",
    }
)  # fmt: skip

# Types that an extension brings, with the extension that does.
EXTENSION_TYPES = {
    "vector": "vector",
    "halfvec": "vector",
    "sparsevec": "vector",
    "bit_vector": "vector",
    "citext": "citext",
    "hstore": "hstore",
    "ltree": "ltree",
    "cube": "cube",
    "geometry": "postgis",
    "geography": "postgis",
}

# serial pseudo-types → (integer type, sequence data type)
SERIAL_TYPES = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}


def _typmod_text(value: Any) -> str:
    node: Any = value  # pglast stubs make every field Optional
    if isinstance(node, ast.A_Const):
        value = node.val
        if isinstance(value, ast.Integer):
            return str(value.ival)
        if isinstance(value, ast.Float):
            return str(value.fval)
        if isinstance(value, ast.String):
            return str(value.sval)
    if isinstance(node, ast.ColumnRef):
        return ".".join(getattr(f, "sval", "*") for f in node.fields)
    from pglast.stream import RawStream

    return str(RawStream()(node))


def type_name_parts(node: PgNode) -> tuple[str | None, str]:
    """(schema or None, name) as written, with pg_catalog dropped."""
    names = [getattr(part, "sval", "") for part in node.names or ()]
    if len(names) >= 2:
        schema, name = names[-2], names[-1]
        return (None if schema == "pg_catalog" else schema), name
    return None, names[-1] if names else ""


def type_ref(node: PgNode, *, schema: str | None = None) -> TypeRef:
    """A TypeRef for a type as written; ``schema`` is the resolved schema of a user type.

    Built-in and extension types get no schema (format_type prints them bare);
    the caller resolves user types and passes their schema.
    """
    written_schema, name = type_name_parts(node)
    display = _DISPLAY.get(name, name)
    if written_schema is None and name in SERIAL_TYPES:
        display = SERIAL_TYPES[name]
    modifiers: tuple[str, ...] = ()
    if node.typmods and display != "interval":
        modifiers = tuple(_typmod_text(mod) for mod in node.typmods)
    dims = len(node.arrayBounds) if node.arrayBounds else 0
    is_builtin = written_schema is None and (display in BUILTIN_TYPES or name in EXTENSION_TYPES)
    resolved = None if is_builtin else (schema or written_schema)
    return TypeRef(display, resolved, modifiers, dims)


def is_builtin_type(node: PgNode) -> bool:
    """True for core types (and serials), which need no catalog lookup."""
    schema, name = type_name_parts(node)
    if schema is not None:
        return False
    return _DISPLAY.get(name, name) in BUILTIN_TYPES or name in SERIAL_TYPES


def extension_of_type(node: PgNode) -> str | None:
    """The extension that provides this type (``vector`` for vector), if any."""
    schema, name = type_name_parts(node)
    return EXTENSION_TYPES.get(name) if schema is None else None


def serial_base(node: PgNode) -> str | None:
    """``integer``/``bigint``/``smallint`` when the type is a serial pseudo-type."""
    schema, name = type_name_parts(node)
    if schema is None and not node.arrayBounds:
        return SERIAL_TYPES.get(name)
    return None
