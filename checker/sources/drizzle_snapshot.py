"""A drizzle-kit snapshot (``.json``) as the base: a ready catalog the other inputs are
simulated on top of (``checker.drizzle_snapshot`` reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker.files import read_text
from checker.model import DatabaseUrl, Layer
from checker.sources.base import CatalogSource, SourceSet, check_catalog_place


@dataclass(frozen=True, slots=True)
class DrizzleSnapshot:
    """The source kind of a drizzle-kit snapshot (a ``.json`` file)."""

    name: str = "drizzle snapshot"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, Path) and given.suffix.lower() == ".json"

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, Path)
        load_json(sources, given, layer)


KIND = DrizzleSnapshot()


def load_json(sources: SourceSet, path: Path, layer: Layer) -> None:
    from checker.drizzle_snapshot import read_snapshot

    kind = "drizzle snapshot"
    check_catalog_place(sources, str(path), kind, layer)
    text = read_text(path)
    catalog = read_snapshot(path, text)
    sources.add_text(str(path), text)
    sources.catalogs.append(CatalogSource(str(path), kind, layer, catalog))
