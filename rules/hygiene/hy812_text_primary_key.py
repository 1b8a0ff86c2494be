"""HY812 (opt-in): a primary key of a character type."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import display_name
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.hygiene._common import CHAR, VARCHAR, base_type, tables

_TEXT_TYPES = frozenset({"text", VARCHAR, CHAR})
# the lengths of a UUID written as text: 32 hex digits, with hyphens, with braces
_UUID_LENGTHS = frozenset({"32", "36", "38"})


@register
class TextPrimaryKeyRule(Rule):
    """A primary key column is ``text``, ``varchar`` or ``char``.

    What it does:
        Reports every primary key with a column of a character type, at the
        primary key constraint. When the length is 32, 36 or 38 (a UUID
        written out, with or without hyphens or braces) the message says so.
        Opt-in (group ``hygiene-preferences``): ORMs that generate string ids
        (cuid, nanoid, prefixed ids) make text keys a common, deliberate
        choice.

    Why it matters:
        A key is copied into every referencing row and every index over them.
        A UUID stored as text takes 37 bytes or more per copy where ``uuid``
        takes 16, compares byte by byte under a collation instead of as a
        number, and accepts strings that are not UUIDs at all. Text keys of
        any kind are also collation-sensitive: an operating system upgrade
        that changes the collation can corrupt their B-tree indexes.

    Example:
        CREATE TABLE tenant (id varchar(36) PRIMARY KEY, name text NOT NULL);

    Use instead:
        CREATE TABLE tenant (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);

    References:
        https://www.postgresql.org/docs/current/datatype-uuid.html
        https://wiki.postgresql.org/wiki/Locale_data_changes
        https://github.com/mfvanek/pg-index-health/blob/master/doc/eng/primary_keys_with_varchar.md
    """

    meta = RuleMeta(
        "HY812",
        "text-primary-key",
        Severity.INFO,
        "primary key of a text or varchar type",
        group="hygiene-preferences",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        for table in tables(catalog):
            primary = table.primary_key
            if primary is None:
                continue
            textual = []
            uuid_shaped = False
            for name in primary.columns:
                column = table.column(name)
                if column is None:
                    continue
                stored = base_type(catalog, column.type)
                if stored.name in _TEXT_TYPES and not stored.is_array:
                    textual.append(f"{name} ({column.type})")
                    uuid_shaped = uuid_shaped or (
                        stored.name != "text"
                        and set(stored.modifiers) <= _UUID_LENGTHS
                        and bool(stored.modifiers)
                    )
            if not textual:
                continue
            what = (
                ", the length of a UUID written as text: use uuid"
                if uuid_shaped
                else ": a uuid or integer identity key is smaller and free of collations"
            )
            yield self.finding(
                f"Primary key {primary.name} of {display_name(table.qualified)} is "
                f"{', '.join(textual)}{what}",
                primary.origin,
                objects=[primary.name],
            )
