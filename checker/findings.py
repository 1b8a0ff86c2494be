"""Findings: the one thing rules produce and reporters consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from checker.model import Layer, Origin, pickled_as_tuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Location:
    """A span of a file (character offsets), plus an optional label."""

    file: str
    start: int
    end: int
    layer: Layer | None = None
    label: str = ""

    @staticmethod
    def of(origin: Origin, label: str = "") -> Location:
        return Location(origin.file, origin.start, origin.end, origin.layer, label)

    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.start, self.end)


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``file``'s characters ``start``..``end`` (offsets) with ``text``."""

    file: str
    start: int
    end: int
    text: str


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Fix:
    """What to do about a finding.

    ``title`` says it in words. ``edits`` change the statement in place (for
    a migration that is not applied yet); ``statements`` are SQL to run after
    it (in the same file, or in a new migration when the file is applied).
    A fix with neither is advice only.
    """

    title: str
    edits: tuple[Edit, ...] = ()
    statements: tuple[str, ...] = ()

    @property
    def structured(self) -> bool:
        return bool(self.edits or self.statements)

    def __str__(self) -> str:
        if not self.statements:
            return self.title
        return f"{self.title}: {' '.join(self.statements)}"


@pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found: a rule code, a severity, a message and where it is.

    The first location is the primary one; others are related places (the
    earlier definition a name collides with, the statements on a path).
    """

    code: str
    severity: Severity
    message: str
    locations: tuple[Location, ...] = ()
    objects: tuple[str, ...] = ()
    fix: Fix | None = None
    details: tuple[str, ...] = field(default=())
    # Whether the change under review caused it: True when the base alone does not
    # produce it, False when it was already there (pre-existing, or accepted by a
    # baseline), None when the run has no base to compare with (everything counts).
    introduced: bool | None = None

    @property
    def family(self) -> str:
        return self.code[:2]

    @property
    def counts_for_gate(self) -> bool:
        """Only findings the change introduced decide the exit code (None: no change known)."""
        return self.introduced is not False

    @property
    def primary(self) -> Location | None:
        return self.locations[0] if self.locations else None

    def sort_key(self) -> tuple[str, int, str, str]:
        primary = self.primary
        if primary is None:
            return ("", -1, self.code, self.message)
        return (primary.file, primary.start, self.code, self.message)
