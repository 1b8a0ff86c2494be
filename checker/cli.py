"""The command line: the parser, the dispatch to the command handlers in
``checker.commands`` (the only place that wires the engine, the rules and the
reporters) and the one-line handling of every error a user can cause.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input or usage,
3 live backend unavailable, 4 a rule failed with an internal error (PS009),
141 the reader of stdout went away (a closed pipe).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from checker import __version__
from checker.codes import is_group
from checker.commands import EXIT_BACKEND, EXIT_BROKEN_PIPE, EXIT_USAGE
from checker.errors import BackendUnavailable, InputError
from checker.findings import Severity
from checker.model import input_argument


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"schema-check: error: {message}\n")


FORMATS = ["text", "json", "sarif", "junit", "markdown", "github"]
BACKENDS = ["embedded", "docker", "dsn"]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schema-check",
        description="Static schema linter and compatibility checker for PostgreSQL migrations.",
    )
    parser.add_argument("--version", action="version", version=f"schema-check {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check a base schema plus an extension")
    _add_check_options(check)
    verify = commands.add_parser("verify", help="the same as check --live")
    _add_check_options(verify)

    inspect = commands.add_parser("inspect", help="print what the simulator built from PATHs")
    inspect.add_argument(
        "paths",
        nargs="+",
        type=input_argument,
        metavar="PATH",
        help="migrations, SQL files, a drizzle snapshot or a database URL",
    )
    inspect.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text: each table like psql's \\d; json: the whole catalog",
    )
    inspect.add_argument("--output", "-o", type=Path, help="write here, not stdout")
    inspect.add_argument("--postgres", type=int, default=None, help="target major version")

    explain = commands.add_parser(
        "explain-delete", help="what deleting one row of TABLE deletes, nulls or is blocked by"
    )
    explain.add_argument(
        "table", metavar="TABLE", help="a table name, schema-qualified if not public"
    )
    _add_inputs(explain)
    explain.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    explain.add_argument("--output", "-o", type=Path, help="write here, not stdout")

    coverage = commands.add_parser("coverage", help="documented queries × indexes, with verdicts")
    _add_inputs(coverage)
    coverage.add_argument(
        "--queries", action="append", type=Path, default=[], metavar="FILE", help=_QUERIES_HELP
    )
    coverage.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format"
    )
    coverage.add_argument("--output", "-o", type=Path, help="write here, not stdout")

    baseline = commands.add_parser("baseline", help="record today's findings as accepted")
    _add_inputs(baseline)
    baseline.add_argument(
        "--queries", action="append", type=Path, default=[], metavar="FILE", help=_QUERIES_HELP
    )
    baseline.add_argument("--output", "-o", type=Path, required=True, help="baseline file to write")

    cache = commands.add_parser("cache", help="the run cache: `cache clean` removes it")
    cache.add_argument("action", choices=["clean"], help="clean: remove the run cache")
    cache.add_argument(
        "--config", type=Path, help="schema-check.toml or pyproject.toml (finds the cache folder)"
    )

    rules = commands.add_parser("rules", help="list rules, or print one rule's documentation")
    rules.add_argument("code", nargs="?", help="a rule code such as NC101")
    rules.add_argument(
        "--format", choices=["text", "markdown"], default="text", help="markdown: docs/rules.md"
    )
    return parser


_QUERIES_HELP = "documented queries (.sql, one per statement) besides the contract's"


def _codes(value: str) -> tuple[str, ...]:
    """A comma list of rule codes (NC101), families (NC) or opt-in groups
    (hygiene-preferences), for --select / --ignore.

    Checked against the registry once the rule packs are loaded (command_check),
    so an unknown item is refused with the nearest valid one.
    """
    items = (item.strip() for item in value.split(","))
    return tuple(item.lower() if is_group(item.lower()) else item.upper() for item in items if item)


def _add_check_options(command: argparse.ArgumentParser) -> None:
    _add_inputs(command)
    command.add_argument(
        "--queries", action="append", type=Path, default=[], metavar="FILE", help=_QUERIES_HELP
    )
    command.add_argument(
        "--select",
        type=_codes,
        default=(),
        metavar="CODES",
        help="run only these rules/families; an opt-in rule runs only when named here by "
        "code or group (hygiene-preferences)",
    )
    command.add_argument(
        "--ignore", type=_codes, default=(), metavar="CODES", help="skip these rules/families"
    )
    command.add_argument(
        "--statistics", action="store_true", help="text: end with a count of findings per rule"
    )
    command.add_argument("--format", choices=FORMATS, default="text", help="report format")
    command.add_argument("--output", "-o", type=Path, help="write the report here, not stdout")
    command.add_argument("--html", type=Path, metavar="PATH", help="also write the HTML report")
    command.add_argument(
        "--html-base-url",
        metavar="URL",
        default="",
        help="HTML report: link each file:line to URL/path#Lline (e.g. the repository at a commit)",
    )
    command.add_argument("--baseline", type=Path, metavar="FILE", help="fail only on new findings")
    command.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        help="lowest severity that makes the exit code 1 (default: from config, else error)",
    )
    command.add_argument(
        "--since",
        metavar="REF",
        help="judge what changed in the migration folders (PATH ..., default: [layers] base) "
        "since `git merge-base REF HEAD`; only findings the change introduces fail the run",
    )
    command.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the run cache (.schema_check_cache, see docs/cache.md)",
    )
    command.add_argument(
        "--show-pre-existing",
        action="store_true",
        help="list the findings the base already had in full (default: one line per rule)",
    )
    command.add_argument(
        "--fail-on-pre-existing",
        action="store_true",
        help="let findings the base already had decide the exit code too",
    )
    command.add_argument("--live", action="store_true", help="also verify on a real server")
    command.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="with --live: where the server runs (default: embedded; dsn when --dsn is given)",
    )
    command.add_argument(
        "--dsn",
        metavar="URL",
        help="with --live: an existing server (implies --backend dsn; a scratch database is used)",
    )
    command.add_argument("--pg-image", help="with --live: image for --backend docker")
    command.add_argument(
        "--rollback",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="with --live: the change's rollback scripts; after them the schema must be the base's",
    )


def _add_inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "paths", nargs="*", type=input_argument, metavar="PATH", help="more base inputs"
    )
    command.add_argument(
        "--base",
        action="append",
        type=input_argument,
        default=[],
        metavar="PATH",
        help="the schema as deployed: migrations, SQL, a drizzle snapshot or a database URL",
    )
    command.add_argument(
        "--extension",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="the change applied on top of the base (migrations or SQL)",
    )
    command.add_argument(
        "--proposal",
        action="append",
        type=Path,
        default=[],
        metavar="FILE.md",
        help="a design document whose ```sql blocks are applied last",
    )
    command.add_argument("--config", type=Path, help="schema-check.toml or pyproject.toml")
    command.add_argument("--postgres", type=int, default=None, help="target major version")
    command.add_argument(
        "--orm",
        type=Path,
        default=None,
        metavar="PATH",
        help="the Drizzle schema (file or folder) the migrations must match; exported with "
        "the project's own drizzle-kit",
    )


def _one_line(exc: BaseException) -> str:
    """The message on one line: libpq and OS messages carry hints on further lines."""
    return " ".join(str(exc).split())


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush finds no broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (captured in tests)
        pass


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    """The command's handler, importing its module only: no command pays for another's."""
    if command in ("check", "verify"):
        from checker.commands.check import command_check

        return command_check
    if command == "inspect":
        from checker.commands.inspect_catalog import command_inspect

        return command_inspect
    if command == "explain-delete":
        from checker.commands.explain_delete import command_explain_delete

        return command_explain_delete
    if command == "coverage":
        from checker.commands.query_coverage import command_coverage

        return command_coverage
    if command == "baseline":
        from checker.commands.record_baseline import command_baseline

        return command_baseline
    if command == "rules":
        from checker.commands.list_rules import command_rules

        return command_rules
    if command == "cache":
        from checker.commands.cache_clean import command_cache

        return command_cache
    raise AssertionError(f"no handler for the command {command!r}")  # the parser allows none


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        import rules  # noqa: F401  (declares the built-in codes; imports no rule module)

        if args.command in ("baseline", "rules"):
            from checker.commands.common import load_all_rules

            load_all_rules()
        status = _handler(args.command)(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return status
    except BrokenPipeError:
        # The reader went away (`schema-check rules | head -1`): stop quietly, as
        # other command-line tools do when SIGPIPE ends them (128 + 13 in a shell).
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except InputError as exc:
        sys.stderr.write(f"schema-check: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    except BackendUnavailable as exc:
        sys.stderr.write(f"schema-check: live backend unavailable: {_one_line(exc)}\n")
        return EXIT_BACKEND
    except RecursionError:
        # The simulator turns deep nesting into a PS002 finding per statement; this
        # is the last line of defence for any other recursive walk of a huge tree.
        sys.stderr.write("schema-check: error: input nested too deeply to analyse\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("schema-check: interrupted\n")
        return 130


def run() -> NoReturn:
    """The command-line entry point: ``main``, then an exit without tearing the heap down.

    Python's own exit runs the atexit handlers, flushes the streams and then frees every
    object one by one: a tenth of a second's parse trees and catalogs, about 10 ms of a
    check. Here the first two happen as usual and the freeing is left to the operating
    system. Where a thread other than this one still runs (a normal exit would wait for
    it), or a profiler or tracer watches (it writes its report after the program ends),
    the exit is the normal one.

    The cyclic garbage collector is off for the whole run, as the engine already has it
    off while it parses, simulates and checks: what a check allocates lives until the
    process ends, and each collection would walk all of it (a tenth of judging a change
    and of loading the cache went to collections that freed nothing)."""
    gc.disable()
    status = main()
    import atexit

    threading = sys.modules.get("threading")
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)  # CPython's
    watched = sys.getprofile() is not None or sys.gettrace() is not None  # a profiler's run
    others = threading is not None and threading.active_count() > 1
    if run_exit_functions is None or watched or others:
        sys.exit(status)
    run_exit_functions()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader gone, or a stream already closed
        status = status or EXIT_BROKEN_PIPE
    os._exit(status)


if __name__ == "__main__":
    run()
