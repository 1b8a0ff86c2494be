"""The command line: the only place that wires the engine, the rules and the reporters.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input or usage,
3 live backend unavailable.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from checker import __version__
from checker.config import Layers, Settings, find_config, load_settings
from checker.errors import BackendUnavailable, InputError
from checker.findings import Severity
from checker.rule import DOC_SECTIONS, load_plugins, registry

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_BACKEND = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"schema-check: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schema-check",
        description="Static schema linter and compatibility checker for PostgreSQL migrations.",
    )
    parser.add_argument("--version", action="version", version=f"schema-check {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check a base schema plus an extension")
    _add_inputs(check)
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    check.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        help="lowest severity that makes the exit code 1 (default: from config, else error)",
    )

    inspect = commands.add_parser("inspect", help="print what the simulator built from PATHs")
    inspect.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    inspect.add_argument("--format", choices=["text", "json"], default="text")
    inspect.add_argument("--output", "-o", type=Path)
    inspect.add_argument("--postgres", type=int, default=None, help="target major version")

    rules = commands.add_parser("rules", help="list rules, or print one rule's documentation")
    rules.add_argument("code", nargs="?", help="a rule code such as NC101")
    return parser


def _add_inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("--base", action="append", type=Path, default=[], metavar="PATH")
    command.add_argument("--extension", action="append", type=Path, default=[], metavar="PATH")
    command.add_argument("--proposal", action="append", type=Path, default=[], metavar="FILE.md")
    command.add_argument("--config", type=Path, help="schema-check.toml or pyproject.toml")
    command.add_argument("--postgres", type=int, default=None, help="target major version")


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
    layers = settings.layers
    settings = replace(
        settings,
        layers=Layers(
            base=tuple(args.base) or layers.base,
            extension=tuple(args.extension) or layers.extension,
            proposal=tuple(args.proposal) or layers.proposal,
        ),
    )
    if args.postgres is not None:
        if args.postgres not in range(13, 19):
            raise InputError(f"--postgres: must be a major version 13-18, got {args.postgres}")
        settings = replace(settings, postgres=args.postgres)
    if getattr(args, "fail_on", None):
        settings = replace(settings, fail_on=Severity(args.fail_on))
    if not (settings.layers.base or settings.layers.extension or settings.layers.proposal):
        raise InputError(
            "nothing to check: give --base/--extension/--proposal or a config with [layers]"
        )
    return settings


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from None


def _colour(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def command_check(args: argparse.Namespace) -> int:
    from checker.engine import check
    from reports.json_report import render_json
    from reports.text_report import render_text

    settings = resolve_settings(args)
    result = check(settings)
    metas = {code: rule.meta for code, rule in registry().items()}
    if args.format == "json":
        text = render_json(
            result.findings, result.files, metas, counts=result.simulation.catalog.counts()
        )
    else:
        text = render_text(
            result.findings,
            result.files,
            colour=_colour(args.output),
            statements=len(result.simulation.statements),
            suppressed=result.suppressed,
        )
    _emit(text, args.output)
    return EXIT_FINDINGS if result.failing(settings.fail_on) else EXIT_CLEAN


def command_inspect(args: argparse.Namespace) -> int:
    import json

    from checker.catalog import display_name
    from checker.engine import analyse
    from checker.model import Layer

    settings = Settings(postgres=args.postgres or 17)
    result = analyse(settings, [(path, Layer.BASE) for path in args.paths])
    catalog = result.simulation.catalog
    counts = catalog.counts()
    parse_errors = sum(1 for s in result.simulation.statements if s.error is not None)
    files = sum(1 for m in result.sources.migrations if m.path in result.sources.files)
    if args.format == "json":
        document = {
            **counts,
            "files": files,
            "statements": len(result.sources.statements),
            "applied_statements": len(result.simulation.statements),
            "parse_errors": parse_errors,
            "table_list": [
                {
                    "name": display_name(table.qualified),
                    "columns": len(table.columns),
                    "foreign_keys": len(table.foreign_keys),
                    "indexes": len(catalog.indexes_of(table.qualified)),
                }
                for table in sorted(catalog.tables.values(), key=lambda t: t.qualified)
            ],
        }
        _emit(json.dumps(document, indent=2) + "\n", args.output)
        return EXIT_CLEAN
    lines = [
        f"{files} files, {len(result.sources.statements)} statements "
        f"({len(result.simulation.statements)} applied), {parse_errors} parse errors",
        "  ".join(f"{key} {value}" for key, value in counts.items() if key in _INSPECT_KEYS),
        "",
    ]
    indexes_by_table: dict[tuple[str, str], int] = {}
    for index in catalog.indexes.values():
        indexes_by_table[index.table] = indexes_by_table.get(index.table, 0) + 1
    for table in sorted(catalog.tables.values(), key=lambda t: t.qualified):
        lines.append(
            f"{display_name(table.qualified)}: {len(table.columns)} columns, "
            f"{len(table.foreign_keys)} foreign keys, "
            f"{indexes_by_table.get(table.qualified, 0)} indexes, {len(table.checks)} checks"
        )
        for fk in table.foreign_keys:
            details = fk.foreign_key
            if details is not None:
                lines.append(
                    f"    {','.join(fk.columns)} → {display_name(details.ref_table)}"
                    f"({','.join(details.ref_columns)}) ON DELETE {details.on_delete.value}"
                )
    _emit("\n".join(lines) + "\n", args.output)
    return EXIT_CLEAN


_INSPECT_KEYS = ("tables", "columns", "foreign_keys", "enums", "checks", "indexes")


def command_rules(args: argparse.Namespace) -> int:
    rules = registry()
    if args.code:
        code = args.code.upper()
        rule = rules.get(code)
        if rule is None:
            raise InputError(f"no rule {args.code!r}; `schema-check rules` lists them")
        docs = rule.docs()
        meta = rule.meta
        out = [f"{meta.code} {meta.name} ({meta.severity.value})", "", docs.get("Summary", "")]
        for section in DOC_SECTIONS:
            if docs.get(section):
                out += ["", f"{section}:", _indent(docs[section])]
        sys.stdout.write("\n".join(out) + "\n")
        return EXIT_CLEAN
    width = max((len(r.meta.name) for r in rules.values()), default=10)
    for code, rule in rules.items():
        meta = rule.meta
        sys.stdout.write(
            f"{code}  {meta.name:<{width}}  {meta.severity.value:<7}  {meta.summary}\n"
        )
    return EXIT_CLEAN


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        import rules

        rules.load_builtin_rules()
        load_plugins()
        handler = {"check": command_check, "inspect": command_inspect, "rules": command_rules}
        return handler[args.command](args)
    except InputError as exc:
        sys.stderr.write(f"schema-check: error: {exc}\n")
        return EXIT_USAGE
    except BackendUnavailable as exc:
        sys.stderr.write(f"schema-check: live backend unavailable: {exc}\n")
        return EXIT_BACKEND
    except KeyboardInterrupt:
        sys.stderr.write("schema-check: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
