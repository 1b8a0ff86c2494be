"""FK210: two foreign keys on the same columns to the same target."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Constraint, QualifiedName, display_name, quote, relation_sql
from checker.findings import Finding, Fix, Location, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.foreign_keys._common import (
    action_sql,
    foreign_keys,
    referenced_columns,
)


@register
class DuplicateForeignKeyRule(Rule):
    """The same reference is declared by two foreign keys.

    What it does:
        Reports a foreign key whose column pairs (referencing → referenced)
        and referenced table equal those of another foreign key of the same
        table, at the later of the two, naming the earlier one. When their
        ON DELETE or ON UPDATE actions differ it says so.

    Why it matters:
        Each foreign key is a pair of triggers: a duplicate doubles the check
        on every insert and update of the child and on every delete of the
        parent. With different actions the schema says two things at once:
        PostgreSQL runs both (in constraint creation order), so a RESTRICT
        twin makes a CASCADE pointless, and a reader cannot tell which one was
        meant. They usually come from a migration re-adding a key under a new
        name (drizzle-kit renames, hand-written fixes).

    Example:
        CREATE TABLE board (id text PRIMARY KEY);
        CREATE TABLE card (id text PRIMARY KEY, board_id text REFERENCES board (id));
        ALTER TABLE card ADD CONSTRAINT card_board_fk FOREIGN KEY (board_id) REFERENCES board (id);

    Use instead:
        CREATE TABLE board (id text PRIMARY KEY);
        CREATE TABLE card (id text PRIMARY KEY, board_id text);
        ALTER TABLE card ADD CONSTRAINT card_board_fk FOREIGN KEY (board_id) REFERENCES board (id);

    References:
        https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
    """

    meta = RuleMeta("FK210", "duplicate-foreign-key", Severity.WARNING, "duplicate foreign key")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        seen: dict[
            tuple[QualifiedName, QualifiedName, frozenset[tuple[str, str]]], list[Constraint]
        ] = {}
        for table, constraint, details in foreign_keys(catalog):
            pairs = frozenset(
                zip(constraint.columns, referenced_columns(catalog, details), strict=False)
            )
            seen.setdefault((table.qualified, details.ref_table, pairs), []).append(constraint)
        for (child_key, parent_key, _), group in sorted(seen.items(), key=lambda item: item[0][:2]):
            if len(group) < 2:
                continue
            ordered = sorted(group, key=lambda c: (c.origin.statement, c.origin.start, c.name))
            first = ordered[0]
            for duplicate in ordered[1:]:
                yield self._finding(child_key, parent_key, first, duplicate)

    def _finding(
        self, child: QualifiedName, parent: QualifiedName, first: Constraint, duplicate: Constraint
    ) -> Finding:
        a, b = first.foreign_key, duplicate.foreign_key
        assert a is not None and b is not None  # grouped from foreign_keys()
        columns = ", ".join(duplicate.columns)
        message = (
            f"{duplicate.name} duplicates {first.name}: both reference {display_name(parent)} from "
            f"{display_name(child)} ({columns}); every insert or update of {display_name(child)} "
            f"and every delete of {display_name(parent)} checks the key twice"
        )
        if (a.on_delete, a.on_update) != (b.on_delete, b.on_update):
            message += (
                f", and their actions differ (ON DELETE {action_sql(a.on_delete)} vs "
                f"{action_sql(b.on_delete)}, ON UPDATE {action_sql(a.on_update)} vs "
                f"{action_sql(b.on_update)}): both run, in creation order"
            )
        where = [
            Location.of(duplicate.origin),
            Location.of(first.origin, f"{first.name} declared here"),
        ]
        return self.finding(
            message,
            where,
            objects=[
                f"{display_name(child)}.{duplicate.name}",
                f"{display_name(child)}.{first.name}",
            ],
            fix=Fix(
                f"drop the duplicate {duplicate.name}",
                statements=(
                    f"ALTER TABLE {relation_sql(child)} DROP CONSTRAINT {quote(duplicate.name)};",
                ),
            ),
        )
