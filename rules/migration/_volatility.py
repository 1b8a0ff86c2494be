"""Each user function's volatility as it was just before each statement of the run.

IX305 and MG409 judge a statement by the volatility of the functions it calls. The
server decides with the function as it is when the statement runs: a later CREATE OR
REPLACE, ALTER FUNCTION or DROP changes nothing for an earlier statement, so the final
catalog cannot answer. The simulator's function events, replayed in statement order
(with the definitions their statements wrote), can. Alongside the volatility the timeline
keeps what decides whether PostgreSQL inlines a SQL function (language, STRICT, SECURITY
DEFINER, SET options, SETOF, body), since an inlined function is judged by its body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from checker.catalog import Function
from checker.rule import RuleContext
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import VariableSetKind, ast
from rules.migration._timeline import Timeline
from rules.migration._transactions import outermost

_FUNCTION_KINDS = frozenset({"function", "procedure"})
_RESETS = frozenset({VariableSetKind.VAR_RESET, VariableSetKind.VAR_RESET_ALL})


def _volatility(value: str | None) -> str:
    return value or "volatile"  # CREATE FUNCTION defaults to VOLATILE


def _written(options: Iterable[Any] | None) -> str | None:
    """The volatility an option list sets (the last one wins), or None when it sets none."""
    found = None
    for option in options or ():
        if str(getattr(option, "defname", "")) == "volatility":
            found = str(getattr(option.arg, "sval", "")) or None
    return found


@dataclass(frozen=True, slots=True)
class Definition:
    """A function as one statement left it: its volatility and what inlining depends on.

    ``strict`` is None when unknown (a function read from an initial catalog); ``source``
    is the AS string and ``atomic`` the parsed BEGIN ATOMIC or RETURN body, if any;
    ``parameters`` names the input parameters ("" when unnamed), None with a VARIADIC one.
    """

    volatility: str
    language: str | None = None
    strict: bool | None = False
    security_definer: bool = False
    settings: frozenset[str] = frozenset()
    returns_set: bool = False
    source: str | None = None
    atomic: Any = None
    parameters: tuple[str, ...] | None = ()


def _with_options(definition: Definition, options: Iterable[Any] | None) -> Definition:
    """``definition`` changed by the STRICT, SECURITY and SET/RESET options of a statement."""
    settings = set(definition.settings)
    for option in options or ():
        name, argument = str(getattr(option, "defname", "")), getattr(option, "arg", None)
        if name == "strict":
            definition = replace(definition, strict=bool(getattr(argument, "boolval", False)))
        elif name == "security":
            flag = bool(getattr(argument, "boolval", False))
            definition = replace(definition, security_definer=flag)
        elif name == "set" and isinstance(argument, ast.VariableSetStmt):
            setting = str(argument.name).lower() if argument.name else None
            if argument.kind in _RESETS:
                if setting is None:
                    settings.clear()
                else:
                    settings.discard(setting)
            elif setting is not None:
                settings.add(setting)
    return replace(definition, settings=frozenset(settings))


def _inputs(modes_and_names: Iterable[tuple[str, str | None]]) -> tuple[str, ...] | None:
    """The input parameters' names from (mode, name) pairs; None when one is VARIADIC."""
    names: list[str] = []
    for mode, name in modes_and_names:
        if mode in ("v", "variadic"):
            return None
        if mode in ("i", "b", "d", "in", "inout"):
            names.append(name or "")
    return tuple(names)


def _created(node: Any) -> Definition:
    """What a CREATE [OR REPLACE] FUNCTION writes."""
    options = {str(getattr(option, "defname", "")): option.arg for option in node.options or ()}
    language = str(getattr(options.get("language"), "sval", "")).lower() or None
    if language is None and node.sql_body is not None:
        language = "sql"
    source = options.get("as")
    parts = source if isinstance(source, list | tuple) else (source,)
    text = str(getattr(parts[0], "sval", "")) if source is not None and len(parts) == 1 else None
    returns_set = bool(getattr(node.returnType, "setof", False))
    created = Definition(
        _volatility(_written(node.options)),
        language,
        returns_set=returns_set,
        source=text,
        atomic=node.sql_body,
        parameters=_inputs(
            (str(getattr(p.mode, "value", p.mode)), p.name) for p in node.parameters or ()
        ),
    )
    return _with_options(created, node.options)


def _from_catalog(function: Function) -> Definition:
    returns_set = (function.returns or "").lower().startswith(("setof ", "table"))
    return Definition(
        _volatility(function.volatility),
        (function.language or "").lower() or None,
        strict=None,  # a catalog's Function does not say
        security_definer=function.security_definer,
        settings=frozenset(name for name, _ in function.settings),
        returns_set=returns_set,
        source=function.body,
        parameters=_inputs((p.mode, p.name) for p in function.parameters),
    )


