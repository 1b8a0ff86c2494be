"""The command line: the only place that wires the engine, the rules and the reporters.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input or usage,
3 live backend unavailable, 4 a rule failed with an internal error (PS009),
141 the reader of stdout went away (a closed pipe).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from checker import __version__
from checker.codes import is_group, rule_runs
from checker.config import Layers, Settings, find_config, load_settings
from checker.errors import BackendUnavailable, InputError
from checker.findings import Finding, Severity
from checker.model import input_argument
from checker.rule import (
    DOC_SECTIONS,
    Rule,
    RuleMeta,
    load_plugins,
    registry,
    unknown_selector,
)

if TYPE_CHECKING:
    from checker.baseline import Baseline, BaselineEntry
    from checker.cache import Cache
    from checker.engine import CheckResult
    from checker.live.verify import LiveReport
    from checker.model import Statement

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_BACKEND, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a reader that stopped early


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


def _refuse_overwriting_inputs(result: CheckResult, *outputs: Path | None) -> None:
    """Nothing the user gave is modified: a report may not replace an input."""
    inputs = {Path(path).resolve() for path in result.files}
    if result.settings.path is not None:
        inputs.add(result.settings.path.resolve())
    for output in outputs:
        if output is not None and output.resolve() in inputs:
            raise InputError(f"{output}: is one of the inputs; refusing to overwrite it")


def command_check(args: argparse.Namespace) -> int:
    from checker.engine import analyse_change, judge_change, restore_rules_outcome, run_rules

    live = args.live or args.command == "verify"
    if not live and (
        args.dsn or args.pg_image or args.rollback or args.backend not in (None, "embedded")
    ):
        raise InputError(
            "--backend, --dsn, --pg-image and --rollback need --live (or `schema-check verify`)"
        )
    _resolve_backend(args)
    for option, items in (("--select", args.select), ("--ignore", args.ignore)):
        for item in items:
            problem = unknown_selector(item)
            if problem is not None:
                raise InputError(f"{option} {item}: {problem}")
    settings = resolve_settings(args)
    select = _selector(args.select, args.ignore, settings.enable)
    cache = None if args.no_cache or live else _cache(args, settings)
    selection = _selection(args.select, args.ignore)
    loaded = False

    def check_rules(target: CheckResult, external: tuple[Finding, ...] = ()) -> None:
        nonlocal loaded
        if not external and restore_rules_outcome(target, cache, selection):
            return
        if not loaded:
            _load_selected_rules(settings, args.select, args.ignore)
            loaded = True
        run_rules(target, external=external, select=select, cache=cache, selection=selection)

    with contextlib.ExitStack() as stack:
        result, base = analyse_change(
            settings, args.since, stack, cache, _baseline_of(args.baseline, settings)
        )
        if base is not None:
            check_rules(base)
    _refuse_overwriting_inputs(result, args.output, args.html)
    external: tuple[Finding, ...] = ()
    backend_error: str | None = None
    if live:
        try:
            report = _verify_live(result, settings, args)
        except BackendUnavailable as exc:
            backend_error = str(exc)
            from checker.engine import LiveUnavailable

            result.live = LiveUnavailable(args.backend, backend_error)
        else:
            result.live = report
            result.live_catalog = report.catalog
            external = report.findings
    check_rules(result, external)
    if base is not None:
        judge_change(result, base)
    # The analysis is done and its objects live until exit: keep the collector
    # from rescanning them while the reports are rendered (the cost grew faster
    # than the input on large schemas).
    gc.freeze()
    baselined, fixed = _apply_baseline(result, args.baseline)
    _emit(
        _render(
            result,
            args.format,
            args.output,
            baselined,
            fixed,
            args.statistics,
            args.show_pre_existing,
        ),
        args.output,
    )
    if os.environ.get("GITHUB_ACTIONS", "").lower() == "true" and args.format != "github":
        from reports.github_report import render_github

        sys.stderr.write(render_github(result.findings, result.files, _metas()))
    if args.html is not None:
        from reports.html_report import write_html_report

        _load_all_rules()
        write_html_report(result, args.html, base_url=args.html_base_url)
    if backend_error is not None:
        sys.stderr.write(
            f"schema-check: live backend unavailable: {' '.join(backend_error.split())}\n"
        )
        return EXIT_BACKEND
    unparsed = [finding for finding in result.findings if finding.code == "PS001"]
    if unparsed:
        # statements that do not parse are bad input: the rest was checked and
        # reported, but the verdict on those statements is unknown
        from reports.common import position

        first = unparsed[0].primary
        where = ""
        if first is not None:
            pos = position(first, result.files)
            where = f"{pos.path}:{pos.line}:{pos.column}: "
        count = len(unparsed)
        sys.stderr.write(
            f"schema-check: error: {where}{count} statement{'s' if count != 1 else ''} "
            "do not parse (PS001); the report has the details\n"
        )
        return EXIT_USAGE
    crashed = [f for f in result.findings if f.code == "PS009"]
    if crashed:
        sys.stderr.write(
            f"schema-check: internal error: {len(crashed)} rule(s) failed (PS009); "
            "the report has everything else\n"
        )
        return EXIT_INTERNAL
    gate = [
        f
        for f in result.failing(settings.fail_on)
        if f.counts_for_gate or args.fail_on_pre_existing
    ]
    return EXIT_FINDINGS if gate else EXIT_CLEAN


def _baseline_of(path: Path | None, settings: Settings) -> Baseline | None:
    """The baseline file given (or configured and present), read; None without one."""
    if path is None:
        path = settings.baseline
        if path is None or not path.exists():
            return None
    from checker.baseline import load_baseline

    return load_baseline(path)


def _selector(
    selected: Sequence[str], ignored: Sequence[str], enabled: Sequence[str]
) -> Callable[[type[Rule]], bool]:
    def select(rule: type[Rule]) -> bool:
        return rule_runs(rule.meta.code, rule.meta.group, selected, ignored, enabled)

    return select


def _resolve_backend(args: argparse.Namespace) -> None:
    """``--dsn`` means the dsn backend; any other backend with it, or dsn without
    it, is a contradiction caught before any analysis."""
    if args.dsn:
        if args.backend not in (None, "dsn"):
            raise InputError(f"--dsn is for --backend dsn, not --backend {args.backend}")
        args.backend = "dsn"
    elif args.backend == "dsn":
        raise InputError("--backend dsn needs --dsn URL")
    elif args.backend is None:
        args.backend = "embedded"


def _selection(selected: Sequence[str], ignored: Sequence[str]) -> str:
    """What names the rules a check runs, for the cache's key: the built-in table and
    --select/--ignore (the config's ignores are in the settings)."""
    import rules

    # installed plugins are part of the cache's version (see checker.cache.code_fingerprint)
    return repr((rules.RULE_TABLE, tuple(selected), tuple(ignored)))


def _load_selected_rules(
    settings: Settings, selected: Sequence[str], ignored: Sequence[str]
) -> None:
    """Import the built-in rules this check runs (not the others), then the plugins."""
    import rules

    rules.load_builtin_rules(
        lambda row: (
            not settings.is_ignored(row.code)
            and rule_runs(row.code, row.group, selected, ignored, settings.enable)
        )
    )
    load_plugins()


def _load_all_rules() -> None:
    import rules

    rules.load_builtin_rules()
    load_plugins()


def _metas() -> dict[str, RuleMeta]:
    """The metadata of every rule: the built-in table's, and the loaded plugins'."""
    import rules

    metas = {row.code: row.meta for row in rules.RULE_TABLE}  # the test keeps them equal
    metas.update((code, rule.meta) for code, rule in registry().items())
    return dict(sorted(metas.items()))


def _cache(args: argparse.Namespace, settings: Settings) -> Cache:
    from checker.cache import Cache, cache_location

    given = [
        p
        for p in (*settings.layers.base, *settings.layers.extension, *settings.layers.proposal)
        if isinstance(p, Path)
    ]
    return Cache(cache_location(settings.path, given))


def command_cache(args: argparse.Namespace) -> int:
    from checker.cache import Cache, cache_location

    config = args.config if args.config is not None else find_config(Path.cwd())
    settings = load_settings(config) if config is not None else Settings()
    given = [
        p
        for p in (*settings.layers.base, *settings.layers.extension, *settings.layers.proposal)
        if isinstance(p, Path)
    ]
    root = cache_location(settings.path, given)
    try:
        removed = Cache(root).clean()
    except OSError as exc:
        raise InputError(f"cache clean: {exc.strerror or exc}") from None
    sys.stdout.write(f"cache: removed {root}\n" if removed else f"cache: no cache at {root}\n")
    return EXIT_CLEAN


def _verify_live(result: CheckResult, settings: Settings, args: argparse.Namespace) -> LiveReport:
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
        return verify(
            statements,
            result.simulation.catalog,
            settings,
            backend_name=args.backend,
            dsn=args.dsn,
            image=args.pg_image,
            include_proposal=True,
            progress=progress,
            rollback=rollback,
        )


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


def _apply_baseline(result: CheckResult, path: Path | None) -> tuple[int, Sequence[BaselineEntry]]:
    """Mark the findings a baseline accepts as pre-existing and the others as introduced.

    Rules that did not run (``--select``/``--ignore``) cannot have resolved their entries,
    so those are not counted as no longer occurring."""
    if path is None:
        path = result.settings.baseline
        if path is None or not path.exists():
            return 0, ()
    from dataclasses import replace as replace_finding

    from checker.baseline import apply_baseline, load_baseline
    from checker.change import ChangeSummary

    baseline = load_baseline(path)
    new, fixed = apply_baseline(result.findings, baseline, result.files)
    ran = set(result.rules_run)
    fixed = [entry for entry in fixed if entry.code in ran]
    new_ids = {id(f) for f in new}
    result.findings = [
        replace_finding(f, introduced=id(f) in new_ids)
        if f.introduced is None or id(f) not in new_ids
        else f
        for f in result.findings
    ]
    accepted = len(result.findings) - len(new)
    resolved = sum(entry.count for entry in fixed)
    result.extra["baseline"] = {
        "path": str(path),
        "accepted": accepted,
        "new": len(new),
        "resolved": resolved,
    }
    if result.change is None:
        given = result.extra.get("change_form")
        form, description = (
            (str(given[0]), str(given[1]))
            if isinstance(given, tuple)
            else ("baseline", f"findings not in the baseline {path}")
        )
        introduced = sum(1 for f in result.findings if f.introduced)
        from checker.model import Layer

        changed = sorted(m.path for m in result.sources.migrations if m.layer is Layer.EXTENSION)
        result.change = ChangeSummary(
            form,
            description,
            tuple(changed),
            introduced=introduced,
            pre_existing=len(result.findings) - introduced,
            resolved=resolved,
        )
    return accepted, fixed


def _render(
    result: CheckResult,
    output_format: str,
    output: Path | None,
    baselined: int = 0,
    fixed: Sequence[BaselineEntry] = (),
    statistics: bool = False,
    show_pre_existing: bool = False,
) -> str:
    """The output in the format asked for: every format is a module with one interface."""
    import io

    from reports.output import Report, write_report

    if output_format == "sarif":
        _load_all_rules()  # SARIF describes every rule, not only those that ran
    report = Report(
        result,
        _metas(),
        colour=_colour(output),
        baselined=baselined,
        fixed=tuple(fixed),
        statistics=statistics,
        show_pre_existing=show_pre_existing,
    )
    buffer = io.StringIO()
    write_report(output_format, report, buffer)
    return buffer.getvalue()


def command_explain_delete(args: argparse.Namespace) -> int:
    from checker.engine import analyse
    from reports.delete_tree import delete_tree_to_dict, render_delete_tree_text

    settings = resolve_settings(args)
    result = analyse(settings)
    name = args.table.strip('"')
    key = tuple(name.split(".", 1)) if "." in name else ("public", name)
    if key not in result.simulation.catalog.tables:
        raise InputError(
            f"no table {args.table!r} in the inputs (`schema-check inspect` lists them)"
        )
    closure = result.graph.deletion_closure((key[0], key[1]))
    if args.format == "json":
        import json

        text = json.dumps(delete_tree_to_dict(closure), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_delete_tree_text(closure, colour=_colour(args.output))
    _emit(text, args.output)
    return EXIT_CLEAN


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
    _emit(text, args.output)
    return EXIT_CLEAN


def command_baseline(args: argparse.Namespace) -> int:
    from checker.baseline import write_baseline
    from checker.engine import check

    settings = resolve_settings(args)
    result = check(settings)
    baseline = write_baseline(result.findings, result.files, args.output, result.sources.migrations)
    sys.stdout.write(f"baseline: {baseline.total} findings recorded in {args.output}\n")
    return EXIT_CLEAN


def command_inspect(args: argparse.Namespace) -> int:
    import json

    from checker.catalog import display_name
    from checker.engine import analyse
    from checker.model import Layer
    from reports.catalog_report import catalog_document, render_tables_text

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
            "applied_statements": len(result.sources.applied_statements),
            # applied statements plus the static DDL found inside DO blocks
            "analysed_statements": len(result.simulation.statements),
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
            "catalog": catalog_document(catalog, result.files),
        }
        _emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", args.output)
        return EXIT_CLEAN
    lines = [
        f"{files} files, {len(result.sources.statements)} statements "
        f"({len(result.sources.applied_statements)} applied, "
        f"{len(result.simulation.statements)} analysed with DO-block bodies), "
        f"{parse_errors} parse errors",
        "  ".join(f"{key} {value}" for key, value in counts.items() if key in _INSPECT_KEYS),
        "",
    ]
    lines += render_tables_text(catalog)
    _emit("\n".join(lines).rstrip("\n") + "\n", args.output)
    return EXIT_CLEAN


_INSPECT_KEYS = (
    "tables", "columns", "foreign_keys", "enums", "checks", "indexes", "views", "functions",
    "triggers",
)  # fmt: skip


def command_rules(args: argparse.Namespace) -> int:
    rules = registry()
    if args.format == "markdown" and not args.code:
        from reports.rule_docs import render_rules_reference

        sys.stdout.write(render_rules_reference(rules))
        return EXIT_CLEAN
    if args.code:
        code = args.code.upper()
        rule = rules.get(code)
        if rule is None:
            raise InputError(f"no rule {args.code!r}; `schema-check rules` lists them")
        docs = rule.docs()
        meta = rule.meta
        out = [f"{meta.code} {meta.name} ({meta.severity.value})", "", docs.get("Summary", "")]
        if meta.group is not None:
            out += ["", _opt_in_note(meta)]
        for section in DOC_SECTIONS:
            if docs.get(section):
                out += ["", f"{section}:", _indent(docs[section])]
        sys.stdout.write("\n".join(out) + "\n")
        return EXIT_CLEAN
    width = max((len(r.meta.name) for r in rules.values()), default=10)
    for code, rule in rules.items():
        meta = rule.meta
        opt_in = f" [opt-in: {meta.group}]" if meta.group is not None else ""
        sys.stdout.write(
            f"{code}  {meta.name:<{width}}  {meta.severity.value:<7}  {meta.summary}{opt_in}\n"
        )
    return EXIT_CLEAN


def _opt_in_note(meta: RuleMeta) -> str:
    return (
        f"Opt-in ({meta.group}): runs only when selected by code or group, "
        f"e.g. --select {meta.code} or --select {meta.group}, or with "
        f'enable = ["{meta.group}"] in the config.'
    )


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        import rules  # noqa: F401  (declares the built-in codes; imports no rule module)

        if args.command in ("baseline", "rules"):
            _load_all_rules()
        handler = {
            "check": command_check,
            "verify": command_check,
            "inspect": command_inspect,
            "explain-delete": command_explain_delete,
            "coverage": command_coverage,
            "baseline": command_baseline,
            "rules": command_rules,
            "cache": command_cache,
        }
        status = handler[args.command](args)
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


if __name__ == "__main__":
    sys.exit(main())
