"""MG403: two migration files with the same sequence number."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.model import Layout, MigrationFile
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import base_numbers, label, migration_folders, migration_origin


@register
class DuplicateSequenceNumberRule(Rule):
    """Two migrations carry the same number.

    What it does:
        Reports a migration whose ``NNNN`` prefix another migration of the
        same folder already uses (files on disk and journal entries alike).
        An extension folder that does not start at 0000 continues the base's
        numbering, since it is meant to be merged into the base's folder: its
        numbers are then also checked against the base's. Prisma folders are
        exempt: Prisma Migrate records each migration by its whole folder
        name and applies them in name order, so two folders that share a
        timestamp (``20240528214728_index_01``, ``20240528214728_index_02``)
        are two migrations applied in one fixed order, on every database.

    Why it matters:
        drizzle applies migrations by journal order and tag, not by number,
        so two files numbered 0091 both run only if both are in the journal;
        usually one of them is not (it came from a branch merge), and the
        next ``drizzle-kit generate`` numbers by the journal's length, so the
        numbers and the real order drift apart. An extension numbered after a
        stale copy of the base collides with the base's own later files.

    Example:
        0091_amusing_iron_lad.sql and 0091_backfill_user_stats.sql in one
        folder; or an extension folder with 0092_parlant_enums.sql merged
        into a base folder that already has 0092_sharp_sentinel.sql.

    Use instead:
        Renumber the later file to the next free number and list it in the
        journal; number an extension's files after the base's newest one.

    References:
        https://orm.drizzle.team/docs/kit-migrations-for-teams
        https://github.com/simstudioai/sim/issues/1750
    """

    meta = RuleMeta(
        "MG403",
        "duplicate-sequence-number",
        Severity.WARNING,
        "two migrations with the same number",
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        sources = context.sources
        folders = migration_folders(sources)
        in_base = base_numbers(folders)
        for folder in folders:
            first_of: dict[int, MigrationFile] = {}
            continues = folder.continues_numbering()
            for migration in folder.numbered:
                assert migration.sequence is not None
                if migration.layout is Layout.PRISMA:
                    continue  # applied and recorded by the whole folder name, not the number
                earlier = first_of.setdefault(migration.sequence, migration)
                if earlier is not migration:
                    yield self._duplicate(context, migration, earlier, "in the same folder")
                elif continues and migration.sequence in in_base:
                    base = in_base[migration.sequence][0]
                    yield self._duplicate(
                        context, migration, base, "in the base folder this extension continues"
                    )

    def _duplicate(
        self, context: RuleContext, migration: MigrationFile, earlier: MigrationFile, where: str
    ) -> Finding:
        number = f"{migration.sequence:04d}"
        return self.finding(
            f"{label(migration)} has number {number}, which {label(earlier)} already uses {where}: "
            "the numbers no longer tell the order the migrator applies",
            [
                migration_origin(context.sources, migration),
                Location.of(migration_origin(context.sources, earlier), f"{number} is taken here"),
            ],
            objects=[label(migration), label(earlier)],
            fix=f"renumber {label(migration)} after the newest migration of the folder it "
            "is applied from",
        )
