"""PS003: the contract names a table or column the final schema does not have."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase

from checker.catalog import display_name
from checker.findings import Finding, Location, Severity
from checker.model import Layer, Origin
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class ContractNamesMissingObjectRule(Rule):
    """The contract names a table or column that the schema does not have.

    What it does:
        Looks up every name the contract states in the final schema: the
        ``root``, ``preserves`` and ``removes`` of each ``[[contract.delete]]``
        (globs such as ``parlant_*`` must match at least one table), the keys
        of ``[contract.volumes]``, the ``tenant_key`` column (some table must
        have it) and the ``tenant_tables`` globs. Each name that matches
        nothing is reported at its line in the contract, with the nearest
        existing name. Documented queries are checked by IX301 (tables they
        read) and IX302 (the index they expect).

    Why it matters:
        A contract entry that names nothing checks nothing: a misspelt
        ``preserves = ["workflow_executoin_logs"]`` makes the preserve check
        pass whatever the foreign keys do, and a volume given for a renamed
        table no longer raises the cascade's severity. The gate looks green
        because the typo switched it off.

    Example:
        CREATE TABLE person (id text PRIMARY KEY);
        CREATE TABLE chat_messages (
            id text PRIMARY KEY,
            person_id text REFERENCES person (id) ON DELETE CASCADE
        );

    Use instead:
        CREATE TABLE person (id text PRIMARY KEY);
        CREATE TABLE chat_message (
            id text PRIMARY KEY,
            person_id text REFERENCES person (id) ON DELETE CASCADE
        );

    References:
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    """

    meta = RuleMeta(
        "PS003",
        "contract-names-missing-object",
        Severity.ERROR,
        "the contract names a table or column the schema does not have",
    )
    doc_contract = '[[delete]]\nroot = "person"\npreserves = ["chat_message"]\n'

    def check(self, context: RuleContext) -> Iterator[Finding]:
        catalog = context.catalog
        tables = sorted({display_name(key) for key in catalog.tables})
        names = set(tables) | {key[1] for key in catalog.tables}
        contract = context.settings.contract

        def missing(pattern: str) -> bool:
            return not any(fnmatchcase(name, pattern) for name in names)

        for intent in contract.deletes:
            schema, dot, relname = intent.root.partition(".")
            if ((schema, relname) if dot else ("public", intent.root)) not in catalog.tables:
                yield self._missing(context, "delete root", intent.root, tables, intent.origin)
            for key, patterns in (("preserves", intent.preserves), ("removes", intent.removes)):
                for pattern in patterns:
                    if missing(pattern):
                        yield self._missing(
                            context, f"delete {key}", pattern, tables, intent.origin, key
                        )
        config = _config_origin(context)
        for pattern in contract.volumes:
            if missing(pattern):
                yield self._missing(context, "volume", pattern, tables, config, "")
        for pattern in contract.tenant_tables:
            if missing(pattern):
                yield self._missing(
                    context, "tenant_tables", pattern, tables, config, "tenant_tables"
                )
        tenant_key = contract.tenant_key
        if tenant_key:
            columns = sorted({c.name for table in catalog.tables.values() for c in table.columns})
            if tenant_key not in columns:
                nearest = _nearest(tenant_key, columns)
                yield self.finding(
                    f"contract tenant_key {tenant_key!r}: no table has this column"
                    f"{_hint(nearest)}, so no reference is checked for it",
                    _place(context, config, "tenant_key", tenant_key),
                    objects=[tenant_key],
                    fix=f"tenant_key = {nearest!r}" if nearest else None,
                )

    def _missing(
        self,
        context: RuleContext,
        entry: str,
        name: str,
        existing: Sequence[str],
        origin: Origin | None,
        key: str = "root",
    ) -> Finding:
        glob = any(ch in name for ch in "*?[")
        problem = "matches no table" if glob else "is not a table of the schema"
        nearest = _nearest(name, existing)
        return self.finding(
            f"contract {entry} {name!r} {problem}{_hint(nearest)}, so what it states is "
            "not checked",
            _place(context, origin, key, name),
            objects=[name],
            fix=f"write {nearest!r}, or a name or glob that exists" if nearest else None,
        )


def _nearest(name: str, existing: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(name, existing, n=1, cutoff=0.6)
    return found[0] if found else None


def _hint(nearest: str | None) -> str:
    return f" (nearest: {nearest})" if nearest else ""


def _config_origin(context: RuleContext) -> Origin | None:
    path = context.settings.path
    return Origin(str(path), 0, 0, -1, Layer.EXTENSION) if path is not None else None


def _place(context: RuleContext, origin: Origin | None, key: str, name: str) -> Location | None:
    """The name's own place in the contract file: the quoted name after ``key =``
    (for a volumes key: the key itself) inside the entry ``origin`` points into,
    or the whole file; else the entry's line."""
    if origin is None:
        return None
    source = context.sources.files.get(origin.file)
    if source is None:
        return Location.of(origin, "contract")
    text = source.text
    begin, end = 0, len(text)
    if origin.end > origin.start:  # an array entry: from its header to the next table
        begin = text.rfind("\n[", 0, origin.start) + 1
        following = text.find("\n[", origin.end)
        end = following if following != -1 else len(text)
    if not key:  # a volumes key: after the [contract.volumes] header
        header = re.compile(r"^[ \t]*\[[^\]\n]*volumes[ \t]*\]", re.M).search(text)
        begin = header.start() if header is not None else begin
    else:
        key_line = re.compile(r"^[ \t]*" + re.escape(key) + r"[ \t]*=", re.M).search(
            text, begin, end
        )
        begin = key_line.start() if key_line is not None else begin
    patterns = [r"""(["'])""" + re.escape(name) + r"\1"]
    if not key:  # a volumes key, written bare
        patterns.append(r"(?m)^[ \t]*()" + re.escape(name) + r"[ \t]*=")
    for pattern in patterns:
        for match in re.finditer(pattern, text[:end]):
            if match.start() < begin:
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            if "#" in text[line_start : match.start()]:
                continue  # in a comment
            at = match.end(1)
            return Location(origin.file, at, at + len(name), origin.layer, "contract")
    return Location.of(origin, "contract")
