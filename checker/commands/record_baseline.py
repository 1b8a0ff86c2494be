"""``schema-check baseline``: record today's findings as accepted, in a baseline file."""

from __future__ import annotations

import argparse
import sys

from checker.commands import EXIT_CLEAN
from checker.commands.common import resolve_settings


def command_baseline(args: argparse.Namespace) -> int:
    from checker.baseline import write_baseline
    from checker.engine import check

    settings = resolve_settings(args)
    result = check(settings)
    baseline = write_baseline(result.findings, result.files, args.output, result.sources.migrations)
    sys.stdout.write(f"baseline: {baseline.total} findings recorded in {args.output}\n")
    return EXIT_CLEAN
