"""MG419: a value of an enum that existed before the run is renamed."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import ast
from rules.migration._history import replay


@register
class EnumValueRenamedRule(Rule):
    """A value of an enum the running application uses is renamed.

    What it does:
        Reports ``ALTER TYPE ... RENAME VALUE`` when the enum exists before
        the statement's run starts: for the change under review, an enum of
        the base; within a history deployed file by file, one created by an
        earlier file. Values of an enum created by the same run are exempt:
        no deployed code knows them yet.

    Why it matters:
        The rename is instant, and that is the trouble: the application
        instances still running the previous release send the old label.
        Their INSERTs and UPDATEs fail with 22P02 (invalid input value for
        enum), and their WHERE clauses that compare with the old label fail
        the same way, until every instance is replaced. PostgreSQL cannot
        drop an enum value either, so the way back is another rename.

    Example:
        ALTER TYPE account_status RENAME VALUE 'disabled' TO 'suspended';

    Use instead:
        -- release 1: add the new label; code writes it and reads both
        ALTER TYPE account_status ADD VALUE IF NOT EXISTS 'suspended';
        -- release 2: UPDATE the rows, once no running instance writes 'disabled'

    References:
        https://www.postgresql.org/docs/current/sql-altertype.html
        https://www.postgresql.org/docs/current/datatype-enum.html
    """

    meta = RuleMeta(
        "MG419",
        "enum-value-renamed",
        Severity.WARNING,
        "value of an existing enum renamed",
        resumable=True,
    )
    doc_setup = "CREATE TYPE account_status AS ENUM ('active', 'disabled');"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed, history, _events in replay(context):
            node = parsed.node
            if not isinstance(node, ast.AlterEnumStmt) or not node.oldVal:
                continue
            parts = [str(getattr(part, "sval", "")) for part in node.typeName or ()]
            enum = display_name((parts[-2] if len(parts) > 1 else "public", parts[-1]))
            creation = history.created("enum", enum)
            if creation is None or not creation.before(parsed):
                continue
            old, new = str(node.oldVal), str(node.newVal)
            yield self.finding(
                f"RENAME VALUE {old!r} TO {new!r} of {enum}, which exists before this migration: "
                "the instances "
                f"still running the previous release send {old!r}, and their statements fail "
                "with 22P02 (invalid input value for enum) until every instance is replaced",
                [parsed.origin, Location.of(creation.origin, f"{enum} created here")],
                objects=[f"{enum}.{old}"],
                fix=(
                    f"expand/contract: ADD VALUE {new!r} first and deploy code that writes it "
                    f"and reads both; move the rows with UPDATE; stop using {old!r} in a later "
                    "release"
                ),
            )
