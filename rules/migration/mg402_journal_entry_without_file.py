"""MG402: a drizzle journal entry whose .sql file does not exist."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.model import JournalStatus
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import label, migration_origin


@register
class JournalEntryWithoutFileRule(Rule):
    """A journal entry names a migration file that is not in the folder.

    What it does:
        Reports every entry of a drizzle-kit ``meta/_journal.json`` whose
        ``<tag>.sql`` file is missing from the migration folder, at the
        entry's place in the journal.

    Why it matters:
        drizzle's migrator reads every file the journal lists before it
        applies anything; a missing one makes the whole ``migrate`` call
        fail ("No file ... found"), so no migration runs on any database
        until the file is restored or the entry removed.

    Example:
        meta/_journal.json lists 0002_add_index, and 0002_add_index.sql is
        not in the folder (renamed or deleted by hand).

    Use instead:
        Restore the file under the tag's name, or remove the entry with
        ``drizzle-kit drop`` so the journal and the snapshots stay in step.

    References:
        https://orm.drizzle.team/docs/drizzle-kit-migrate
        https://orm.drizzle.team/docs/drizzle-kit-drop
    """

    meta = RuleMeta(
        "MG402",
        "journal-entry-without-file",
        Severity.ERROR,
        "drizzle journal entry without its file",
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for migration in context.sources.migrations:
            if migration.status is not JournalStatus.MISSING_FILE:
                continue
            yield self.finding(
                f"meta/_journal.json lists {migration.name!r} but {label(migration)} is not in the "
                "folder: drizzle's migrator stops before applying anything (no file found)",
                migration_origin(context.sources, migration),
                objects=[label(migration)],
                fix=(
                    f"restore {label(migration)}, or remove the entry with drizzle-kit drop "
                    "if the migration was abandoned"
                ),
            )
