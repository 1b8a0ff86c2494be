"""What makes an ALTER TABLE rewrite or scan a table: volatile defaults and type changes."""

from __future__ import annotations

import re
from typing import Any

from checker.syntax import ConstrType, all_nodes, ast
from rules.migration._volatility import Volatilities

# Built-in functions that are VOLATILE: a default calling one is evaluated per row,
# so ADD COLUMN must rewrite the table (PostgreSQL 11+ keeps other defaults in the catalog).
VOLATILE_BUILTINS = frozenset(
    {
        "random", "random_normal", "gen_random_uuid", "uuidv4", "uuidv7", "uuid_generate_v1",
        "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp", "timeofday", "nextval",
        "setval", "txid_current", "pg_current_xact_id", "gen_random_bytes", "setseed",
    }
)  # fmt: skip
SERIALS = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})
_WITH_LENGTH = re.compile(
    r"^(?P<head>[^(]*)(?:\((?P<mods>[^)]*)\))?(?P<tail>[^\[]*)(?P<dims>(?:\[\])*)$"
)
# Changes PostgreSQL makes without touching the rows (binary-coercible, no new check).
_FREE_CASTS = {
    ("character varying", "text"),
    ("text", "character varying"),
    ("cidr", "inet"),
    ("bit", "bit varying"),
}
_LENGTH_TYPES = frozenset({"character varying", "bit varying", "numeric"})
_PRECISION_TYPES = frozenset(
    {
        "timestamp without time zone",
        "timestamp with time zone",
        "time without time zone",
        "interval",
    }
)


def rewriting_column(definition: ast.ColumnDef, functions: Volatilities) -> str | None:
    """Why ADD COLUMN with this definition rewrites the table, or None (``functions``: the
    user functions as they are when the statement runs)."""
    type_name = definition.typeName
    names = [
        str(getattr(part, "sval", "")) for part in (type_name.names if type_name else ()) or ()
    ]
    if names and names[-1] in SERIALS:
        return f"its type {names[-1]} fills every row from a sequence"
    if definition.identity and definition.identity != "\x00":
        return "an identity column fills every row from a sequence"
    for constraint in definition.constraints or ():
        if constraint.contype == ConstrType.CONSTR_IDENTITY:
            return "an identity column fills every row from a sequence"
        if constraint.contype == ConstrType.CONSTR_GENERATED and constraint.generated_kind == "s":
            return "a stored generated column is computed for every row"
        if constraint.contype == ConstrType.CONSTR_DEFAULT:
            volatile = volatile_call(constraint.raw_expr, functions)
            if volatile:
                return f"its default calls {volatile}(), which is volatile and evaluated per row"
    return None


def volatile_call(expression: Any, functions: Volatilities) -> str | None:
    """The name of a volatile function the expression calls, if any."""
    for node in all_nodes(expression):
        if not isinstance(node, ast.FuncCall):
            continue
        name = str(getattr((node.funcname or ("",))[-1], "sval", ""))
        if name in VOLATILE_BUILTINS:
            return name
        overloads = functions.of(name)
        if overloads and overloads[-1] == "volatile":
            return name  # CREATE FUNCTION defaults to VOLATILE
    return None


def _parts(rendered: str) -> tuple[str, tuple[str, ...], str]:
    match = _WITH_LENGTH.match(rendered.strip())
    if match is None:
        return rendered.strip(), (), ""
    head = (match.group("head") + match.group("tail")).strip()
    mods = tuple(m.strip() for m in (match.group("mods") or "").split(",") if m.strip())
    return head, mods, match.group("dims")


def type_change_rewrites(detail: str, has_using: bool) -> bool:
    """Whether ``old -> new`` (as the simulator's event says) rewrites or scans the table."""
    if has_using or " -> " not in detail:
        return True
    old, new = (_parts(side) for side in detail.split(" -> ", 1))
    if old == new:
        return False
    (old_name, old_mods, old_dims), (new_name, new_mods, new_dims) = old, new
    if old_dims != new_dims:
        return True
    if old_name == new_name and (old_name in _LENGTH_TYPES or old_name in _PRECISION_TYPES):
        if not new_mods:
            return False  # dropping the limit
        if not old_mods:
            return True  # adding a limit checks every row
        try:
            widened = [int(n) >= int(o) for o, n in zip(old_mods, new_mods, strict=False)]
        except ValueError:
            return True
        same_scale = old_mods[1:] == new_mods[1:] if old_name == "numeric" else True
        return not (all(widened) and same_scale)
    return (old_name, new_name) not in _FREE_CASTS or bool(new_mods and new_name != "text")
