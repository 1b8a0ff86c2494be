"""MG411: ADD COLUMN ... NOT NULL without a default on a table that already has rows."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import AlterTableType, ConstrType, ast
from rules.migration._common import item_end, relative
from rules.migration._history import replay, table_name
from rules.migration._rewrites import SERIALS


def _fills_existing_rows(definition: ast.ColumnDef) -> bool:
    """True when PostgreSQL gives every existing row a value for the new column."""
    type_name = definition.typeName
    names = [
        str(getattr(part, "sval", "")) for part in (type_name.names if type_name else ()) or ()
    ]
    if names and names[-1] in SERIALS:
        return True
    if definition.identity and definition.identity != "\x00":
        return True
    for constraint in definition.constraints or ():
        kind = constraint.contype
        if kind in (ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED):
            return True
        if kind == ConstrType.CONSTR_DEFAULT and not _is_null(constraint.raw_expr):
            return True
    return False


def _is_null(expression: object) -> bool:
    """``DEFAULT NULL`` (possibly cast) gives no value either."""
    while isinstance(expression, ast.TypeCast):
        expression = expression.arg
    return isinstance(expression, ast.A_Const) and bool(expression.isnull)


def _not_null(definition: ast.ColumnDef) -> ast.Constraint | None:
    for constraint in definition.constraints or ():
        if isinstance(constraint, ast.Constraint) and constraint.contype in (
            ConstrType.CONSTR_NOTNULL,
            ConstrType.CONSTR_PRIMARY,
        ):
            return constraint
    return None


@register
class AddNotNullColumnWithoutDefaultRule(Rule):
    """A NOT NULL column added without a default to a table that already exists.

    What it does:
        Reports ``ALTER TABLE ... ADD COLUMN ... NOT NULL`` (or PRIMARY KEY)
        with no DEFAULT, or with ``DEFAULT NULL``, on a table that exists
        before the statement's run: for the change under review, a table of
        the base; within a history deployed file by file, a table created by
        an earlier file. Serial, identity and generated columns are exempt:
        PostgreSQL fills them for every row. (A volatile default such as
        ``gen_random_uuid()`` also fills every row, by rewriting the table;
        MG409 reports that lock.) A table the same file empties first
        (TRUNCATE, or DELETE without WHERE) has no row to fail on.

    Why it matters:
        PostgreSQL has no value to put in the existing rows, so the statement
        fails with 23502 (column contains null values) on every database where
        the table has a row: production, staging, any developer's copy. It
        passes on the empty database of CI and of every fresh install, so
        nothing catches it before the first real deploy, and under a
        transactional runner the whole run rolls back with it.

    Example:
        ALTER TABLE account ADD COLUMN nickname text NOT NULL;

    Use instead:
        ALTER TABLE account ADD COLUMN nickname text NOT NULL DEFAULT '';

    References:
        https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-COLUMN
        https://www.postgresql.org/docs/current/errcodes-appendix.html
    """

    meta = RuleMeta(
        "MG411",
        "add-not-null-column-without-default",
        Severity.ERROR,
        "NOT NULL column without a default added to an existing table",
        resumable=True,
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        emptied: set[str] = set()  # tables this file has emptied so far
        file = None
        for parsed, history, _events in replay(context):
            node = parsed.node
            if parsed.origin.file != file:
                file, emptied = parsed.origin.file, set()
            _track_emptied(node, emptied)
            if not isinstance(node, ast.AlterTableStmt) or not isinstance(
                node.relation, ast.RangeVar
            ):
                continue
            table = table_name(node.relation)
            if table in emptied:
                continue  # the file removed every row first: the column fills nothing
            creation = history.created("table", table)
            if creation is None or not creation.before(parsed):
                continue
            for cmd in node.cmds or ():
                definition = cmd.def_
                if cmd.subtype != AlterTableType.AT_AddColumn or not isinstance(
                    definition, ast.ColumnDef
                ):
                    continue
                constraint = _not_null(definition)
                if constraint is None or _fills_existing_rows(definition):
                    continue
                column = str(definition.colname)
                kind = (
                    "PRIMARY KEY" if constraint.contype == ConstrType.CONSTR_PRIMARY else "NOT NULL"
                )
                start = max(0, definition.location or 0)
                origin = parsed.statement.span(start, item_end(parsed.statement, start))
                created_at = relative(context.sources, creation.origin)
                yield self.finding(
                    f"ADD COLUMN {column} {kind} without a default on {table}, which exists "
                    f"before this migration (created at {created_at}): "
                    f"the first deploy to a database with a row in {table} fails with 23502 "
                    f"(column {column} contains null values)",
                    [origin, Location.of(creation.origin, f"{table} created here")],
                    objects=[f"{table}.{column}"],
                    fix=(
                        f"give it a constant DEFAULT; or add {column} as nullable, fill it in "
                        f"batches, add CHECK ({column} IS NOT NULL) NOT VALID, VALIDATE it, then "
                        "SET NOT NULL"
                    ),
                )


def _track_emptied(node: object, emptied: set[str]) -> None:
    """Note the tables a statement empties (TRUNCATE, DELETE without WHERE or USING) or
    fills again (INSERT)."""
    if isinstance(node, ast.TruncateStmt):
        emptied.update(table_name(r) for r in node.relations or () if isinstance(r, ast.RangeVar))
    elif isinstance(node, ast.DeleteStmt) and isinstance(node.relation, ast.RangeVar):
        if node.whereClause is None and not node.usingClause:
            emptied.add(table_name(node.relation))
    elif isinstance(node, ast.InsertStmt) and isinstance(node.relation, ast.RangeVar):
        emptied.discard(table_name(node.relation))
