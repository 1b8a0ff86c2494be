"""What function, trigger and view bodies use, resolved against a catalog.

PostgreSQL checks a PL/pgSQL body only when the function runs, so a misspelt
column or a ``NEW.col`` the trigger's table lacks passes every migration. This
module parses a body (pglast's PL/pgSQL parser, then PostgreSQL's SQL parser for
each statement and expression in it) and lists every table, column, function
and ``NEW.x``/``OLD.x`` it names, each with its place in the body and whether the
catalog holds it. Variables, parameters, record fields, CTE names, aliases and
transition tables are not columns or tables; EXECUTE strings are not resolved,
but how they are built is recorded.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser always fills the
# fields read here for the node kinds handled; checking each would only add noise.
# mypy: disable-error-code="union-attr, arg-type, index, assignment"
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from pglast import ast
from pglast import parser as pg_parser
from pglast.enums import AlterTableType, SetOperation

from checker import pg_functions
from checker.catalog import Catalog, Function, QualifiedName, Table, Trigger, View

_WRAPPER = "$__schema_check_fn__$"
# PL/pgSQL variables of these types cannot carry SQL text into an EXECUTE string
_SAFE_TYPES = (
    "int", "bigint", "smallint", "integer", "numeric", "float", "real", "double", "bool",
    "uuid", "date", "timestamp", "time", "interval", "oid", "regclass", "money",
)  # fmt: skip
_QUOTING = frozenset({"quote_ident", "quote_literal", "quote_nullable"})
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})


class UseKind(StrEnum):
    TABLE = "table"
    COLUMN = "column"
    FUNCTION = "function"
    ROW_FIELD = "row field"  # NEW.x / OLD.x of a trigger function


@dataclass(frozen=True, slots=True)
class BodyUse:
    """One name a body uses, where (offset and length in the body) and whether it exists."""

    kind: UseKind
    name: str  # the table, column, function or row field as written (folded)
    start: int
    length: int
    found: bool
    # TABLE: the key looked up; COLUMN: the table the column belongs to or was looked up in
    table: QualifiedName | None = None
    record: str = ""  # ROW_FIELD: "new" or "old"
    searched: tuple[QualifiedName, ...] = ()  # unqualified COLUMN not found: the tables in scope


@dataclass(frozen=True, slots=True)
class BodyCommand:
    """A statement that cannot run inside a function (CONCURRENTLY, VACUUM ...)."""

    what: str
    start: int
    length: int


@dataclass(frozen=True, slots=True)
class DynamicSql:
    """An EXECUTE of a string built at run time."""

    text: str
    start: int
    length: int
    unquoted: tuple[str, ...]  # variables concatenated into the string without quoting


@dataclass(frozen=True, slots=True)
class BodyAnalysis:
    """What a function body does: the objects it uses, its commands, its dynamic SQL."""

    uses: tuple[BodyUse, ...] = ()
    commands: tuple[BodyCommand, ...] = ()
    dynamic: tuple[DynamicSql, ...] = ()
    error: str | None = None  # the body could not be parsed: nothing else is known


class SchemaLike(Protocol):
    """What resolution reads: a Catalog, or the simulator's State mid-run."""

    @property
    def tables(self) -> Mapping[QualifiedName, Table]: ...

    @property
    def views(self) -> Mapping[QualifiedName, View]: ...

    @property
    def functions(self) -> Mapping[tuple[str, str, str], Function]: ...

    @property
    def extensions(self) -> Mapping[str, Any]: ...


# ---- scopes ------------------------------------------------------------------


@dataclass(slots=True)
class _Relation:
    """A relation a body's query reads, and its columns when known."""

    table: QualifiedName | None  # a catalog table or view; None for a derived one
    columns: frozenset[str] | None  # None: not known


@dataclass(slots=True)
class _Frame:
    """The names visible in one query level of a body: relations, outputs and CTEs."""

    relations: dict[str, _Relation] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)
    ctes: dict[str, _Relation] = field(default_factory=dict)


