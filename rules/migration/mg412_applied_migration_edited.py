"""MG412: the change edits or deletes a migration that was already applied."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path

from checker.findings import Finding, Location, Severity
from checker.model import Journal, Origin, file_label
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.migration._common import journal_entry_origin


def _was_applied(context: RuleContext, path: str) -> bool:
    """Whether the folder's migrator applied the deleted file ``path`` on PostgreSQL,
    judged by its name among the files left beside it (``0001_x.down.sql`` and
    ``0001_x.sqlite.up.sql`` are not)."""
    from checker.sources.sql_files import applied_files

    folder = Path(path).parent
    beside = {Path(m.path) for m in context.sources.migrations if Path(m.path).parent == folder}
    beside |= {Path(n.path) for n in context.sources.not_applied if Path(n.path).parent == folder}
    _, skipped = applied_files(sorted(beside | {Path(path)}))
    return all(Path(s.path) != Path(path) for s in skipped)


def _first_difference(old: str, new: str) -> int:
    """Offset in ``new`` of the first line that differs from ``old``."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, _i1, _i2, j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            return sum(len(line) for line in new_lines[:j1])
    return 0


def _entries(text: str) -> dict[str, tuple[object, object]]:
    """tag -> (idx, when) of a journal's text; empty when it does not parse."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    found: dict[str, tuple[object, object]] = {}
    for raw in entries if isinstance(entries, list) else ():
        if isinstance(raw, dict) and isinstance(raw.get("tag"), str):
            found[raw["tag"]] = (raw.get("idx"), raw.get("when"))
    return found


@register
class AppliedMigrationEditedRule(Rule):
    """The change edits or deletes a migration that existed at the merge base.

    What it does:
        With ``check --since REF``, reports every migration file that existed
        at the merge base and that the change edits or deletes, and every
        drizzle-kit journal entry of such a migration whose ``idx`` or
        ``when`` the change rewrites or removes. New files and new journal
        entries are the normal way to change a schema and are not reported.
        With a baseline that records its files (``check --baseline``), the
        same for the files it recorded that were edited or deleted since; a
        baseline keeps digests, not texts, so an edit is reported at the
        file's first line.

    Why it matters:
        A migration at the merge base may already have run on production,
        staging and every developer's database. Runners record what they
        applied (drizzle in ``__drizzle_migrations`` by hash and date, Prisma
        in ``_prisma_migrations`` by name and checksum) and never run it
        again: an edit reaches only new databases, so deployed ones and fresh
        ones silently differ from then on. drizzle decides what is pending by
        the journal's ``when``, so a re-dated entry can be skipped or re-run.
        Prisma refuses to migrate at all when an applied file's checksum changes.

    Example:
        -- 0010_users.sql at the merge base:
        --   CREATE TABLE account (id text PRIMARY KEY);
        -- the change edits it to:
        CREATE TABLE account (id text PRIMARY KEY, email text);

    Use instead:
        -- leave 0010_users.sql as it was; a new migration changes the schema:
        ALTER TABLE account ADD COLUMN email text;

    References:
        https://orm.drizzle.team/docs/migrations
        https://www.prisma.io/docs/orm/prisma-migrate/workflows/troubleshooting
    """

    meta = RuleMeta(
        "MG412",
        "applied-migration-edited",
        Severity.ERROR,
        "the change edits or deletes an applied migration",
    )
    doc_example_is_sql = False  # it needs a git history; its tests build one

    def check(self, context: RuleContext) -> Iterator[Finding]:
        change = context.change
        if change is None:
            return
        journals = {Path(j.path).resolve(): j for j in context.sources.journals}
        removed_entries: set[str] = set()
        for path, old in sorted(change.previous.items()):
            journal = journals.get(Path(path).resolve())
            if journal is not None:
                for finding in self._journal(context, journal, old):
                    removed_entries.update(finding.objects)
                    yield finding
        # a baseline knows that a file it recorded was edited or is gone, not its text then
        earlier: dict[str, str | None] = dict.fromkeys((*change.edited, *change.deleted))
        earlier.update(change.previous)
        for path, text in sorted(earlier.items()):
            if Path(path).resolve() in journals:
                continue
            if path in change.deleted:
                if Path(path).stem not in removed_entries:  # else its entry's finding says it
                    yield from self._deleted(context, path, change.before)
            else:
                source = context.sources.files.get(path)
                if source is None:
                    continue
                start = _first_difference(text, source.text) if text is not None else 0
                end = source.text.find("\n", start)
                origin = Origin(path, start, end if end >= 0 else len(source.text), -1)
                yield self.finding(
                    f"{file_label(path)} existed {change.before} and the change edits it: "
                    "databases that already applied it never run it again, so they and new "
                    "databases now differ",
                    [Location.of(origin)],
                    objects=[file_label(path)],
                    fix="restore the file as it was and put the change in a new migration",
                )

    def _deleted(self, context: RuleContext, path: str, before: str) -> Iterator[Finding]:
        if not _was_applied(context, path):
            return  # a down migration, another database's file: no database applied it
        name = file_label(path)
        journal = next(
            (
                j
                for j in context.sources.journals
                if Path(j.path).parent.parent == Path(path).parent
            ),
            None,
        )
        origin = Origin(journal.path, 0, 1, -1) if journal is not None else None
        if origin is None:
            # a migration left beside it; in a layout of one folder per migration
            # (<version>_<name>/migration.sql) its folder went too: one beside that
            where = Path(path).parent
            beside = [where, where.parent] if name != Path(path).name else [where]
            folder = next(
                (
                    m.path
                    for folder in beside
                    for m in context.sources.migrations
                    if folder in (Path(m.path).parent, Path(m.path).parent.parent)
                ),
                None,
            )
            origin = Origin(folder, 0, 0, -1) if folder is not None else None
        if origin is None:
            return
        yield self.finding(
            f"{name} existed {before} and the change deletes it: databases that "
            "applied it keep what it made, new databases never get it",
            [Location.of(origin)],
            objects=[name],
            fix="restore the file; undo what it did in a new migration instead",
        )

    def _journal(self, context: RuleContext, journal: Journal, old_text: str) -> Iterator[Finding]:
        before = _entries(old_text)
        now = {entry.tag: entry for entry in journal.entries}
        for tag, (idx, when) in sorted(before.items()):
            entry = now.get(tag)
            if entry is None:
                yield self.finding(
                    f"the journal entry {tag} existed at the merge base and the change removes it "
                    f"(and {tag}.sql, if it deletes that too): drizzle no longer knows a migration "
                    "that deployed databases applied, and new databases never get it",
                    [Location.of(Origin(journal.path, 0, 1, -1))],
                    objects=[tag],
                    fix="restore the entry; undo what the migration did in a new one",
                )
            elif entry.idx != idx or entry.when != when:
                what = "renumbers" if entry.idx != idx else "re-dates"
                yield self.finding(
                    f"the journal entry {tag} existed at the merge base and the change {what} it "
                    f"(idx {idx} -> {entry.idx}, when {when} -> {entry.when}): drizzle decides "
                    "what is pending by the newest applied `when`, so deployed databases may skip "
                    "or re-run migrations",
                    [Location.of(journal_entry_origin(journal, entry))],
                    objects=[tag],
                    fix="keep applied entries as they were; append new entries after them",
                )
