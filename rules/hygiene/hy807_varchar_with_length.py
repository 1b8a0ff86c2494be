"""HY807 (opt-in): varchar(n), where text (with a CHECK when a limit is a rule) is simpler."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import (
    VARCHAR,
    alter_column_type,
    column_label,
    column_place,
    typed_columns,
)


@register
class VarcharWithLengthRule(Rule):
    """A column is ``varchar(n)``.

    What it does:
        Reports every column of the final schema whose type is ``character
        varying`` with a length (arrays and domains included). Opt-in (group
        ``hygiene-preferences``): a length limit enforced by the type is a
        deliberate choice for some teams.

    Why it matters:
        ``varchar(n)``, ``varchar`` and ``text`` are stored the same way and
        perform the same. The length is a business rule hidden in a type:
        raising it is an ALTER COLUMN TYPE (lowering it rewrites the table
        and revalidates every row), every view and function over the column
        depends on the type, and the limit counts characters, which is rarely
        the rule that was meant. ``text`` with a named CHECK constraint says
        what the limit is for and changes without touching the type.

    Example:
        CREATE TABLE customer (id bigint PRIMARY KEY, email varchar(255) NOT NULL);

    Use instead:
        CREATE TABLE customer (
            id bigint PRIMARY KEY,
            email text NOT NULL CONSTRAINT customer_email_length CHECK (length(email) <= 320)
        );

    References:
        https://www.postgresql.org/docs/current/datatype-character.html
        https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_varchar.28n.29_by_default
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/columns_with_fixed_length_varchar.md
    """

    meta = RuleMeta(
        "HY807",
        "varchar-with-length",
        Severity.INFO,
        "varchar(n) column",
        group="hygiene-preferences",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for table, column, stored in typed_columns(context.catalog, frozenset({VARCHAR})):
            if not stored.modifiers:
                continue
            label = column_label(table, column.name)
            yield self.finding(
                f"Column {label} is {column.type}: text stores the same; a length that "
                f"is a rule reads better as a CHECK constraint",
                column_place(context, table, column),
                objects=[label],
                fix=alter_column_type(table, column.name, "text" + "[]" * stored.array_dims),
            )
