"""What the simulator hands to the rules besides the Catalog.

Parsed statements (with their pglast trees and original identifier texts), and
events: one record per thing a statement did or could not do (created, altered,
skipped by IF NOT EXISTS, referenced something missing, not analysed). Rules
read events instead of re-simulating; no event is ever an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from checker.model import Origin, Statement

if TYPE_CHECKING:
    from checker.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier token as written in the source, before truncation."""

    text: str  # the name as PostgreSQL sees it before truncation (unquoted: lower-cased)
    raw: str  # the token exactly as written, quotes included
    quoted: bool
    byte_length: int  # of ``text`` in UTF-8
    origin: Origin

    @property
    def truncated(self) -> str:
        """The name PostgreSQL stores (63 bytes at most, cut on a character boundary)."""
        data = self.text.encode("utf-8")
        if len(data) <= 63:
            return self.text
        return data[:63].decode("utf-8", errors="ignore")


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why a statement did not parse, and the exact place the parser points at."""

    message: str
    origin: Origin  # the exact place (file offset) the parser points at
    token: str | None = None  # the token at that place, when known


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """A statement and what pglast made of it.

    ``node`` is the pglast AST node of the statement (``RawStmt.stmt``), or
    None when it did not parse (then ``error`` says why). ``identifiers`` are
    the identifier tokens of the statement, with their original spelling.
    """

    statement: Statement
    node: Any = None
    error: ParseError | None = None
    # set for statements found inside a DO block / function body: the outer statement
    parent: ParsedStatement | None = None
    # False for generated SQL (a snapshot's DDL), whose objects are placed elsewhere
    scanned: bool = True
    # the identifier tokens once asked for: only the naming rules need every one, so the
    # scan (as long as the parse itself) is not on every run's path
    _identifiers: list[tuple[Identifier, ...]] = field(
        default_factory=list, compare=False, repr=False
    )

    @property
    def origin(self) -> Origin:
        return self.statement.origin

    @property
    def identifiers(self) -> tuple[Identifier, ...]:
        """The identifier tokens of the statement, with their original spelling."""
        if not self.scanned:
            return ()
        if not self._identifiers:
            from checker.parsing import scan_identifiers

            self._identifiers.append(scan_identifiers(self.statement))
        return self._identifiers[0]

    def long_identifiers(self, longer_than: int) -> tuple[Identifier, ...]:
        """The identifier tokens whose name is longer than ``longer_than`` bytes: from
        ``identifiers`` once scanned, else from a scan that builds no other token."""
        if not self.scanned:
            return ()
        if self._identifiers:
            return tuple(i for i in self._identifiers[0] if i.byte_length > longer_than)
        from checker.parsing import scan_identifiers

        return scan_identifiers(self.statement, longer_than)


class EventKind(StrEnum):
    CREATED = "created"
    ALTERED = "altered"
    DROPPED = "dropped"
    RENAMED = "renamed"
    COMMENTED = "commented"
    SKIPPED_EXISTING = "skipped-existing"  # IF NOT EXISTS found an object of that name
    DUPLICATE = "duplicate"  # CREATE of a name that exists: the server would fail here
    MISSING = "missing"  # reference to something that does not exist at this point
    NOT_ANALYSED = "not-analysed"  # statement or body the simulator cannot model
    NO_OP = "no-op"  # DROP ... IF EXISTS of nothing and similar
    # DROP without CASCADE of something other objects depend on: the server would fail
    # ("cannot drop ... because other objects depend on it") and the drop is not applied
    BLOCKED = "blocked"
    REJECTED = "rejected"  # the server rejects the statement for another reason; not applied


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One effect (or failed effect) of one statement on the catalog.

    ``object_kind``: schema, table, column, constraint, index, enum, domain,
    composite, type, extension, sequence, view, function, trigger, statement.
    ``name``: the object's display name (``table``, ``table.column``,
    ``table.constraint``). ``action`` names the operation for ALTERED events
    (``add column``, ``set not null``, ``alter column type``, ``add constraint``,
    ``validate constraint``, ``add value``, ``rename value``, ``set default``,
    ``drop not null`` ...). ``previous`` is the origin of the object the
    statement acted on or collided with; ``kept`` and ``skipped`` hold the
    existing and the ignored definitions for SKIPPED_EXISTING and DUPLICATE.
    """

    kind: EventKind
    object_kind: str
    name: str
    origin: Origin
    statement: ParsedStatement
    action: str = ""
    detail: str = ""
    previous: Origin | None = None
    kept: Any = None
    skipped: Any = None
    # for MISSING: the later statement that creates the object, when there is one
    created_later: Origin | None = None
    # for MISSING: the key the object would be created under, ``(kind, schema, name[, part])``
    # (a run resumed after this statement looks it up among the statements that follow)
    wanted: tuple[str, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """The catalog after the statements, the statements as parsed, and what each did."""

    catalog: Catalog
    statements: Sequence[ParsedStatement]
    events: Sequence[SimEvent] = field(default_factory=tuple)
    # a run resumed from a checkpoint: where the restored prefix ends (None: simulated whole)
    resumed: Resumed | None = None


@dataclass(frozen=True, slots=True)
class Resumed:
    """Where a simulation resumed from a checkpoint: the restored prefix's statements and
    events are the first ``statements`` and ``events`` of the result, and ``catalog`` is the
    catalog as the prefix left it. ``looked_ahead``: a restored MISSING event learned that a
    new statement creates its object, so the prefix's events differ from those of the run
    that kept the checkpoint."""

    statements: int
    events: int
    catalog: Catalog
    looked_ahead: bool
