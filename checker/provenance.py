"""Where a report's inputs came from: the git commit they were read at, for a report
that is forwarded (its footer says which version of the schema it judged)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InputCommit:
    commit: str  # the full hash of HEAD
    time: str  # its committer date, ISO 8601
    dirty: bool  # the inputs have uncommitted changes

    def describe(self) -> str:
        text = f"inputs read at commit {self.commit[:12]} ({self.time})"
        return text + (", with uncommitted changes" if self.dirty else "")


def input_commit(paths: Iterable[Path]) -> InputCommit | None:
    """The commit of the git repository holding the first local input; None outside git
    (or without git): the report then names no commit."""
    local = [path for path in paths if isinstance(path, Path) and path.exists()]
    if not local:
        return None
    folder = local[0] if local[0].is_dir() else local[0].parent

    def git(*arguments: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *arguments],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    head = git("log", "-1", "--format=%H %cI")
    if not head or " " not in head:
        return None
    commit, time = head.split(" ", 1)
    status = git("status", "--porcelain", "--", *(str(path.resolve()) for path in local))
    return InputCommit(commit, time, bool(status))
