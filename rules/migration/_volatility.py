"""Each user function's volatility as it was just before each statement of the run.

IX305 and MG409 judge a statement by the volatility of the functions it calls. The
server decides with the function as it is when the statement runs: a later CREATE OR
REPLACE, ALTER FUNCTION or DROP changes nothing for an earlier statement, so the final
catalog cannot answer. The simulator's function events, replayed in statement order
(with the definitions their statements wrote), can.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from checker.catalog import Function
from checker.rule import RuleContext
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.syntax import ast
from rules.migration._transactions import outermost

_FUNCTION_KINDS = frozenset({"function", "procedure"})


def _volatility(value: str | None) -> str:
    return value or "volatile"  # CREATE FUNCTION defaults to VOLATILE


def _written(options: Iterable[Any] | None) -> str | None:
    """The volatility an option list sets (the last one wins), or None when it sets none."""
    found = None
    for option in options or ():
        if str(getattr(option, "defname", "")) == "volatility":
            found = str(getattr(option.arg, "sval", "")) or None
    return found


def _name_of(label: str) -> str:
    """``name`` of a function label ``[schema.]name(arguments)``."""
    return label.split("(", 1)[0].rsplit(".", 1)[-1]


def _renamed(label: str, new: str) -> str:
    head, arguments = label.split("(", 1)
    schema = head.rsplit(".", 1)[0] + "." if "." in head else ""
    return f"{schema}{new}({arguments}"


@dataclass(slots=True)
class _Timeline:
    """Every function's volatility as it changed; None while the function does not exist.

    ``changes[label]`` lists (step, volatility) in order: the state before statement
    ``i`` is the last change made at a step ``<= i`` (step -1: an initial catalog).
    ``labels[name]`` lists the overloads of an unqualified name in the order they appeared.
    """

    changes: dict[str, tuple[list[int], list[str | None]]]
    labels: dict[str, list[str]]
    steps: dict[int, int]  # id(statement) -> its index in the run
    end: int

    def record(self, label: str, step: int, value: str | None) -> None:
        if label not in self.changes:
            self.labels.setdefault(_name_of(label), []).append(label)
        steps, values = self.changes.setdefault(label, ([], []))
        if steps and steps[-1] == step:
            values[-1] = value  # a later event of the same statement wins
        else:
            steps.append(step)
            values.append(value)

    def current(self, label: str) -> str | None:
        found = self.changes.get(label)
        return found[1][-1] if found else None

    def at(self, label: str, step: int) -> str | None:
        steps, values = self.changes[label]
        index = bisect.bisect_right(steps, step) - 1
        return values[index] if index >= 0 else None


def _apply(timeline: _Timeline, event: SimEvent, step: int) -> None:
    label, node = event.name, event.statement.node
    if event.kind in (EventKind.CREATED, EventKind.ALTERED):
        if isinstance(node, ast.CreateFunctionStmt):
            timeline.record(label, step, _volatility(_written(node.options)))
        elif isinstance(node, ast.AlterFunctionStmt):
            written = _written(node.actions)
            if written is not None:
                timeline.record(label, step, written)
        elif event.kind is EventKind.CREATED:
            timeline.record(label, step, _volatility(None))  # an aggregate: no volatility
    elif event.kind is EventKind.DROPPED:
        timeline.record(label, step, None)
    elif event.kind is EventKind.RENAMED and event.detail:
        value = timeline.current(label)
        timeline.record(label, step, None)
        timeline.record(_renamed(label, event.detail), step, value)


def _initial(functions: Iterable[Function]) -> Iterable[tuple[str, str]]:
    return ((function.label, _volatility(function.volatility)) for function in functions)


def _timeline_of(context: RuleContext) -> _Timeline:
    statements = context.statements
    steps = {id(parsed): index for index, parsed in enumerate(statements)}
    timeline = _Timeline({}, {}, steps, len(statements))
    initial = context.sources.initial_catalog
    for label, volatility in _initial(initial.functions.values() if initial else ()):
        timeline.record(label, -1, volatility)
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
        found = (self.timeline.at(label, self.step) for label in self.timeline.labels.get(name, ()))
        return tuple(volatility for volatility in found if volatility is not None)


def volatilities_at(context: RuleContext, parsed: ParsedStatement) -> Volatilities:
    """The functions' volatility when ``parsed`` runs: just before it for an executed
    statement; at the end of the run for one inside a function body (it runs when the
    function is called). Built once per run."""
    timeline = context.memo(_timeline_of)
    executed = parsed.parent is None or isinstance(outermost(parsed).node, ast.DoStmt)
    step = timeline.steps.get(id(parsed), timeline.end) if executed else timeline.end
    return Volatilities(timeline, step)
