"""``check --live``: replay the analysed statements on a real server, with a progress
bar on a terminal. Imported only when a check asks for a live verification."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from checker.config import Settings
from checker.errors import InputError

if TYPE_CHECKING:
    from checker.engine import CheckResult
    from checker.live.verify import LiveReport
    from checker.model import Statement


def verify_live(result: CheckResult, settings: Settings, args: argparse.Namespace) -> LiveReport:
    from checker.live import verify

    statements = list(result.sources.applied_statements)
    if result.sources.catalogs:  # the verifier replays statements: build the catalog's DDL
        base = result.sources.catalogs[0]
        if base.kind != "drizzle snapshot":
            raise InputError(
                f"--live: the base {base.label} is a {base.kind}, not migrations or a "
                "drizzle snapshot; give its migrations as the base"
            )
        from checker.catalog_ddl import catalog_statements

        statements = catalog_statements(base.catalog, base.label) + statements
    rollback: list[Statement] = []
    if args.rollback:
        from checker.model import Layer
        from checker.sources import load_sources

        scripts = load_sources([(path, Layer.EXTENSION) for path in args.rollback])
        result.sources.files.update(scripts.files)
        rollback = scripts.applied_statements
    with _progress() as progress:
        report = verify(
            statements,
            result.simulation.catalog,
            settings,
            backend_name=args.backend,
            dsn=args.dsn,
            image=args.pg_image,
            include_proposal=True,
            progress=progress,
            rollback=rollback,
            migrator_tables=_migrator_tables(result),
            setup=_platform_setup(result),
        )
    return _with_platform_count(report, result)


def _with_platform_count(report: LiveReport, result: CheckResult) -> LiveReport:
    """The report, saying how many of the statements it applied made the platform's objects."""
    from dataclasses import replace

    from checker.platforms import is_platform_file, platform_named

    platform = platform_named(result.sources.platform)
    if platform is None:
        return report
    made = sum(is_platform_file(s.origin.file) for s in result.sources.applied_statements)
    return replace(report, platform=(platform.title, made))


def _platform_setup(result: CheckResult) -> list[str]:
    from checker.platforms import platform_named, server_setup

    platform = platform_named(result.sources.platform)
    return server_setup(platform) if platform is not None else []


def _migrator_tables(result: CheckResult) -> list[tuple[str, str]]:
    """The migrator's own tables (``schema_migrations``) the statements use and none
    creates: its tool made them before the first migration."""
    from checker.runners import MIGRATOR_TABLES
    from checker.simulation import EventKind

    found: dict[tuple[str, str], None] = {}
    for event in result.simulation.events:
        if event.kind is not EventKind.MISSING or event.object_kind != "table":
            continue
        if event.created_later is not None:
            continue
        schema, _, name = event.name.rpartition(".")
        if name in MIGRATOR_TABLES:
            found[(schema or "public", name)] = None
    return list(found)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("live: {task.description:<11}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("start", total=1)

        def update(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=max(total, 1))

        yield update
