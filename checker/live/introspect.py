"""Read a live database's catalog into the same Catalog dataclasses the simulator builds.

A handful of set-based pg_catalog queries (one per object kind, never one per
table), so a schema of a hundred tables reads in a few tens of milliseconds.
System schemas, the ``drizzle`` bookkeeping schema and objects that belong to
an extension (pgvector's functions, ...) are left out: the static model has
none of them. Index keys name an operator class only when it is not the
default one for the key (as ``pg_get_indexdef`` prints them); the diff makes a
static key with an explicitly written default operator class compare equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.catalog import (
    Catalog,
    Column,
    CompositeType,
    Constraint,
    ConstraintKind,
    Domain,
    EnumType,
    Extension,
    FkAction,
    FkMatch,
    ForeignKeyDetails,
    Function,
    Identity,
    Index,
    IndexKey,
    Partitioning,
    Policy,
    QualifiedName,
    Sequence,
    Table,
    Trigger,
    TypeRef,
    View,
)

if TYPE_CHECKING:
    import psycopg

IGNORED_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast", "drizzle")

# Relations, types and functions we report: not in a system schema, not an extension's member.
_USER_NAMESPACE = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'drizzle')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
"""


def _not_extension_member(catalog: str, oid: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass "
        f"AND e.objid = {oid} AND e.deptype = 'e')"
    )


# The type of a column/attribute as TypeRef parts: base type (element type of an
# array), whether it is built in or an extension's (format_type prints those
# bare), its schema otherwise, the display with typmod, and the array flag.
_TYPE_PARTS = """
    CASE WHEN t.typsubscript = 'array_subscript_handler'::regproc THEN t.typelem ELSE t.oid END
"""

_TABLES = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relispartition,
       pg_get_expr(c.relpartbound, c.oid), obj_description(c.oid, 'pg_class'),
       pt.partstrat, pg_get_partkeydef(c.oid),
       ARRAY(SELECT a.attname FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             ORDER BY k.pos),
       0 = ANY(pt.partattrs::int2[]),
       c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
WHERE c.relkind IN ('r', 'p') AND {_USER_NAMESPACE}
  AND {_not_extension_member("pg_class", "c.oid")}
"""

_INHERITS = """
SELECT i.inhrelid, pn.nspname, p.relname
FROM pg_inherits i
JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE i.inhrelid = ANY(%s)
ORDER BY i.inhrelid, i.inhseqno
"""

_COLUMNS = f"""
SELECT a.attrelid, a.attname, a.attnum, a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(d.adbin, d.adrelid),
       bt.oid, btn.nspname, bt.typname, format_type(bt.oid, NULL), format_type(bt.oid, a.atttypmod),
       t.typsubscript = 'array_subscript_handler'::regproc,
       (bt.typnamespace = 'pg_catalog'::regnamespace OR EXISTS (
            SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
            AND e.objid = bt.oid AND e.deptype = 'e')),
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END,
       col_description(a.attrelid, a.attnum)
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = {_TYPE_PARTS}
JOIN pg_namespace btn ON btn.oid = bt.typnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS = """
SELECT c.conrelid, c.conname, c.contype,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
             ORDER BY k.pos),
       CASE WHEN c.contype = 'c' THEN pg_get_expr(c.conbin, c.conrelid) END,
       rn.nspname, r.relname,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
             ORDER BY k.pos),
       c.confdeltype, c.confupdtype, c.confmatchtype,
       ARRAY(SELECT a.attname FROM unnest(c.confdelsetcols) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
             ORDER BY k.pos),
       CASE WHEN c.contype IN ('p', 'u', 'x') THEN i.relname END,
       c.condeferrable, c.condeferred, NOT c.convalidated, c.connoinherit,
       COALESCE(x.indnullsnotdistinct, false)
FROM pg_constraint c
LEFT JOIN pg_class r ON r.oid = c.confrelid AND c.contype = 'f'
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_class i ON i.oid = c.conindid
LEFT JOIN pg_index x ON x.indexrelid = c.conindid
WHERE c.conrelid = ANY(%s) AND c.contype IN ('p', 'u', 'c', 'f', 'x')
  -- a key referencing a partitioned table gets internal copies on the same table,
  -- one per referenced partition (<name>_1, ...): not constraints anyone wrote
  AND NOT EXISTS (SELECT 1 FROM pg_constraint p
                  WHERE p.oid = c.conparentid AND p.conrelid = c.conrelid)
ORDER BY c.conrelid, c.conname
"""

