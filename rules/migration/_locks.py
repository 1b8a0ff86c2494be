"""Which ALTER TABLE subcommands hold heavy locks while they scan, build or rewrite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from checker.simulation import SimEvent
from checker.syntax import AlterTableType, BoolExprType, ConstrType, NullTestType, ast
from rules.migration._history import table_name
from rules.migration._rewrites import rewriting_column, type_change_rewrites
from rules.migration._volatility import Volatilities


@dataclass(frozen=True, slots=True)
class Heavy:
    """One lock-heavy operation: what it is, the lock and its effect, the fix, where."""

    what: str
    lock: str
    fix: str
    location: int  # offset in the statement text


def _not_null_columns(expression: Any) -> set[str]:
    """Columns a CHECK expression proves NOT NULL: ``col IS NOT NULL``, alone or ANDed."""
    if isinstance(expression, ast.BoolExpr) and expression.boolop == BoolExprType.AND_EXPR:
        return set().union(*(_not_null_columns(arg) for arg in expression.args or ()))
    if (
        isinstance(expression, ast.NullTest)
        and expression.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(expression.arg, ast.ColumnRef)
    ):
        fields = expression.arg.fields or ()
        return {str(getattr(fields[-1], "sval", ""))} if fields else set()
    return set()


@dataclass(slots=True)
class NotNullChecks:
    """The CHECK (col IS NOT NULL) constraints of each table as the run goes on.

    SET NOT NULL skips its scan when a valid one exists (PostgreSQL 12+): the
    zero-downtime way is ADD CHECK ... NOT VALID, VALIDATE, then SET NOT NULL.
    """

    # (table, constraint name) -> (columns it proves NOT NULL, valid)
    checks: dict[tuple[str, str], tuple[set[str], bool]] = field(default_factory=dict)

    def proves(self, table: str, column: str) -> bool:
        return any(
            valid and column in columns
            for (owner, _), (columns, valid) in self.checks.items()
            if owner == table
        )

    def apply(self, node: Any) -> None:
        """Follow one top-level statement."""
        if isinstance(node, ast.CreateStmt) and isinstance(node.relation, ast.RangeVar):
            table = table_name(node.relation)
            for element in node.tableElts or ():
                constraints = [element]
                if isinstance(element, ast.ColumnDef):
                    constraints = list(element.constraints or ())
                for constraint in constraints:
                    self._add(table, constraint)
        elif isinstance(node, ast.AlterTableStmt) and isinstance(node.relation, ast.RangeVar):
            table = table_name(node.relation)
            for cmd in node.cmds or ():
                if cmd.subtype == AlterTableType.AT_AddConstraint:
                    self._add(table, cmd.def_)
                elif cmd.subtype == AlterTableType.AT_ValidateConstraint:
                    found = self.checks.get((table, str(cmd.name)))
                    if found is not None:
                        self.checks[(table, str(cmd.name))] = (found[0], True)
                elif cmd.subtype == AlterTableType.AT_DropConstraint:
                    self.checks.pop((table, str(cmd.name)), None)

    def _add(self, table: str, constraint: Any) -> None:
        if (
            not isinstance(constraint, ast.Constraint)
            or constraint.contype != ConstrType.CONSTR_CHECK
        ):
            return
        columns = _not_null_columns(constraint.raw_expr)
        if columns:
            name = str(constraint.conname or f"<unnamed {len(self.checks)}>")
            self.checks[(table, name)] = (columns, not constraint.skip_validation)


def alter_table_heavy(
    functions: Volatilities,
    cmd: ast.AlterTableCmd,
    table: str,
    events: list[SimEvent],
    not_null_checks: NotNullChecks | None = None,
) -> Iterator[Heavy]:
    """The heavy operations of one ALTER TABLE subcommand on an existing ``table``
    (``functions``: the user functions as they are when the statement runs)."""
    everything = f"every read and write of {table} waits"
    subtype, definition = cmd.subtype, cmd.def_
    if subtype == AlterTableType.AT_AddConstraint and isinstance(definition, ast.Constraint):
        location = max(0, definition.location or 0)
        kind = definition.contype
        if kind == ConstrType.CONSTR_FOREIGN and not definition.skip_validation:
            parent = table_name(definition.pktable) if definition.pktable else table
            tables = table if parent == table else f"{table} and {parent}"
            both = "it" if parent == table else "both"
            yield Heavy(
                "ADD FOREIGN KEY without NOT VALID",
                f"it checks every row under SHARE ROW EXCLUSIVE locks on {tables}: writes "
                f"to {both} wait until the run commits",
                "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration "
                "(validation only takes SHARE UPDATE EXCLUSIVE)",
                location,
            )
        elif kind == ConstrType.CONSTR_CHECK and not definition.skip_validation:
            yield Heavy(
                "ADD CHECK without NOT VALID",
                f"it checks every row under an ACCESS EXCLUSIVE lock: {everything}",
                "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
                location,
            )
        elif (
            kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)
            and not definition.indexname
        ):
            yield Heavy(
                f"ADD {'PRIMARY KEY' if kind == ConstrType.CONSTR_PRIMARY else 'UNIQUE'}",
                f"it builds its index under an ACCESS EXCLUSIVE lock: {everything}",
                "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX",
                location,
            )
    elif subtype == AlterTableType.AT_SetNotNull:
        if not_null_checks is not None and not_null_checks.proves(table, str(cmd.name)):
            return
        yield Heavy(
            f"SET NOT NULL on {cmd.name}",
            f"it scans every row under an ACCESS EXCLUSIVE lock: {everything}",
            f"add CHECK ({cmd.name} IS NOT NULL) NOT VALID, VALIDATE it in a later "
            "migration, then SET NOT NULL (it uses the valid check and skips the scan)",
            0,
        )
    elif subtype == AlterTableType.AT_AlterColumnType and isinstance(definition, ast.ColumnDef):
        detail = next(
            (
                e.detail
                for e in events
                if e.action == "alter column type" and e.name.endswith(f".{cmd.name}")
            ),
            "",
        )
        if type_change_rewrites(detail, definition.raw_default is not None):
            change = f" ({detail})" if detail else ""
            yield Heavy(
                f"ALTER COLUMN {cmd.name} TYPE{change}",
                "it rewrites or re-checks every row under an ACCESS EXCLUSIVE lock: " + everything,
                "add a new column of the new type, backfill it in batches, and switch over",
                max(0, definition.location or 0),
            )
    elif subtype == AlterTableType.AT_AddColumn and isinstance(definition, ast.ColumnDef):
        why = rewriting_column(definition, functions)
        if why is not None:
            yield Heavy(
                f"ADD COLUMN {definition.colname}",
                f"{why}, so the table is rewritten under an ACCESS EXCLUSIVE lock: " + everything,
                "add the column without the default (or with a constant one), then fill it in "
                "batches and set the default afterwards",
                max(0, definition.location or 0),
            )
