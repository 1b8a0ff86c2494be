"""What several commands share: the settings from the config and the command line,
writing an output, and the rules' metadata for the reports."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from checker.config import Layers, Settings, find_config, load_settings
from checker.errors import InputError
from checker.findings import Severity
from checker.rule import RuleMeta, load_plugins, registered, unknown_selector


def resolve_settings(args: argparse.Namespace) -> Settings:
    """Config file (given, found in the working directory, or shipped in the
    first extension folder), then command-line layers on top."""
    config_path: Path | None = args.config
    if config_path is None:
        config_path = find_config(Path.cwd())
    if config_path is None:
        for folder in args.extension:
            if folder.is_dir():
                config_path = find_config(folder)
                if config_path is not None:
                    break
    settings = load_settings(config_path) if config_path is not None else Settings()
    for reference in settings.code_references:
        problem = unknown_selector(reference.code)
        if problem is not None:
            raise InputError(f"{reference.where}: {problem}")
    layers = settings.layers
    settings = replace(
        settings,
        layers=Layers(
            base=tuple(args.base) + tuple(args.paths) or layers.base,
            extension=tuple(args.extension) or layers.extension,
            proposal=tuple(args.proposal) or layers.proposal,
        ),
    )
    if getattr(args, "orm", None) is not None:
        settings = replace(settings, orm=args.orm)
    if args.postgres is not None:
        if args.postgres not in range(13, 19):
            raise InputError(f"--postgres: must be a major version 13-18, got {args.postgres}")
        settings = replace(settings, postgres=args.postgres)
    if getattr(args, "fail_on", None):
        settings = replace(settings, fail_on=Severity(args.fail_on))
    query_files = getattr(args, "queries", [])
    if query_files:
        from checker.queries import load_query_file

        extra = tuple(q for path in query_files for q in load_query_file(path))
        contract = replace(settings.contract, queries=settings.contract.queries + extra)
        settings = replace(settings, contract=contract)
    if not (settings.layers.base or settings.layers.extension or settings.layers.proposal):
        raise InputError(
            "nothing to check: give --base/--extension/--proposal or a config with [layers]"
        )
    return settings


def given_paths(settings: Settings) -> list[Path]:
    """The input files and folders of every layer (not the database URLs)."""
    return [
        p
        for p in (*settings.layers.base, *settings.layers.extension, *settings.layers.proposal)
        if isinstance(p, Path)
    ]


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from None


def colour(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def load_all_rules() -> None:
    import rules

    rules.load_builtin_rules()
    load_plugins()


def metas() -> dict[str, RuleMeta]:
    """The metadata of every rule: the built-in table's, and the loaded plugins'."""
    import rules

    found = {row.code: row.meta for row in rules.RULE_TABLE}  # the test keeps them equal
    # the plugins' (imported), not the deferred built-in modules: the table has their metas
    found.update((code, rule.meta) for code, rule in registered().items())
    return dict(sorted(found.items()))
