"""IX308: a B-tree index on an unbounded jsonb/json/array or long free-text column."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import Column, Index, quote, relation_sql
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.index._common import indexes_sorted

# btree's largest entry on 8 kB pages (BTMaxItemSize): one third of a page, minus overhead.
BTREE_MAX_ENTRY = 2704
# Column names that hold prose rather than identifiers, when the type is unbounded text.
FREE_TEXT_NAMES = frozenset(
    {
        "body", "bio", "comment", "content", "description", "details", "html", "instructions",
        "markdown", "message", "notes", "prompt", "summary", "template", "text", "transcript",
    }
)  # fmt: skip


@register
class BtreeOnUnboundedColumnRule(Rule):
    """A B-tree index on a column whose values can be larger than a B-tree entry.

    What it does:
        Reports B-tree indexes (including those behind UNIQUE and PRIMARY KEY
        constraints) with a key on a ``jsonb``, ``json`` or array column, a
        ``bytea`` column, or a free-text column (unbounded ``text`` or
        ``varchar`` named like prose: content, body, description, message...).
        ``json`` has no B-tree operator class at all, so that case is an error.

    Why it matters:
        A B-tree entry must fit in a third of a page (2,704 bytes on 8 kB
        pages). The CREATE INDEX succeeds while the values are small; the
        first INSERT or UPDATE with a larger value fails with "index row size
        exceeds btree maximum", in production, on the write path. Equality on
        a hash of the value, or GIN containment, serve the same lookups without
        the limit.

    Example:
        CREATE TABLE message (id bigint PRIMARY KEY, payload jsonb NOT NULL);
        CREATE INDEX message_payload_idx ON message (payload);

    Use instead:
        CREATE TABLE message (id bigint PRIMARY KEY, payload jsonb NOT NULL);
        CREATE INDEX message_payload_idx ON message USING gin (payload jsonb_path_ops);

    References:
        https://www.postgresql.org/docs/current/btree.html
        https://www.postgresql.org/docs/current/datatype-json.html#JSON-INDEXING
    """

    meta = RuleMeta(
        "IX308",
        "btree-on-unbounded-column",
        Severity.WARNING,
        "B-tree index on an unbounded jsonb/array/free-text column",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for index in indexes_sorted(context.catalog):
            if index.method != "btree":
                continue
            table = context.catalog.tables.get(index.table)
            if table is None:
                continue
            for key in index.keys:
                column = table.column(key.column) if key.column else None
                if column is None:
                    continue
                problem = _unbounded(column)
                if problem is None:
                    continue
                yield self._finding(index, column, problem)
                break

    def _finding(self, index: Index, column: Column, problem: str) -> Finding:
        where = f"{index.table[1]}.{column.name}"
        is_json = column.type.name == "json" and not column.type.is_array
        if is_json:
            message = (
                f"Index {index.name} is a B-tree on {where} (json): json has no B-tree "
                "operator class, so PostgreSQL rejects the CREATE INDEX"
            )
        else:
            message = (
                f"Index {index.name} is a B-tree on {where} ({problem}): an entry over "
                f"{BTREE_MAX_ENTRY} bytes makes the INSERT or UPDATE that writes it fail "
                "(index row size exceeds btree maximum)"
            )
        return self.finding(
            message,
            index.origin,
            severity=Severity.ERROR if is_json else None,
            objects=[index.name, where],
            fix=_fix(index, column),
        )


def _unbounded(column: Column) -> str | None:
    type_ref = column.type
    if type_ref.is_array:
        return f"an array of {type_ref.element.render()}"
    if type_ref.name in ("jsonb", "json", "bytea"):
        return type_ref.name
    if type_ref.name in ("text", "character varying"):
        limit = int(type_ref.modifiers[0]) if type_ref.modifiers else None
        if limit is not None and limit * 4 <= BTREE_MAX_ENTRY:
            return None
        if limit is None and column.name.lower() not in FREE_TEXT_NAMES:
            return None
        return f"free text, {type_ref.render()}"
    return None


def _fix(index: Index, column: Column) -> str:
    table = relation_sql(index.table)
    name = quote(column.name)
    if column.type.name in ("jsonb", "json") or column.type.is_array:
        ops = " jsonb_path_ops" if column.type.name == "jsonb" and not column.type.is_array else ""
        return f"CREATE INDEX ON {table} USING gin ({name}{ops});  -- containment (@>) lookups"
    if index.unique:
        return f"CREATE UNIQUE INDEX ON {table} (md5({name}));  -- uniqueness of the text's hash"
    lookup = f"WHERE md5({name}) = md5(?)"
    return f"CREATE INDEX ON {table} (md5({name}));  -- equality lookups: {lookup}"
