"""Whether a statement that failed on the populated-table probe fails on every database with rows.

The probe's rows hold values it made up. Some failures do not depend on them: a
column added NOT NULL without a default is NULL in every existing row, whatever
the row holds. Most do: a cast, a CHECK, a foreign key or SET NOT NULL fails or
not according to the values the rows hold, which only the application knows.
This module tells the two apart from the statement and the server's error
fields, and says in words what a row must hold for a value-dependent failure.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser fills the fields
# read here for the node kinds handled.
# mypy: disable-error-code="union-attr, arg-type"
from collections.abc import Iterator, Sequence
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from checker.model import Statement

# Statements that can write rows (or run code that does): between adding a column and
# setting it NOT NULL, any of them may have filled it.
_WRITES = (
    ast.InsertStmt,
    ast.UpdateStmt,
    ast.DeleteStmt,
    ast.MergeStmt,
    ast.CopyStmt,
    ast.SelectStmt,
    ast.DoStmt,
    ast.CallStmt,
    ast.ExecuteStmt,
)


def _parse(text: str) -> Any | None:
    """The one statement ``text`` holds; None when it does not parse or holds several."""
    from pglast import parser

    try:
        parsed = parser.parse_sql(text)
    except parser.ParseError:
        return None
    return parsed[0].stmt if len(parsed) == 1 else None


def target_table(text: str) -> str | None:
    """The name (without schema) of the table the statement changes or writes; None if none."""
    node = _parse(text)
    relation = getattr(node, "relation", None)
    if isinstance(
        node,
        (
            ast.AlterTableStmt,
            ast.UpdateStmt,
            ast.InsertStmt,
            ast.DeleteStmt,
            ast.MergeStmt,
            ast.CopyStmt,
            ast.IndexStmt,
        ),
    ) and isinstance(relation, ast.RangeVar):
        return str(relation.relname)
    return None


def _nodes(node: Any) -> Iterator[Any]:
    """``node`` and every node under it."""
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from _nodes(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _nodes(item)


def _same_for_every_row(expression: Any) -> bool:
    """The expression reads no column and calls no function (a constant, a cast of one, an
    operator on constants): it gives every row the same value."""
    return not any(
        isinstance(n, ast.ColumnRef | ast.FuncCall | ast.SubLink) for n in _nodes(expression)
    )


def _default(column: ast.ColumnDef) -> tuple[bool, Any]:
    """(whether the column gets a value other than NULL for existing rows, its DEFAULT)."""
    if any(flag not in (None, "", "\x00") for flag in (column.identity, column.generated)):
        return True, None  # pglast gives '\x00' for "not set"
    for constraint in column.constraints or ():
        if constraint.contype in (
            ConstrType.CONSTR_IDENTITY,
            ConstrType.CONSTR_GENERATED,
        ):
            return True, None
        if constraint.contype == ConstrType.CONSTR_DEFAULT:
            expression = constraint.raw_expr
            is_null = isinstance(expression, ast.A_Const) and expression.isnull
            return not is_null, expression
    return False, None


def _added_columns(node: Any) -> dict[str, ast.ColumnDef]:
    """The columns an ALTER TABLE adds, by name."""
    if not isinstance(node, ast.AlterTableStmt):
        return {}
    return {
        str(cmd.def_.colname): cmd.def_
        for cmd in node.cmds or ()
        if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef)
    }


def _null_for_every_row(node: Any, column: str | None) -> bool:
    """The statement leaves ``column`` NULL in every existing row: it adds the column without
    a default, or changes its type with a USING that gives every row the same value (the
    server said that value is NULL). ``column`` None (the server named none, as for a
    domain's NOT NULL): every column the statement changes is added without a default."""
    added = _added_columns(node)
    if column is None:
        commands = (node.cmds or ()) if isinstance(node, ast.AlterTableStmt) else ()
        return (
            bool(added)
            and len(added) == len(commands)
            and not any(_default(c)[0] for c in added.values())
        )
    if column in added:
        return not _default(added[column])[0]
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if (
                cmd.subtype == AlterTableType.AT_AlterColumnType
                and cmd.name == column
                and isinstance(cmd.def_, ast.ColumnDef)
                and cmd.def_.raw_default is not None
                and _same_for_every_row(cmd.def_.raw_default)
            ):
                return True
    return False


def _sets_not_null(node: Any, column: str) -> bool:
    return isinstance(node, ast.AlterTableStmt) and any(
        cmd.subtype == AlterTableType.AT_SetNotNull and cmd.name == column
        for cmd in node.cmds or ()
    )


def _added_earlier_and_untouched(table: str, column: str, earlier: Sequence[Statement]) -> bool:
    """An earlier statement of the same file added ``column`` to ``table`` without a default,
    and nothing between them can have written a value into it."""
    for previous in reversed(earlier):
        node = _parse(previous.text)
        if node is None or isinstance(node, _WRITES):
            return False
        if not isinstance(node, ast.AlterTableStmt) or node.relation.relname != table:
            continue
        added = _added_columns(node)
        if column in added:
            return not _default(added[column])[0]
        for cmd in node.cmds or ():
            if cmd.name == column and cmd.subtype == AlterTableType.AT_AlterColumnType:
                return False  # its USING may have filled the column
    return False


def _check_on_constant_column(node: Any, constraint: str | None) -> bool:
    """``constraint`` is a CHECK written on a column this statement adds, it reads that
    column alone, and the column's DEFAULT gives every row the same value."""
    if constraint is None:
        return False
    for name, column in _added_columns(node).items():
        _, default = _default(column)
        if default is None or not _same_for_every_row(default):
            continue
        for check in column.constraints or ():
            if check.contype != ConstrType.CONSTR_CHECK:
                continue
            if _column_refs(check.raw_expr) <= {name} and check.conname in (None, constraint):
                return True
    return False


def fails_on_every_row(
    statement: Statement,
    sqlstate: str,
    column: str | None,
    constraint: str | None,
    earlier: Sequence[Statement],
) -> bool:
    """Whether the failure happens on any table with a row, whatever the row holds.

    ``column``, ``constraint``: what the server's error names; ``earlier``: the statements
    of the same file before this one, in order. True for:

    - 23502 on a column the statement leaves NULL in every row (added without a default,
      or a type change whose USING reads no column), or on SET NOT NULL of a column an
      earlier statement of the file added without a default, with no statement between
      them that can write rows;
    - 23514 on a CHECK written on a column the statement adds with a constant default,
      reading that column alone.
    """
    node = _parse(statement.text)
    if node is None:
        return False
    if sqlstate == "23502":
        if _null_for_every_row(node, column):
            return True
        return (
            column is not None
            and isinstance(node, ast.AlterTableStmt)
            and _sets_not_null(node, column)
            and _added_earlier_and_untouched(node.relation.relname, column, earlier)
        )
    if sqlstate == "23514":
        return _check_on_constant_column(node, constraint)
    return False


_CONDITIONS = {
    "22001": "a value too long for the type it is cast to",
    "22003": "a number out of range for the type it is cast to",
    "22007": "a date or time the cast cannot read",
    "22008": "a date or time out of range",
    "22012": "a value that makes it divide by zero",
    "22P02": "a value that is not valid input for the type it is cast to",
    "23505": "a key that another row holds already",
    "23P01": "values that conflict with another row's",
    "23001": "a key that a row of another table references",
}


def data_condition(sqlstate: str, column: str | None, constraint: str | None, primary: str) -> str:
    """What a row must hold for the statement to fail, in words (``NULL in column "x"``)."""
    if sqlstate == "23502":
        return f'NULL in column "{column}"' if column else "NULL where a value is required"
    if sqlstate == "23514":
        named = f' "{constraint}"' if constraint else ""
        return f"values that break check constraint{named}"
    if sqlstate == "23503":
        if primary.startswith("update or delete"):
            return "a key that a row of another table references"
        return "a key that the referenced table has no row for"
    if sqlstate in _CONDITIONS:
        return _CONDITIONS[sqlstate]
    return "a value the statement cannot handle"


# ALTER TABLE commands that change no value of an existing row: when one fails, what a
# later statement finds in the rows is what it would have found anyway
_WRITE_NOTHING = frozenset(
    {
        AlterTableType.AT_SetNotNull,
        AlterTableType.AT_DropNotNull,
        AlterTableType.AT_AddConstraint,
        AlterTableType.AT_ValidateConstraint,
        AlterTableType.AT_DropConstraint,
        AlterTableType.AT_ColumnDefault,
    }
)


def _column_refs(expression: Any) -> set[str]:
    return {
        str(n.fields[-1].sval)
        for n in _nodes(expression)
        if isinstance(n, ast.ColumnRef) and n.fields and isinstance(n.fields[-1], ast.String)
    }


def written_columns(text: str) -> frozenset[str] | None:
    """The columns of existing rows the statement sets (UPDATE's SET, ALTER TABLE's ADD
    COLUMN and type changes); None when it may write more than columns can say."""
    node = _parse(text)
    if isinstance(node, ast.UpdateStmt):
        return frozenset(str(target.name) for target in node.targetList or ())
    if not isinstance(node, ast.AlterTableStmt):
        return None
    written: set[str] = set()
    for cmd in node.cmds or ():
        if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            written.add(str(cmd.def_.colname))
        elif cmd.subtype == AlterTableType.AT_AlterColumnType:
            written.add(str(cmd.name))
        elif cmd.subtype not in _WRITE_NOTHING:
            return None
    return frozenset(written)


def involved_columns(text: str, column: str | None) -> frozenset[str] | None:
    """The columns whose values decide whether the statement fails: the one the server names,
    or those its ALTER TABLE commands, UPDATE or CREATE INDEX read; None when unknown."""
    if column is not None:
        return frozenset({column})
    node = _parse(text)
    if isinstance(node, ast.UpdateStmt):
        read = _column_refs(node.targetList) | _column_refs(node.whereClause)
        return frozenset(read | {str(target.name) for target in node.targetList or ()})
    if isinstance(node, ast.IndexStmt):
        read = _column_refs(node.indexParams) | _column_refs(node.whereClause)
        names = {str(p.name) for p in node.indexParams or () if p.name}
        return frozenset(read | names)
    if not isinstance(node, ast.AlterTableStmt):
        return None
    involved: set[str] = set()
    for cmd in node.cmds or ():
        if cmd.subtype in (AlterTableType.AT_SetNotNull, AlterTableType.AT_AlterColumnType):
            involved.add(str(cmd.name))
            if isinstance(cmd.def_, ast.ColumnDef):
                involved |= _column_refs(cmd.def_.raw_default)
        elif cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(
            cmd.def_, ast.Constraint
        ):
            constraint = cmd.def_
            read = _column_refs(constraint.raw_expr)
            for listed in (constraint.keys, constraint.fk_attrs):
                read |= {str(n.sval) for n in listed or () if isinstance(n, ast.String)}
            if not read:
                return None  # USING INDEX, an exclusion constraint: not said here
            involved |= read
        else:
            return None
    return frozenset(involved)
