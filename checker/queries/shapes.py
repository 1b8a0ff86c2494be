"""What a documented query asks of each table it reads: the shapes the walker
builds and the coverage matrix reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from checker.catalog import QualifiedName
from checker.config import QueryPattern

# pgvector's distance operators; sqlglot knows only ``<->`` (and reads ``<=>``
# as MySQL's null-safe equality), so every one of them is parsed as ``<->`` and
# the real operator is put back from its position in the text.
VECTOR_OPERATORS = ("<->", "<=>", "<#>", "<+>", "<~>", "<%>")
VOLUMES = ("high", "medium", "low")


class PredicateKind(StrEnum):
    EQUAL = "equal"  # = one value (or a bare boolean column): fixes the column
    IN = "in"  # IN (list), = ANY(array): several values
    IS_NULL = "is null"
    JOIN = "join"  # = a column of another table (the inner side of a nested loop)
    RANGE = "range"  # < <= > >= BETWEEN
    OTHER = "other"  # anything an index on the column cannot narrow


INDEXABLE = frozenset(
    {PredicateKind.EQUAL, PredicateKind.IN, PredicateKind.IS_NULL, PredicateKind.JOIN}
)


@dataclass(frozen=True, slots=True)
class Predicate:
    """One conjunct of a WHERE / JOIN ON that concerns one table.

    ``target`` is a column name, or the canonical text of an expression such
    as ``LOWER(email)`` (``is_column`` False). ``text`` is the canonical text
    of the whole conjunct, without table qualifiers, for partial-index
    implication. ``columns`` are every column of the table it mentions.
    """

    kind: PredicateKind
    target: str
    is_column: bool
    operator: str
    text: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ORDER BY item of a query, with its effective NULLS order."""

    target: str
    is_column: bool
    descending: bool
    nulls_first: bool  # effective NULLS order (PostgreSQL: NULLS FIRST by default for DESC)

    def render(self) -> str:
        text = self.target
        if self.descending:
            text += " DESC"
        if self.nulls_first != self.descending:
            text += " NULLS FIRST" if self.nulls_first else " NULLS LAST"
        return text


@dataclass(frozen=True, slots=True)
class DistanceOrder:
    """ORDER BY ``column <op> value``: a nearest-neighbour search."""

    column: str
    operator: str


@dataclass(frozen=True, slots=True)
class TableAccess:
    """What one query does with one table it reads."""

    table: QualifiedName
    alias: str
    predicates: tuple[Predicate, ...] = ()
    order: tuple[OrderItem, ...] = ()
    distance: DistanceOrder | None = None
    columns: frozenset[str] | None = None  # columns read; None: every column (SELECT *)
    limit: int | None = None
    has_limit: bool = False

    def targets(self, *kinds: PredicateKind) -> tuple[str, ...]:
        found: list[str] = []
        for predicate in self.predicates:
            if predicate.kind in kinds and predicate.target not in found:
                found.append(predicate.target)
        return tuple(found)

    @property
    def equality(self) -> tuple[str, ...]:
        """Targets an index condition can pin to one value or a list (=, IN, IS NULL, join)."""
        return self.targets(*INDEXABLE)

    @property
    def fixed(self) -> tuple[str, ...]:
        """Targets equal to one constant: redundant in an ORDER BY, skipped by a sort order."""
        return self.targets(PredicateKind.EQUAL)

    @property
    def ranges(self) -> tuple[str, ...]:
        return self.targets(PredicateKind.RANGE)


@dataclass(frozen=True, slots=True)
class QueryParameter:
    """A placeholder occurrence: its span in the query text and what it is compared with."""

    start: int
    end: int
    text: str
    context: str  # value | array | limit | vector | unknown
    table: QualifiedName | None = None
    column: str | None = None


@dataclass(frozen=True, slots=True)
class QueryShape:
    """What a documented query needs from indexes: tables, filters, order and parameters."""

    pattern: QueryPattern
    kind: str  # select | update | delete
    accesses: tuple[TableAccess, ...]
    parameters: tuple[QueryParameter, ...] = ()

    def access(self, table: str | QualifiedName) -> TableAccess | None:
        key = table if isinstance(table, tuple) else ("public", table)
        return next((a for a in self.accesses if a.table == key), None)


class QueryParseError(Exception):
    """A query pattern that sqlglot cannot read; ``offset`` is into the query text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
