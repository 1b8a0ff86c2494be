"""Which ALTER TABLE subcommands hold heavy locks while they scan, build or rewrite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from checker.catalog import Catalog
from checker.simulation import SimEvent
from rules.migration._history import table_name
from rules.migration._rewrites import rewriting_column, type_change_rewrites


@dataclass(frozen=True, slots=True)
class Heavy:
    """One lock-heavy operation: what it is, the lock and its effect, the fix, where."""

    what: str
    lock: str
    fix: str
    location: int  # offset in the statement text


def alter_table_heavy(
    catalog: Catalog,
    cmd: ast.AlterTableCmd,
    table: str,
    events: list[SimEvent],
) -> Iterator[Heavy]:
    """The heavy operations of one ALTER TABLE subcommand on an existing ``table``."""
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
        why = rewriting_column(definition, catalog)
        if why is not None:
            yield Heavy(
                f"ADD COLUMN {definition.colname}",
                f"{why}, so the table is rewritten under an ACCESS EXCLUSIVE lock: " + everything,
                "add the column without the default (or with a constant one), then fill it in "
                "batches and set the default afterwards",
                max(0, definition.location or 0),
            )
