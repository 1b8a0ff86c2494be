"""Whether PostgreSQL inlines a call of a SQL function before it judges an index expression.

The planner (inline_function, run by expression_planner before CREATE INDEX checks that
every function is IMMUTABLE) replaces a call of a simple LANGUAGE sql function by the
function's one expression. What cannot be decided here counts as not inlined, so the
declared volatility decides, as it would without inlining.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checker.pg_functions import AGGREGATE, BUILTIN, NOT_STRICT, SET_RETURNING
from checker.syntax import ParseError, all_nodes, ast, parse_sql
from rules.migration._volatility import Definition, Volatilities

# Clauses a SELECT may not have for its function to be inlined.
_CLAUSES = (
    "fromClause", "whereClause", "groupClause", "havingClause", "windowClause", "sortClause",
    "limitOffset", "limitCount", "distinctClause", "withClause", "valuesLists", "intoClause",
    "lockingClause", "larg", "rarg",
)  # fmt: skip
# Aggregate or window call syntax: such a body is never inlined.
_AGGREGATE_SYNTAX = ("over", "agg_order", "agg_filter", "agg_within_group")
# What a STRICT function's body may hold and still be inlined (anything else may be
# non-strict: AND/OR, CASE, COALESCE, IS NULL, operators of unknown strictness ...).
_STRICT_SAFE = (
    ast.ParamRef, ast.ColumnRef, ast.A_Const, ast.TypeCast, ast.TypeName, ast.FuncCall,
    ast.String, ast.Integer, ast.Float, ast.Boolean, ast.BitString, ast.NamedArgExpr,
)  # fmt: skip
_SIMPLE_ARGUMENTS = (ast.ParamRef, ast.ColumnRef, ast.A_Const)


def inlined_expression(definition: Definition, arguments: Sequence[Any], user: Volatilities) -> Any:
    """The one expression a call with ``arguments`` is replaced by, or None when PostgreSQL
    would not inline the call (or it cannot be told)."""
    parameters = definition.parameters
    if (
        definition.language != "sql"
        or definition.security_definer
        or definition.settings
        or definition.returns_set
        or definition.strict is None
        or parameters is None
        or len(parameters) != len(arguments)
    ):
        return None
    expression = _single_expression(definition)
    if expression is None or _blocks(expression, user, strict=definition.strict):
        return None
    uses = _parameter_uses(expression, parameters)
    if uses is None:
        return None
    # a parameter used twice (or never) with a costly or volatile argument is not inlined
    for count, argument in zip(uses, arguments, strict=True):
        if count != 1 and not _simple(argument):
            return None
    return expression


def _single_expression(definition: Definition) -> Any:
    """The expression of a body that is exactly ``SELECT <one expression>``, else None."""
    body = definition.atomic
    if isinstance(body, ast.ReturnStmt):
        return body.returnval
    if body is not None:
        statements = [
            s for part in body for s in (part if isinstance(part, tuple | list) else [part])
        ]
    elif definition.source is not None:
        try:
            statements = [raw.stmt for raw in parse_sql(definition.source)]
        except ParseError:
            return None
    else:
        return None
    if len(statements) != 1 or not isinstance(statements[0], ast.SelectStmt):
        return None
    select = statements[0]
    targets = select.targetList or ()
    if any(getattr(select, clause, None) for clause in _CLAUSES) or len(targets) != 1:
        return None
    return targets[0].val


def _blocks(expression: Any, user: Volatilities, *, strict: bool) -> bool:
    """Whether the expression holds what stops inlining: a sub-select, an aggregate, window
    or set-returning call, an unknown function; for a STRICT function, anything not strict."""
    for node in all_nodes(expression):
        if isinstance(node, ast.SubLink | ast.SelectStmt):
            return True
        if strict and not isinstance(node, _STRICT_SAFE):
            return True
        if isinstance(node, ast.FuncCall) and _call_blocks(node, user, strict=strict):
            return True
    return False


def _call_blocks(call: ast.FuncCall, user: Volatilities, *, strict: bool) -> bool:
    if call.agg_star or call.agg_distinct or any(getattr(call, a) for a in _AGGREGATE_SYNTAX):
        return True
    name = str((call.funcname or ())[-1].sval)
    definitions = user.definitions(name)
    if not definitions and name not in BUILTIN:
        return True  # an extension's or an unknown function: it may be an aggregate
    for definition in definitions:
        if definition.language == "aggregate" or definition.returns_set:
            return True
        if strict and definition.strict is not True:
            return True
    if name in BUILTIN:
        return name in AGGREGATE or name in SET_RETURNING or (strict and name in NOT_STRICT)
    return False


def _parameter_uses(expression: Any, parameters: tuple[str, ...]) -> list[int] | None:
    """How often the expression uses each parameter; None when it names something else."""
    uses = [0] * len(parameters)
    for node in all_nodes(expression):
        if isinstance(node, ast.ParamRef):
            number = node.number or 0
            if not 1 <= number <= len(parameters):
                return None
            uses[number - 1] += 1
        elif isinstance(node, ast.ColumnRef):
            fields = node.fields or ()
            name = str(getattr(fields[-1], "sval", "")) if fields else ""
            if not name or name not in parameters:
                return None
            uses[parameters.index(name)] += 1
    return uses


def _simple(argument: Any) -> bool:
    if isinstance(argument, ast.TypeCast):
        return _simple(argument.arg)
    return isinstance(argument, _SIMPLE_ARGUMENTS)
