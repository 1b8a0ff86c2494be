"""FK203: the referenced columns carry no primary key, unique constraint or unique index."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name, quote, relation_sql
from checker.findings import Finding, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    columns_sql,
    foreign_keys,
    referenced_columns,
    unique_keys,
)


@register
class ReferencedNotUniqueRule(Rule):
    """A foreign key references columns that are not a unique key.

    What it does:
        Reports foreign keys whose referenced column set is not exactly the
        column set of a primary key, a non-deferrable unique constraint, or a
        unique index without predicate or expressions on the referenced
        table, at the time the foreign key is created (a key created by a
        later statement does not count). ``REFERENCES t`` without a column
        list needs a primary key on t.

    Why it matters:
        PostgreSQL rejects such a constraint ("there is no unique constraint
        matching given keys for referenced table", SQLSTATE 42830; "cannot use
        a deferrable unique constraint", 55000): the migration fails, and with
        a single-transaction runner so does every migration applied with it.

    Example:
        CREATE TABLE author (id text PRIMARY KEY, email text NOT NULL);
        CREATE TABLE post (id text PRIMARY KEY, author_email text REFERENCES author (email));

    Use instead:
        CREATE TABLE author (id text PRIMARY KEY, email text NOT NULL UNIQUE);
        CREATE TABLE post (id text PRIMARY KEY, author_email text REFERENCES author (email));

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
        https://www.postgresql.org/docs/current/sql-createtable.html
    """

    meta = RuleMeta(
        "FK203",
        "referenced-not-unique",
        Severity.ERROR,
        "referenced columns are not a primary key or unique key",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for table, constraint, details in foreign_keys(catalog):
            parent = catalog.tables.get(details.ref_table)
            if parent is None:
                continue  # a missing table is a migration-ordering finding
            parent_name = display_name(details.ref_table)
            ref_columns = referenced_columns(catalog, details)
            if not ref_columns:
                yield self.finding(
                    f"{constraint.name}: REFERENCES {parent_name} names no columns and "
                    f"{parent_name} has no primary key: PostgreSQL rejects the foreign key",
                    constraint.origin,
                    objects=[f"{display_name(table.qualified)}.{constraint.name}", parent_name],
                    fix=f"ALTER TABLE {relation_sql(details.ref_table)} ADD PRIMARY KEY (...);",
                )
                continue
            wanted = frozenset(ref_columns)
            keys = [k for k in unique_keys(catalog, parent) if k.columns == wanted]
            usable = [k for k in keys if not k.deferrable]
            created_at = constraint.origin.statement
            in_time = [
                k for k in usable if k.statement < 0 or created_at < 0 or k.statement <= created_at
            ]
            if in_time:
                continue
            target = f"{parent_name} ({', '.join(ref_columns)})"
            where: list[Location] = [Location.of(constraint.origin)]
            if usable:
                later = min(usable, key=lambda k: k.statement)
                reason = (
                    f"the unique key {later.name} on those columns is created only by a later "
                    f"statement, so PostgreSQL rejects the foreign key when it runs (42830)"
                )
            elif keys:
                reason = (
                    f"the only unique key on those columns, {keys[0].name}, is DEFERRABLE, "
                    f"which a foreign key cannot use (55000)"
                )
            else:
                reason = (
                    "no primary key, unique constraint or unique index (without predicate) "
                    "covers exactly those columns, so PostgreSQL rejects the foreign key (42830)"
                )
            key_name = f"{details.ref_table[1]}_{'_'.join(ref_columns)}_unique"
            yield self.finding(
                f"{constraint.name}: references {target}: {reason}",
                where,
                objects=[f"{display_name(table.qualified)}.{constraint.name}", parent_name],
                fix=(
                    f"ALTER TABLE {relation_sql(details.ref_table)} ADD CONSTRAINT "
                    f"{quote(key_name[:63])} UNIQUE ({columns_sql(ref_columns)}); "
                    f"before the foreign key is added"
                ),
            )