# One row per index; keys as parallel arrays over positions 1..indnatts.
_MATVIEWS = f"""
SELECT c.oid, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND {_USER_NAMESPACE}
"""

_INDEXES = """
SELECT x.indrelid, n.nspname, i.relname, am.amname, x.indisunique, x.indnullsnotdistinct,
       x.indnkeyatts, x.indnatts,
       pg_get_expr(x.indpred, x.indrelid),
       ARRAY(SELECT CASE WHEN k.attnum <> 0
                         THEN (SELECT a.attname FROM pg_attribute a
                               WHERE a.attrelid = x.indrelid AND a.attnum = k.attnum)
                    END
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, pos) ORDER BY k.pos),
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, p, true)
             FROM generate_series(1, x.indnatts) p ORDER BY p),
       ARRAY(SELECT CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname END
             FROM unnest(x.indclass::oid[]) WITH ORDINALITY k(opc, pos)
             JOIN pg_opclass oc ON oc.oid = k.opc ORDER BY k.pos),
       x.indoption::int2[],
       ARRAY(SELECT CASE WHEN k.coll = 0 OR k.coll = COALESCE(ta.attcollation, 100)
                         THEN NULL ELSE co.collname END
             FROM unnest(x.indcollation::oid[]) WITH ORDINALITY k(coll, pos)
             LEFT JOIN pg_collation co ON co.oid = k.coll
             LEFT JOIN pg_attribute ta ON ta.attrelid = x.indrelid
                  AND ta.attnum = (x.indkey::int2[])[k.pos - 1]
             ORDER BY k.pos),
       con.conname, i.reloptions, ts.spcname, obj_description(i.oid, 'pg_class')
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')
     AND con.conrelid = x.indrelid
LEFT JOIN pg_tablespace ts ON ts.oid = i.reltablespace
WHERE x.indrelid = ANY(%s)
"""

_TYPES = f"""
SELECT t.oid, n.nspname, t.typname, t.typtype,
       ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
       ARRAY(SELECT pg_get_expr(c.conbin, 0) FROM pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd')
  AND {_USER_NAMESPACE} AND {_not_extension_member("pg_type", "t.oid")}
"""

_COMPOSITES = f"""
SELECT n.nspname, t.typname, a.attname,
       bt.oid, btn.nspname, bt.typname, format_type(bt.oid, NULL), format_type(bt.oid, a.atttypmod),
       at.typsubscript = 'array_subscript_handler'::regproc,
       (bt.typnamespace = 'pg_catalog'::regnamespace OR EXISTS (
            SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
            AND e.objid = bt.oid AND e.deptype = 'e'))
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type at ON at.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN at.typsubscript = 'array_subscript_handler'::regproc
                                 THEN at.typelem ELSE at.oid END
JOIN pg_namespace btn ON btn.oid = bt.typnamespace
WHERE t.typtype = 'c' AND {_USER_NAMESPACE} AND {_not_extension_member("pg_type", "t.oid")}
ORDER BY n.nspname, t.typname, a.attnum
"""

_EXTENSIONS = """
SELECT e.extname, n.nspname, e.extversion
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
"""

_SEQUENCES = f"""
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), tn.nspname, t.relname, a.attname
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE {_USER_NAMESPACE} AND {_not_extension_member("pg_class", "c.oid")}
  AND (t.oid IS NULL OR {_not_extension_member("pg_class", "t.oid")})
"""

_VIEWS = f"""
SELECT n.nspname, c.relname, c.relkind = 'm',
       coalesce((SELECT o.option_value FROM pg_options_to_table(c.reloptions) o
                 WHERE o.option_name = 'security_invoker'), 'false') IN ('true', 'on', '1', 'yes')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND {_USER_NAMESPACE}
  AND {_not_extension_member("pg_class", "c.oid")}
"""

