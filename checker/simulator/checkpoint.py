"""The simulator's state after a prefix of the statements, kept to resume from.

A run over a history the cache has seen, with files after it that it has not
(a pull request's migrations, a re-run after adding one), simulates only the
new statements: the state after the seen prefix is restored, and the prefix's
statements and events are bound to this run's parsed statements by their place
(a statement's index, or a DO body statement's index inside its DO).

One thing a statement's outcome knows about later statements: a MISSING event
says whether the object is created later. A checkpoint keeps those events as
"never created" with the key they look for, and the resumed run looks the key
up among the new statements' creations; the result is the full run's, event
for event (``tests/test_checkpoint.py`` compares them on every corpus split).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from checker.model import Origin
from checker.parsing import unchecked_ast_nodes
from checker.simulation import EventKind, ParsedStatement, SimEvent
from checker.simulator import plpgsql
from checker.simulator.state import Creations, State

# What a State carries from one statement to the next; the rest is output
# (events, statements), look-ahead (creations), per-statement (current, handlers) or
# per-file (unknown_drops: a checkpoint is taken where a file ends).
_CARRIED = tuple(
    f.name
    for f in fields(State)
    if f.name not in {"events", "statements", "creations", "current", "handlers", "unknown_drops"}
)
_EVENT_FIELDS = tuple(f.name for f in fields(SimEvent) if f.name != "statement")
_STATEMENT_AT = [f.name for f in fields(SimEvent)].index("statement")
_LATER_AT = _EVENT_FIELDS.index("created_later")
_DETAIL_AT = _EVENT_FIELDS.index("detail")
_LATER = "created later"
_NEVER = "never created"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The simulator after the first ``covered`` parsed statements."""

    covered: int
    carried: bytes  # the State's carried fields, pickled when the prefix ended
    places: tuple[tuple[int, int], ...]  # the statements applied: (parsed index, inner index)
    # each event's fields but its statement, and its statement's index in ``places``
    events: tuple[tuple[tuple[object, ...], int], ...]
    # the MISSING events whose object the prefix never creates, by index
    unresolved: tuple[int, ...]


def carried_state(state: State) -> bytes:
    """The state's carried fields as they are now (later statements mutate them)."""
    return pickle.dumps(
        tuple(getattr(state, name) for name in _CARRIED), protocol=pickle.HIGHEST_PROTOCOL
    )


def note(state: State) -> tuple[bytes, int, int]:
    """What ``take`` needs of the moment a prefix ends: the carried state, and how many
    statements and events there are so far."""
    return carried_state(state), len(state.statements), len(state.events)


def take(
    state: State,
    parsed: Sequence[ParsedStatement],
    covered: int,
    carried: bytes,
    applied: int,
    events: Sequence[SimEvent],
    bodies: dict[int, plpgsql.PlBlock | str],
) -> Checkpoint | None:
    """The checkpoint after ``parsed[:covered]``: ``carried`` and ``applied`` (how many
    statements ``state.statements`` held) were noted when the prefix ended, ``events``
    are its events. None when a statement applied cannot be placed."""
    places: dict[int, tuple[int, int]] = {}
    for index, statement in enumerate(parsed[:covered]):
        places[id(statement)] = (index, -1)
        for inner, child in enumerate(plpgsql.body_statements(statement, bodies)):
            places[id(child)] = (index, inner)
    prefix = state.statements[:applied]
    if any(id(statement) not in places for statement in prefix):
        return None
    position = {id(statement): number for number, statement in enumerate(prefix)}
    end = parsed[covered - 1].origin if covered else None
    rows: list[tuple[tuple[object, ...], int]] = []
    unresolved: list[int] = []
    for event in events:
        row = [getattr(event, name) for name in _EVENT_FIELDS]
        key = event.wanted if event.kind is EventKind.MISSING else None
        if key is not None:
            later = event.created_later
            if later is None or end is None or later.statement > end.statement:
                # created only by what follows the prefix (or never): resumed runs look again
                unresolved.append(len(rows))
                row[_LATER_AT] = None
                row[_DETAIL_AT] = _NEVER
        rows.append((tuple(row), position[id(event.statement)]))
    return Checkpoint(
        covered,
        carried,
        tuple(places[id(statement)] for statement in prefix),
        tuple(rows),
        tuple(unresolved),
    )


def restore(
    checkpoint: Checkpoint,
    parsed: Sequence[ParsedStatement],
    state: State,
    bodies: dict[int, plpgsql.PlBlock | str],
) -> list[int]:
    """Put the checkpoint's state, statements and events into ``state`` (new),
    bound to ``parsed``; returns the indexes of the MISSING events whose object the
    restored statements never create (``resolve_later`` looks again)."""
    for name, value in zip(_CARRIED, pickle.loads(checkpoint.carried), strict=True):
        setattr(state, name, value)
    inner: dict[int, list[ParsedStatement]] = {}
    statements: list[ParsedStatement] = []
    with unchecked_ast_nodes():  # the statements inside DO bodies are parsed here
        for index, number in checkpoint.places:
            if number < 0:
                statements.append(parsed[index])
                continue
            if index not in inner:
                plpgsql.parse_bodies([parsed[index]], bodies)
                inner[index] = plpgsql.body_statements(parsed[index], bodies)
            statements.append(inner[index][number])
    state.statements = statements
    split = _STATEMENT_AT  # the events' fields before their statement, then after it
    state.events = [
        SimEvent(*row[:split], statements[place], *row[split:])  # type: ignore[arg-type, call-arg]
        for row, place in checkpoint.events
    ]
    return list(checkpoint.unresolved)


def resolve_later(state: State, waiting: Sequence[int], creations: Creations) -> bool:
    """Tell the restored MISSING events whether the new statements create their object;
    True when one of them learned that one does."""
    told = False
    for number in waiting:
        event = state.events[number]
        assert event.wanted is not None  # every MISSING event says what it looks for
        later = creations.after(event.wanted, event.origin)
        if later is not None:
            state.events[number] = _replace_later(event, later)
            told = True
    return told


def _replace_later(event: SimEvent, later: Origin) -> SimEvent:
    assert event.kind is EventKind.MISSING
    return replace(event, created_later=later, detail=_LATER)
