"""MG405: a drizzle journal entry whose ``when`` is not later than an earlier entry's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from checker.config import Runner
from checker.findings import Finding, Location, Severity
from checker.model import Journal, JournalEntry, Layer
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import journal_entry_origin


def _date(when: int) -> str:
    return datetime.fromtimestamp(when / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@register
class JournalWhenNotIncreasingRule(Rule):
    """A journal entry's ``when`` does not come after an earlier entry's.

    What it does:
        Walks each drizzle journal in order and reports an entry whose
        ``when`` (epoch milliseconds) is not strictly later than the latest
        ``when`` before it. With the drizzle runner, an extension journal is
        also checked against the base's journals: by default both record what
        they applied in the same ``drizzle.__drizzle_migrations`` table (and
        a merged folder is one journal), so the base's newest ``when`` comes
        first.

    Why it matters:
        drizzle-orm's ``migrate()`` applies an entry only when its ``when``
        is later than the ``created_at`` of the newest migration the
        database recorded. An entry dated earlier is skipped without a word
        on every database that already ran the later one: fresh databases
        get it, production never does.

    Example:
        meta/_journal.json: 0004_b with "when": 1700000500000, then
        0005_c with "when": 1700000400000 (a branch merged with an older
        timestamp).

    Use instead:
        Give the entry a ``when`` later than every entry before it (and
        later than the base's newest entry, for an extension sharing the
        migrations table), or run the extension with its own
        ``migrationsTable``.

    References:
        https://orm.drizzle.team/docs/migrations
        https://github.com/drizzle-team/drizzle-orm/blob/main/drizzle-orm/src/pg-core/dialect.ts
    """

    meta = RuleMeta(
        "MG405", "journal-when-not-increasing", Severity.ERROR, "journal `when` not increasing"
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        journals = context.sources.journals
        base_newest: tuple[int, Journal, JournalEntry] | None = None
        if context.settings.runner in (None, Runner.DRIZZLE):
            for journal in journals:
                if journal.layer is not Layer.BASE:
                    continue
                for entry in journal.entries:
                    if entry.when is not None and (
                        base_newest is None or entry.when > base_newest[0]
                    ):
                        base_newest = (entry.when, journal, entry)
        for journal in journals:
            newest: tuple[int, Journal, JournalEntry] | None = None
            behind_base: list[JournalEntry] = []
            for entry in journal.entries:
                if entry.when is None:
                    continue
                if newest is not None and entry.when <= newest[0]:
                    yield self._skipped(journal, entry, newest[1], newest[2], [])
                elif (
                    journal.layer is Layer.EXTENSION
                    and base_newest
                    and entry.when <= base_newest[0]
                ):
                    behind_base.append(entry)
                if newest is None or entry.when > newest[0]:
                    newest = (entry.when, journal, entry)
            if behind_base and base_newest is not None:
                _, base_journal, base_entry = base_newest
                yield self._skipped(
                    journal, behind_base[0], base_journal, base_entry, behind_base[1:]
                )

    def _skipped(
        self,
        journal: Journal,
        entry: JournalEntry,
        earlier_journal: Journal,
        earlier: JournalEntry,
        also: list[JournalEntry],
    ) -> Finding:
        assert entry.when is not None and earlier.when is not None
        across = "" if earlier_journal is journal else " of the base's journal"
        subject = f"journal entry {entry.tag!r} has"
        if also:
            subject = f"journal entries {entry.tag!r} to {also[-1].tag!r} ({len(also) + 1}) have"
        return self.finding(
            f"{subject} when {entry.when} ({_date(entry.when)}), not later than "
            f"{earlier.tag!r}{across} ({_date(earlier.when)}): drizzle's migrator skips "
            f"{'them' if also else 'it'}, without an error, on every database that already "
            f"applied {earlier.tag!r}",
            [
                journal_entry_origin(journal, entry),
                *(
                    Location.of(journal_entry_origin(journal, other), "also skipped")
                    for other in also
                ),
                Location.of(
                    journal_entry_origin(earlier_journal, earlier), "newer entry applied first"
                ),
            ],
            objects=[entry.tag, *(other.tag for other in also), earlier.tag],
            fix=f'set "when" of {entry.tag!r} to a time after {earlier.when} (epoch milliseconds)'
            + (" and keep the later entries increasing" if also else ""),
        )