_FUNCTIONS = f"""
SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes), pg_get_function_result(p.oid),
       CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE l.lanname END, p.provolatile,
       p.prokind = 'p'
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p', 'a') AND {_USER_NAMESPACE}
  AND {_not_extension_member("pg_proc", "p.oid")}
"""

_TRIGGERS = """
SELECT tg.tgrelid, tg.tgname, fn.nspname, f.proname
FROM pg_trigger tg
JOIN pg_proc f ON f.oid = tg.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
WHERE tg.tgrelid = ANY(%s) AND NOT tg.tgisinternal
"""

DEFAULT_OPCLASSES = """
SELECT am.amname, oc.opcname FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
WHERE oc.opcdefault
"""

_FK_ACTIONS = {
    "a": FkAction.NO_ACTION,
    "r": FkAction.RESTRICT,
    "c": FkAction.CASCADE,
    "n": FkAction.SET_NULL,
    "d": FkAction.SET_DEFAULT,
}
_FK_MATCH = {"s": FkMatch.SIMPLE, "f": FkMatch.FULL, "p": FkMatch.PARTIAL}
_CONSTRAINT_KINDS = {
    "p": ConstraintKind.PRIMARY_KEY,
    "u": ConstraintKind.UNIQUE,
    "c": ConstraintKind.CHECK,
    "f": ConstraintKind.FOREIGN_KEY,
    "x": ConstraintKind.EXCLUDE,
}
_IDENTITY = {"a": Identity.ALWAYS, "d": Identity.BY_DEFAULT}
_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
_PARTITION_STRATEGY = {"r": "range", "l": "list", "h": "hash"}


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """What the server knows that the diff needs besides the catalog."""

    version: str  # e.g. "18.6"
    version_num: int  # server_version_num, e.g. 180006
    default_opclasses: frozenset[tuple[str, str]]  # (access method, opclass name)


def server_facts(connection: psycopg.Connection[Any]) -> ServerFacts:
    version_row = connection.execute(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int"
    ).fetchone()
    assert version_row is not None
    defaults = frozenset((str(am), str(name)) for am, name in connection.execute(DEFAULT_OPCLASSES))
    return ServerFacts(_version(version_row[0]), int(version_row[1]), defaults)


def server_version(connection: psycopg.Connection[Any]) -> str:
    """The server's version as ``ServerFacts.version`` has it (``18.6``)."""
    row = connection.execute("SELECT current_setting('server_version')").fetchone()
    assert row is not None
    return _version(row[0])


def _version(setting: Any) -> str:
    return str(setting).split(" ", 1)[0]  # "18.6 (Debian 18.6-1)" -> "18.6"


def type_ref(
    base_name: str, base_schema: str, bare: bool, display: str, full: str, is_array: bool
) -> TypeRef:
    """A TypeRef from format_type pieces: ``display`` without and ``full`` with the typmod."""
    name = display if bare else base_name
    schema = None if bare else base_schema
    modifiers: tuple[str, ...] = ()
    if full != display and "(" in full:
        inside = full[full.index("(") + 1 : full.index(")", full.index("("))]
        modifiers = tuple(part.strip() for part in inside.split(","))
    return TypeRef(name, schema, modifiers, 1 if is_array else 0)


def introspect(connection: psycopg.Connection[Any]) -> Catalog:
    """The catalog of the connected database (user schemas only)."""
    table_rows = connection.execute(_TABLES).fetchall()
    oids = [row[0] for row in table_rows]
    names: dict[int, QualifiedName] = {row[0]: (row[1], row[2]) for row in table_rows}
    tables = _tables(connection, table_rows, oids)
    enums, domains = _enums_and_domains(connection)
    extensions, sequences, views, functions, triggers, schemas = _other_objects(
        connection, oids, names
    )
    # indexes of materialized views too: the static model keeps them, on the view
    matviews = connection.execute(_MATVIEWS).fetchall()
    index_owners = {**names, **{row[0]: (row[1], row[2]) for row in matviews}}
    return Catalog(
        schemas=schemas,
        tables=tables,
        indexes=_indexes(connection, [*oids, *(row[0] for row in matviews)], index_owners),
        enums=enums,
        domains=domains,
        composites=_composites(connection),
        extensions=extensions,
        sequences=sequences,
        views=views,
        functions=functions,
        triggers=triggers,
        policies=_policies(connection),
    )


