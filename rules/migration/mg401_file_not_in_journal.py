"""MG401: a .sql file in a drizzle folder that the journal does not list."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Location, Severity
from checker.model import JournalStatus
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import (
    file_origin,
    journal_entry_origin,
    journals_by_folder,
    label,
    sequence_of,
)


@register
class FileNotInJournalRule(Rule):
    """A migration file is not listed in its folder's drizzle journal.

    What it does:
        Reports every ``.sql`` file of a drizzle-kit migration folder (one
        with ``meta/_journal.json``) whose name has no entry in the journal.
        When a journal entry uses the same number, it is shown as well.

    Why it matters:
        ``drizzle-kit migrate`` and drizzle-orm's ``migrate()`` read only the
        journal: a file it does not list is never applied, on any database,
        and nothing says so. Code that expects its columns or data then fails
        at run time. The other rules do not see its statements either, since
        they model what the migrator runs.

    Example:
        migrations/0001_add_stats.sql exists, but meta/_journal.json lists
        only 0000_init and 0001_add_users.

    Use instead:
        Add the file to the journal (``drizzle-kit generate --custom`` creates
        an entry and an empty file to paste the SQL into), or delete it.

    References:
        https://orm.drizzle.team/docs/drizzle-kit-migrate
        https://orm.drizzle.team/docs/kit-custom-migrations
    """

    meta = RuleMeta(
        "MG401",
        "file-not-in-journal",
        Severity.ERROR,
        "migration file not listed in the drizzle journal",
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        journals = journals_by_folder(context.sources)
        for migration in context.sources.migrations:
            if migration.status is not JournalStatus.NOT_IN_JOURNAL:
                continue
            places = [Location.of(file_origin(context.sources, migration), "not in the journal")]
            journal = journals.get(migration.folder or "")
            same_number = ""
            if journal is not None and migration.sequence is not None:
                for entry in journal.entries:
                    if sequence_of(entry.tag) == migration.sequence:
                        origin = journal_entry_origin(journal, entry)
                        places.append(
                            Location.of(origin, f"the journal's {migration.sequence:04d}")
                        )
                        same_number = (
                            f"; the journal's entry for {migration.sequence:04d} is {entry.tag}"
                        )
                        break
            yield self.finding(
                f"{label(migration)} is not listed in meta/_journal.json: drizzle's migrator never "
                f"applies it, on any database{same_number}",
                places,
                objects=[label(migration)],
                fix=(
                    f"add an entry for {migration.name!r} to meta/_journal.json (drizzle-kit "
                    "generate --custom creates one), or delete the file if its work is done "
                    "elsewhere"
                ),
            )
