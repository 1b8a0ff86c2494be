"""The reports' drift table: every drifted object with its state in each source.

Built by ``checker.drift.drift_table``; kept apart from it so that reading one
(from a cached run) imports neither the catalog nor the diff."""

from __future__ import annotations

from dataclasses import dataclass

from checker.diff_kinds import Aspect


@dataclass(frozen=True, slots=True)
class DriftRow:
    """One drifted object (or one property of it) and its state in each source."""

    aspect: Aspect
    subject: str  # "column user.email", "column user.email NOT NULL", "index i on t"
    objects: tuple[str, ...]
    states: tuple[str, ...]  # one per ``DriftTable.sources``: "absent", "present" or a value


@dataclass(frozen=True, slots=True)
class DriftTable:
    """Every drifted object with its state in each source the run had, for the reports."""

    sources: tuple[str, ...]  # in order, those the run had: "ORM", "snapshot", "migrations", "live"
    rows: tuple[DriftRow, ...]

    def state(self, row: DriftRow, source: str) -> str:
        return row.states[self.sources.index(source)]
