"""A live database (``postgresql://...``) as the base: connect, introspect in a
read-only transaction that is always rolled back, and tag every object with the
database's URL (password masked) as its origin; that catalog is a ready catalog the
other inputs are simulated on top of. psycopg is imported only here, only then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.errors import BackendUnavailable, InputError
from checker.model import DatabaseUrl, Layer, Origin
from checker.sources.base import CatalogSource, SourceSet, check_catalog_place

if TYPE_CHECKING:
    from checker.catalog import Catalog

CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT = "60s"


def read_database(url: DatabaseUrl) -> Catalog:
    """The catalog of the database ``url`` names (user schemas only, as the live
    verifier reads it). Nothing is written: the transaction is READ ONLY and
    rolled back. A server that cannot be reached is BackendUnavailable (exit 3);
    a URL libpq cannot parse is an InputError (exit 2)."""
    from checker.live.backends import scrub
    from checker.live.introspect import introspect

    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency
        raise BackendUnavailable(f"reading a database needs psycopg: {exc}") from None
    masked = url.masked
    try:
        psycopg.conninfo.conninfo_to_dict(url.dsn)
    except psycopg.ProgrammingError as exc:
        reason = " ".join(scrub(str(exc), url.dsn).split())
        raise InputError(f"{masked}: not a valid connection string: {reason}") from None
    try:
        connection = psycopg.connect(url.dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.Error as exc:
        message = " ".join(scrub(str(exc), url.dsn).split())
        raise BackendUnavailable(f"cannot connect to {masked}: {message}") from None
    try:
        connection.read_only = True  # every transaction psycopg begins is READ ONLY
        with connection.transaction(force_rollback=True):
            connection.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
            catalog = introspect(connection)
    except psycopg.Error as exc:
        message = " ".join(scrub(str(exc), url.dsn).split())
        raise BackendUnavailable(f"cannot read the catalog of {masked}: {message}") from None
    finally:
        connection.close()
    return with_origin(catalog, Origin(masked, 0, 0, -1, Layer.BASE))


def with_origin(catalog: Catalog, origin: Origin) -> Catalog:
    """``catalog`` with ``origin`` on every object (an introspected catalog has none)."""

    def tagged(mapping: Any) -> dict[Any, Any]:
        return {key: replace(value, origin=origin) for key, value in mapping.items()}

    tables = {
        key: replace(
            table,
            origin=origin,
            columns=tuple(replace(c, origin=origin) for c in table.columns),
            constraints=tuple(replace(c, origin=origin) for c in table.constraints),
        )
        for key, table in catalog.tables.items()
    }
    return replace(
        catalog,
        tables=tables,
        indexes=tagged(catalog.indexes),
        enums=tagged(catalog.enums),
        domains=tagged(catalog.domains),
        composites=tagged(catalog.composites),
        extensions=tagged(catalog.extensions),
        sequences=tagged(catalog.sequences),
        views=tagged(catalog.views),
        functions=tagged(catalog.functions),
        triggers=tagged(catalog.triggers),
    )


@dataclass(frozen=True, slots=True)
class Database:
    """The source kind of a live database given by its URL."""

    name: str = "live database"

    def claims(self, given: Path | DatabaseUrl) -> bool:
        return isinstance(given, DatabaseUrl)

    def load(self, sources: SourceSet, given: Path | DatabaseUrl, layer: Layer) -> None:
        assert isinstance(given, DatabaseUrl)
        load_database(sources, given, layer)


KIND = Database()


def load_database(sources: SourceSet, url: DatabaseUrl, layer: Layer) -> None:

    kind = "live database"
    check_catalog_place(sources, url.masked, kind, layer)
    sources.catalogs.append(CatalogSource(url.masked, kind, layer, read_database(url)))
