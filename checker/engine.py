"""The pipeline: sources → statements → simulator → Catalog → graph → rules → findings.

Knows rules only through the registry; never imports ``rules`` or ``reports``.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from checker.cache import Cache, fingerprint_inputs
from checker.change import ChangeFacts, ChangeSummary
from checker.config import Settings
from checker.findings import Finding, Severity
from checker.model import DatabaseUrl, Layer, Origin, SourceFile
from checker.platforms import PlatformChoice, is_platform_file, outside_platform, with_platform
from checker.rule import Rule, RuleContext, RuleMeta, module_of, rule_entries, rule_runs
from checker.sources import SourceSet, load_sources
from checker.suppressions import apply_suppressions, check_suppression_codes

if TYPE_CHECKING:
    from checker.catalog import Catalog, QualifiedName
    from checker.coverage import CoverageMatrix
    from checker.drift_table import DriftTable
    from checker.graph import DeletionClosure, SchemaGraph
    from checker.live.verify import LiveReport
    from checker.simulation import ParsedStatement, SimulationResult

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class LiveUnavailable:
    """A live verification that could not run: the backend asked for and why."""

    backend: str
    error: str


@dataclass(slots=True)
class CheckResult:
    """Everything one run produced; reporters read it, nothing mutates it afterwards."""

    settings: Settings
    # the inputs as read, on first use (a run whose findings are cached may never need them)
    _sources_of: Callable[[], SourceSet]
    # parse + simulate + graph, run on first use (a cached run may never need them)
    _analyse: Callable[[], tuple[SimulationResult, SchemaGraph]] | None
    findings: list[Finding]
    suppressed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    rules_run: tuple[str, ...] = ()
    change: ChangeSummary | None = None  # set when the run judged a change against its base
    change_facts: ChangeFacts | None = None  # what rules may know of the change's files
    extra: dict[str, object] = field(default_factory=dict)  # the baseline's counts and the like
    # the live verification: its report, why it could not run, or None without --live
    live: LiveReport | LiveUnavailable | None = None
    _derived: dict[object, object] = field(default_factory=dict, repr=False)
    # the run cache's key of these inputs and settings (None: not cached)
    cache_key: str | None = None
    # the key of the same files read where they are shown (``analyse``'s ``shown_as``): a
    # merge base's files, extracted, are the working tree's as of that commit, which a
    # plain check of that commit kept its outcome under
    alias_key: str | None = None
    # what a cached run restored instead of simulating: catalog counts, statement count,
    # the change's last touch of each object
    restored: CachedSummary | None = None
    # the live server's catalog after ``--live`` applied the statements
    live_catalog: Catalog | None = None

    @property
    def sources(self) -> SourceSet:
        return self._sources_of()

    @property
    def live_ran(self) -> bool:
        """Whether a live verification ran to the end (not merely asked for)."""
        return self.live is not None and not isinstance(self.live, LiveUnavailable)

    @property
    def simulation(self) -> SimulationResult:
        return self._analysed()[0]

    @property
    def graph(self) -> SchemaGraph:
        return self._analysed()[1]

    def _analysed(self) -> tuple[SimulationResult, SchemaGraph]:
        done = self._derived.get("analysed")
        if done is None:
            assert self._analyse is not None
            done = self._analyse()
            self._derived["analysed"] = done
        return cast("tuple[SimulationResult, SchemaGraph]", done)

    def catalog_counts(self) -> dict[str, int]:
        """The catalog's object counts (from the cache when the run was restored)."""
        if self.restored is not None and "analysed" not in self._derived:
            return dict(self.restored.counts)
        return self.simulation.catalog.counts()

    def statement_count(self) -> int:
        """The statements written in the input files: the one statement count every
        output shows (text summary, HTML, markdown). The simulator reads more (the static
        DDL inside DO blocks, see ``analysed_statements``), which no summary counts."""
        statements = self.sources.statements
        if self.sources.platform is None:
            return len(statements)
        return sum(not is_platform_file(s.origin.file) for s in statements)

    def analysed_statements(self) -> int:
        """Statements analysed, DO-block bodies included."""
        if self.restored is not None and "analysed" not in self._derived:
            return self.restored.statements
        return len(self.simulation.statements)

    @property
    def files(self) -> Mapping[str, SourceFile]:
        return self.sources.files

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.at_least(threshold)]

    def coverage(self) -> CoverageMatrix | None:
        """The contract's documented queries × the indexes (None without queries).

        Computed once, on first use: it imports sqlglot, which a run without
        documented queries never needs. Reporters read it; they do not compute it.
        """
        if "coverage" not in self._derived:
            queries = self.settings.contract.queries
            matrix = None
            if queries:
                from checker.coverage import coverage_matrix

                matrix = coverage_matrix(self.simulation.catalog, queries)
            self._derived["coverage"] = matrix
        return cast("CoverageMatrix | None", self._derived["coverage"])

    def drift(self) -> DriftTable | None:
        """The drift table (ORM | snapshot | migrations | live): one row per object the
        sources disagree on; None when no DR rule ran or there is nothing to compare
        the migrations with. Computed once (restored with a cached run)."""
        if "drift" not in self._derived:
            table: DriftTable | None = None
            if self.restored is not None and "analysed" not in self._derived:
                table = self.restored.drift
            elif self.sources.references and any(c.startswith("DR") for c in self.rules_run):
                from checker.drift import drift_table

                table = drift_table(
                    self.simulation.catalog,
                    self.sources.references,
                    self.sources.files,
                    self.settings.postgres,
                    self.live_catalog,
                )
            self._derived["drift"] = table
        return cast("DriftTable | None", self._derived["drift"])

    def closure(self, root: QualifiedName) -> DeletionClosure:
        """What deleting one row of ``root`` does (computed once per root)."""
        key = ("closure", root)
        if key not in self._derived:
            self._derived[key] = self.graph.deletion_closure(root)
        return cast("DeletionClosure", self._derived[key])


