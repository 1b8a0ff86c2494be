"""MG418: a constraint added to a domain that existed before the run."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.syntax import ConstrType, ast
from rules.migration._history import replay
from rules.migration._schema_at import schema_at


@register
class DomainConstraintOnExistingDomainRule(Rule):
    """A constraint is added to a domain that columns already use.

    What it does:
        Reports ``ALTER DOMAIN ... ADD CONSTRAINT`` (a CHECK without NOT
        VALID) and ``ALTER DOMAIN ... SET NOT NULL`` when the domain exists
        before the statement's run starts: for the change under review, a
        domain of the base; within a history deployed file by file, one
        created by an earlier file. The message names the columns that use
        the domain at that statement. Creating a domain with a constraint
        is not reported: a new domain holds no data and locks nothing; it is
        the later change of its constraint that costs, and this rule reports
        that change where it happens.

    Why it matters:
        A domain's constraint holds for every column of every table that
        uses the domain. Adding one makes PostgreSQL check every stored
        value of all those columns, table by table, under locks that block
        their writes, inside the migration's transaction; one value that
        fails the new check fails the whole run on that database only. A
        CHECK on each column, added NOT VALID and validated later, can be
        rolled out one table at a time instead.

    Example:
        ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');

    Use instead:
        ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;

    References:
        https://www.postgresql.org/docs/current/sql-alterdomain.html
        https://www.postgresql.org/docs/current/sql-createdomain.html
    """

    meta = RuleMeta(
        "MG418",
        "domain-constraint-on-existing-domain",
        Severity.WARNING,
        "constraint added to a domain that existed before the run",
        resumable=True,
    )
    doc_setup = (
        "CREATE DOMAIN email_address AS text;\n"
        "CREATE TABLE account (id text PRIMARY KEY, email email_address);"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed, history, _events in replay(context):
            node = parsed.node
            if not isinstance(node, ast.AlterDomainStmt):
                continue
            constraint = node.def_
            if node.subtype == "O":
                what = "SET NOT NULL"
            elif (
                node.subtype == "C"
                and isinstance(constraint, ast.Constraint)
                and constraint.contype == ConstrType.CONSTR_CHECK
                and not constraint.skip_validation
            ):
                what = f"ADD CONSTRAINT {constraint.conname or '(unnamed)'} CHECK"
            else:
                continue
            parts = [str(getattr(part, "sval", "")) for part in node.typeName or ()]
            key = (parts[-2] if len(parts) > 1 else "public", parts[-1])
            domain = display_name(key)
            creation = history.created("domain", domain)
            if creation is None or not creation.before(parsed):
                continue
            columns = [
                f"{display_name(table)}.{column}"
                for table, column in schema_at(context).columns_of_type(key, history.step)
            ]
            users = f" ({', '.join(columns)})" if columns else ""
            yield self.finding(
                f"ALTER DOMAIN {domain} {what} on a domain that exists before this migration: "
                "PostgreSQL checks "
                f"every stored value of every column that uses it{users} under locks that block "
                "their writes, and one value that fails the check fails the whole run",
                [parsed.origin, Location.of(creation.origin, f"{domain} created here")],
                objects=[domain, *columns],
                fix=(
                    "add the CHECK with NOT VALID and VALIDATE CONSTRAINT it in a later "
                    "migration, once the data is known to pass; or put the check on each "
                    "column as a table constraint (NOT VALID, then VALIDATE)"
                ),
            )
