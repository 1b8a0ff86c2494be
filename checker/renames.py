"""Findings about an object that was renamed after the place they point at.

A finding points where its object was made (an unindexed foreign key at the
REFERENCES that created it) but names the object as the run leaves it: a table
created as ``old_note`` and renamed to ``note`` three files later is reported as
``note`` at a line that says ``old_note``. ``point_at_renames`` adds each rename
between the two as a related place ("renamed to note here"), so the reader can
follow the name from the line shown to the name in the message.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

from checker.findings import Finding, Location
from checker.simulation import EventKind, SimEvent
from checker.sources import SourceSet

# renamed objects a finding's ``objects`` name: as a whole, or as the table part of
# ``table.column`` / ``table.constraint``
_KINDS = frozenset({"table", "view", "column", "type", "index", "sequence"})


def point_at_renames(
    findings: Sequence[Finding], events: Sequence[SimEvent], sources: SourceSet
) -> list[Finding]:
    """``findings``, each with the renames of its objects that follow its primary place
    added as related places (latest last)."""
    renames = [
        event
        for event in events
        if event.kind is EventKind.RENAMED and event.detail and event.object_kind in _KINDS
    ]
    if not renames:
        return list(findings)
    order = {migration.path: index for index, migration in enumerate(sources.migrations)}
    statements: dict[str, tuple[list[int], list[str]]] = {}
    for statement in sources.statements:
        starts, texts = statements.setdefault(statement.origin.file, ([], []))
        starts.append(statement.origin.start)
        texts.append(statement.text)
    timed = [
        (order[event.origin.file], event.origin.start, event)
        for event in renames
        if event.origin.file in order
    ]

    def text_at(location: Location) -> str:
        starts, texts = statements.get(location.file, ([], []))
        index = bisect.bisect_right(starts, location.start) - 1
        return texts[index].lower() if index >= 0 else ""

    marked: list[Finding] = []
    for finding in findings:
        primary = finding.primary
        if primary is None or primary.file not in order or not finding.objects:
            marked.append(finding)
            continue
        where = (order[primary.file], primary.start)
        later = [event for file, start, event in timed if (file, start) > where]
        trail = _trail(finding.objects, later, text_at(primary)) if later else []
        if trail:
            known = set(finding.locations)
            notes = (Location.of(e.origin, f"renamed to {e.detail} here") for e in trail)
            added = tuple(location for location in notes if location not in known)
            finding = replace(finding, locations=finding.locations + added)
        marked.append(finding)
    return marked


def _trail(objects: Sequence[str], later: Sequence[SimEvent], statement: str) -> list[SimEvent]:
    """The renames, among ``later`` (in run order), that lead from a name the primary
    statement uses to one of ``objects``; found from the last rename back."""
    wanted = set(objects)
    trail: list[SimEvent] = []
    for event in reversed(later):
        old = event.name
        prefix, _, _ = old.rpartition(".")
        new = f"{prefix}.{event.detail}" if prefix else event.detail
        under = [name for name in wanted if name == new or name.startswith(new + ".")]
        if under:
            trail.append(event)
            wanted |= {old + name[len(new) :] for name in under}
    # the rename must lead back to what the line shown says: its old name is in it
    if trail and trail[-1].name.rsplit(".", 1)[-1].lower() not in statement:
        return []
    return trail[::-1]
