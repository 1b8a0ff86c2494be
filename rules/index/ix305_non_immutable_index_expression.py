"""IX305: a partial-index predicate or index expression calls a non-IMMUTABLE function."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.findings import Finding, Severity
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import ParsedStatement
from checker.syntax import ast
from rules.index._inlining import inlined_expression
from rules.migration._volatility import Definition, Volatilities, volatilities_at

# Built-in functions that are STABLE or VOLATILE (pg_proc.provolatile <> 'i'), by
# name, with the argument counts for which that holds (None: every overload).
NOT_IMMUTABLE: dict[str, tuple[str, frozenset[int] | None]] = {
    "now": ("stable", None),
    "statement_timestamp": ("stable", None),
    "transaction_timestamp": ("stable", None),
    "clock_timestamp": ("volatile", None),
    "timeofday": ("volatile", None),
    "random": ("volatile", None),
    "gen_random_uuid": ("volatile", None),
    "uuid_generate_v4": ("volatile", None),
    "uuidv4": ("volatile", None),
    "uuidv7": ("volatile", None),
    "nextval": ("volatile", None),
    "currval": ("volatile", None),
    "txid_current": ("stable", None),
    "current_setting": ("stable", None),
    "age": ("stable", frozenset({1})),
    "to_tsvector": ("stable", frozenset({1})),
    "to_tsquery": ("stable", frozenset({1})),
    "plainto_tsquery": ("stable", frozenset({1})),
    "phraseto_tsquery": ("stable", frozenset({1})),
    "websearch_to_tsquery": ("stable", frozenset({1})),
    "to_char": ("stable", None),
    "to_date": ("stable", None),
    "concat": ("stable", None),
    "concat_ws": ("stable", None),
    "format": ("stable", None),
}

_VALUE_FUNCTION = {
    "SVFOP_CURRENT_DATE": "CURRENT_DATE",
    "SVFOP_CURRENT_TIME": "CURRENT_TIME",
    "SVFOP_CURRENT_TIME_N": "CURRENT_TIME",
    "SVFOP_CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
    "SVFOP_CURRENT_TIMESTAMP_N": "CURRENT_TIMESTAMP",
    "SVFOP_LOCALTIME": "LOCALTIME",
    "SVFOP_LOCALTIME_N": "LOCALTIME",
    "SVFOP_LOCALTIMESTAMP": "LOCALTIMESTAMP",
    "SVFOP_LOCALTIMESTAMP_N": "LOCALTIMESTAMP",
    "SVFOP_CURRENT_ROLE": "CURRENT_ROLE",
    "SVFOP_CURRENT_USER": "CURRENT_USER",
    "SVFOP_USER": "USER",
    "SVFOP_SESSION_USER": "SESSION_USER",
    "SVFOP_CURRENT_CATALOG": "CURRENT_CATALOG",
    "SVFOP_CURRENT_SCHEMA": "CURRENT_SCHEMA",
}


@register
class NonImmutableIndexExpressionRule(Rule):
    """A partial-index predicate or an index expression calls a function that is not IMMUTABLE.

    What it does:
        Looks inside every CREATE INDEX (DO blocks included) at the WHERE
        clause and the key expressions, and reports calls to functions that
        are STABLE or VOLATILE: ``now()``, ``CURRENT_DATE``, ``random()``,
        ``gen_random_uuid()``, one-argument ``to_tsvector``, ``to_char`` and
        the like, and functions the migrations define without IMMUTABLE,
        as each function is when the index is built (a later CREATE OR
        REPLACE or ALTER FUNCTION does not change how that statement went).
        A one-expression LANGUAGE sql function that the planner inlines is
        judged by its body instead, as PostgreSQL judges it.

    Why it matters:
        PostgreSQL rejects the statement ("functions in index predicate must
        be marked IMMUTABLE"), so the migration fails. The intent behind
        ``WHERE created_at > now() - interval '30 days'`` cannot work anyway:
        an index stores rows by a value computed once, at write time, and is
        never re-evaluated as the clock moves.

    Example:
        CREATE TABLE job (id bigint PRIMARY KEY, run_at timestamptz NOT NULL);
        CREATE INDEX job_due_idx ON job (run_at) WHERE run_at > now();

    Use instead:
        CREATE TABLE job (id bigint PRIMARY KEY, run_at timestamptz NOT NULL);
        CREATE INDEX job_run_at_idx ON job (run_at);

    References:
        https://www.postgresql.org/docs/current/sql-createindex.html
        https://www.postgresql.org/docs/current/xfunc-volatility.html
    """

    meta = RuleMeta(
        "IX305",
        "non-immutable-index-expression",
        Severity.ERROR,
        "index predicate or expression calls a non-IMMUTABLE function",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed in context.statements:
            node = parsed.node
            if not isinstance(node, ast.IndexStmt):
                continue
            # the functions as they are when this CREATE INDEX runs, not as the run leaves them
            user_functions = volatilities_at(context, parsed)
            name = node.idxname or "(unnamed)"
            parts: list[tuple[str, Any]] = [("predicate", node.whereClause)]
            parts += [("expression", elem.expr) for elem in node.indexParams or () if elem.expr]
            for part, tree in parts:
                for call, volatility, location, length in _calls(tree, user_functions):
                    yield self.finding(
                        f"Index {name}: its {part} calls {call}, which is {volatility}; "
                        f"PostgreSQL rejects the CREATE INDEX (functions in index {part} "
                        "must be marked IMMUTABLE)",
                        _place(parsed, location, length),
                        objects=[name],
                        fix=_fix(part, call.split(" ", 1)[0]),
                    )


def _not_immutable(
    user: Volatilities, name: str, arguments: Any, seen: frozenset[str]
) -> tuple[str, str] | None:
    """How a call of the user function ``name`` is not IMMUTABLE, as (what to name, its
    volatility), judging its last such overload; None when it is accepted."""
    found = None
    for definition in user.definitions(name):
        found = _judged(definition, name, arguments, user, seen) or found
    return found


def _judged(
    definition: Definition, name: str, arguments: Any, user: Volatilities, seen: frozenset[str]
) -> tuple[str, str] | None:
    """A call of one overload: an inlined SQL function is judged by its body (the planner
    inlines it before CREATE INDEX checks), any other by its declared volatility."""
    declared = definition.volatility
    # the planner does not inline a function inside its own expansion
    body = None if name in seen else inlined_expression(definition, arguments or (), user)
    if body is not None:
        # nor a function whose body is less stable than it is declared
        direct = {found[1] for found in _calls(body, user, seen, inline=False)}
        refused = (declared == "immutable" and direct) or (
            declared == "stable" and "volatile" in direct
        )
        if not refused:
            inner = next(_calls(body, user, seen | {name}), None)
            return (
                None
                if inner is None
                else (f"{name}() whose inlined body calls {inner[0]}", inner[1])
            )
    return None if declared == "immutable" else (f"{name}()", declared)


def _calls(
    tree: Any, user: Volatilities, seen: frozenset[str] = frozenset(), *, inline: bool = True
) -> Iterator[tuple[str, str, int | None, int]]:
    """The non-IMMUTABLE calls in ``tree``: (what to name, volatility, location, length).
    With ``inline`` False, user functions count by their declared volatility only."""
    if tree is None:
        return
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple | list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, ast.Node):
            continue
        if isinstance(node, ast.FuncCall):
            name = str((node.funcname or ())[-1].sval).lower()
            arity = len(node.args or ())
            known = NOT_IMMUTABLE.get(name)
            if known is not None and (known[1] is None or arity in known[1]):
                yield f"{name}()", known[0], node.location, len(name)
            elif name in NOT_IMMUTABLE:
                pass
            elif not inline:
                declared = [v for v in user.of(name) if v != "immutable"]
                if declared:
                    yield f"{name}()", declared[-1], node.location, len(name)
            elif found := _not_immutable(user, name, node.args, seen):
                yield found[0], found[1], node.location, len(name)
        elif isinstance(node, ast.SQLValueFunction):
            op = getattr(node.op, "name", str(node.op))
            text = _VALUE_FUNCTION.get(op, op)
            yield text, "stable", node.location, len(text)
        for attribute in node:
            stack.append(getattr(node, attribute))


def _place(parsed: ParsedStatement, location: int | None, length: int) -> Origin:
    if location is None or location < 0:
        return parsed.origin
    return parsed.statement.span(location, location + length)


def _fix(part: str, call: str) -> str:
    if part == "predicate":
        return (
            f"drop {call} from the WHERE clause: index the column itself and compare it "
            "with the current time in the query"
        )
    return (
        f"index an expression without {call}, or compute the value into a stored "
        "column (GENERATED ALWAYS AS ... STORED needs an immutable expression too)"
    )
