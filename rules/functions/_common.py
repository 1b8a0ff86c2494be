"""What the FN rules share: every function body of the final catalog, analysed once
per run, and the events that dropped or renamed what a body uses."""

from __future__ import annotations

from dataclasses import dataclass

from checker.bodies import (
    BodyAnalysis,
    BodyUse,
    UseKind,
    analyse_functions,
)
from checker.catalog import Function, Trigger, display_name
from checker.model import Origin
from checker.rule import RuleContext
from checker.simulation import EventKind, SimEvent


@dataclass(frozen=True, slots=True)
class AnalysedFunction:
    """A function, what its body does, and the triggers that call it."""

    function: Function
    analysis: BodyAnalysis
    triggers: tuple[Trigger, ...]  # the triggers that call it


def analysed_functions(context: RuleContext) -> tuple[AnalysedFunction, ...]:
    """Each function of the final catalog with its body resolved against that catalog."""
    return tuple(
        AnalysedFunction(function, analysis, triggers)
        for function, analysis, triggers in analyse_functions(context.catalog)
    )


def functions_of(context: RuleContext) -> tuple[AnalysedFunction, ...]:
    return context.memo(analysed_functions)


def use_place(function: Function, use: BodyUse) -> Origin:
    return function.body_place(use.start, use.length)


def use_label(use: BodyUse) -> str:
    """``table t``, ``column t.c``, ``function f()``: what a use names."""
    if use.kind is UseKind.TABLE:
        return f"table {display_name(use.table) if use.table else use.name}"
    if use.kind is UseKind.COLUMN:
        owner = use.table[1] if use.table else None
        return f"column {owner}.{use.name}" if owner else f"column {use.name}"
    if use.kind is UseKind.FUNCTION:
        return f"function {use.name}()"
    return f"{use.record.upper()}.{use.name}"


def removal_of(context: RuleContext, function: Function, use: BodyUse) -> SimEvent | None:
    """The DROP or RENAME, after the function was created, that took away what ``use`` names."""
    if use.table is None or use.kind not in (UseKind.TABLE, UseKind.COLUMN):
        return None
    if use.kind is UseKind.TABLE:
        kinds, name = ("table",), display_name(use.table)
    else:
        kinds, name = ("column",), f"{use.table[1]}.{use.name}"
    created = (function.origin.file, function.origin.statement)
    for event in context.memo(_removals).get((kinds[0], name), ()):
        if _after(event.origin, created):
            return event
    return None


def _removals(context: RuleContext) -> dict[tuple[str, str], list[SimEvent]]:
    """Every DROP and RENAME event by (object kind, name), in order: one walk of the
    events per run instead of one per use of a missing name."""
    found: dict[tuple[str, str], list[SimEvent]] = {}
    for event in context.events:
        if event.kind in (EventKind.DROPPED, EventKind.RENAMED):
            found.setdefault((event.object_kind, event.name), []).append(event)
    return found


def _after(origin: Origin, created: tuple[str, int]) -> bool:
    return origin.statement > created[1]