_POLICIES = f"""
SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END
             FROM unnest(p.polroles) r),
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_NAMESPACE}
"""
_POLICY_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}


def _policies(connection: psycopg.Connection[Any]) -> dict[tuple[QualifiedName, str], Policy]:
    """Every row security policy of the user's tables."""
    found: dict[tuple[QualifiedName, str], Policy] = {}
    for schema, table, name, command, permissive, roles, using, check in connection.execute(
        _POLICIES
    ):
        key = (schema, table)
        found[(key, name)] = Policy(
            key,
            name,
            command=_POLICY_COMMANDS.get(command, str(command)),
            permissive=bool(permissive),
            roles=tuple(roles),
            using=using,
            check=check,
        )
    return found


# _TABLES for some tables and every table their foreign keys lead to
_TABLES_REFERENCED = f"""
WITH RECURSIVE refs(oid) AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
  UNION
    SELECT k.confrelid FROM pg_constraint k JOIN refs ON k.conrelid = refs.oid
    WHERE k.contype = 'f'
)
{_TABLES}  AND c.oid IN (SELECT oid FROM refs)
"""


def row_catalog(
    connection: psycopg.Connection[Any],
    only: Collection[QualifiedName] | None = None,
    *,
    referenced_from: Collection[QualifiedName] = (),
) -> Catalog:
    """Only what building a valid row needs: tables (columns, constraints) and enum types;
    ``only``: just these tables; ``referenced_from``: just these tables and every table
    their foreign keys lead to (found on the server, in the same query)."""
    if referenced_from:
        table_rows = connection.execute(
            _TABLES_REFERENCED,
            ([schema for schema, _ in referenced_from], [name for _, name in referenced_from]),
        ).fetchall()
    else:
        table_rows = connection.execute(_TABLES).fetchall()
    if only is not None:
        table_rows = [row for row in table_rows if (row[1], row[2]) in only]
    oids = [row[0] for row in table_rows]
    enums, domains = _enums_and_domains(connection)
    return Catalog(tables=_tables(connection, table_rows, oids), enums=enums, domains=domains)


