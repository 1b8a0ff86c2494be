"""PS005: a drizzle-kit snapshot, ORM schema or declared schema that cannot be read as a schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from checker.findings import Finding, Location, Severity
from checker.model import Layer, Origin, file_label
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.sources import ReferenceSchema


@register
class ReferenceUnreadableRule(Rule):
    """A snapshot, ORM or declared schema the drift rules compare with describes no valid schema.

    What it does:
        The drift rules (DR6xx) compare the migrations' schema with the
        folder's last drizzle-kit snapshot, with the ORM schema and with a
        Supabase project's declared schema (``supabase/schemas``). Each of
        those is turned into DDL and simulated like the migrations; when
        that DDL is something the server would refuse (two relations of one
        name in a schema, a table that references a table the snapshot does
        not have, a schema file's statement that does not parse), this rule
        reports the first such place in the file, and the drift rules
        compare nothing against it. The rest of the check runs as usual.
        It also reports a ``schema_paths`` entry of ``supabase/config.toml``
        that matches no file, where the entry is written.

    Why it matters:
        A snapshot is written by drizzle-kit, not by hand, and drizzle-kit
        keeps some schemas in it that no database holds (a table declared as
        ``pgTable("auth.users", ...)`` becomes a table named ``auth.users``
        in ``public``, whose ``users_pkey`` then clashes with that of
        ``public.users``). Stopping the whole check on it would leave every
        other rule unrun; saying nothing would leave drift unchecked without
        anyone knowing.

    Example:
        -- a snapshot (meta/NNNN_snapshot.json) holding two tables whose primary
        -- keys share a name in one schema; its fixtures under fixtures/rules/PS005/

    Use instead:
        -- declare the table in its real schema (pgSchema("auth").table("users", ...))
        -- and let drizzle-kit write the snapshot again

    References:
        https://orm.drizzle.team/docs/schemas
        https://www.postgresql.org/docs/current/ddl-schemas.html
    """

    meta = RuleMeta(
        "PS005",
        "reference-unreadable",
        Severity.WARNING,
        "a snapshot, ORM or declared schema the drift rules compare with describes no valid schema",
    )
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        references = context.sources.references
        if not references:
            return
        from checker.drift import references_built, side_name
        from checker.errors import InputError

        for reference in references:
            yield from self._unmatched(reference)
        for reference, built in references_built(
            references, context.sources.files, context.settings.postgres
        ):
            if not isinstance(built, InputError):
                continue  # readable: the drift rules compare with it
            side = side_name(reference.kind)
            where = built.origin or Origin(reference.label, 0, 0, -1, Layer.BASE)
            yield self.finding(
                f"{side} {file_label(reference.label)} describes no schema PostgreSQL accepts "
                f"({built.what}): the drift rules compare nothing against it",
                Location.of(where),
                # its name, as the message gives it: the path differs where a --since run
                # reads the merge base, and the judge matches a base finding by its objects
                objects=[file_label(reference.label)],
            )

    def _unmatched(self, reference: ReferenceSchema) -> Iterator[Finding]:
        """A ``schema_paths`` entry of config.toml that names no file: a typo there leaves
        files out of the declared schema, and the drift rules report their objects as
        missing from it."""
        if not reference.unmatched:
            return
        config = Path(reference.label)
        try:
            text = config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        for entry in reference.unmatched:
            found = max(text.find(f'"{entry}"'), text.find(f"'{entry}'"))
            start = found + 1 if found >= 0 else 0
            end = start + len(entry) if found >= 0 else 0
            yield self.finding(
                f'schema_paths entry "{entry}" matches no file: the declared schema the drift '
                "rules compare with leaves it out",
                Origin(reference.label, start, end, -1, Layer.BASE),
                objects=[entry],
            )
