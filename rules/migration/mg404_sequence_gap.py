"""MG404: a gap in the numbering of a migration folder."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from checker.findings import Finding, Location, Severity
from checker.model import Layout, MigrationFile
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import Folder, base_numbers, label, migration_folders, migration_origin

# Rails, Prisma, Knex, golang-migrate and Flyway projects often number migrations
# by timestamp (20240301120000_x): the numbers are not consecutive by design.
# Eight digits or more is a date (YYYYMMDD...), never a counter.
_TIMESTAMP_FLOOR = 10_000_000
# Tools that order by version and accept any gap (a project numbers its migrations after
# its releases: 0010 for 1.9.0, 0015 for 2.0.0): a hole is no sign of a lost file there.
_GAPS_BY_DESIGN = frozenset(
    {Layout.FLYWAY, Layout.SQLX, Layout.DIESEL, Layout.GOLANG_MIGRATE, Layout.ATLAS}
)


def _span(low: int, high: int) -> str:
    return f"{low:04d}" if low == high else f"{low:04d}-{high:04d}"


@register
class SequenceGapRule(Rule):
    """A number is missing from a folder's migration sequence.

    What it does:
        Reports each run of missing numbers between the lowest and the
        highest migration number of a folder (files and journal entries
        both count), at the first migration after the gap. An extension
        folder that does not start at 0000 continues the base's numbering;
        a gap between the base's newest number and its first is reported too.
        Folders numbered by timestamp (eight digits or more, as Rails,
        Prisma and Knex name them) have no consecutive numbers to check, and
        neither have folders of tools that order by version and accept any
        gap (Flyway, Atlas, sqlx, Diesel, golang-migrate, as the folder's layout or
        its project's manifest tells: docs/migration-layouts.md).

    Why it matters:
        drizzle-kit numbers migrations consecutively, so a hole means a
        migration was deleted, renamed, or never committed: databases that
        ran it have a schema the folder cannot rebuild, and a fresh database
        differs from production. An extension numbered after a base that is
        not the one it is checked against was planned on a stale copy.

    Example:
        0028_absent_triton.sql is followed by 0030_happy_joseph.sql; no
        0029 file or journal entry exists.

    Use instead:
        Restore the lost migration (from version control or a database
        that ran it), or record in the folder why the number is unused.

    References:
        https://orm.drizzle.team/docs/drizzle-kit-generate
    """

    meta = RuleMeta("MG404", "sequence-gap", Severity.WARNING, "gap in the migration numbering")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        folders = migration_folders(context.sources)
        in_base = base_numbers(folders)
        for folder in folders:
            by_number: dict[int, MigrationFile] = {}
            for migration in folder.numbered:
                assert migration.sequence is not None
                by_number.setdefault(migration.sequence, migration)
            numbers = sorted(by_number)
            if numbers and numbers[-1] >= _TIMESTAMP_FLOOR:
                continue
            if folder.numbered and all(m.layout in _GAPS_BY_DESIGN for m in folder.numbered):
                continue
            for low, high in pairwise(numbers):
                if high > low + 1:
                    yield self._gap(
                        context,
                        folder,
                        by_number[high],
                        low,
                        high,
                        ": a migration that was deleted or never committed cannot be replayed "
                        "on a fresh database",
                    )
            if folder.continues_numbering() and in_base and numbers:
                newest = max(in_base)
                if newest < _TIMESTAMP_FLOOR and numbers[0] > newest + 1:
                    base_file = in_base[newest][0]
                    yield self._gap(
                        context,
                        folder,
                        by_number[numbers[0]],
                        newest,
                        numbers[0],
                        f": the base's newest migration is {label(base_file)}, so this "
                        "extension's numbers were planned against a different base, and merged "
                        "into the base's folder they leave a hole",
                        f"number the extension's files from {newest + 1:04d}, after the base's "
                        "newest migration, checked against the base they will be merged into",
                    )

    def _gap(
        self,
        context: RuleContext,
        folder: Folder,
        after: MigrationFile,
        low: int,
        high: int,
        why: str,
        fix: str = "",
    ) -> Finding:
        missing = _span(low + 1, high - 1)
        return self.finding(
            f"no migration numbered {missing} before {label(after)}{why}",
            [
                Location.of(
                    migration_origin(context.sources, after), f"{missing} missing before this"
                )
            ],
            objects=[f"{folder.layer.value}:{missing}"],
            fix=fix
            or f"restore the migration(s) numbered {missing}, or renumber so the sequence "
            "has no hole",
        )
