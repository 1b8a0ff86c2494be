"""NC107: quoted identifiers with capital letters, which must be quoted forever."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.catalog import quote, relation_sql
from checker.findings import Finding, Fix, Severity
from checker.fixes import new_name, sql_name
from checker.model import Layout
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.naming._common import (
    DefinedObject,
    final_objects,
    identifier_index,
    severity_for_layer,
    written_by,
)

_UPPER = re.compile(r"[A-Z]")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@register
class MixedCaseIdentifierRule(Rule):
    """An object's name has capital letters, so it only exists quoted.

    What it does:
        Reports every table, column, type, index, constraint, sequence, view
        and function whose stored name contains an upper-case letter (it was
        written quoted, like ``"userId"``), once, where it is written; names
        PostgreSQL derives from them (``"agentSession_pkey"``) are not repeated: a
        warning for the extension's objects, information for the base's.
        Objects of a Prisma migrations folder are left alone (quoted
        PascalCase models and camelCase fields are Prisma's convention, and
        its client always quotes them) unless the contract sets
        ``naming.case``.

    Why it matters:
        PostgreSQL folds unquoted names to lower case, so ``SELECT userId
        FROM t`` looks for ``userid`` and fails with "column does not
        exist". Every hand-written query, view, function body and report has
        to quote the name, for as long as it exists; snake_case names never
        need quotes.

    Example:
        CREATE TABLE agent_session (id bigint PRIMARY KEY, "userId" text);

    Use instead:
        CREATE TABLE agent_session (id bigint PRIMARY KEY, user_id text);

    References:
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    """

    meta = RuleMeta(
        "NC107", "mixed-case-identifier", Severity.WARNING, "quoted identifier with capital letters"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        index = identifier_index(context)
        # Prisma writes quoted PascalCase models and camelCase fields by design: its
        # client always quotes them. Silent there unless the contract asks for a case.
        asked = context.settings.contract.naming.case is not None
        for obj in final_objects(context):
            token = index.naming(obj.origin, obj.name) if _UPPER.search(obj.name) else None
            if token is None:
                continue  # no capitals, or a name PostgreSQL derived (agentSession_pkey)
            if not asked and written_by(context, obj.origin) is Layout.PRISMA:
                continue
            folded = obj.name.lower()
            yield self.finding(
                f'{obj.kind} {obj.label} has capital letters: it must be written "{obj.name}" '
                f"(quoted) in every query; unquoted, {obj.name} means {folded}, "
                "which does not exist",
                token.origin,
                severity=severity_for_layer(obj.origin.layer),
                objects=[obj.label],
                fix=_rename(obj),
            )


def _snake(name: str) -> str:
    """A lower-case name for ``name`` that needs no quotes (``User`` is ``users``, not the
    key word ``user``)."""
    return new_name(_CAMEL_BOUNDARY.sub("_", name))


def _rename(obj: DefinedObject) -> Fix:
    new = _snake(obj.name)
    title = f"use a lower-case name such as {new}"
    if obj.kind == "table":
        statement = f"ALTER TABLE {relation_sql(obj.obj.qualified)} RENAME TO {sql_name(new)};"
    elif obj.kind == "column" and obj.owner is not None:
        table = relation_sql(_qualified(obj.owner))
        statement = f"ALTER TABLE {table} RENAME COLUMN {quote(obj.name)} TO {sql_name(new)};"
    elif obj.kind == "index":
        statement = f"ALTER INDEX {relation_sql(obj.obj.qualified)} RENAME TO {sql_name(new)};"
    else:
        return Fix(title)
    return Fix(f"{title} (and use it in every query)", statements=(statement,))


def _qualified(label: str) -> tuple[str, str]:
    schema, dot, name = label.rpartition(".")
    return (schema, name) if dot else ("public", name)