class _Resolver:
    """Walks SQL trees, recording uses. ``base`` maps a node location to a body offset."""

    def __init__(
        self,
        schema: SchemaLike,
        *,
        variables: frozenset[str] = frozenset(),
        qualifiers: frozenset[str] = frozenset(),
        transition: frozenset[str] = frozenset(),
        local_tables: frozenset[str] = frozenset(),
        trigger: bool = False,
        search_path: tuple[str, ...] = ("public",),
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.qualifiers = qualifiers
        self.transition = transition
        self.local_tables = local_tables
        self.trigger = trigger
        self.search_path = search_path
        self.base = 0
        self.uses: list[BodyUse] = []
        self.commands: list[BodyCommand] = []
        self._function_names = _known_functions(schema)

    # -- recording

    def _use(self, kind: UseKind, name: str, location: Any, found: bool, **extra: Any) -> None:
        start = self.base + (location if isinstance(location, int) and location >= 0 else 0)
        self.uses.append(BodyUse(kind, name, start, max(1, len(name)), found, **extra))

    def _command(self, what: str, location: Any) -> None:
        start = self.base + (location if isinstance(location, int) and location >= 0 else 0)
        self.commands.append(BodyCommand(what, start, len(what.split()[0])))

    # -- statements

    def statement(self, node: Any, location: int = 0) -> tuple[str, ...] | None:
        """Resolve one statement; the output columns of a query (None when not derived)."""
        self._check_command(node, location)
        if isinstance(node, ast.SelectStmt):
            return self.select(node, [])
        if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
            self.modify(node, [])
        elif isinstance(node, ast.CallStmt):
            self.visit(node.funccall, [])
        elif isinstance(node, ast.ExplainStmt | ast.DeclareCursorStmt):
            self.statement(node.query, location)
        return None

    def _check_command(self, node: Any, location: int) -> None:
        if isinstance(node, ast.IndexStmt) and node.concurrent:
            self._command("CREATE INDEX CONCURRENTLY", location)
        elif isinstance(node, ast.DropStmt) and node.concurrent:
            self._command("DROP INDEX CONCURRENTLY", location)
        elif isinstance(node, ast.ReindexStmt) and any(
            str(p.defname) == "concurrently" for p in node.params or ()
        ):
            self._command("REINDEX CONCURRENTLY", location)
        elif isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
            self._command("VACUUM", location)
        elif isinstance(node, ast.CreatedbStmt):
            self._command("CREATE DATABASE", location)
        elif isinstance(node, ast.DropdbStmt):
            self._command("DROP DATABASE", location)
        elif isinstance(node, ast.AlterSystemStmt):
            self._command("ALTER SYSTEM", location)
        elif isinstance(node, ast.CreateTableSpaceStmt | ast.DropTableSpaceStmt):
            self._command("CREATE TABLESPACE", location)
        elif isinstance(node, ast.AlterTableStmt) and any(
            cmd.subtype == AlterTableType.AT_DetachPartition
            and getattr(cmd.def_, "concurrent", False)
            for cmd in node.cmds or ()
        ):
            self._command("DETACH PARTITION CONCURRENTLY", location)

    def _with(self, clause: Any, frames: list[_Frame]) -> list[_Frame]:
        if clause is None:
            return frames
        frame = _Frame()
        inner = [*frames, frame]
        for cte in clause.ctes or ():
            name = str(cte.ctename)
            names = _strings(cte.aliascolnames)
            if clause.recursive:
                frame.ctes[name] = _Relation(None, frozenset(names) if names else None)
            query = cte.ctequery
            if isinstance(query, ast.SelectStmt):
                outputs = self.select(query, inner)
            else:
                outputs = self.modify(query, inner)
            columns = names or outputs
            frame.ctes[name] = _Relation(None, frozenset(columns) if columns else None)
        return inner

    def select(self, node: Any, frames: list[_Frame]) -> tuple[str, ...] | None:
        frames = self._with(node.withClause, frames)
        if node.op is not None and node.op != SetOperation.SETOP_NONE:
            outputs = self.select(node.larg, frames)
            self.select(node.rarg, frames)
            return outputs
        if node.valuesLists:
            self.visit(node.valuesLists, frames)
            return None
        frame = _Frame()
        for item in node.fromClause or ():
            self._from_item(item, frame, frames)
        inner = [*frames, frame]
        outputs = self._targets(node.targetList, frame, inner)
        frame.outputs = {name for name in outputs or () if name}
        for part in (
            node.whereClause, node.groupClause, node.havingClause, node.sortClause,
            node.distinctClause, node.windowClause, node.limitCount, node.limitOffset,
        ):  # fmt: skip
            self.visit(part, inner)
        return outputs

    def modify(self, node: Any, frames: list[_Frame]) -> tuple[str, ...] | None:
        """INSERT, UPDATE, DELETE (MERGE is walked without checking columns)."""
        if not isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
            self.visit(node, frames)
            return None
        frames = self._with(node.withClause, frames)
        target = self._range_var(node.relation, frames)
        alias = str(node.relation.alias.aliasname) if node.relation.alias else None
        frame = _Frame({alias or str(node.relation.relname): target})
        inner = [*frames, frame]
        if isinstance(node, ast.InsertStmt):
            for column in node.cols or ():
                self._target_column(target, str(column.name), column.location)
            if node.selectStmt is not None:
                self.select(node.selectStmt, frames)
            conflict = node.onConflictClause
            if conflict is not None:
                excluded = _Frame({**frame.relations, "excluded": target})
                conflict_frames = [*frames, excluded]
                infer = conflict.infer
                if infer is not None:
                    for element in infer.indexElems or ():
                        if element.name:  # an IndexElem has no place: the clause's
                            self._target_column(target, str(element.name), infer.location)
                        self.visit(element.expr, conflict_frames)
                    self.visit(infer.whereClause, conflict_frames)
                for res in conflict.targetList or ():
                    self._target_column(target, str(res.name), res.location)
                    self.visit(res.val, conflict_frames)
                self.visit(conflict.whereClause, conflict_frames)
        elif isinstance(node, ast.UpdateStmt):
            for item in node.fromClause or ():
                self._from_item(item, frame, frames)
            for res in node.targetList or ():
                self._target_column(target, str(res.name), res.location)
                self.visit(res.val, inner)
            self.visit(node.whereClause, inner)
        else:
            for item in node.usingClause or ():
                self._from_item(item, frame, frames)
            self.visit(node.whereClause, inner)
        clause = node.returningClause
        returning = clause.exprs if clause is not None else None
        return self._targets(returning, frame, inner) if returning else None

    def _target_column(self, target: _Relation, name: str, location: Any) -> None:
        if target.table is None or target.columns is None:
            return
        found = name in target.columns
        self._use(UseKind.COLUMN, name, location, found, table=target.table)

    # -- FROM

    def _from_item(self, item: Any, frame: _Frame, frames: list[_Frame]) -> None:
        if isinstance(item, ast.RangeVar):
            relation = self._range_var(item, frames)
            alias = item.alias
            names = _strings(alias.colnames) if alias is not None else ()
            if names:
                relation = _Relation(relation.table, None)
            frame.relations[str(alias.aliasname) if alias else str(item.relname)] = relation
        elif isinstance(item, ast.RangeSubselect):
            scope = [*frames, frame] if item.lateral else frames
            outputs = self.select(item.subquery, scope) if item.subquery else None
            alias = item.alias
            names = _strings(alias.colnames) if alias is not None else ()
            columns = names or outputs
            key = str(alias.aliasname) if alias else f"?{len(frame.relations)}"
            frame.relations[key] = _Relation(None, frozenset(columns) if columns else None)
        elif isinstance(item, ast.JoinExpr):
            self._from_item(item.larg, frame, frames)
            self._from_item(item.rarg, frame, frames)
            self.visit(item.quals, [*frames, frame])
        elif isinstance(item, ast.RangeFunction):
            self.visit(item.functions, [*frames, frame])
            alias = item.alias
            declared = list(_strings(alias.colnames)) if alias is not None else []
            declared += [str(definition.colname) for definition in item.coldeflist or ()]
            if alias is not None:
                known: frozenset[str] | None = (
                    frozenset(declared) if declared else frozenset({str(alias.aliasname)})
                )
                if not declared and item.ordinality:
                    known = None
                frame.relations[str(alias.aliasname)] = _Relation(None, known)
            else:
                frame.relations[f"?{len(frame.relations)}"] = _Relation(None, None)
        else:
            self.visit(item, [*frames, frame])
            frame.relations[f"?{len(frame.relations)}"] = _Relation(None, None)

    def _range_var(self, node: Any, frames: list[_Frame]) -> _Relation:
        name = str(node.relname)
        schema = str(node.schemaname) if node.schemaname else None
        if schema is None:
            for frame in reversed(frames):
                if name in frame.ctes:
                    return frame.ctes[name]
            if name in self.transition or name in self.local_tables or name.startswith("pg_"):
                return _Relation(None, None)
        if schema in _SYSTEM_SCHEMAS:
            return _Relation(None, None)
        candidates = [(schema, name)] if schema else [(s, name) for s in self.search_path]
        for key in candidates:
            table = self.schema.tables.get(key)
            if table is not None:
                self._use(UseKind.TABLE, name, node.location, True, table=key)
                known = table.columns_known
                return _Relation(key, frozenset(c.name for c in table.columns) if known else None)
            view = self.schema.views.get(key)
            if view is not None:
                self._use(UseKind.TABLE, name, node.location, True, table=key)
                return _Relation(key, frozenset(view.columns) if view.columns else None)
        self._use(UseKind.TABLE, name, node.location, False, table=candidates[0])
        return _Relation(None, None)

    # -- targets and expressions

    def _targets(self, targets: Any, frame: _Frame, frames: list[_Frame]) -> tuple[str, ...] | None:
        names: list[str] = []
        known = True
        for res in targets or ():
            value = res.val
            if isinstance(value, ast.ColumnRef) and isinstance(value.fields[-1], ast.A_Star):
                expanded = self._star(value, frame)
                if expanded is None:
                    known = False
                else:
                    names.extend(expanded)
                continue
            self.visit(value, frames)
            if res.name:
                names.append(str(res.name))
            elif isinstance(value, ast.ColumnRef):
                names.append(str(getattr(value.fields[-1], "sval", "?column?")))
            elif isinstance(value, ast.FuncCall):
                names.append(str(value.funcname[-1].sval))
            else:
                names.append("?column?")
        return tuple(names) if known else None

    def _star(self, ref: Any, frame: _Frame) -> list[str] | None:
        """``*`` or ``t.*``: the columns it expands to, each a use of its table."""
        fields = ref.fields
        relations = (
            list(frame.relations.values())
            if len(fields) == 1
            else [frame.relations[q]]
            if (q := str(getattr(fields[-2], "sval", ""))) in frame.relations
            else []
        )
        if not relations:
            return None
        names: list[str] = []
        for relation in relations:
            if relation.columns is None:
                return None
            columns = self._ordered(relation)
            for column in columns:
                if relation.table is not None:
                    self._use(UseKind.COLUMN, column, ref.location, True, table=relation.table)
            names.extend(columns)
        return names

    def _ordered(self, relation: _Relation) -> list[str]:
        table = self.schema.tables.get(relation.table) if relation.table else None
        if table is not None:
            return [c.name for c in table.columns]
        view = self.schema.views.get(relation.table) if relation.table else None
        if view is not None:
            return list(view.columns)
        return sorted(relation.columns or ())

    def visit(self, node: Any, frames: list[_Frame]) -> None:
        if node is None:
            return
        if isinstance(node, list | tuple):
            for item in node:
                self.visit(item, frames)
            return
        if not isinstance(node, ast.Node):
            return
        if isinstance(node, ast.ColumnRef):
            self._column(node, frames)
        elif isinstance(node, ast.SelectStmt):
            self.select(node, frames)
        elif isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
            self.modify(node, frames)
        elif isinstance(node, ast.SubLink):
            self.visit(node.testexpr, frames)
            self.select(node.subselect, frames)
        elif isinstance(node, ast.FuncCall):
            self._function(node)
            for part in (node.args, node.agg_order, node.agg_filter, node.over):
                self.visit(part, frames)
        elif isinstance(node, ast.RangeVar):
            self._range_var(node, frames)
        else:
            for slot in getattr(type(node), "__slots__", ()):
                if slot != "location":
                    self.visit(getattr(node, slot, None), frames)

    def _column(self, ref: Any, frames: list[_Frame]) -> None:
        fields = ref.fields
        if any(not isinstance(f, ast.String) for f in fields):
            return  # t.* outside a target list, or $1.field
        names = [str(f.sval) for f in fields]
        if len(names) == 1:
            self._unqualified(names[0], ref.location, frames)
            return
        qualifier, name = names[-2], names[-1]
        if len(names) > 2:
            return  # schema.table.column or record.field.subfield
        for frame in reversed(frames):
            relation = frame.relations.get(qualifier)
            if relation is not None:
                if relation.table is not None and relation.columns is not None:
                    found = name in relation.columns
                    self._use(UseKind.COLUMN, name, _field_location(ref, 1), found,
                              table=relation.table)  # fmt: skip
                return
        if self.trigger and qualifier in ("new", "old"):
            self._use(UseKind.ROW_FIELD, name, _field_location(ref, 1), True, record=qualifier)

    def _unqualified(self, name: str, location: Any, frames: list[_Frame]) -> None:
        if name in self.variables:
            return
        searched: list[QualifiedName] = []
        any_relation = False
        for frame in reversed(frames):
            if name in frame.outputs:
                return
            for relation in frame.relations.values():
                any_relation = True
                if relation.columns is None:
                    return  # a relation whose columns are not known may have it
                if name in relation.columns:
                    if relation.table is not None:
                        self._use(UseKind.COLUMN, name, location, True, table=relation.table)
                    return
                if relation.table is not None:
                    searched.append(relation.table)
        if not any_relation or not searched:
            return
        table = searched[0] if len(searched) == 1 else None
        self._use(UseKind.COLUMN, name, location, False, table=table, searched=tuple(searched))

    def _function(self, node: Any) -> None:
        names = [str(getattr(part, "sval", "")) for part in node.funcname]
        name = names[-1]
        schema = names[-2] if len(names) > 1 else None
        if schema in _SYSTEM_SCHEMAS:
            return
        found = self._function_names is None or name in self._function_names
        self._use(UseKind.FUNCTION, name, node.location, found)


def _field_location(ref: Any, index: int) -> int:
    """Where a qualified column reference's field starts (pglast gives the first's)."""
    location = int(ref.location) if isinstance(ref.location, int) else 0
    skipped = sum(len(str(f.sval)) + 1 for f in ref.fields[:index])
    return location + skipped


def _strings(nodes: Any) -> tuple[str, ...]:
    return tuple(str(getattr(n, "sval", n)) for n in nodes or ())


def _known_functions(schema: SchemaLike) -> frozenset[str] | None:
    """Every function name a call may resolve to; None when an installed extension's
    functions are not known (then no call is reported missing)."""
    names = set(pg_functions.BUILTIN)
    for extension in schema.extensions:
        known = pg_functions.EXTENSIONS.get(str(extension))
        if known is None:
            return None
        names |= known
    names.update(key[1] for key in schema.functions)
    return frozenset(names)


# ---- PL/pgSQL bodies ------------------------------------------------------------


class _Text:
    """A body's text, with line starts to place what the PL/pgSQL parser reports by line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def line_start(self, lineno: int) -> int:
        return self.line_starts[max(1, min(lineno, len(self.line_starts))) - 1]

    def locate(self, fragment: str, lineno: int) -> int:
        """Offset of ``fragment`` at or after line ``lineno`` (its line start if not found).

        INTO targets are blanked out of the parser's query text with spaces of the
        same length, so after the first blank run the text may differ: match the prefix.
        """
        start = self.line_start(lineno)
        for probe in (fragment, fragment.split("  ")[0].split("\n")[0]):
            if probe.strip():
                found = self.text.find(probe, start)
                if found >= 0:
                    return found
        return start


def analyse_function(
    function: Function,
    schema: SchemaLike,
    *,
    transition: Iterable[str] = (),
    search_path: tuple[str, ...] = ("public",),
) -> BodyAnalysis:
    """The uses, forbidden commands and dynamic SQL of a function's body."""
    if function.body is None:
        return BodyAnalysis()
    language = (function.language or "sql").lower()
    parameters = frozenset(p.name for p in function.parameters if p.name)
    qualifiers = frozenset({function.name})
    if language == "sql":
        try:
            tree = pg_parser.parse_sql(function.body)
        except pg_parser.ParseError as exc:
            return BodyAnalysis(error=str(exc))
        resolver = _Resolver(
            schema, variables=parameters, qualifiers=qualifiers,
            local_tables=_created_tables(raw.stmt for raw in tree), search_path=search_path,
        )  # fmt: skip
        for raw in tree:
            resolver.statement(raw.stmt, int(raw.stmt_location or 0))
        return BodyAnalysis(tuple(resolver.uses), tuple(resolver.commands))
    if language != "plpgsql":
        return BodyAnalysis()
    return _analyse_plpgsql(function, schema, frozenset(transition), search_path)


def analyse_functions(catalog: Catalog) -> list[tuple[Function, BodyAnalysis, tuple[Trigger, ...]]]:
    """Every function of ``catalog``, sorted by name and arguments, with its body resolved
    against it and the triggers that call it (their transition tables are names too)."""
    found = []
    for key in sorted(catalog.functions):
        function = catalog.functions[key]
        triggers = tuple(
            trigger
            for _, trigger in sorted(catalog.triggers.items())
            if trigger.function == function.qualified and not function.arguments
        )
        transition = [name for trigger in triggers for _, name in trigger.transition_tables]
        analysis = analyse_function(
            function, catalog, transition=transition, search_path=function_search_path(function)
        )
        found.append((function, analysis, triggers))
    return found


def function_search_path(function: Function) -> tuple[str, ...]:
    """The schemas an unqualified name in the body is looked up in: its ``SET
    search_path``, then public and the function's own schema."""
    path = function.setting("search_path")
    schemas = tuple(s.strip().strip('"') for s in path.split(",")) if path else ()
    return tuple(dict.fromkeys((*schemas, "public", function.schema)))


def used_tables(uses: Iterable[BodyUse]) -> dict[QualifiedName, tuple[str, ...]]:
    """Each table or view a body (or query) uses that exists, with the columns of it it
    names, in order of first use; NEW/OLD fields and names not found are left out."""
    found: dict[QualifiedName, list[str]] = {}
    for use in uses:
        if not use.found or use.table is None:
            continue
        if use.kind is UseKind.TABLE:
            found.setdefault(use.table, [])
        elif use.kind is UseKind.COLUMN:
            columns = found.setdefault(use.table, [])
            if use.name not in columns:
                columns.append(use.name)
    return {table: tuple(columns) for table, columns in found.items()}


_DECLARATION = re.compile(
    r'(\s*(?:"[^"]+"|\w+)\s+(?:constant\s+)?)((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)'
    r"(?=\s*(?:\[|;|:=|=|default\b|not\b|collate\b))",
    re.IGNORECASE,
)
_SECTION = re.compile(r"\b(declare|begin)\b", re.IGNORECASE)


def _declared_as_text(body: str) -> str:
    """The body with each declared variable's named type replaced by ``text`` (padded)."""
    lines = body.split("\n")
    declaring = False
    for number, line in enumerate(lines):
        sections = list(_SECTION.finditer(line))
        offset = 0
        if sections and sections[-1].group(1).lower() == "declare":
            declaring, offset = True, sections[-1].end()
        elif sections:
            declaring = False
        if declaring:
            match = _DECLARATION.match(line, offset) if offset else _DECLARATION.match(line)
            if match is not None and len(match.group(2)) >= 4:
                padded = "text".ljust(len(match.group(2)))
                lines[number] = line[: match.start(2)] + padded + line[match.end(2) :]
    return "\n".join(lines)


def _wrapper(function: Function) -> str:
    parameters = ", ".join(
        f"{p.mode if p.mode in ('out', 'inout', 'variadic') else ''} {p.name or ''} {p.type}"
        for p in function.parameters
        if p.mode != "table"
    )
    table_columns = [p for p in function.parameters if p.mode == "table"]
    returns = function.returns or "void"
    if table_columns:
        returns = "TABLE (" + ", ".join(f"{p.name} {p.type}" for p in table_columns) + ")"
    return (
        f"CREATE FUNCTION pg_temp.schema_check_fn({parameters}) RETURNS {returns} "
        f"LANGUAGE plpgsql AS {_WRAPPER}{function.body}{_WRAPPER}"
    )


def _analyse_plpgsql(
    function: Function,
    schema: SchemaLike,
    transition: frozenset[str],
    search_path: tuple[str, ...],
) -> BodyAnalysis:
    body = function.body or ""
    if _WRAPPER in body:
        return BodyAnalysis(error="the body contains the wrapper delimiter")
    try:
        tree = json.loads(pg_parser.parse_plpgsql_json(_wrapper(function)))
    except pg_parser.ParseError as exc:
        # The parser takes a type it does not know (an enum, a domain) for a record type
        # and then rejects it in INTO lists: declare such variables text, same length.
        plain = replace(function, body=_declared_as_text(body))
        try:
            tree = json.loads(pg_parser.parse_plpgsql_json(_wrapper(plain)))
        except pg_parser.ParseError:
            return BodyAnalysis(error=str(exc.args[0] if exc.args else exc))
    plfunction = tree[0]["PLpgSQL_function"]
    variables: set[str] = {p.name for p in function.parameters if p.name}
    types: dict[str, str] = {p.name: p.type.lower() for p in function.parameters if p.name}
    expressions: list[tuple[str, int, int, str]] = []  # (query, parse mode, lineno, kind)
    for datum in plfunction.get("datums", []):
        ((kind, value),) = datum.items()
        refname = str(value.get("refname", ""))
        if refname and not refname.startswith("("):
            variables.add(refname)
            typname = value.get("datatype", {}).get("PLpgSQL_type", {}).get("typname", "")
            types.setdefault(refname, str(typname).lower())
        default = value.get("default_val", {}).get("PLpgSQL_expr")
        if default is not None:
            expressions.append((default["query"], 2, int(value.get("lineno", 1)), kind))
    _collect(plfunction["action"], expressions, 1, "")
    text = _Text(body)
    parsed: list[tuple[Any, int, str, str]] = []  # (node, body offset of location 0, kind, query)
    for query, mode, lineno, kind in expressions:
        parsed.extend(_parse_expression(text, query, mode, lineno, kind))
    trigger = (function.returns or "").lower() == "trigger"
    resolver = _Resolver(
        schema,
        variables=frozenset(variables) | (frozenset({"new", "old"}) if trigger else frozenset()),
        qualifiers=frozenset({function.name}),
        transition=transition,
        local_tables=_created_tables(node for node, *_ in parsed),
        trigger=trigger,
        search_path=search_path,
    )
    dynamic: list[DynamicSql] = []
    for node, base, kind, query in parsed:
        resolver.base = base
        if kind == "dynamic":
            resolver.visit(node, [])
            _constant_execute(resolver, node, base)
            unquoted = _unquoted(node, frozenset(variables), types)
            dynamic.append(DynamicSql(query, base + 7, len(query), unquoted))
        elif kind == "expression":
            resolver.visit(node, [])
        else:
            resolver.statement(node)
    return BodyAnalysis(tuple(resolver.uses), tuple(resolver.commands), tuple(dynamic))


def _constant_execute(resolver: _Resolver, targets: Any, base: int) -> None:
    """EXECUTE of a constant string runs known SQL: its commands are checked too
    (its names are not resolved, as for any EXECUTE)."""
    value = targets[0].val if targets else None
    if not (isinstance(value, ast.A_Const) and isinstance(value.val, ast.String)):
        return
    try:
        tree = pg_parser.parse_sql(str(value.val.sval))
    except pg_parser.ParseError:
        return
    location = getattr(value, "location", None)
    # the string's first character, after its opening quote ("SELECT " precedes it)
    resolver.base = base + (location if isinstance(location, int) else 7) + 1
    for raw in tree:
        resolver._check_command(raw.stmt, int(raw.stmt_location or 0))


_DYNAMIC_KEYS = {
    ("PLpgSQL_stmt_dynexecute", "query"),
    ("PLpgSQL_stmt_dynfors", "query"),
    ("PLpgSQL_stmt_return_query", "dynquery"),
    ("PLpgSQL_stmt_open", "dynquery"),
}


def _collect(node: Any, found: list[tuple[str, int, int, str]], lineno: int, kind: str) -> None:
    """Every PLpgSQL_expr under ``node``: (query, parse mode, line, statement kind)."""
    if isinstance(node, list):
        for item in node:
            _collect(item, found, lineno, kind)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key.startswith("PLpgSQL_stmt_") and isinstance(value, dict):
            line = int(value.get("lineno", lineno))
            for inner_key, inner in value.items():
                if (key, inner_key) in _DYNAMIC_KEYS and isinstance(inner, dict):
                    expr = inner.get("PLpgSQL_expr", {})
                    found.append((str(expr.get("query", "")), 2, line, "dynamic"))
                else:
                    _collect(inner, found, line, key)
        elif key == "PLpgSQL_expr" and isinstance(value, dict):
            found.append(
                (str(value.get("query", "")), int(value.get("parseMode", 0)), lineno, kind)
            )
        else:
            _collect(value, found, lineno, kind)


def _parse_expression(
    text: _Text, query: str, mode: int, lineno: int, kind: str
) -> list[tuple[Any, int, str, str]]:
    """pglast trees of one PL/pgSQL expression, each with the body offset of its location 0."""
    if kind == "PLpgSQL_stmt_perform" and query.startswith("SELECT "):
        rest = query[len("SELECT ") :]
        sql, start, shift, what = query, text.locate(rest, lineno) - 7, 0, "statement"
    elif mode == 0:
        sql, start, shift, what = query, text.locate(query, lineno), 0, "statement"
    else:
        expression = query
        start = text.locate(query, lineno)
        found: list[tuple[Any, int, str, str]] = []
        if mode >= 3:  # an assignment: target := expression; NEW.x as a target is a use too
            for operator in (":=", "="):
                position = query.find(operator)
                if position >= 0:
                    expression = query[position + len(operator) :]
                    found += _as_select(query[:position], start, "expression", query)
                    break
        offset = start + (len(query) - len(expression))
        what = "dynamic" if kind == "dynamic" else "expression"
        return found + _as_select(expression, offset, what, query)
    try:
        tree = pg_parser.parse_sql(sql)
    except pg_parser.ParseError:
        return []
    return [(raw.stmt, start + shift, what, query) for raw in tree]


def _as_select(
    expression: str, offset: int, what: str, query: str
) -> list[tuple[Any, int, str, str]]:
    try:
        tree = pg_parser.parse_sql(f"SELECT {expression}")
    except pg_parser.ParseError:
        return []
    select = tree[0].stmt
    return [(select.targetList, offset - 7, what, expression if what == "dynamic" else query)]


def _created_tables(nodes: Iterable[Any]) -> frozenset[str]:
    """Tables a body creates itself (temporary ones, mostly): not checked against the catalog."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.CreateStmt):
            names.add(str(node.relation.relname))
        elif isinstance(node, ast.CreateTableAsStmt):
            names.add(str(node.into.rel.relname))
        elif isinstance(node, ast.SelectStmt) and node.intoClause is not None:
            names.add(str(node.intoClause.rel.relname))
        elif isinstance(node, ast.ViewStmt):
            names.add(str(node.view.relname))
    return frozenset(names)


def _unquoted(node: Any, variables: frozenset[str], types: Mapping[str, str]) -> tuple[str, ...]:
    """Variables concatenated into a string without quote_ident/quote_literal/format('%I')."""
    found: list[str] = []

    def safe_type(name: str) -> bool:
        return types.get(name, "text").startswith(_SAFE_TYPES) or types.get(name, "").startswith(
            "int"
        )

    def walk(item: Any, concatenated: bool) -> None:
        if item is None:
            return
        if isinstance(item, list | tuple):
            for element in item:
                walk(element, concatenated)
            return
        if not isinstance(item, ast.Node):
            return
        if isinstance(item, ast.ColumnRef):
            names = [str(getattr(f, "sval", "")) for f in item.fields]
            if concatenated and names and names[0] in variables and not safe_type(names[0]):
                found.append(".".join(names))
            return
        if isinstance(item, ast.ParamRef):
            if concatenated:
                found.append(f"${item.number}")
            return
        if isinstance(item, ast.FuncCall):
            name = str(item.funcname[-1].sval)
            if name in _QUOTING:
                return
            if name == "format":
                walk(_format_unsafe_args(item), True)
                return
            walk(item.args, concatenated)
            return
        if isinstance(item, ast.A_Expr):
            operator = [str(getattr(n, "sval", "")) for n in item.name or ()]
            is_concat = operator == ["||"]
            walk(item.lexpr, concatenated or is_concat)
            walk(item.rexpr, concatenated or is_concat)
            return
        if isinstance(item, ast.TypeCast):
            walk(item.arg, concatenated)
            return
        for slot in getattr(type(item), "__slots__", ()):
            if slot != "location":
                walk(getattr(item, slot, None), concatenated)

    walk(node, False)
    return tuple(dict.fromkeys(found))


def _format_unsafe_args(call: Any) -> list[Any]:
    """The arguments of format() that fill a ``%s`` (raw text) rather than ``%I``/``%L``."""
    args = list(call.args or ())
    if not args:
        return []
    pattern = args[0]
    if not (isinstance(pattern, ast.A_Const) and isinstance(pattern.val, ast.String)):
        return args  # the pattern itself is built: every argument may land anywhere
    specifiers = _format_specifiers(str(pattern.val.sval))
    unsafe = []
    for position, argument in enumerate(args[1:]):
        if position < len(specifiers) and specifiers[position] == "s":
            unsafe.append(argument)
    return unsafe


def _format_specifiers(pattern: str) -> list[str]:
    """The conversion letter filled by each argument of format(), in argument order."""
    letters: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern[index] != "%":
            index += 1
            continue
        index += 1
        if index < len(pattern) and pattern[index] == "%":
            index += 1
            continue
        # skip position (n$), flags and width
        while index < len(pattern) and (pattern[index].isdigit() or pattern[index] in "$-*"):
            index += 1
        if index < len(pattern):
            letters.append(pattern[index])
            index += 1
    return letters


# ---- views -----------------------------------------------------------------------


def analyse_query(
    query: Any, schema: SchemaLike, *, search_path: tuple[str, ...] = ("public",)
) -> tuple[tuple[BodyUse, ...], tuple[str, ...] | None]:
    """The uses of a view's query and its output columns (None when not derived)."""
    resolver = _Resolver(schema, search_path=search_path)
    outputs = resolver.statement(query)
    return tuple(resolver.uses), outputs
