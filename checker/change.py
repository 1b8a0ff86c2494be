"""The change under review: which files it is, and how it was given.

A pull request's change is judged against its base (the history as it was at
the merge base). The same change can be given four ways: ``--since REF`` on a
git repository, ``--base history --extension change``, ``--base
snapshot.json --extension change``, or a baseline file of the history with the
change in the same folder. Every form yields a ``ChangeSummary``; a finding the
base alone does not produce is *introduced* (``Finding.introduced``).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from checker.findings import Finding, Location
from checker.model import Origin


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """What the run compared: reporters say it in their headline."""

    form: str  # "since" | "extension" | "baseline"
    description: str  # one line for people, e.g. "changes since origin/main (merge base 1a2b3c4d)"
    files: tuple[str, ...] = ()  # the change's files as the findings name them
    introduced: int = 0  # findings the change introduced
    pre_existing: int = 0  # findings the base alone already has
    resolved: int = 0  # findings of the base alone that the change makes go away


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """What rules may know about the change: its files, and what they replaced.

    ``files`` are the change's files as the run names them (added or edited);
    ``previous`` holds, for each file that existed at the merge base, its text
    there (an applied migration the change edits, a journal); ``deleted`` names the
    files the change removed. Only ``--since`` knows the previous texts: a baseline
    knows only that a file it recorded was edited (``edited``) or is gone. ``before``
    says when the files the change edits or deletes existed.
    """

    files: frozenset[str] = frozenset()
    previous: Mapping[str, str] = field(default_factory=dict)
    deleted: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    before: str = "at the merge base"
    # a Supabase project's declared schema files the change added, edited or deleted:
    # no migrations, but drift against them is the change's doing
    declared: frozenset[str] = frozenset()


_PATH = re.compile(r"(?:[^\s:/'\"()]*/)+(?P<name>[^\s:/'\"()]+)")
_POSITION = re.compile(r"(?<=\w):\d+(?::\d+)?\b")
_LINE_WORD = re.compile(r"\blines? \d+(?:\s*[-–]\s*\d+)?", re.I)


def normalise_message(message: str) -> str:
    """The message without folders, line numbers and columns: what survives moving a file."""
    # each pattern only where it can match: a run judges thousands of messages, and a
    # pattern tried at every character of every message was most of the judgement's time
    if "/" in message:
        message = _PATH.sub(lambda match: match.group("name"), message)
    if ":" in message:
        message = _POSITION.sub("", message)
    if "line" in message.lower():
        message = _LINE_WORD.sub("line", message)
    return message


def finding_key(
    finding: Finding, normalise: Callable[[str], str] = normalise_message
) -> tuple[str, str, tuple[str, ...], str]:
    """A finding's identity across two runs: code, file name, objects, message sans positions."""
    primary = finding.primary
    file_name = posixpath.basename(primary.file) if primary is not None else ""
    return (
        finding.code,
        file_name,
        # an object named by its path (a file the rule is about) is its name, as in messages
        tuple(sorted(normalise(name) for name in finding.objects)),
        normalise(finding.message),
    )


def judge(
    findings: Sequence[Finding], base_findings: Sequence[Finding], change_files: frozenset[str]
) -> tuple[list[Finding], int]:
    """Mark each finding introduced or pre-existing against the base alone's findings.

    Equal keys are counted: a base with one finding accepts one occurrence of
    it, not any number. A finding outside the change's files that matches no base
    finding's key exactly is still the base's when one of its unmatched findings has
    the same code, file and objects: the same problem, told with what the change added
    around it ("...; the journal's entry for 0001 is <the change's>"), as a baseline,
    which matches by place and objects, also takes it. Live findings have no base run:
    they are introduced when they point into the change. Returns the marked findings
    and how many of the base's findings no longer occur.
    """
    # the base's messages are mostly the run's too: each is normalised once
    normalise = functools.lru_cache(maxsize=None)(normalise_message)
    remaining = Counter(finding_key(f, normalise) for f in base_findings)
    keys = [finding_key(f, normalise) for f in findings]
    verdicts: list[bool] = []
    unmatched: list[int] = []
    for position, (finding, key) in enumerate(zip(findings, keys, strict=True)):
        if finding.family == "LV":
            primary = finding.primary
            verdicts.append(primary is None or primary.file in change_files)
        elif remaining[key] > 0:
            remaining[key] -= 1
            verdicts.append(False)
        else:
            verdicts.append(True)
            unmatched.append(position)
    # the second pass: by code, file and objects, among what neither side matched exactly
    # (a finding without objects has nothing but its message to match by)
    loose = Counter[tuple[str, str, tuple[str, ...]]]()
    for key, count in remaining.items():
        if key[2]:
            loose[key[:3]] += count
    gone = sum(remaining.values())
    for position in unmatched:
        key, primary = keys[position], findings[position].primary
        outside = primary is not None and primary.file not in change_files
        if outside and key[2] and loose[key[:3]] > 0:
            loose[key[:3]] -= 1
            verdicts[position] = False
            gone -= 1
    marked = [replace(f, introduced=v) for f, v in zip(findings, verdicts, strict=True)]
    return marked, gone


def point_at_change(
    finding: Finding, change_files: frozenset[str], touched: Mapping[str, Origin]
) -> Finding:
    """An introduced finding about a base object points at the change's statement that caused it.

    ``touched`` maps an object's name (``table`` or ``table.part``) to the last
    statement of the change that created, altered or dropped it. The base
    place the rule chose stays as a related location.
    """
    primary = finding.primary
    if not finding.introduced or primary is None or primary.file in change_files:
        return finding
    for name in finding.objects:
        candidates = [name, name.split(".", 1)[0]] if "." in name else [name]
        for candidate in candidates:
            origin = touched.get(candidate)
            if origin is not None:
                cause = Location.of(origin, "the change's statement that causes it")
                moved = replace(primary, label=primary.label or "the base object")
                return replace(finding, locations=(cause, moved, *finding.locations[1:]))
    return finding