# What the populated-table probe's row builder reads, for some tables and the tables their
# foreign keys lead to, in one query: per table its columns (the same type parts as _COLUMNS;
# only whether a default exists, and an enum's first label) and its constraints (names, kinds,
# columns, a key's referenced table and columns), ordered as _COLUMNS and _CONSTRAINTS are.
# The tables come from the setting schema_check.fill_tables (json: [[schema, name], ...]);
# the walk along foreign keys does not go on from those in schema_check.fill_stop (json:
# [oid, ...]). Without parameters, the statement is prepared once per session and planned
# once (a plan of this query costs more than running it). The generic plan knows nothing of
# how few tables are asked for: the walk and the final read go table by table (LATERAL ...
# OFFSET 0), where a plan of its own choosing read the whole of pg_constraint and pg_class
# once per fill (upstream Sim's 93 fills: 74 instead of 82 ms of the server's time).
_FILL_TABLES = f"""
WITH RECURSIVE refs(oid) AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE (n.nspname, c.relname) IN (
        SELECT e ->> 0, e ->> 1
        FROM json_array_elements(current_setting('schema_check.fill_tables')::json) e)
  UNION
    SELECT k.confrelid FROM refs CROSS JOIN LATERAL (
        SELECT k.confrelid FROM pg_constraint k
        WHERE k.conrelid = refs.oid AND k.contype = 'f' OFFSET 0) k
    WHERE refs.oid NOT IN (
        SELECT s::text::oid
        FROM json_array_elements(current_setting('schema_check.fill_stop')::json) s)
)
SELECT n.nspname, c.relname,
  (SELECT json_agg(json_build_array(
              a.attname, a.attnotnull, a.attidentity, a.attgenerated, d.adbin IS NOT NULL,
              btn.nspname, bt.typname, format_type(bt.oid, NULL),
              format_type(bt.oid, a.atttypmod),
              t.typsubscript = 'array_subscript_handler'::regproc,
              (bt.typnamespace = 'pg_catalog'::regnamespace OR EXISTS (
                   SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
                   AND e.objid = bt.oid AND e.deptype = 'e')),
              CASE WHEN bt.typtype = 'e' AND {_USER_NAMESPACE.replace("n.nspname", "btn.nspname")}
                        AND {_not_extension_member("pg_type", "bt.oid")}
                   THEN ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = bt.oid
                              ORDER BY e.enumsortorder LIMIT 1) END)
            ORDER BY a.attnum)
   FROM pg_attribute a
   JOIN pg_type t ON t.oid = a.atttypid
   JOIN pg_type bt ON bt.oid = {_TYPE_PARTS}
   JOIN pg_namespace btn ON btn.oid = bt.typnamespace
   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT json_agg(json_build_array(
              k.conname, k.contype,
              ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY o(attnum, pos)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = o.attnum
                    ORDER BY o.pos),
              rn.nspname, r.relname,
              ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY o(attnum, pos)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = o.attnum
                    ORDER BY o.pos),
              k.confdeltype, k.confupdtype, k.confmatchtype)
            ORDER BY k.conname)
   FROM pg_constraint k
   LEFT JOIN pg_class r ON r.oid = k.confrelid AND k.contype = 'f'
   LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
   WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f', 'x')
     AND NOT EXISTS (SELECT 1 FROM pg_constraint p
                     WHERE p.oid = k.conparentid AND p.conrelid = k.conrelid))
FROM refs CROSS JOIN LATERAL (
    SELECT * FROM pg_class c
    WHERE c.oid = refs.oid AND c.relkind IN ('r', 'p')
      AND {_not_extension_member("pg_class", "c.oid")} OFFSET 0) c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_NAMESPACE}
"""


class FillCatalog:
    """Reads what building a valid row reads, for some tables and every table their foreign
    keys lead to, in one query: the tables' columns and constraints as ``row_catalog``
    reads them (a default's text, comments, partitioning and CHECK expressions left out)
    and the enum types of their columns (the first label only)."""

    _NAME = "schema_check_fill_catalog"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        """``connection``: autocommit; psycopg's own preparing is turned off on it (it
        deallocates every prepared statement after each DROP or ALTER)."""
        self.connection = connection
        connection.prepare_threshold = None
        self.prepared = False

    def read(self, tables: Collection[QualifiedName], stop: Collection[int] = ()) -> Catalog:
        """Opens a transaction (the query's inputs are set for it alone) and reads, in one
        round trip; the transaction is left open. ``stop``: the walk along foreign keys
        does not go on from these tables (oids), though they are read themselves."""
        import psycopg

        try:
            return self._read(tables, stop)
        except psycopg.errors.InvalidSqlStatementName:
            # a migration deallocated it (DISCARD ALL, DEALLOCATE ALL)
            self.connection.execute("ROLLBACK")
            self.prepared = False
            return self._read(tables, stop)

    def _read(self, tables: Collection[QualifiedName], stop: Collection[int]) -> Catalog:
        import json

        from psycopg import sql

        if not self.prepared:
            self.connection.execute(
                sql.SQL("PREPARE {} AS {}").format(
                    sql.Identifier(self._NAME), sql.SQL(_FILL_TABLES.replace("%%", "%"))
                )
            )
            self.prepared = True
        inputs = (
            json.dumps([list(name) for name in tables]),
            json.dumps(sorted(stop)),
        )
        query = sql.SQL(
            "BEGIN;\nSET LOCAL schema_check.fill_tables = {};\n"
            "SET LOCAL schema_check.fill_stop = {};\nEXECUTE {}"
        ).format(
            sql.Literal(inputs[0]),
            sql.Literal(inputs[1]),
            sql.Identifier(self._NAME),
        )
        cursor = self.connection.execute(query)
        for _ in range(3):  # to the EXECUTE's result
            cursor.nextset()
        return _fill_catalog(cursor.fetchall())


