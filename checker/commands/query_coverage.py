"""``schema-check coverage``: the documented queries against the indexes, with a
verdict for each."""

from __future__ import annotations

import argparse

from checker.commands import EXIT_CLEAN
from checker.commands.common import emit, resolve_settings
from checker.errors import InputError


def command_coverage(args: argparse.Namespace) -> int:
    from checker.coverage import coverage_matrix
    from checker.engine import analyse
    from reports.coverage_report import render_coverage_json, render_coverage_text

    settings = resolve_settings(args)
    if not settings.contract.queries:
        raise InputError("no documented queries: add [[contract.query]] or --queries FILE.sql")
    result = analyse(settings)
    matrix = coverage_matrix(result.simulation.catalog, settings.contract.queries)
    text = render_coverage_json(matrix) if args.format == "json" else render_coverage_text(matrix)
    emit(text, args.output)
    return EXIT_CLEAN
