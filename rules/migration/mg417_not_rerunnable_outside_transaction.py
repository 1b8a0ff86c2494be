"""MG417: a statement the re-run of a half-applied file fails on, where nothing rolls back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from checker.config import Runner
from checker.findings import Finding, Severity
from checker.model import Layout
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import AlterTableType, ObjectType, TransactionStmtKind, ast
from rules.migration._common import relative
from rules.migration._history import table_name
from rules.migration._transactions import Step, steps_by_statement

_COMMIT = TransactionStmtKind.TRANS_STMT_COMMIT
# renames of a part of an object (its new name is no object a DROP names)
_PARTS_OF_OBJECTS = frozenset(
    {
        ObjectType.OBJECT_COLUMN,
        ObjectType.OBJECT_ATTRIBUTE,
        ObjectType.OBJECT_TABCONSTRAINT,
        ObjectType.OBJECT_DOMCONSTRAINT,
        ObjectType.OBJECT_POLICY,
        ObjectType.OBJECT_RULE,
        ObjectType.OBJECT_TRIGGER,
    }
)


_TYPE_STATEMENTS = (
    ast.CreateEnumStmt,
    ast.CreateRangeStmt,
    ast.CompositeTypeStmt,
    ast.CreateDomainStmt,
)


def _relation(relation: Any) -> str:
    return table_name(relation) if isinstance(relation, ast.RangeVar) else "(unnamed)"


def _object_name(target: Any) -> str:
    """The dotted name of a DROP's or RENAME's object: a type or domain is a TypeName,
    a function an ObjectWithArgs, a relation a list of names."""
    parts = target.names if isinstance(target, ast.TypeName) else target
    parts = getattr(parts, "objname", parts)
    if isinstance(parts, tuple | list):
        return _dotted(parts)
    return str(getattr(parts, "sval", parts))


def _dropped_names(node: ast.DropStmt) -> list[str]:
    return [_object_name(target) for target in node.objects or ()]


def _made(node: Any) -> Iterator[str]:
    """Names of the objects a statement creates, or renames an object to."""
    relation: Any = None
    if isinstance(node, ast.CreateStmt):
        relation = node.relation
    elif isinstance(node, ast.CreateSeqStmt):
        relation = node.sequence
    elif isinstance(node, ast.ViewStmt):
        relation = node.view
    elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
        relation = node.into.rel
    if isinstance(relation, ast.RangeVar):
        yield str(relation.relname)
    if isinstance(node, ast.IndexStmt) and node.idxname:
        yield str(node.idxname)
    elif isinstance(node, _TYPE_STATEMENTS):
        yield _type_name(node).rsplit(".", 1)[-1]
    elif (
        isinstance(node, ast.RenameStmt)
        and node.newname
        and ObjectType(int(node.renameType or 0)) not in _PARTS_OF_OBJECTS
    ):
        yield str(node.newname)


def _kind(value: Any) -> str:
    """``TYPE``, ``MATVIEW`` ... of an ObjectType."""
    return ObjectType(int(value or 0)).name.removeprefix("OBJECT_").replace("_", " ")


def _dotted(names: Any) -> str:
    return ".".join(str(getattr(part, "sval", part)) for part in names or ())


def _type_name(node: Any) -> str:
    if isinstance(node, ast.CompositeTypeStmt):
        return _relation(node.typevar)
    return _dotted(node.domainname if isinstance(node, ast.CreateDomainStmt) else node.typeName)


def _removed(node: Any) -> Iterator[str]:
    """Names a statement drops, or renames away."""
    if isinstance(node, ast.DropStmt):
        yield from (name.rsplit(".", 1)[-1] for name in _dropped_names(node))
    elif isinstance(node, ast.RenameStmt) and node.newname:
        kind = ObjectType(int(node.renameType or 0))
        if kind in _PARTS_OF_OBJECTS:
            return
        if isinstance(node.relation, ast.RangeVar):
            yield str(node.relation.relname)
        elif node.object is not None:
            yield _object_name(node.object).rsplit(".", 1)[-1]


def _unguarded_rename(node: ast.RenameStmt) -> Iterator[tuple[str, str]]:
    """A rename that a re-run repeats fails: the old name is gone. Only a relation's has
    a guard in SQL (ALTER ... IF EXISTS); a column's or another object's needs a DO block."""
    kind = _kind(node.renameType)
    if kind in ("TABLE", "VIEW", "MATVIEW", "INDEX", "SEQUENCE", "FOREIGN TABLE"):
        if not node.missing_ok:
            yield f"RENAME {kind} {_relation(node.relation)} TO {node.newname}", "IF EXISTS"
    elif kind == "COLUMN":
        yield (
            f"RENAME COLUMN {_relation(node.relation)}.{node.subname} TO {node.newname}",
            "a DO block that renames only while the old column exists",
        )


def _unguarded(
    node: Any, dropped_first: set[tuple[str, str]], made_first: set[str]
) -> Iterator[tuple[str, str]]:
    """(what the statement does, the guard it lacks) for each part that fails on a re-run.

    A DROP of objects the file itself made earlier (a Prisma enum swap renames the old
    type to ``X_old`` and drops it) does not fail on a re-run: the re-run makes them again.
    """
    if isinstance(node, ast.CreateStmt) and not node.if_not_exists:
        yield f"CREATE TABLE {_relation(node.relation)}", "IF NOT EXISTS"
    elif isinstance(node, ast.IndexStmt) and not node.if_not_exists:
        yield f"CREATE INDEX {node.idxname or '(unnamed)'}", "IF NOT EXISTS"
    elif isinstance(node, ast.CreateSeqStmt) and not node.if_not_exists:
        yield f"CREATE SEQUENCE {_relation(node.sequence)}", "IF NOT EXISTS"
    elif isinstance(node, ast.CreateSchemaStmt) and not node.if_not_exists:
        yield f"CREATE SCHEMA {node.schemaname}", "IF NOT EXISTS"
    elif isinstance(node, ast.CreateExtensionStmt) and not node.if_not_exists:
        yield f"CREATE EXTENSION {node.extname}", "IF NOT EXISTS"
    elif isinstance(node, ast.AlterEnumStmt) and node.newVal and not node.skipIfNewValExists:
        yield f"ALTER TYPE ... ADD VALUE '{node.newVal}'", "IF NOT EXISTS"
    elif isinstance(node, ast.DropStmt) and node.missing_ok:
        kind = _kind(node.removeType)
        dropped_first.update((kind, name.rsplit(".", 1)[-1]) for name in _dropped_names(node))
    elif isinstance(node, ast.DropStmt):
        if all(name.rsplit(".", 1)[-1] in made_first for name in _dropped_names(node)):
            return
        yield (
            f"DROP {_kind(node.removeType)} {', '.join(_dropped_names(node))}".rstrip(),
            "IF EXISTS",
        )
    elif isinstance(node, _TYPE_STATEMENTS):
        kind = "DOMAIN" if isinstance(node, ast.CreateDomainStmt) else "TYPE"
        name = _type_name(node)
        if (kind, name.rsplit(".", 1)[-1]) not in dropped_first:
            yield f"CREATE {kind} {name}", "a DO block that ignores duplicate_object"
    elif isinstance(node, ast.ViewStmt) and not node.replace:
        yield f"CREATE VIEW {_relation(node.view)}", "OR REPLACE"
    elif isinstance(node, ast.CreateTableAsStmt) and not node.if_not_exists:
        if node.into is not None and not node.is_select_into:
            made = "MATERIALIZED VIEW" if _kind(node.objtype) == "MATVIEW" else "TABLE"
            yield f"CREATE {made} {_relation(node.into.rel)}", "IF NOT EXISTS"
    elif isinstance(node, ast.CreateFunctionStmt) and not node.replace:
        made = "PROCEDURE" if node.is_procedure else "FUNCTION"
        yield f"CREATE {made} {_dotted(node.funcname)}", "OR REPLACE"
    elif isinstance(node, ast.CreateTrigStmt) and not node.replace:
        if ("TRIGGER", str(node.trigname)) not in dropped_first:
            yield (
                f"CREATE TRIGGER {node.trigname} on {_relation(node.relation)}",
                "OR REPLACE (PostgreSQL 14 and later), or a DROP TRIGGER IF EXISTS before it",
            )
    elif isinstance(node, ast.CreatePolicyStmt):
        if ("POLICY", str(node.policy_name)) not in dropped_first:
            yield (
                f"CREATE POLICY {node.policy_name} on {_relation(node.table)}",
                "a DROP POLICY IF EXISTS before it",
            )
    elif isinstance(node, ast.RenameStmt) and node.newname:
        yield from _unguarded_rename(node)
    elif isinstance(node, ast.AlterTableStmt) and isinstance(node.relation, ast.RangeVar):
        table = table_name(node.relation)
        for cmd in node.cmds or ():
            definition = cmd.def_
            if cmd.subtype == AlterTableType.AT_AddColumn and not cmd.missing_ok:
                name = getattr(definition, "colname", "")
                yield f"ADD COLUMN {table}.{name}", "IF NOT EXISTS"
            elif cmd.subtype == AlterTableType.AT_DropColumn and not cmd.missing_ok:
                yield f"DROP COLUMN {table}.{cmd.name}", "IF EXISTS"
            elif cmd.subtype == AlterTableType.AT_DropConstraint:
                if cmd.missing_ok:
                    dropped_first.add((table, str(cmd.name)))
                else:
                    yield f"DROP CONSTRAINT {cmd.name}", "IF EXISTS"
            elif cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(
                definition, ast.Constraint
            ):
                name = str(definition.conname or "")
                if not name or (table, name) not in dropped_first:
                    yield (
                        f"ADD CONSTRAINT {name or '(unnamed)'} on {table}",
                        "a DROP CONSTRAINT IF EXISTS before it",
                    )


@register
class NotRerunnableOutsideTransactionRule(Rule):
    """A statement that fails when a half-applied migration is run again.

    What it does:
        Finds the statements of a migration file that commit before the file
        ends, so a failure later in the same file leaves them applied: every
        statement under the ``autocommit`` runner, the statements after a
        drizzle ``COMMIT;`` escape (each then commits on its own), and those
        that an explicit ``COMMIT`` in the file commits. Among them, it
        reports CREATE TABLE / INDEX / SEQUENCE / SCHEMA / EXTENSION /
        MATERIALIZED VIEW and ADD COLUMN without IF NOT EXISTS, ALTER TYPE ...
        ADD VALUE without IF NOT EXISTS, DROP ... and DROP COLUMN / CONSTRAINT
        without IF EXISTS, CREATE VIEW / FUNCTION / PROCEDURE without OR
        REPLACE, a rename of a table, view, index or sequence without IF
        EXISTS and a rename of a column (the re-run finds the old name gone),
        and ADD CONSTRAINT, CREATE TYPE / DOMAIN / TRIGGER / POLICY not
        preceded in the file by a DROP ... IF EXISTS of the same name (a
        trigger may say OR REPLACE instead). The last statement of a file is exempt (if
        it fails, it did not apply), and so is every statement that a
        runner's transaction rolls back on failure: drizzle's, or Prisma's
        and the per-file runner's implicit one. DO blocks are not judged, nor
        is an Atlas file run outside a transaction (``-- atlas:txmode none``):
        Atlas records how many of its statements ran, and the re-run goes on
        from the one that failed.

    Why it matters:
        A migration runner records a file as applied only once the whole
        file succeeded. When a statement fails after others of the file have
        committed (a CREATE INDEX CONCURRENTLY that hits a duplicate, a lock
        timeout), the fix is to run the file again, and the re-run stops at
        the first statement that already did its work ("relation already
        exists", "column does not exist"): the deploy is stuck until someone
        edits the database by hand.

    Example:
        COMMIT;
        CREATE INDEX CONCURRENTLY account_email_idx ON account (email);
        CREATE UNIQUE INDEX CONCURRENTLY account_name_key ON account (name);

    Use instead:
        COMMIT;
        CREATE INDEX CONCURRENTLY IF NOT EXISTS account_email_idx ON account (email);
        CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS account_name_key ON account (name);

    References:
        https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
        https://www.postgresql.org/docs/current/sql-altertable.html
        https://orm.drizzle.team/docs/migrations
    """

    meta = RuleMeta(
        "MG417",
        "not-rerunnable-outside-transaction",
        Severity.WARNING,
        "statement outside a transaction fails when the file is re-run",
        resumable=True,
    )
    doc_setup = "CREATE TABLE account (id text PRIMARY KEY, email text, name text);"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        by_file: dict[str, list[Step]] = {}
        for step in context.memo(steps_by_statement).values():
            migration = step.parsed.statement.migration
            if migration.layout is Layout.ATLAS and migration.no_transaction:
                # Atlas records how many statements of such a file ran: the re-run goes on
                # from the one that failed, and does not repeat those before it
                continue
            if step.parsed.parent is None:
                by_file.setdefault(step.parsed.statement.migration.path, []).append(step)
        for steps in by_file.values():
            yield from self._file(context, steps)

    def _file(self, context: RuleContext, steps: Sequence[Step]) -> Iterator[Finding]:
        commits = {
            step.transaction: step
            for step in steps
            if isinstance(step.parsed.node, ast.TransactionStmt)
            and step.parsed.node.kind == _COMMIT
        }
        positions = {id(step): position for position, step in enumerate(steps)}

        def statement_after(position: int) -> bool:
            return any(
                not isinstance(other.parsed.node, ast.TransactionStmt)
                for other in steps[position + 1 :]
            )

        # names a later statement of the file drops or renames away: a re-run creates them
        # again without a clash (Prisma's enum swap: CREATE TYPE "X_new" ... RENAME TO "X")
        last_removed: dict[str, int] = {}  # name -> the last position that removes it
        for position, step in enumerate(steps):
            for name in _removed(step.parsed.node):
                last_removed[name] = position
        dropped_first: set[tuple[str, str]] = set()
        made_first: set[str] = set()
        for position, step in enumerate(steps):
            node = step.parsed.node
            if node is None or isinstance(node, ast.TransactionStmt | ast.DoStmt):
                continue
            made = list(_made(node))
            if (
                last_removed
                and not isinstance(node, ast.RenameStmt)  # what it makes is a rename's
                and any(last_removed.get(name, -1) > position for name in made)
            ):
                made_first.update(made)
                continue
            parts = list(_unguarded(node, dropped_first, made_first))
            made_first.update(made)
            if not parts or not statement_after(position):
                continue
            if step.in_transaction:
                commit = commits.get(step.transaction)
                if commit is None:
                    continue  # the runner's transaction rolls it back
                if not statement_after(positions[id(commit)]):
                    continue  # a failure before the COMMIT rolls it back too
                why = (
                    f"the COMMIT at {relative(context.sources, commit.parsed.origin)} commits it "
                    "before the file ends"
                )
            elif step.runner.runner is Runner.AUTOCOMMIT:
                why = "the autocommit runner commits every statement on its own"
            else:
                why = "it runs outside any transaction block and commits on its own"
            for what, guard in parts:
                yield self.finding(
                    f"{what} without {guard}: {why}, so if a later statement of this file "
                    "fails, the re-run of the file stops here, on the object this statement "
                    "already created, dropped or renamed",
                    step.parsed.origin,
                    objects=[what],
                    fix=(
                        f"add {guard}, so the file can run again after a partial failure (for "
                        "CREATE INDEX CONCURRENTLY, a failed build leaves an INVALID index that "
                        "IF NOT EXISTS keeps: DROP INDEX CONCURRENTLY IF EXISTS it first)"
                    ),
                )
