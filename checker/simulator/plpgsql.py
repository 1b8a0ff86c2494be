"""The static DDL inside ``DO $$ ... $$`` bodies.

pglast parses the body with PostgreSQL's PL/pgSQL parser. Each SQL statement
of the body becomes a ParsedStatement whose origin points at its exact place in
the file; IF conditions that ask the catalog (``NOT EXISTS (SELECT 1 FROM
pg_constraint WHERE conname = ...)``, ``to_regclass(...) IS NULL``) are
decided against the simulated catalog; EXECUTE of a built string is reported
as not analysed. One shape of built SQL is understood in part: a string of the
body that reads ``ALTER TABLE <table> DROP CONSTRAINT `` and leaves the name to
run time (``concat(...)``, ``||``, ``format(... %I)``) drops some constraint of
that table; a later statement of the file that needs a constraint of it gone
takes that drop as the one (see ``State.take_unknown_drop``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pglast import ast
from pglast import parser as pg_parser

from checker.model import Origin, Statement
from checker.parsing import parse_statement
from checker.simulation import EventKind, ParsedStatement
from checker.simulator.state import State, UnknownDrop

_WRAPPER_DELIMITER = "$__schema_check_do__$"
_LOOPS = (
    "PLpgSQL_stmt_loop", "PLpgSQL_stmt_while", "PLpgSQL_stmt_fori", "PLpgSQL_stmt_fors",
    "PLpgSQL_stmt_forc", "PLpgSQL_stmt_foreach_a", "PLpgSQL_stmt_dynfors",
)  # fmt: skip
_NOT_DDL = (
    ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt,
    ast.VariableSetStmt, ast.TruncateStmt, ast.LockStmt, ast.NotifyStmt,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlSql:
    """SQL statements of a PL/pgSQL body, parsed."""

    statements: tuple[ParsedStatement, ...]


@dataclass(frozen=True, slots=True)
class PlDynamic:
    """An EXECUTE of SQL built at run time: its text as written."""

    origin: Origin
    text: str
    # The tables (as written: name or schema and name; () for a table named at run time
    # too) some constraint of which the built SQL drops, and whether the EXECUTE repeats
    # (inside a loop): see ``_constraint_drops``.
    drops_constraint_of: tuple[tuple[str, ...], ...] = ()
    repeats: bool = False


@dataclass(frozen=True, slots=True)
class PlIf:
    """An IF (or CASE) of a PL/pgSQL body and its branches."""

    # (condition text or None for ELSE, its origin, the branch)
    branches: tuple[tuple[str | None, Origin, tuple[Any, ...]], ...]


@dataclass(frozen=True, slots=True)
class PlBlock:
    """A BEGIN ... END block and the conditions its EXCEPTION clause handles."""

    items: tuple[Any, ...]
    handlers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PlReturn:
    """A RETURN: what follows it in the block does not run."""


class _Body:
    """The DO body text and where it sits in the file."""

    def __init__(self, parent: ParsedStatement, text: str, offset: int) -> None:
        self.parent = parent
        self.text = text
        self.offset = offset  # offset of the body's first character in the statement text
        starts = [0]
        for position, char in enumerate(text):
            if char == "\n":
                starts.append(position + 1)
        self.line_starts = starts
        self._drops: tuple[tuple[str, ...], ...] | None = None

    def constraint_drops(self) -> tuple[tuple[str, ...], ...]:
        """``_constraint_drops`` of the whole body, computed once."""
        if self._drops is None:
            self._drops = _constraint_drops(self.text)
        return self._drops

    def find(self, fragment: str, lineno: int) -> int:
        line = max(1, min(lineno, len(self.line_starts)))
        found = self.text.find(fragment, self.line_starts[line - 1])
        return found if found >= 0 else self.text.find(fragment)

    def statement(self, start: int, text: str) -> Statement:
        outer = self.parent.statement
        if start < 0:
            return Statement(text, outer.origin, outer.migration)
        begin = self.offset + start
        return Statement(text, outer.span(begin, begin + len(text)), outer.migration)

    def origin(self, start: int, length: int) -> Origin:
        return self.statement(start, " " * max(1, length)).origin


def _body_of(parsed: ParsedStatement) -> tuple[str, int] | None:
    node = parsed.node
    language = "plpgsql"
    body: str | None = None
    for arg in node.args or ():
        if arg.defname == "as":
            body = str(arg.arg.sval)
        elif arg.defname == "language":
            language = str(arg.arg.sval)
    if body is None or language.lower() != "plpgsql":
        return None
    text = parsed.statement.text
    try:
        tokens = pg_parser.scan(text)
    except pg_parser.ParseError:
        return body, 0
    for token in tokens:
        if token.name != "SCONST":
            continue
        raw = text[token.start : token.end + 1]
        if raw.startswith("$"):
            inner = token.start + raw.index("$", 1) + 1
        else:
            inner = token.start + (2 if raw[:1] in "eE" else 1)
        if text.startswith(body[:20], inner):
            return body, inner
    return body, 0


def parse_bodies(
    statements: Sequence[ParsedStatement], bodies: dict[int, PlBlock | str], depth: int = 0
) -> None:
    """Parse the body of every DO among ``statements`` into ``bodies`` (by the statement's
    id), and of every DO inside those bodies, so each body statement exists before the
    run applies it (a DO nested deeper than ``_NESTED_DO`` is parsed when it runs)."""
    for statement in statements:
        if not isinstance(statement.node, ast.DoStmt) or id(statement) in bodies:
            continue
        try:
            body: PlBlock | str = parse_do(statement)
        except RecursionError:  # blocks nested thousands deep
            body = "the DO body is nested too deeply to analyse"
        bodies[id(statement)] = body
        if isinstance(body, PlBlock) and depth < _NESTED_DO:
            parse_bodies(inner_statements(body), bodies, depth + 1)


_NESTED_DO = 32


def body_statements(
    statement: ParsedStatement, bodies: dict[int, PlBlock | str]
) -> list[ParsedStatement]:
    """Every statement of a DO's body in order, each nested DO's right after that DO."""
    found: list[ParsedStatement] = []
    body = bodies.get(id(statement))
    if isinstance(body, PlBlock):
        for child in inner_statements(body):
            found.append(child)
            found += body_statements(child, bodies)
    return found


def parse_do(parsed: ParsedStatement) -> PlBlock | str:
    """The structure of a DO body, or the reason it cannot be analysed."""
    found = _body_of(parsed)
    if found is None:
        return "DO block in a language other than PL/pgSQL"
    body_text, offset = found
    if _WRAPPER_DELIMITER in body_text:
        return "DO body contains the wrapper delimiter"
    wrapper = (
        "CREATE FUNCTION pg_temp.schema_check_do() RETURNS void LANGUAGE plpgsql AS "
        f"{_WRAPPER_DELIMITER}{body_text}{_WRAPPER_DELIMITER}"
    )
    try:
        tree = json.loads(pg_parser.parse_plpgsql_json(wrapper))
    except pg_parser.ParseError as exc:
        return f"PL/pgSQL body does not parse: {exc.args[0] if exc.args else exc}"
    body = _Body(parsed, body_text, offset)
    action = tree[0]["PLpgSQL_function"]["action"]
    return _block(body, action["PLpgSQL_stmt_block"])


def _block(body: _Body, block: dict[str, Any], looping: bool = False) -> PlBlock:
    handlers: set[str] = set()
    exceptions = block.get("exceptions", {}).get("PLpgSQL_exception_block", {})
    for handler in exceptions.get("exc_list", []):
        for condition in handler["PLpgSQL_exception"].get("conditions", []):
            handlers.add(str(condition["PLpgSQL_condition"].get("condname", "")))
    return PlBlock(_items(body, block.get("body", []), looping), frozenset(handlers))


def _items(body: _Body, statements: list[dict[str, Any]], looping: bool = False) -> tuple[Any, ...]:
    items: list[Any] = []
    for wrapped in statements:
        ((kind, stmt),) = wrapped.items()
        lineno = int(stmt.get("lineno", 1))
        if kind == "PLpgSQL_stmt_block":
            items.append(_block(body, stmt, looping))
        elif kind in ("PLpgSQL_stmt_execsql", "PLpgSQL_stmt_call"):
            # CALL and a nested DO are their own statement kind in PL/pgSQL's tree
            field = "sqlstmt" if kind == "PLpgSQL_stmt_execsql" else "expr"
            query = stmt[field]["PLpgSQL_expr"]["query"]
            start = body.find(query, lineno)
            parsed = parse_statement(body.statement(start, query))
            items.append(PlSql(tuple(replace(p, parent=body.parent) for p in parsed)))
        elif kind == "PLpgSQL_stmt_dynexecute":
            query = stmt["query"]["PLpgSQL_expr"]["query"]
            items.append(_dynamic(body, query, lineno, looping))
        elif kind == "PLpgSQL_stmt_if":
            items.append(_if(body, stmt, lineno, looping))
        elif kind == "PLpgSQL_stmt_case":
            branches = []
            for when in stmt.get("case_when_list", []):
                case = when["PLpgSQL_case_when"]
                expr = case["expr"]["PLpgSQL_expr"]["query"]
                origin = body.origin(body.find(expr, lineno), len(expr))
                branches.append((None, origin, _items(body, case.get("stmts", []), looping)))
            if stmt.get("have_else"):
                branches.append(
                    (None, body.parent.origin, _items(body, stmt.get("else_stmts", []), looping))
                )
            # CASE arms are undecidable here: every arm is "unknown" (see run()).
            items.append(PlIf(tuple(("?", *b[1:]) for b in branches)))
        elif kind in _LOOPS:
            items.append(PlBlock(_items(body, stmt.get("body", []), True)))
        elif kind == "PLpgSQL_stmt_return":
            items.append(PlReturn())
    return tuple(items)


def _if(body: _Body, stmt: dict[str, Any], lineno: int, looping: bool) -> PlIf:
    branches: list[tuple[str | None, Origin, tuple[Any, ...]]] = []
    condition = stmt["cond"]["PLpgSQL_expr"]["query"]
    start = body.find(condition, lineno)
    branches.append(
        (
            condition,
            body.origin(start, len(condition)),
            _items(body, stmt.get("then_body", []), looping),
        )
    )
    for elsif in stmt.get("elsif_list", []):
        part = elsif["PLpgSQL_if_elsif"]
        condition = part["cond"]["PLpgSQL_expr"]["query"]
        start = body.find(condition, int(part.get("lineno", lineno)))
        branches.append(
            (
                condition,
                body.origin(start, len(condition)),
                _items(body, part.get("stmts", []), looping),
            )
        )
    if stmt.get("else_body"):
        branches.append((None, body.parent.origin, _items(body, stmt["else_body"], looping)))
    return PlIf(tuple(branches))


def _dynamic(body: _Body, expression: str, lineno: int, looping: bool = False) -> Any:
    """EXECUTE of a constant string is static SQL; anything built is not analysed, but
    for the constraint drops its strings show (those of the EXECUTE's own expression,
    else those of the whole body: a variable the body filled with them)."""
    start = body.find(expression, lineno)
    try:
        select: Any = pg_parser.parse_sql(f"SELECT {expression}")[0].stmt
        target = select.targetList[0].val
    except (pg_parser.ParseError, AttributeError, IndexError, TypeError):
        target = None
    if isinstance(target, ast.A_Const) and isinstance(target.val, ast.String):
        sql = str(target.val.sval)
        inner = start + expression.find(sql) if start >= 0 and sql in expression else -1
        statement = body.statement(inner, sql)
        if inner < 0 and start >= 0:
            statement = Statement(sql, body.origin(start, len(expression)), statement.migration)
        parsed = parse_statement(statement)
        return PlSql(tuple(replace(p, parent=body.parent) for p in parsed))
    drops = _constraint_drops(expression) or body.constraint_drops()
    return PlDynamic(body.origin(start, len(expression)), expression, drops, looping)


_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
# a string that starts an ALTER TABLE ... DROP CONSTRAINT and leaves the constraint's name
# to run time: nothing but a placeholder (%I, %s) or the string's end after the keywords
_DROP_CONSTRAINT = re.compile(
    rf"'\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?"
    rf"(?P<table>%[IsL]|{_NAME}(?:\s*\.\s*{_NAME})?)\s+"
    r"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?(?:%[IsL]\s*(?:CASCADE\s*)?)?'",
    re.IGNORECASE,
)


def _constraint_drops(text: str) -> tuple[tuple[str, ...], ...]:
    """The tables of the ``ALTER TABLE <table> DROP CONSTRAINT `` strings in ``text``
    (the name folded as PostgreSQL folds it; () for a table named at run time)."""
    found: list[tuple[str, ...]] = []
    for match in _DROP_CONSTRAINT.finditer(text):
        table = match.group("table")
        if table.startswith("%"):
            found.append(())
            continue
        parts = re.findall(_NAME, table)
        found.append(
            tuple(p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in parts)
        )
    return tuple(dict.fromkeys(found))


def inner_statements(block: PlBlock) -> list[ParsedStatement]:
    """Every SQL statement of a body, in order, for the creation index."""
    found: list[ParsedStatement] = []

    def walk(items: tuple[Any, ...]) -> None:
        for item in items:
            if isinstance(item, PlSql):
                found.extend(item.statements)
            elif isinstance(item, PlBlock):
                walk(item.items)
            elif isinstance(item, PlIf):
                for _, _, branch in item.branches:
                    walk(branch)

    walk(block.items)
    return found


def _has_ddl(items: tuple[Any, ...]) -> bool:
    for item in items:
        if isinstance(item, PlSql) and any(
            p.node is not None and not isinstance(p.node, _NOT_DDL) for p in item.statements
        ):
            return True
        if isinstance(item, PlDynamic):
            return True
        if isinstance(item, PlBlock) and _has_ddl(item.items):
            return True
        if isinstance(item, PlIf) and any(_has_ddl(b[2]) for b in item.branches):
            return True
    return False


def run(
    state: State,
    block: PlBlock,
    apply: Callable[[State, ParsedStatement], None],
    decide: Callable[[State, str], bool | None],
) -> bool:
    """Apply a body's static DDL; True when a RETURN ended it."""
    if block.handlers:
        state.handlers.append(block.handlers)
    try:
        for item in block.items:
            if isinstance(item, PlSql):
                for parsed in item.statements:
                    apply(state, parsed)
            elif isinstance(item, PlDynamic):
                state.event(
                    EventKind.NOT_ANALYSED,
                    "statement",
                    "EXECUTE",
                    origin=item.origin,
                    detail="EXECUTE of a string built at run time: its SQL is not known statically",
                )
                for table in item.drops_constraint_of:
                    state.unknown_drops.append(UnknownDrop(table, item.origin, item.repeats))
            elif isinstance(item, PlBlock):
                if run(state, item, apply, decide):
                    return True
            elif isinstance(item, PlReturn) or (
                isinstance(item, PlIf) and _run_if(state, item, apply, decide)
            ):
                return True
    finally:
        if block.handlers:
            state.handlers.pop()
    return False


def _run_if(
    state: State,
    item: PlIf,
    apply: Callable[[State, ParsedStatement], None],
    decide: Callable[[State, str], bool | None],
) -> bool:
    for position, (condition, origin, branch) in enumerate(item.branches):
        verdict = True if condition is None else decide(state, condition)
        if verdict is False:
            continue
        if verdict is None:
            # The condition depends on data or on something the model does not hold.
            # These guards exist to make DDL idempotent ("create it unless it is there"),
            # so the branch that carries DDL is the one whose effect a fresh database
            # ends up with: apply the first such branch, and say the choice was made.
            remaining = item.branches[position:]
            with_ddl = [b for b in remaining if _has_ddl(b[2])]
            if not with_ddl:
                return False
            chosen = with_ddl[0]
            if any(_has_ddl(b[2]) for b in remaining if b is not chosen) or len(remaining) == 1:
                state.event(
                    EventKind.NOT_ANALYSED,
                    "condition",
                    "IF",
                    origin=origin,
                    detail="condition not decidable statically; applied the branch with DDL",
                )
            branch = chosen[2]
        return run(state, PlBlock(branch), apply, decide)
    return False