def _fill_catalog(rows: list[Any]) -> Catalog:
    read: dict[QualifiedName, Table] = {}
    enums: dict[QualifiedName, EnumType] = {}
    for schema, name, column_rows, constraint_rows in rows:
        columns: list[Column] = []
        for row in column_rows or ():
            attname, not_null, identity, generated, has_default = row[:5]
            base_schema, base_name, display, full, is_array, bare, labels = row[5:]
            if labels is not None:
                enums[(base_schema, base_name)] = EnumType(base_schema, base_name, tuple(labels))
            default = "DEFAULT" if has_default else None  # only whether there is one
            columns.append(
                Column(
                    name=attname,
                    type=type_ref(base_name, base_schema, bare, display, full, is_array),
                    not_null=bool(not_null),
                    default=default if not generated else None,
                    identity=_IDENTITY.get(identity),
                    generated=default if generated else None,
                )
            )
        constraints: list[Constraint] = []
        for row in constraint_rows or ():
            conname, kind, cols, ref_schema, ref_name, ref_cols, on_delete, on_update, match = row
            foreign_key = (
                _foreign_key(ref_schema, ref_name, ref_cols, on_delete, on_update, match)
                if kind == "f"
                else None
            )
            constraints.append(
                Constraint(
                    name=conname,
                    kind=_CONSTRAINT_KINDS[kind],
                    columns=tuple(cols),
                    foreign_key=foreign_key,
                )
            )
        read[(schema, name)] = Table(
            schema=schema, name=name, columns=tuple(columns), constraints=tuple(constraints)
        )
    return Catalog(tables=read, enums=enums)


def _tables(
    connection: psycopg.Connection[Any], table_rows: list[Any], oids: list[int]
) -> dict[QualifiedName, Table]:
    parents: dict[int, list[QualifiedName]] = defaultdict(list)
    for relid, schema, name in connection.execute(_INHERITS, (oids,)):
        parents[relid].append((schema, name))
    columns = _columns(connection, oids)
    constraints = _constraints(connection, oids)
    tables: dict[QualifiedName, Table] = {}
    for row in table_rows:
        relid, schema, name, _, persistence, is_partition, bound, comment = row[:8]
        strategy, partkeydef, partcols, has_expressions = row[8:12]
        row_security, force_row_security = (
            (bool(row[12]), bool(row[13]))
            if len(row) > 12
            else (
                False,
                False,
            )
        )
        partitioning = None
        if strategy is not None:
            # Expression keys have no column; then the whole key definition stands in.
            partition_keys = (partkeydef,) if has_expressions else tuple(partcols)
            partitioning = Partitioning(_PARTITION_STRATEGY.get(strategy, strategy), partition_keys)
        inherited = parents.get(relid, [])
        tables[(schema, name)] = Table(
            schema=schema,
            name=name,
            columns=tuple(columns.get(relid, ())),
            constraints=tuple(constraints.get(relid, ())),
            partitioning=partitioning,
            partition_of=inherited[0] if is_partition and inherited else None,
            partition_bound=bound if is_partition else None,
            inherits=() if is_partition else tuple(inherited),
            unlogged=persistence == "u",
            comment=comment,
            row_security=row_security,
            force_row_security=force_row_security,
        )
    return tables


