"""FK202: the referencing and referenced columns have different types."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import TypeRef, display_name, quote, relation_sql
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    TypeVerdict,
    foreign_keys,
    referenced_columns,
    type_verdict,
)


@register
class TypeMismatchRule(Rule):
    """A foreign key column's type differs from the column it references.

    What it does:
        Compares the type of every referencing column with the type of the
        referenced column. Error where PostgreSQL has no equality operator
        for the pair and rejects the constraint (uuid → text, text → integer,
        an enum → text, integer[] → bigint[]); warning where PostgreSQL accepts
        it but the types still differ (integer → bigint, varchar(64) → text,
        timestamp → timestamptz, numeric(10,2) → numeric). Domains count as
        their base type; types of extensions are not judged.

    Why it matters:
        A rejected foreign key stops the migration (SQLSTATE 42804, "foreign
        key constraint cannot be implemented"), and with drizzle's single
        transaction every migration of the run is rolled back. An accepted
        mismatch costs a cast in every join and referential check, and the
        narrower side caps the values: an integer column cannot reference a
        bigint key above 2^31, a varchar(64) cannot reference a longer text key.

    Example:
        CREATE TABLE account (id uuid PRIMARY KEY);
        CREATE TABLE note (id text PRIMARY KEY, account_id text REFERENCES account (id));

    Use instead:
        CREATE TABLE account (id uuid PRIMARY KEY);
        CREATE TABLE note (id text PRIMARY KEY, account_id uuid REFERENCES account (id));

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/sql-createtable.html
    """

    meta = RuleMeta(
        "FK202", "fk-type-mismatch", Severity.ERROR, "foreign key column type differs from its key"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for table, constraint, details in foreign_keys(catalog):
            parent = catalog.tables.get(details.ref_table)
            ref_columns = referenced_columns(catalog, details)
            if parent is None or len(ref_columns) != len(constraint.columns):
                continue  # a missing table or a wrong column count is another problem
            for name, ref_name in zip(constraint.columns, ref_columns, strict=True):
                column, ref_column = table.column(name), parent.column(ref_name)
                if column is None or ref_column is None:
                    continue
                verdict = type_verdict(catalog, column.type, ref_column.type)
                if verdict in (TypeVerdict.SAME, TypeVerdict.UNKNOWN):
                    continue
                child_col = f"{display_name(table.qualified)}.{name}"
                parent_col = f"{display_name(details.ref_table)}.{ref_name}"
                types = (
                    f"{child_col} is {column.type.render()}, "
                    f"{parent_col} is {ref_column.type.render()}"
                )
                narrower = _length_only(column.type, ref_column.type)
                if narrower is not None and not narrower:
                    continue  # the child holds every value the parent can: nothing to say
                if narrower:
                    message = (
                        f"{constraint.name}: {types}: only the length differs, so no cast is "
                        "needed, but parent values longer than the child's limit cannot be "
                        "referenced"
                    )
                    severity = Severity.INFO
                elif verdict is TypeVerdict.REJECTED:
                    message = (
                        f"{constraint.name}: {types}: PostgreSQL has no equality operator for "
                        f"the pair and rejects the foreign key (42804), failing the migration"
                    )
                    severity = Severity.ERROR
                else:
                    message = (
                        f"{constraint.name}: {types}: accepted, but every referential check and "
                        f"join casts, and the narrower type limits the values that can be "
                        f"referenced"
                    )
                    severity = Severity.WARNING
                fix = (
                    f"ALTER TABLE {relation_sql(table.qualified)} ALTER COLUMN {quote(name)} "
                    f"TYPE {ref_column.type.render()}"
                    + (
                        f" USING {quote(name)}::{ref_column.type.render()};"
                        if verdict is TypeVerdict.REJECTED
                        else ";"
                    )
                )
                yield self.finding(
                    message,
                    constraint.origin,
                    severity=severity,
                    objects=[
                        child_col,
                        parent_col,
                        f"{display_name(table.qualified)}.{constraint.name}",
                    ],
                    fix=fix,
                )


def _length_only(child: TypeRef, parent: TypeRef) -> bool | None:
    """None when the types differ by more than a length; else whether the child is narrower.

    varchar(30) and varchar(255) are one type: comparing them needs no cast.
    """
    if (child.name, child.schema, child.array_dims) != (
        parent.name,
        parent.schema,
        parent.array_dims,
    ):
        return None
    if child.modifiers == parent.modifiers:
        return None
    if not child.modifiers:
        return False  # unlimited child
    if not parent.modifiers:
        return True
    try:
        return int(child.modifiers[0]) < int(parent.modifiers[0])
    except ValueError:
        return None
