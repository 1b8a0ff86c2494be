"""The change under review: which files it is, and how it was given.

A pull request's change is judged against its base (the history as it was at
the merge base). The same change can be given four ways: ``--since REF`` on a
git repository, ``--base history --extension change``, ``--base
snapshot.json --extension change``, or a baseline file of the history with the
change in the same folder. Every form yields a ``ChangeSummary``; a finding the
base alone does not produce is *introduced* (``Finding.introduced``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """What the run compared: reporters say it in their headline."""

    form: str  # "since" | "extension" | "baseline"
    description: str  # one line for people, e.g. "changes since origin/main (merge base 1a2b3c4d)"
    files: tuple[str, ...] = ()  # the change's files as the findings name them
    introduced: int = 0  # findings the change introduced
    pre_existing: int = 0  # findings the base alone already has
    resolved: int = 0  # findings of the base alone that the change makes go away
