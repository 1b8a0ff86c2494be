"""``schema-check check`` (and ``verify``, the same with ``--live``): analyse the
inputs, run the selected rules, judge the change, report, and decide the exit code."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checker.codes import rule_runs
from checker.commands import (
    EXIT_BACKEND,
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_USAGE,
)
from checker.commands.common import emit, given_paths, metas, resolve_settings
from checker.config import Settings
from checker.errors import BackendUnavailable, InputError
from checker.findings import Finding
from checker.rule import RuleMeta, load_plugins, unknown_selector

if TYPE_CHECKING:
    from checker.baseline import Baseline
    from checker.cache import Cache
    from checker.engine import CheckResult


def command_check(args: argparse.Namespace) -> int:
    from checker.engine import restore_rules_outcome, run_rules
    from checker.gate import analyse_change, judge_change

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
    cache = None if args.no_cache or live else _cache(settings)
    selection = _selection(args.select, args.ignore)
    loaded = False

    def restored(target: CheckResult) -> bool:
        return restore_rules_outcome(target, cache, selection)

    def check_rules(target: CheckResult, external: tuple[Finding, ...] = ()) -> None:
        nonlocal loaded
        if not external and restored(target):
            return
        if not loaded:
            _load_selected_rules(settings, args.select, args.ignore)
            loaded = True
        run_rules(target, external=external, select=select, cache=cache, selection=selection)

    with contextlib.ExitStack() as stack:  # the merge base's files, extracted, until the end
        waits: list[Callable[[], None]] = []

        def base_read(base: CheckResult) -> None:
            waits.append(_check_aside(base, check_rules, restored, stack, here=live))

        result, base = analyse_change(
            settings,
            args.since,
            stack,
            cache,
            _baseline_of(args.baseline, settings),
            base_read,
        )
        _refuse_overwriting_inputs(result, args.output, args.html)
        external: tuple[Finding, ...] = ()
        backend_error: str | None = None
        if live:
            external, backend_error = _verify_live(result, settings, args)
        check_rules(result, external)
        if base is not None:
            for wait in waits:
                wait()
            judge_change(result, base)
    # The analysis is done and its objects live until exit: keep the collector
    # from rescanning them while the reports are rendered (the cost grew faster
    # than the input on large schemas).
    gc.freeze()
    _write_outputs(result, args)
    _note_not_applied(result)
    if cache is not None:
        cache.prune_now_and_then()
    if backend_error is not None:
        sys.stderr.write(
            f"schema-check: live backend unavailable: {' '.join(backend_error.split())}\n"
        )
        return EXIT_BACKEND
    return _verdict(result, settings, args.fail_on_pre_existing)


def _verify_live(
    result: CheckResult, settings: Settings, args: argparse.Namespace
) -> tuple[tuple[Finding, ...], str | None]:
    """Live verification: its findings, or why the backend was unavailable."""
    from checker.commands.check_live import verify_live

    try:
        report = verify_live(result, settings, args)
    except BackendUnavailable as exc:
        from checker.engine import LiveUnavailable

        result.live = LiveUnavailable(args.backend, str(exc))
        return (), str(exc)
    result.live = report
    result.live_catalog = report.catalog
    return tuple(report.findings), report.stopped or None


def _check_aside(
    base: CheckResult,
    check_rules: Callable[[CheckResult], None],
    restored: Callable[[CheckResult], bool],
    stack: contextlib.ExitStack,
    *,
    here: bool,
) -> Callable[[], None]:
    """Check the base alone, on the other core while this process checks the whole run:
    the function returned waits for it and fills ``base``'s findings. A base whose
    outcome the cache holds is restored now; with ``here`` (a live run, whose server
    and threads want the cores) it is checked now. A run that ends early (an error)
    stops the copy when ``stack`` closes."""
    if restored(base):
        return lambda: None
    if here:
        check_rules(base)
        return lambda: None
    from checker.parallel import Background

    def findings() -> tuple[list[Finding], int, tuple[str, ...]]:
        check_rules(base)
        return base.findings, base.suppressed, base.rules_run

    job = Background(findings, holds_core=True)
    stack.callback(job.cancel)

    def wait() -> None:
        base.findings, base.suppressed, base.rules_run = job.result()

    return wait


def _write_outputs(result: CheckResult, args: argparse.Namespace) -> None:
    """The report asked for, GitHub annotations inside GitHub Actions, the HTML report."""
    from checker.commands.check_output import apply_baseline, render

    baselined, fixed = apply_baseline(result, args.baseline)
    emit(
        render(
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

        sys.stderr.write(render_github(result.findings, result.files, metas()))
    if args.html is not None:
        from checker.commands.common import load_all_rules
        from reports.html_report import write_html_report

        load_all_rules()
        write_html_report(result, args.html, base_url=args.html_base_url)


def _note_not_applied(result: CheckResult) -> None:
    """A line on stderr per reason files of a migration folder were left out (down
    migrations, other databases' variants), whatever the format."""
    from checker.model import file_label
    from checker.sources.base import (
        BEFORE_CHECKPOINT,
        DOWN,
        DOWN_SECTION,
        NOT_VERSIONED,
        OTHER_DATABASE,
    )

    by_reason: dict[str, list[str]] = {}
    databases: set[str] = set()
    for skipped in result.sources.not_applied:
        by_reason.setdefault(skipped.reason, []).append(file_label(skipped.path))
        if skipped.database is not None:
            databases.add(skipped.database)
    for reason, names in by_reason.items():
        count = len(names)
        files = f"({names[0]})" if count == 1 else f"(e.g. {names[0]})"
        plural = "" if count == 1 else "s"
        if reason == DOWN:
            what = (
                f"{count} down migration{plural} not applied {files}: each undoes its up migration"
            )
        elif reason == DOWN_SECTION:
            what = (
                f"the down section{plural} of {count} file{plural} not applied {files}: "
                "only the up section (-- +goose Up, -- +migrate Up, -- migrate:up) runs"
            )
        elif reason == BEFORE_CHECKPOINT:
            what = (
                f"{count} file{plural} before the last checkpoint not applied {files}: Atlas "
                "starts a new database at its last checkpoint file (-- atlas:checkpoint)"
            )
        elif reason == NOT_VERSIONED:
            what = (
                f"{count} file{plural} not applied {files}: the Supabase CLI applies only "
                "files named <version>_<name>.sql"
            )
        elif reason == OTHER_DATABASE:
            what = (
                f"{count} file{plural} for {', '.join(sorted(databases))} not applied {files}: "
                "only the PostgreSQL and untagged files are"
            )
        else:
            what = (
                f"{count} untagged file{plural} not applied {files}: the same migration has "
                "a PostgreSQL file, which is applied instead"
            )
        sys.stderr.write(f"schema-check: note: {what} (docs/migration-layouts.md)\n")


def _verdict(result: CheckResult, settings: Settings, fail_on_pre_existing: bool) -> int:
    """The exit code of a run whose outputs are written."""
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
        said = "1 statement does" if count == 1 else f"{count} statements do"
        sys.stderr.write(
            f"schema-check: error: {where}{said} not parse (PS001); the report has the details\n"
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
        f for f in result.failing(settings.fail_on) if f.counts_for_gate or fail_on_pre_existing
    ]
    return EXIT_FINDINGS if gate else EXIT_CLEAN


def _refuse_overwriting_inputs(result: CheckResult, *outputs: Path | None) -> None:
    """Nothing the user gave is modified: a report may not replace an input.

    Compared by file identity (device and inode), so a link to an input is refused
    too; an output that does not exist yet cannot be an input, and costs no look at them.
    """
    targets: dict[tuple[int, int], Path] = {}
    for output in outputs:
        if output is not None:
            with contextlib.suppress(OSError):
                info = output.stat()
                targets[(info.st_dev, info.st_ino)] = output
    if not targets:
        return
    inputs = [*result.files]
    if result.settings.path is not None:
        inputs.append(str(result.settings.path))
    for path in inputs:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            continue  # not a file on disk (a database, a snapshot's virtual name)
        output = targets.get((info.st_dev, info.st_ino))
        if output is not None:
            raise InputError(f"{output}: is one of the inputs; refusing to overwrite it")


def _cache(settings: Settings) -> Cache:
    from checker.cache import Cache, cache_location

    return Cache(cache_location(settings.path, given_paths(settings)))


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
) -> Callable[[RuleMeta], bool]:
    def select(meta: RuleMeta) -> bool:
        return rule_runs(meta.code, meta.group, selected, ignored, enabled)

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
    """Declare the built-in rules this check runs (their modules are imported where they
    run), then import the plugins."""
    import rules

    rules.defer_builtin_rules(
        lambda row: (
            not settings.is_ignored(row.code)
            and rule_runs(row.code, row.group, selected, ignored, settings.enable)
        )
    )
    load_plugins()
