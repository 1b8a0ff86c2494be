"""Design documents: the fenced sql blocks of a markdown file are statements."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from checker.files import read_text
from checker.model import DatabaseUrl, JournalStatus, Layer, MigrationFile, Origin, Statement
from checker.sources.base import SourceSet
from checker.sources.splitting import split_statements

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$", re.M)
_SQL_INFO = {"sql", "postgresql", "postgres", "pgsql", "psql", "plpgsql"}


@dataclass(frozen=True, slots=True)
class MarkdownDocument:
    """The source kind of a design document: the SQL blocks of a Markdown file."""

    name: str = "design document"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, Path) and given.suffix.lower() in (".md", ".markdown")

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        load_markdown(sources, given, layer)


KIND = MarkdownDocument()


def load_markdown(sources: SourceSet, path: Path, layer: Layer) -> None:
    """Fenced sql blocks of a markdown document become proposal statements."""
    text = read_text(path)
    layer = Layer.PROPOSAL if layer is Layer.PROPOSAL else layer
    migration = MigrationFile(str(path), path.stem, layer, JournalStatus.PLAIN, None, None, None)
    sources.migrations.append(migration)
    sources.add_text(str(path), text)
    for body_start, body_end in markdown_sql_blocks(text):
        for s_start, s_end in split_statements(text, body_start, body_end):
            origin = Origin(str(path), s_start, s_end, len(sources.statements), layer)
            sources.statements.append(Statement(text[s_start:s_end], origin, migration))


def markdown_sql_blocks(text: str) -> Sequence[tuple[int, int]]:
    """Spans of the bodies of fenced code blocks whose info string says sql."""
    blocks: list[tuple[int, int]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks
        fence = opening.group("fence")
        body_start = opening.end() + 1
        closing_pattern = re.compile(
            rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M
        )
        closing = closing_pattern.search(text, body_start)
        body_end = closing.start() if closing else len(text)
        info = opening.group("info").strip().split()
        if info and info[0].lower() in _SQL_INFO:
            blocks.append((min(body_start, len(text)), body_end))
        position = closing.end() if closing else len(text)
