"""Rule base class, rule metadata, the registry of codes and the rule context.

A rule is a class with a ``meta`` and a pure ``check(context)``: no I/O, no
config reads, no printing. Its docstring is its documentation, in fixed
sections (What it does / Why it matters / Example / Use instead / References).
Codes match ``^[A-Z]{2}\\d{3}$``, are unique, and are never reused.
"""

from __future__ import annotations

import functools
import importlib
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from checker.change import ChangeFacts
from checker.codes import CODE_PATTERN as CODE_PATTERN  # re-exported
from checker.codes import RETIRED, is_family, is_group
from checker.codes import rule_runs as rule_runs  # re-exported
from checker.codes import selects as selects  # re-exported
from checker.findings import Finding, Fix, Location, Severity
from checker.model import Origin

if TYPE_CHECKING:
    from checker.catalog import Catalog
    from checker.config import Settings
    from checker.graph import SchemaGraph
    from checker.simulation import ParsedStatement, SimEvent
    from checker.sources import SourceSet

T = TypeVar("T")

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead", "References")
FAMILIES = {
    "PS": "input and parsing",
    "NC": "naming collisions",
    "FK": "foreign keys and delete semantics",
    "IX": "index coverage",
    "MG": "migration ordering and safety",
    "LV": "live verification",
    "DR": "ORM drift",
    "HY": "schema hygiene",
    "FN": "function, trigger and view bodies",
    "RL": "row level security",
}


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What a rule is: its code, name, default severity, one-line summary and opt-in group."""

    code: str
    name: str  # kebab-case
    severity: Severity  # default severity; config may override it
    summary: str  # one line
    since: str = "0.1.0"
    # The opt-in group (``hygiene-preferences``) of a rule that runs only when a user
    # names it or its group (--select, the config's ``enable``); None: on by default.
    group: str | None = None
    # Whether the rule reports only at statements, from that statement and what ran before
    # it (the catalog then, earlier statements and their events), never from what follows.
    # A run resumed from a checkpoint then runs it over the new statements alone and keeps
    # its findings at the earlier ones from the run that kept the checkpoint.
    resumable: bool = False

    @property
    def family(self) -> str:
        return self.code[:2]


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may look at. Rules never read files or settings elsewhere."""

    catalog: Catalog
    graph: SchemaGraph
    statements: Sequence[ParsedStatement]
    events: Sequence[SimEvent]
    sources: SourceSet
    settings: Settings
    # Findings produced outside the rules (parser, simulator, live verifier);
    # the rule that documents a code yields them, so every code has one home.
    external: Sequence[Finding] = field(default_factory=tuple)
    # The change under review when it is known file by file (``--since``): what it
    # added, edited or deleted, and the edited files' previous text.
    change: ChangeFacts | None = None
    # The live server's catalog after ``--live`` applied the statements (None otherwise):
    # the drift rules compare the ORM schema and the snapshot with it too.
    live_catalog: Catalog | None = None
    # A run resumed from a checkpoint gives its resumable rules only the statements after
    # it (``statements``, ``events``), on top of the catalog the earlier ones left
    # (``sources.initial_catalog``); these are the earlier statements' events, for a rule
    # that needs to know where an object it meets was created. Nothing is reported at them.
    # None: not resumed (every statement of the run is in ``statements``).
    earlier: Sequence[SimEvent] | None = None
    # Derived data several rules share (the coverage matrix, the identifier
    # index), built once per run instead of once per rule; see ``memo``.
    _memo: dict[Callable[[RuleContext], object], object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def memo(self, derive: Callable[[RuleContext], T]) -> T:
        """``derive(self)``, computed on the first call and shared by later ones.

        ``derive`` must be a pure function of the context (a module-level
        function, so it is the same key for every caller) and its result must
        not be mutated: every rule of the run sees the same object.
        """
        if derive not in self._memo:
            self._memo[derive] = derive(self)
        return cast(T, self._memo[derive])


class Rule:
    """Base class of every rule. Subclasses set ``meta`` and implement ``check``."""

    meta: ClassVar[RuleMeta]
    # For the documentation test: base-layer SQL the Example and Use instead
    # run on top of, and a contract (TOML, the [contract] table's keys).
    doc_setup: ClassVar[str] = ""
    doc_contract: ClassVar[str] = ""
    # False for rules whose example is not a SQL script (journal problems, live
    # findings): their fixtures under fixtures/rules/<CODE>/ prove them instead.
    doc_example_is_sql: ClassVar[bool] = True

    def check(self, context: RuleContext) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        message: str,
        where: Origin | Location | Sequence[Origin | Location] | None,
        *,
        severity: Severity | None = None,
        objects: Iterable[str] = (),
        fix: str | Fix | None = None,
        details: Iterable[str] = (),
    ) -> Finding:
        """A Finding of this rule, at the given place(s); the first is the primary one."""
        if where is None:
            places: list[Origin | Location] = []
        elif isinstance(where, Origin | Location):
            places = [where]
        else:
            places = list(where)
        locations = tuple(p if isinstance(p, Location) else Location.of(p) for p in places)
        return Finding(
            code=self.meta.code,
            severity=severity or self.meta.severity,
            message=message,
            locations=locations,
            objects=tuple(objects),
            fix=Fix(fix) if isinstance(fix, str) else fix,
            details=tuple(details),
        )

    def external_findings(self, context: RuleContext) -> Iterator[Finding]:
        """The findings of this rule's code that the parser/simulator/verifier produced."""
        for finding in context.external:
            if finding.code == self.meta.code:
                yield finding

    @classmethod
    def docs(cls) -> dict[str, str]:
        return parse_docs(cls.__doc__ or "")


