"""The pipeline: sources → statements → simulator → Catalog → graph → rules → findings.

Knows rules only through the registry; never imports ``rules`` or ``reports``.
"""

from __future__ import annotations

import functools
import gc
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from checker.catalog import QualifiedName
from checker.change import ChangeSummary
from checker.config import Settings
from checker.errors import InputError
from checker.findings import Finding, Severity
from checker.graph import DeletionClosure, SchemaGraph
from checker.model import DatabaseUrl, Layer, SourceFile
from checker.parsing import parse_statements
from checker.rule import Rule, RuleContext, registry, selects, unknown_selector
from checker.simulation import SimulationResult
from checker.simulator import simulate
from checker.sources import SourceSet, load_sources

if TYPE_CHECKING:
    from checker.coverage import CoverageMatrix

_P = ParamSpec("_P")
_R = TypeVar("_R")

# The list takes anything up to "]" so that a misspelt code (fk204, FK2O4) is
# reported instead of turning the comment into "ignore every rule".
_SUPPRESSION = re.compile(
    r"--\s*schema-check:\s*(?P<kind>ignore-file|ignore)(?:\[(?P<codes>[^\]\n]*)\])?",
)


@dataclass(slots=True)
class CheckResult:
    """Everything one run produced; reporters read it, nothing mutates it afterwards."""

    settings: Settings
    sources: SourceSet
    simulation: SimulationResult
    graph: SchemaGraph
    findings: list[Finding]
    suppressed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    rules_run: tuple[str, ...] = ()
    change: ChangeSummary | None = None  # set when the run judged a change against its base
    extra: dict[str, object] = field(default_factory=dict)  # live results and the like
    _derived: dict[object, object] = field(default_factory=dict, repr=False)

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

    def closure(self, root: QualifiedName) -> DeletionClosure:
        """What deleting one row of ``root`` does (computed once per root)."""
        key = ("closure", root)
        if key not in self._derived:
            self._derived[key] = self.graph.deletion_closure(root)
        return cast(DeletionClosure, self._derived[key])


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


@_without_cyclic_gc
def analyse(
    settings: Settings, inputs: Iterable[tuple[Path | DatabaseUrl, Layer]] | None = None
) -> CheckResult:
    """Read, parse and simulate the inputs (on top of the base's ready catalog when
    it is a snapshot or a database); build the graph. No rules yet."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    sources = load_sources(inputs if inputs is not None else layer_inputs(settings))
    _register_contract_files(sources, settings)
    timings["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    parsed = parse_statements(sources.applied_statements)
    timings["parse"] = time.perf_counter() - mark
    mark = time.perf_counter()
    simulation = simulate(
        parsed, postgres_version=settings.postgres, initial=sources.initial_catalog
    )
    timings["simulate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    graph = SchemaGraph(simulation.catalog)
    timings["graph"] = time.perf_counter() - mark
    return CheckResult(settings, sources, simulation, graph, [], timings=timings)


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
    select: Callable[[type[Rule]], bool] | None = None,
) -> CheckResult:
    """Run every registered (and selected) rule, then apply suppressions and overrides."""
    mark = time.perf_counter()
    context = RuleContext(
        catalog=result.simulation.catalog,
        graph=result.graph,
        statements=result.simulation.statements,
        events=result.simulation.events,
        sources=result.sources,
        settings=result.settings,
        external=tuple(external),
    )
    check_suppression_codes(result.sources)
    findings: list[Finding] = []
    ran: list[str] = []
    for code, rule_class in registry().items():
        if result.settings.is_ignored(code) or (select is not None and not select(rule_class)):
            continue
        ran.append(code)
        findings.extend(rule_class().check(context))
    kept, suppressed = apply_suppressions(findings, result.sources)
    overrides = result.settings.severity
    kept = [replace(f, severity=overrides[f.code]) if f.code in overrides else f for f in kept]
    result.findings = sorted(set(kept), key=Finding.sort_key)
    result.suppressed = suppressed
    result.rules_run = tuple(ran)
    result.timings["rules"] = time.perf_counter() - mark
    return result


def check(
    settings: Settings, inputs: Iterable[tuple[Path | DatabaseUrl, Layer]] | None = None
) -> CheckResult:
    """The static check: analyse the inputs and run the rules."""
    return run_rules(analyse(settings, inputs))


@dataclass(frozen=True, slots=True)
class _Suppression:
    start: int
    end: int
    codes: frozenset[str] | None  # None: every code


def apply_suppressions(
    findings: Iterable[Finding], sources: SourceSet
) -> tuple[list[Finding], int]:
    """Drop findings silenced by ``-- schema-check: ignore[CODE]`` comments.

    ``ignore`` applies to the statement the comment is in, or to the next
    statement when the comment stands on its own line before it;
    ``ignore-file`` applies to the whole file. No code list means every code.
    """
    by_file = _suppressions(sources)
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        primary = finding.primary
        spans = by_file.get(primary.file, []) if primary else []
        if primary and any(
            s.start <= primary.start <= s.end
            and (s.codes is None or any(selects(finding.code, item) for item in s.codes))
            for s in spans
        ):
            suppressed += 1
            continue
        kept.append(finding)
    return kept, suppressed


def check_suppression_codes(sources: SourceSet) -> None:
    """Refuse a suppression comment that names no registered rule or family.

    A misspelt code would otherwise silence nothing (or, unparsed, everything)
    without a word. Raises InputError at the code's ``file:line:col``.
    """
    for path, source in sources.files.items():
        if "schema-check:" not in source.text:
            continue
        for match in _SUPPRESSION.finditer(source.text):
            raw = match.group("codes")
            if raw is None:
                continue
            offset = match.start("codes")
            for item in raw.split(","):
                code = item.strip()
                problem = unknown_selector(code) if code else None
                if problem is not None:
                    line, column = source.line_col(offset + len(item) - len(item.lstrip()))
                    raise InputError(f"{path}:{line}:{column}: suppression comment: {problem}")
                offset += len(item) + 1


def _suppressions(sources: SourceSet) -> dict[str, list[_Suppression]]:
    result: dict[str, list[_Suppression]] = {}
    statements_by_file: dict[str, list[tuple[int, int]]] = {}
    for statement in sources.statements:
        statements_by_file.setdefault(statement.origin.file, []).append(
            (statement.origin.start, statement.origin.end)
        )
    for path, source in sources.files.items():
        if "schema-check:" not in source.text:
            continue
        spans = statements_by_file.get(path, [])
        for match in _SUPPRESSION.finditer(source.text):
            raw = match.group("codes")
            codes = (
                frozenset(c.strip() for c in raw.split(",") if c.strip())
                if raw is not None
                else None
            )
            if match.group("kind") == "ignore-file":
                result.setdefault(path, []).append(_Suppression(0, len(source.text), codes))
                continue
            position = match.start()
            target = next(((s, e) for s, e in spans if s <= position <= e or s > position), None)
            if target is not None:
                result.setdefault(path, []).append(_Suppression(target[0], target[1], codes))
    return result
