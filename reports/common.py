"""Helpers shared by reporters: resolved locations and display paths."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

from checker.findings import Location
from checker.model import SourceFile


@dataclass(frozen=True, slots=True)
class Position:
    """A place as the text outputs show it: path, line and column, start and end."""

    path: str  # as displayed: relative to the working directory when below it
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def place(self) -> str:
        """``path:line:col``: how every text output names a place."""
        return f"{self.path}:{self.line}:{self.column}"


@functools.cache
def _display_path(path: str, cwd: str) -> str:
    try:
        relative = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def display_path(path: str) -> str:
    """The path relative to the working directory when the file is below it
    (a database URL, already masked, stays as it is)."""
    if not path or "://" in path:
        return path
    return _display_path(path, os.getcwd())


def position(location: Location, files: Mapping[str, SourceFile]) -> Position:
    return Position(*span(location, files, os.getcwd()))


def span(
    location: Location, files: Mapping[str, SourceFile], cwd: str
) -> tuple[str, int, int, int, int]:
    """``position``'s fields as a tuple, with the working directory given: for a
    reporter that places thousands of locations in one go."""
    file = location.file
    path = file if not file or "://" in file else _display_path(file, cwd)
    source = files.get(file)
    if source is None:
        return path, 1, 1, 1, 1
    line, column = source.line_col(location.start)
    end = max(location.start, location.end - 1) if location.end > location.start else location.start
    end_line, end_column = source.line_col(end)
    return path, line, column, end_line, end_column + 1