def parse_docs(docstring: str) -> dict[str, str]:
    """Split a rule docstring into its sections; the first paragraph is ``Summary``."""
    lines = _dedent(docstring).splitlines()
    sections: dict[str, list[str]] = {"Summary": []}
    current = "Summary"
    for line in lines:
        stripped = line.strip()
        heading = stripped.rstrip(":")
        if stripped.endswith(":") and heading in DOC_SECTIONS:
            current = heading
            sections[current] = []
            continue
        sections[current].append(line)
    return {name: "\n".join(body).strip("\n") for name, body in sections.items()}


def _dedent(text: str) -> str:
    first, _, rest = text.partition("\n")
    return (first.strip() + "\n" + textwrap.dedent(rest)).strip()


def sql_of_section(section: str) -> str:
    """The SQL of an Example / Use instead section (indented or fenced lines)."""
    lines = [line for line in section.splitlines() if not line.strip().startswith("```")]
    return textwrap.dedent("\n".join(lines)).strip()


class RegistryError(Exception):
    """A rule with a bad or duplicate code: a programming error, caught at import."""


_REGISTRY: dict[str, type[Rule]] = {}
R = TypeVar("R", bound=type[Rule])


def register(rule: R) -> R:
    """Class decorator: add a rule to the registry, checking its code and name."""
    meta = getattr(rule, "meta", None)
    if not isinstance(meta, RuleMeta):
        raise RegistryError(f"{rule.__name__}: no RuleMeta")
    if not CODE_PATTERN.match(meta.code):
        raise RegistryError(
            f"{rule.__name__}: code {meta.code!r} does not match {CODE_PATTERN.pattern}"
        )
    if meta.family not in FAMILIES and rule.__module__.split(".")[0] == "rules":
        # built-in rules use the documented families; a third-party pack may add its own
        raise RegistryError(f"{rule.__name__}: unknown family {meta.family!r}")
    if meta.code in RETIRED:  # a retired code is never registered again
        raise RegistryError(f"{rule.__name__}: code {meta.code} is retired and cannot be reused")
    if not NAME_PATTERN.match(meta.name):
        raise RegistryError(f"{rule.__name__}: name {meta.name!r} is not kebab-case")
    if meta.group is not None and not is_group(meta.group):
        raise RegistryError(f"{rule.__name__}: group {meta.group!r} is not a kebab-case name")
    existing = _REGISTRY.get(meta.code)
    if existing is not None and existing is not rule:
        raise RegistryError(
            f"{meta.code} registered twice: {existing.__name__} and {rule.__name__}"
        )
    for other in _REGISTRY.values():
        if other is not rule and other.meta.name == meta.name:
            raise RegistryError(
                f"rule name {meta.name!r} used by {other.meta.code} and {meta.code}"
            )
    _REGISTRY[meta.code] = rule
    return rule


def registry() -> Mapping[str, type[Rule]]:
    """Every registered rule by code, sorted by code (deferred modules imported first)."""
    for module in sorted({module for _, module in _DEFERRED.values()}):
        importlib.import_module(module)
    _DEFERRED.clear()
    return dict(sorted(_REGISTRY.items()))


def registered() -> Mapping[str, type[Rule]]:
    """The rules registered so far, without importing the deferred modules."""
    return dict(sorted(_REGISTRY.items()))


# Built-in rules a check will run whose modules are imported only where the rule runs:
# when the rules are shared with a forked copy of the process, each process imports the
# modules of the families it runs (the imports are a fifth of a cold run).
# code -> (its metadata, its module)
_DEFERRED: dict[str, tuple[RuleMeta, str]] = {}


def defer(meta: RuleMeta, module: str) -> None:
    """Make a rule part of every run without importing ``module`` yet (its ``register``
    then files the class under the same code)."""
    if meta.code not in _REGISTRY:
        _DEFERRED[meta.code] = (meta, module)


def rule_entries() -> dict[str, tuple[RuleMeta, Callable[[], type[Rule]]]]:
    """Every rule a run may choose from, by code: its metadata and how to get its class
    (importing its module when it was deferred)."""
    entries: dict[str, tuple[RuleMeta, Callable[[], type[Rule]]]] = {
        code: (meta, functools.partial(_load_deferred, code))
        for code, (meta, _) in _DEFERRED.items()
        if code not in _REGISTRY
    }
    for code, rule in _REGISTRY.items():
        entries[code] = (rule.meta, functools.partial(_registered_class, rule))
    return dict(sorted(entries.items()))