def _columns(connection: psycopg.Connection[Any], oids: list[int]) -> dict[int, list[Column]]:
    columns: dict[int, list[Column]] = defaultdict(list)
    for row in connection.execute(_COLUMNS, (oids,)):
        (relid, name, _, not_null, identity, generated, default, _, base_schema, base_name) = row[
            :10
        ]
        display, full, is_array, bare, collation, comment = row[10:]
        columns[relid].append(
            Column(
                name=name,
                type=type_ref(base_name, base_schema, bare, display, full, is_array),
                not_null=bool(not_null),
                default=default if not generated else None,
                identity=(
                    Identity.ALWAYS
                    if identity == "a"
                    else Identity.BY_DEFAULT
                    if identity == "d"
                    else None
                ),
                generated=default if generated else None,
                collation=collation,
                comment=comment,
            )
        )
    return columns


def _constraints(
    connection: psycopg.Connection[Any], oids: list[int]
) -> dict[int, list[Constraint]]:
    constraints: dict[int, list[Constraint]] = defaultdict(list)
    for row in connection.execute(_CONSTRAINTS, (oids,)):
        (relid, name, kind, cols, check, ref_schema, ref_name, ref_cols) = row[:8]
        (del_action, upd_action, match, set_cols, index, deferrable, deferred) = row[8:15]
        not_valid, no_inherit, nulls_not_distinct = row[15:]
        foreign_key = (
            _foreign_key(ref_schema, ref_name, ref_cols, del_action, upd_action, match, set_cols)
            if kind == "f"
            else None
        )
        constraints[relid].append(
            Constraint(
                name=name,
                kind=_CONSTRAINT_KINDS[kind],
                columns=tuple(cols),
                expression=_strip_parens(check) if check else None,
                foreign_key=foreign_key,
                index=index,
                deferrable=bool(deferrable),
                initially_deferred=bool(deferred),
                not_valid=bool(not_valid),
                # connoinherit is set on every non-CHECK constraint; it matters only on CHECK.
                no_inherit=bool(no_inherit) and kind == "c",
                nulls_not_distinct=bool(nulls_not_distinct),
            )
        )
    return constraints


def _indexes(
    connection: psycopg.Connection[Any], oids: list[int], names: dict[int, QualifiedName]
) -> dict[QualifiedName, Index]:
    indexes: dict[QualifiedName, Index] = {}
    for row in connection.execute(_INDEXES, (oids,)):
        (relid, schema, name, method, unique, nulls_not_distinct, nkey, natts, predicate) = row[:9]
        (key_columns, key_texts, opclasses, options, collations, constraint) = row[9:15]
        reloptions, tablespace, comment = row[15:]
        keys: list[IndexKey] = []
        for position in range(nkey):
            column = key_columns[position]
            option = int(options[position]) if position < len(options) else 0
            descending = bool(option & 1)
            nulls_first = bool(option & 2)
            keys.append(
                IndexKey(
                    column=column,
                    expression=None if column is not None else _strip_parens(key_texts[position]),
                    opclass=opclasses[position],
                    descending=descending,
                    nulls_first=None if nulls_first == descending else nulls_first,
                    collation=collations[position],
                )
            )
        include = tuple(
            key_columns[position] or key_texts[position] for position in range(nkey, natts)
        )
        options_pairs = tuple(
            (key, value) for key, _, value in (item.partition("=") for item in reloptions or ())
        )
        indexes[(schema, name)] = Index(
            schema=schema,
            name=name,
            table=names[relid],
            method=method,
            keys=tuple(keys),
            include=include,
            predicate=_strip_parens(predicate) if predicate else None,
            unique=bool(unique),
            nulls_not_distinct=bool(nulls_not_distinct),
            constraint=constraint,
            with_options=options_pairs,
            tablespace=tablespace,
            comment=comment,
        )
    return indexes


def _enums_and_domains(
    connection: psycopg.Connection[Any],
) -> tuple[dict[QualifiedName, EnumType], dict[QualifiedName, Domain]]:
    enums: dict[QualifiedName, EnumType] = {}
    domains: dict[QualifiedName, Domain] = {}
    for _, schema, name, kind, labels, base, not_null, default, checks in connection.execute(
        _TYPES
    ):
        if kind == "e":
            enums[(schema, name)] = EnumType(schema, name, tuple(labels))
        else:
            domains[(schema, name)] = Domain(
                schema,
                name,
                _plain_type(base),
                not_null=bool(not_null),
                default=default,
                checks=tuple(_strip_parens(check) for check in checks),
            )
    return enums, domains


