"""``schema-check cache clean``: remove the run cache of the configured inputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from checker.commands import EXIT_CLEAN
from checker.commands.common import given_paths
from checker.config import Settings, find_config, load_settings
from checker.errors import InputError


def command_cache(args: argparse.Namespace) -> int:
    from checker.cache import Cache, cache_location

    config = args.config if args.config is not None else find_config(Path.cwd())
    settings = load_settings(config) if config is not None else Settings()
    root = cache_location(settings.path, given_paths(settings))
    try:
        removed = Cache(root).clean()
    except OSError as exc:
        raise InputError(f"cache clean: {exc.strerror or exc}") from None
    sys.stdout.write(f"cache: removed {root}\n" if removed else f"cache: no cache at {root}\n")
    return EXIT_CLEAN