def module_of(code: str) -> str:
    """The module of a rule, registered or deferred ("?" for an unknown code)."""
    rule = _REGISTRY.get(code)
    deferred = _DEFERRED.get(code)
    return rule.__module__ if rule is not None else deferred[1] if deferred else "?"


def _load_deferred(code: str) -> type[Rule]:
    if code not in _REGISTRY:
        importlib.import_module(_DEFERRED[code][1])
    return _REGISTRY[code]


def _registered_class(rule: type[Rule]) -> type[Rule]:
    return rule


_DECLARED: set[str] = set()
_DECLARED_GROUPS: dict[str, str] = {}  # code -> opt-in group
_plugins_loaded = False


def declare_codes(codes: Iterable[str]) -> None:
    """Record built-in codes whose modules are not imported yet (the rules package's
    static table), so a selector can be checked without importing every rule."""
    _DECLARED.update(codes)


def declare_groups(groups: Mapping[str, str]) -> None:
    """Record the opt-in group of built-in codes whose modules are not imported yet."""
    _DECLARED_GROUPS.update(groups)


def known_groups() -> list[str]:
    """Every opt-in group name a selector may name."""
    registered = {rule.meta.group for rule in _REGISTRY.values() if rule.meta.group}
    return sorted(registered | set(_DECLARED_GROUPS.values()))


def group_of(code: str) -> str | None:
    """The opt-in group of a code (declared or registered), None for a default rule."""
    rule = _REGISTRY.get(code)
    if rule is not None:
        return rule.meta.group
    return _DECLARED_GROUPS.get(code)


def known_codes() -> list[str]:
    """Every code a selector may name: the declared built-in ones and every registered rule."""
    return sorted(_DECLARED | set(_REGISTRY))


def _names_known(item: str, codes: Sequence[str], *, families: bool) -> bool:
    return item in codes or (families and is_family(item) and any(c[:2] == item for c in codes))


def load_plugins() -> list[str]:
    """Import third-party rule packs registered in the ``schema_check.rules`` entry-point group."""
    from checker.entry_points import entry_points

    global _plugins_loaded
    _plugins_loaded = True

    loaded: list[str] = []
    for entry in entry_points("schema_check.rules"):
        entry.load()
        loaded.append(entry.name)
    return loaded


# -- codes, families and selectors --------------------------------------------
# The one place that says what a rule code or family given by a user means;
# the CLI, the config and suppression comments all ask here, after the
# third-party packs are loaded, so a pack's codes are as valid as ours.


def unknown_selector(item: str, *, families: bool = True) -> str | None:
    """Why ``item`` names no registered rule (with the nearest valid one), or None.

    A family is valid when some registered rule belongs to it.
    """
    if item in RETIRED:
        return f"rule code {item!r} is retired: {RETIRED[item]}"
    if is_group(item):
        if not _plugins_loaded and item not in known_groups():
            load_plugins()
        if item in known_groups():
            return None
        groups = ", ".join(known_groups()) or "none"
        return (
            f"unknown rule group {item!r} (opt-in groups: {groups}); "
            "`schema-check rules` lists them"
        )
    codes = known_codes()
    if _names_known(item, codes, families=families):
        return None
    if not _plugins_loaded:  # a plugin's code is valid too: load them before refusing
        load_plugins()
        codes = known_codes()
        if _names_known(item, codes, families=families):
            return None
    candidates = codes + (sorted({c[:2] for c in codes}) if families else [])
    nearest = _nearest(item.upper(), candidates)
    kind = "rule family" if is_family(item) else "rule code"
    hint = f" (did you mean {nearest}?)" if nearest else ""
    return f"unknown {kind} {item!r}{hint}; `schema-check rules` lists them"


def _nearest(item: str, candidates: Sequence[str]) -> str | None:
    """The candidate most like ``item``: the longest common start first (a code's
    family and hundred are what a typo rarely gets wrong), then similarity."""

    import difflib

    def score(candidate: str) -> tuple[int, float, int, str]:
        common = 0
        for a, b in zip(item, candidate, strict=False):
            if a != b:
                break
            common += 1
        ratio = difflib.SequenceMatcher(None, item, candidate).ratio()
        numbers = item[2:].isdigit() and candidate[2:].isdigit()
        distance = abs(int(item[2:]) - int(candidate[2:])) if numbers else 0
        return (common, ratio, -distance, "".join(chr(0x10FFFF - ord(c)) for c in candidate))

    scored = [(score(c), c) for c in candidates if len(c) == len(item) or not is_family(item)]
    good = [entry for entry in scored if entry[0][1] >= 0.5]
    return max(good)[1] if good else None