def _name_of(label: str) -> str:
    """``name`` of a function label ``[schema.]name(arguments)``."""
    return label.split("(", 1)[0].rsplit(".", 1)[-1]


def _renamed(label: str, new: str) -> str:
    head, arguments = label.split("(", 1)
    schema = head.rsplit(".", 1)[0] + "." if "." in head else ""
    return f"{schema}{new}({arguments}"


@dataclass(slots=True)
class _Timeline:
    """Every function's definition as it changed; None while the function does not exist.

    ``values`` holds each label's definitions in order: the state before statement
    ``i`` is the last change made at a step ``<= i`` (step -1: an initial catalog).
    ``labels[name]`` lists the overloads of an unqualified name in the order they appeared.
    """

    values: Timeline[str, Definition]
    labels: dict[str, list[str]]
    steps: dict[int, int]  # id(statement) -> its index in the run
    end: int

    def record(self, label: str, step: int, value: Definition | None) -> None:
        if label not in self.values.changes:
            self.labels.setdefault(_name_of(label), []).append(label)
        self.values.record(label, step, value)

    def current(self, label: str) -> Definition | None:
        return self.values.latest(label)

    def at(self, label: str, step: int) -> Definition | None:
        return self.values.value(label, step)


def _apply(timeline: _Timeline, event: SimEvent, step: int) -> None:
    label, node = event.name, event.statement.node
    if event.kind in (EventKind.CREATED, EventKind.ALTERED):
        if isinstance(node, ast.CreateFunctionStmt):
            timeline.record(label, step, _created(node))
        elif isinstance(node, ast.AlterFunctionStmt):
            before, written = timeline.current(label), _written(node.actions)
            if before is None and written is None:
                return
            altered = before or Definition(_volatility(None), strict=None)
            altered = replace(altered, volatility=written or altered.volatility)
            timeline.record(label, step, _with_options(altered, node.actions))
        elif event.kind is EventKind.CREATED:
            timeline.record(label, step, Definition(_volatility(None)))  # an aggregate
    elif event.kind is EventKind.DROPPED:
        timeline.record(label, step, None)
    elif event.kind is EventKind.RENAMED and event.detail:
        value = timeline.current(label)
        timeline.record(label, step, None)
        timeline.record(_renamed(label, event.detail), step, value)


def _initial(functions: Iterable[Function]) -> Iterable[tuple[str, Definition]]:
    return ((function.label, _from_catalog(function)) for function in functions)


def _timeline_of(context: RuleContext) -> _Timeline:
    statements = context.statements
    steps = {id(parsed): index for index, parsed in enumerate(statements)}
    timeline = _Timeline(Timeline(), {}, steps, len(statements))
    if context.earlier is not None:
        # a resumed run: the functions as the statements before the checkpoint left them
        for event in context.earlier:
            if event.object_kind in _FUNCTION_KINDS:
                _apply(timeline, event, -1)
    else:
        initial = context.sources.initial_catalog
        for label, definition in _initial(initial.functions.values() if initial else ()):
            timeline.record(label, -1, definition)
    for event in context.events:
        index = steps.get(id(event.statement))
        if event.object_kind in _FUNCTION_KINDS and index is not None:
            _apply(timeline, event, index + 1)
    return timeline


@dataclass(frozen=True, slots=True)
class Volatilities:
    """The user functions as they are just before one statement runs."""

    timeline: _Timeline
    step: int

    def of(self, name: str) -> tuple[str, ...]:
        """The volatility of each overload of the unqualified ``name`` that exists then."""
        return tuple(definition.volatility for definition in self.definitions(name))

    def definitions(self, name: str) -> tuple[Definition, ...]:
        """Each overload of the unqualified ``name`` that exists then, as it is then."""
        found = (self.timeline.at(label, self.step) for label in self.timeline.labels.get(name, ()))
        return tuple(definition for definition in found if definition is not None)


def volatilities_at(context: RuleContext, parsed: ParsedStatement) -> Volatilities:
    """The functions' volatility when ``parsed`` runs: just before it for an executed
    statement; at the end of the run for one inside a function body (it runs when the
    function is called). Built once per run."""
    timeline = context.memo(_timeline_of)
    executed = parsed.parent is None or isinstance(outermost(parsed).node, ast.DoStmt)
    step = timeline.steps.get(id(parsed), timeline.end) if executed else timeline.end
    return Volatilities(timeline, step)