@dataclass(frozen=True, slots=True)
class CachedSummary:
    """What reporters and the change judgement read of a run whose findings were cached."""

    counts: tuple[tuple[str, int], ...]
    statements: int
    touched: tuple[tuple[str, Origin], ...]
    drift: DriftTable | None = None


@dataclass(frozen=True, slots=True)
class _CachedRun:
    """A run's outcome as the run cache keeps it: findings, counts and the summary."""

    findings: tuple[Finding, ...]
    suppressed: int
    rules_run: tuple[str, ...]
    summary: CachedSummary


def layer_inputs(settings: Settings) -> list[tuple[Path | DatabaseUrl, Layer]]:
    layers = settings.layers
    return [
        *((p, Layer.BASE) for p in layers.base),
        *((p, Layer.EXTENSION) for p in layers.extension),
        *((p, Layer.PROPOSAL) for p in layers.proposal),
    ]


def _without_cyclic_gc(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` with the cyclic garbage collector paused.

    A check allocates hundreds of thousands of long-lived objects (AST nodes,
    catalog entries) and frees almost nothing until it ends; every full
    collection walks all of them, so collections made the run grow faster
    than the input (20,000 statements: 4.2 s with, 2.6 s without, same peak
    memory). The collector is switched back on (if it was on) afterwards.
    """

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


def analyse(
    settings: Settings,
    inputs: Iterable[tuple[Path | DatabaseUrl, Layer]] | None = None,
    change: ChangeFacts | None = None,
    cache: Cache | None = None,
    shown_as: Sequence[tuple[Path, Path]] | None = None,
) -> CheckResult:
    """Read the inputs; parsing, simulation (on top of the base's ready catalog when
    it is a snapshot or a database) and the graph follow on first use of the result's
    ``simulation`` or ``graph``. No rules yet.

    ``change`` names files of base folders that are the change under review.
    With a ``cache``, the result gets a key (when every input is a readable
    path), and ``restore_rules_outcome`` may then fill it without any of that.
    ``shown_as``: places read (each input among them) with where a plain check sees
    them (a merge base's folders, extracted, are the working tree's folders as of that
    commit); an outcome kept by such a check, under ``alias_key``, serves this result too."""
    timings: dict[str, float] = {}
    given = list(inputs if inputs is not None else layer_inputs(settings))
    key, alias = None, None
    if cache is not None:
        key, alias = _cache_key(cache, settings, given, change, shown_as)

    def read() -> SourceSet:
        started = time.perf_counter()
        cached = cache.get("sources", key) if cache is not None and key is not None else None
        if isinstance(cached, SourceSet):
            sources = cached
        else:
            sources = _load_remembering(given, change, cache, settings.platform)
            _register_contract_files(sources, settings)
            if settings.orm is not None:
                from checker.sources.orm import add_orm_reference

                timings["orm export"] = add_orm_reference(sources, settings.orm)
            if cache is not None and key is not None:
                cache.put("sources", key, sources)
        timings["read"] = time.perf_counter() - started
        return sources

    sources_of = functools.cache(read)
    # Read now: what is wrong with the inputs is said before anything else. Not when a
    # run read them before (under the alias too: the same files, read elsewhere).
    if (
        cache is None
        or key is None
        or not any(k is not None and cache.holds("sources", k) for k in (key, alias))
    ):
        sources_of()

    derived: dict[object, object] = {}

    @_without_cyclic_gc
    def parse_and_simulate() -> tuple[SimulationResult, SchemaGraph]:
        # imported here: a run restored from the cache never needs them
        from checker.graph import SchemaGraph
        from checker.parsing import parse_statements
        from checker.simulator import simulate

        sources = sources_of()
        mark = time.perf_counter()
        parsed = parse_statements(sources.applied_statements)
        timings["parse"] = time.perf_counter() - mark
        mark = time.perf_counter()
        if cache is None or sources.initial_catalog is not None:
            simulation = simulate(
                parsed, postgres_version=settings.postgres, initial=sources.initial_catalog
            )
        else:
            simulation, points = _simulate_resumed(parsed, sources, settings.postgres, cache)
            derived[_CHECKPOINTS] = points
        timings["simulate"] = time.perf_counter() - mark
        mark = time.perf_counter()
        graph = SchemaGraph(simulation.catalog)
        timings["graph"] = time.perf_counter() - mark
        return simulation, graph

    return CheckResult(
        settings,
        sources_of,
        parse_and_simulate,
        [],
        timings=timings,
        change_facts=change,
        _derived=derived,
        cache_key=key,
        alias_key=alias,
    )


def _load_remembering(
    given: Sequence[tuple[Path | DatabaseUrl, Layer]],
    change: ChangeFacts | None,
    cache: Cache | None,
    platform: PlatformChoice,
) -> SourceSet:
    """``load_sources``, with the statement spans of the chunks the cache has seen split
    before (the last run's on the same inputs); what this run split is kept for the next."""
    files = change.files if change is not None else ()
    if cache is None:
        return load_sources(given, files, platform)
    from checker.sources.splitting import SplitMemo, remembering

    key = cache.key("splits", [str(path) for path, _ in given])
    known = cache.get("splits", key)
    with remembering(SplitMemo(known if isinstance(known, dict) else None)) as memo:
        sources = load_sources(given, files, platform)
    if memo.added:
        cache.put("splits", key, memo.used)
    return sources


@dataclass(frozen=True, slots=True)
class _Checkpoints:
    """The cache's checkpoints a simulation used: the one it resumed from, and the one it
    kept for the next run (its key and the files before it). The rules' findings at those
    files are kept beside the latter (``_remember_prefix``) and read beside the former."""

    resumed_from: str | None
    kept: tuple[str, frozenset[str]] | None


_CHECKPOINTS = "checkpoints"
# set on a result whose resumable rules ran over the statements after a checkpoint only
RULES_RESUMED = "rules resumed"


def _simulate_resumed(
    parsed: Sequence[ParsedStatement], sources: SourceSet, postgres: int, cache: Cache
) -> tuple[SimulationResult, _Checkpoints]:
    """``simulate``, resumed from the cache's checkpoint of the longest prefix of files
    seen before. What is kept for the next run: the state after the base layer's files
    when a change follows them (a pull request's files come after its base), else the
    state before the last file (the one being written: a re-run after editing it, or
    after adding another, resumes); unless a checkpoint covers all but a quarter of
    those statements already."""
    from checker.simulator import simulate_from
    from checker.simulator.checkpoint import Checkpoint

    bounds = _file_bounds(parsed, sources, postgres, cache)
    ends = [covered for covered, _ in bounds]
    keep = next(
        (covered for covered in ends if covered < len(parsed) and not _base(parsed[covered])),
        ends[-2] if len(ends) > 1 and ends[-1] == len(parsed) else None,
    )
    if keep is None:
        return simulate_from(parsed, postgres_version=postgres)[0], _Checkpoints(None, None)
    resume = None
    resumed_from = None
    for covered, key in reversed(bounds):
        entry = cache.get("checkpoints", key)
        if isinstance(entry, Checkpoint) and entry.covered == covered:
            resume, resumed_from = entry, key
            break
    saving = next((key for covered, key in bounds if covered == keep), None)
    if resume is not None and (keep - resume.covered) * 4 <= keep:
        # seen, or nearly: writing the state again would cost more than the few files it saves
        saving = None
    keeping = keep if saving is not None else None
    try:
        simulation, taken = simulate_from(
            parsed, postgres_version=postgres, resume=resume, keep=keeping
        )
    except Exception:
        if resume is None:
            raise
        # an entry that does not fit these statements is a miss, as a damaged one is
        simulation, taken = simulate_from(parsed, postgres_version=postgres, keep=keeping)
        resumed_from = None
    kept = None
    if taken is not None and saving is not None:
        cache.put("checkpoints", saving, taken)
        kept = (saving, frozenset(p.statement.migration.path for p in parsed[:keep]))
    return simulation, _Checkpoints(resumed_from if simulation.resumed else None, kept)


def _base(statement: ParsedStatement) -> bool:
    return statement.statement.layer is Layer.BASE


def _file_bounds(
    parsed: Sequence[ParsedStatement], sources: SourceSet, postgres: int, cache: Cache
) -> list[tuple[int, str]]:
    """(statements before it, key) at the end of every file, from the first file on:
    a key covers the files so far (their places in the run, how they are split, their
    bytes) and nothing after. A file whose statements do not follow each other ends the list."""
    bounds: list[tuple[int, str]] = []
    chain = cache.key("checkpoint", postgres)
    seen: set[str] = set()
    index = 0
    while index < len(parsed):
        migration = parsed[index].statement.migration
        end = index
        while end < len(parsed) and parsed[end].statement.migration is migration:
            end += 1
        if migration.path in seen:
            break
        seen.add(migration.path)
        source = sources.files.get(migration.path)
        text = source.text if source is not None else ""
        # what the statements and their places follow from: not the journal entry's
        # offset in the journal, which moves when an entry is written differently
        split = migration.journal.breakpoints if migration.journal is not None else None
        first = parsed[index].statement.origin.statement
        record = (migration.path, migration.layer, migration.layout, split, first, end - index)
        digest = hashlib.sha256(f"{chain}\0{record!r}\0".encode())
        digest.update(text.encode("utf-8", "surrogateescape"))
        chain = digest.hexdigest()
        bounds.append((end, chain))
        index = end
    return bounds


def _cache_key(
    cache: Cache,
    settings: Settings,
    inputs: Sequence[tuple[Path | DatabaseUrl, Layer]],
    change: ChangeFacts | None,
    shown_as: Sequence[tuple[Path, Path]] | None = None,
) -> tuple[str | None, str | None]:
    """The key of these inputs' analysis, or None when they cannot be cached (a
    database, or a file that cannot be read: the run then says what is wrong).

    And the key of the same files where ``shown_as`` places them: (read, shown) pairs,
    the first that holds a file moves it. None without them, when an input is not one of
    the places read, or when a file read lies under none of them."""
    paths: list[Path] = []
    for given, _layer in inputs:
        if isinstance(given, DatabaseUrl):
            return None, None
        paths.append(given)
    contract = settings.contract
    origins = [q.origin for q in contract.queries] + [d.origin for d in contract.deletes]
    others = sorted({Path(o.file) for o in origins if o is not None and o.file})
    if settings.orm is not None:
        from checker.sources.orm import schema_files

        others += schema_files(settings.orm)
    files = fingerprint_inputs(paths)
    also = fingerprint_inputs(others)
    if files is None or also is None:
        return None, None
    facts = None
    if change is not None:
        facts = (
            sorted(change.files),
            sorted(change.previous.items()),
            sorted(change.deleted),
            change.edited,
            sorted(change.declared),
            change.before,
        )

    # the findings do not depend on the severity that fails the run: a check with another
    # --fail-on reads the same entries
    shown = repr(replace(settings, fail_on=Severity.ERROR))

    def key(placed: Sequence[Path | DatabaseUrl], read: tuple[tuple[str, str], ...]) -> str:
        layers = [(str(p), str(layer)) for p, (_, layer) in zip(placed, inputs, strict=True)]
        return cache.key("analysis", shown, layers, facts, (*read, *also))

    alias = None
    where = dict(shown_as or ())
    if shown_as is not None and all(path in where for path in paths):
        moved = _shown(files, shown_as)
        alias = key([where[path] for path in paths], moved) if moved is not None else None
    return key(paths, files), alias


def _shown(
    files: tuple[tuple[str, str], ...], places: Sequence[tuple[Path, Path]]
) -> tuple[tuple[str, str], ...] | None:
    """``files`` (path, hash) with each path under a read place moved under where it is
    shown; None when one lies under none of them (a manifest above a folder)."""
    moved: list[tuple[str, str]] = []
    for name, digest in files:
        path = Path(name)
        for read, shown in places:
            if path == read:
                moved.append((str(shown), digest))
                break
            if path.is_relative_to(read):
                moved.append((str(shown / path.relative_to(read)), digest))
                break
        else:
            return None
    return tuple(moved)


def restore_rules_outcome(result: CheckResult, cache: Cache | None, selection: str) -> bool:
    """Fill ``result`` from the cache when these inputs were checked before with the
    same rules (``selection`` names them: codes, plugins); False on a miss."""
    if cache is None or result.cache_key is None:
        return False
    mark = time.perf_counter()
    entry = cache.get("runs", cache.key(result.cache_key, selection))
    if not isinstance(entry, _CachedRun) and result.alias_key is not None:
        entry = cache.get("runs", cache.key(result.alias_key, selection))
    if not isinstance(entry, _CachedRun):
        return False
    result.findings = list(entry.findings)
    result.suppressed = entry.suppressed
    result.rules_run = entry.rules_run
    result.restored = entry.summary
    result.timings["cache"] = time.perf_counter() - mark
    return True


def _remember(result: CheckResult, cache: Cache, selection: str) -> None:
    assert result.cache_key is not None
    counts = tuple(result.simulation.catalog.counts().items())
    summary = CachedSummary(
        counts,
        len(result.simulation.statements),
        tuple(touched_by_change(result).items()),
        result.drift(),
    )
    entry = _CachedRun(
        tuple(result.findings),
        result.suppressed,
        result.rules_run,
        summary,
    )
    cache.put("runs", cache.key(result.cache_key, selection), entry)


def _register_contract_files(sources: SourceSet, settings: Settings) -> None:
    """Keep the text of files that declare queries and intents, so findings
    about them can show ``file:line:col`` and an excerpt."""
    contract = settings.contract
    paths = [
        o.file
        for o in [q.origin for q in contract.queries] + [d.origin for d in contract.deletes]
        if o
    ]
    if settings.path is not None and (
        contract.volumes or contract.tenant_key or contract.tenant_tables
    ):
        paths.append(str(settings.path))  # findings about these keys point into the file
    for path in paths:
        if path and path not in sources.files:
            try:
                sources.add_text(path, Path(path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue  # the config loader already read it; a race is not worth failing on


@_without_cyclic_gc
def run_rules(
    result: CheckResult,
    *,
    external: Sequence[Finding] = (),
    select: Callable[[RuleMeta], bool] | None = None,
    cache: Cache | None = None,
    selection: str = "",
) -> CheckResult:
    """Run every registered (and selected) rule, then apply suppressions and overrides.

    Without ``select``, the default rules run, and the opt-in ones the settings'
    ``enable`` names; a ``select`` decides alone (the CLI's applies the opt-in rule,
    a test's may name any rule).

    With a ``cache`` and a ``selection`` (what names the selected rules), the
    outcome is stored for ``restore_rules_outcome``; never with external findings."""
    chosen = _chosen_rules(result.settings, select)
    ran = [code for code, _ in chosen]
    sources = result.sources
    large = len(sources.applied_statements) >= _SHARED_FROM
    drifting = any(code.startswith("DR") for code in ran)
    if cache is not None or drifting or "checker.drift" in sys.modules:
        from checker import drift

        drift.use_cache(cache)  # this run's cache (or none), never an earlier run's
        if large and drifting and sources.references and "analysed" not in result._derived:
            # the snapshot's catalog is built on the other core while this one simulates
            drift.prefetch_references(sources.references, sources.files, result.settings.postgres)
    result._analysed()  # parse and simulate first, so their time is not the rules'
    mark = time.perf_counter()
    context = RuleContext(
        catalog=result.simulation.catalog,
        graph=result.graph,
        statements=result.simulation.statements,
        events=result.simulation.events,
        sources=sources,
        settings=with_platform(result.settings, sources),
        external=tuple(external),
        change=result.change_facts,
        live_catalog=result.live_catalog,
    )
    check_suppression_codes(sources)
    resumable = _resumable(ran)
    points = result._derived.get(_CHECKPOINTS)
    rules_key = ""
    earlier: _PrefixFindings | None = None
    if (
        cache is not None
        and selection
        and not external
        and resumable
        and isinstance(points, _Checkpoints)
    ):
        rules_key = cache.key("rules", selection, repr(result.settings), sorted(resumable))
        earlier = _prefix_findings(result, cache, points, rules_key, resumable)
    resumed = _resumed_context(result, context) if earlier is not None else None
    by_rule = _run_by_family(
        chosen,
        lambda code: resumed if resumed is not None and code in resumable else context,
        fork=large,
    )
    if earlier is not None:
        for code, found in earlier.findings:
            by_rule[code] = [*found, *by_rule[code]]
        result._derived[RULES_RESUMED] = len(resumable)
    if cache is not None and rules_key and isinstance(points, _Checkpoints) and points.kept:
        run_files = {s.migration.path for s in sources.applied_statements}
        _remember_prefix(cache, points.kept, rules_key, resumable, by_rule, run_files)
    findings = [finding for code in ran for finding in by_rule[code]]
    from checker.renames import point_at_renames

    findings = point_at_renames(findings, context.events, sources)
    if sources.platform is not None:
        findings = outside_platform(findings)
    if drifting:
        from checker import drift

        drift.drop_prefetched()  # what no drift rule asked for (one crashed)
    kept, suppressed = apply_suppressions(findings, result.sources, ran)
    overrides = result.settings.severity
    kept = [replace(f, severity=overrides[f.code]) if f.code in overrides else f for f in kept]
    result.findings = sorted(set(kept), key=Finding.sort_key)
    result.suppressed = suppressed
    result.rules_run = tuple(ran)
    result.timings["rules"] = time.perf_counter() - mark
    # a crash is not a result: the next run tries the rule again
    crashed = any(f.code == RULE_CRASHED for f in result.findings)
    if (
        cache is not None
        and selection
        and result.cache_key is not None
        and not (external or crashed)
    ):
        _remember(result, cache, selection)
    return result


def _chosen_rules(
    settings: Settings, select: Callable[[RuleMeta], bool] | None
) -> list[tuple[str, Callable[[], type[Rule]]]]:
    """The rules a run runs, by code, each with how to get its class."""
    chosen: list[tuple[str, Callable[[], type[Rule]]]] = []
    for code, (meta, load) in rule_entries().items():
        if settings.is_ignored(code):
            continue
        if select is None:
            if not rule_runs(code, meta.group, (), (), settings.enable):
                continue
        elif not select(meta):
            continue
        chosen.append((code, load))
    return chosen


def _run_by_family(
    chosen: Sequence[tuple[str, Callable[[], type[Rule]]]],
    context_of: Callable[[str], RuleContext],
    *,
    fork: bool,
) -> dict[str, list[Finding]]:
    """Every chosen rule's findings, by code; each rule runs on ``context_of(code)``.

    A family's rules share their family's helpers and what those compute once per run
    (the drift comparison, the history replay, the identifier tokens), so a family is
    the unit shared with a forked copy (``fork``). The drift family stays in this
    process, first: the report and the cache reuse its comparison; so does the PS family,
    whose PS005 reads the catalogs the drift rules compare with."""
    from checker.parallel import run_shared

    families: dict[str, list[tuple[str, Callable[[], type[Rule]]]]] = {}
    for code, load in chosen:
        families.setdefault(code[:2], []).append((code, load))
    groups = sorted(families.values(), key=lambda group: not group[0][0].startswith(_KEPT_HERE))
    outcomes = run_shared(
        groups,
        lambda group: [(code, _guarded(code, load, context_of(code))) for code, load in group],
        pinned=sum(1 for group in groups if group[0][0].startswith(_KEPT_HERE)),
        fork=fork,
    )
    return {code: found for outcome in outcomes for code, found in outcome}


@dataclass(frozen=True, slots=True)
class _PrefixFindings:
    """The resumable rules' findings at the files before a checkpoint, as the run that kept
    the checkpoint found them (before suppressions), by code."""

    findings: tuple[tuple[str, tuple[Finding, ...]], ...]


def _resumable(ran: Iterable[str]) -> frozenset[str]:
    entries = rule_entries()
    return frozenset(code for code in ran if code in entries and entries[code][0].resumable)


def _prefix_findings(
    result: CheckResult,
    cache: Cache,
    points: _Checkpoints,
    rules_key: str,
    resumable: frozenset[str],
) -> _PrefixFindings | None:
    """The findings kept with the checkpoint the simulation resumed from, when the
    resumable rules can go on from there: None when it did not resume, when a new statement
    creates what a statement before the checkpoint missed (its events then differ from
    those the findings were made from), or on a miss."""
    resumed = result.simulation.resumed
    if points.resumed_from is None or resumed is None or resumed.looked_ahead:
        return None
    entry = cache.get("rule-prefixes", cache.key(points.resumed_from, rules_key))
    if not isinstance(entry, _PrefixFindings):
        return None
    if {code for code, _ in entry.findings} != resumable:
        return None
    return entry


def _resumed_context(result: CheckResult, context: RuleContext) -> RuleContext:
    """The resumable rules' context: the statements after the checkpoint, on top of the
    catalog the ones before it left, with those earlier statements' events."""
    from checker.sources.base import CatalogSource

    simulation = result.simulation
    resumed = simulation.resumed
    assert resumed is not None
    checkpoint = CatalogSource("checkpoint", "checkpoint", Layer.BASE, resumed.catalog)
    return replace(
        context,
        statements=simulation.statements[resumed.statements :],
        events=simulation.events[resumed.events :],
        sources=replace(result.sources, catalogs=[checkpoint]),
        earlier=simulation.events[: resumed.events],
    )


def _remember_prefix(
    cache: Cache,
    kept: tuple[str, frozenset[str]],
    rules_key: str,
    resumable: frozenset[str],
    by_rule: Mapping[str, Sequence[Finding]],
    run_files: set[str],
) -> None:
    """Keep the resumable rules' findings at the files before the checkpoint this run kept.
    Nothing is kept when one of them crashed or reported somewhere else than a file of the
    run's statements (it broke its promise; the next run runs it whole)."""
    key, before = kept
    found: list[tuple[str, tuple[Finding, ...]]] = []
    for code in sorted(resumable):
        findings = by_rule.get(code, [])
        if any(
            f.code == RULE_CRASHED or f.primary is None or f.primary.file not in run_files
            for f in findings
        ):
            return
        found.append((code, tuple(f for f in findings if f.primary and f.primary.file in before)))
    cache.put("rule-prefixes", cache.key(key, rules_key), _PrefixFindings(tuple(found)))


def check(
    settings: Settings, inputs: Iterable[tuple[Path | DatabaseUrl, Layer]] | None = None
) -> CheckResult:
    """The static check: analyse the inputs and run the rules."""
    return run_rules(analyse(settings, inputs))


def touched_by_change(result: CheckResult) -> dict[str, Origin]:
    """Object name -> the last statement of the change that created, altered or dropped it."""
    from checker.simulation import EventKind

    changing = {EventKind.CREATED, EventKind.ALTERED, EventKind.DROPPED, EventKind.RENAMED}
    touched: dict[str, Origin] = {}
    for event in result.simulation.events:
        statement = event.statement.statement
        if statement.layer is Layer.BASE or event.kind not in changing:
            continue
        touched[event.name] = statement.origin
    return touched


RULE_CRASHED = "PS009"

# What decides where a rule runs: the drift rules' comparison is reused by this
# process, and PS005 reads the same references' catalogs (a forked copy cannot wait for
# this process's prefetch of them); below this many statements a forked copy costs more
# than it saves.
_KEPT_HERE = ("DR", "PS")
_SHARED_FROM = 400


def _guarded(code: str, load: Callable[[], type[Rule]], context: RuleContext) -> list[Finding]:
    """The rule's findings; if it raises (or its module does, on import), one PS009
    finding instead, and the run goes on."""
    rule_class: type[Rule] | None = None
    try:
        rule_class = load()
        return list(rule_class().check(context))
    except Exception as exc:  # any bug in any rule, plugins included, is caught here
        details: tuple[str, ...] = ()
        if os.environ.get("SCHEMA_CHECK_DEBUG"):
            details = tuple(traceback.format_exception(exc))
        module = rule_class.__module__ if rule_class is not None else module_of(code)
        return [
            Finding(
                RULE_CRASHED,
                Severity.ERROR,
                f"rule {code} ({module}) failed with {type(exc).__name__}: {exc}; its findings "
                "are missing from this run (SCHEMA_CHECK_DEBUG=1 shows the traceback)",
                objects=(code,),
                details=details,
            )
        ]