def _composites(connection: psycopg.Connection[Any]) -> dict[QualifiedName, CompositeType]:
    composite_attributes: dict[QualifiedName, list[tuple[str, TypeRef]]] = defaultdict(list)
    for row in connection.execute(_COMPOSITES):
        schema, name, attname, _, base_schema, base_name, display, full, is_array, bare = row
        composite_attributes[(schema, name)].append(
            (attname, type_ref(base_name, base_schema, bare, display, full, is_array))
        )
    composites = {
        key: CompositeType(key[0], key[1], tuple(attrs))
        for key, attrs in composite_attributes.items()
    }
    return composites


def _other_objects(
    connection: psycopg.Connection[Any], oids: list[int], names: dict[int, QualifiedName]
) -> tuple[
    dict[str, Extension],
    dict[QualifiedName, Sequence],
    dict[QualifiedName, View],
    dict[tuple[str, str, str], Function],
    dict[tuple[QualifiedName, str], Trigger],
    frozenset[str],
]:
    extensions = {
        name: Extension(name, schema, version)
        for name, schema, version in connection.execute(_EXTENSIONS)
    }
    sequences = {
        (schema, name): Sequence(
            schema,
            name,
            data_type,
            owned_by=((owner_schema, owner_table), owner_column) if owner_column else None,
        )
        for schema, name, data_type, owner_schema, owner_table, owner_column in connection.execute(
            _SEQUENCES
        )
    }
    views = {
        (schema, name): View(schema, name, bool(materialized), security_invoker=bool(invoker))
        for schema, name, materialized, invoker in connection.execute(_VIEWS)
    }
    functions = {
        (schema, name, arguments): Function(
            schema,
            name,
            arguments,
            returns=returns,
            language=language,
            volatility=_VOLATILITY.get(volatility),
            is_procedure=bool(is_procedure),
        )
        for schema, name, arguments, returns, language, volatility, is_procedure in (
            connection.execute(_FUNCTIONS)
        )
    }
    triggers = {
        (names[relid], name): Trigger(names[relid], name, (fn_schema, fn_name))
        for relid, name, fn_schema, fn_name in connection.execute(_TRIGGERS, (oids,))
    }
    schemas = frozenset(
        str(row[0])
        for row in connection.execute(
            f"SELECT n.nspname FROM pg_namespace n WHERE {_USER_NAMESPACE} "
            f"AND {_not_extension_member('pg_namespace', 'n.oid')}"
        )
    )
    return extensions, sequences, views, functions, triggers, schemas


def _strip_parens(text: str) -> str:
    """``(a + b)`` → ``a + b`` when the outer parentheses enclose the whole text."""
    from checker.live.expressions import encloses

    if text.startswith("(") and text.endswith(")") and encloses(text):
        return text[1:-1]
    return text


def _plain_type(display: str) -> TypeRef:
    """A TypeRef from a format_type() string alone (domain base types)."""
    dims = 0
    while display.endswith("[]"):
        display = display[:-2]
        dims += 1
    modifiers: tuple[str, ...] = ()
    if "(" in display and display.endswith(")"):
        base, _, inside = display.partition("(")
        modifiers = tuple(part.strip() for part in inside[:-1].split(","))
        display = base
    return TypeRef(display, None, modifiers, min(dims, 1))


def _foreign_key(
    ref_schema: str,
    ref_name: str,
    ref_cols: Any,
    on_delete: str,
    on_update: str,
    match: str,
    set_columns: Any = None,
) -> ForeignKeyDetails:
    """A foreign key's details from pg_constraint's columns (confdeltype and the like)."""
    return ForeignKeyDetails(
        ref_table=(ref_schema, ref_name),
        ref_columns=tuple(ref_cols),
        on_delete=_FK_ACTIONS[on_delete],
        on_update=_FK_ACTIONS[on_update],
        match=_FK_MATCH.get(match, FkMatch.SIMPLE),
        delete_set_columns=tuple(set_columns or ()),
    )
