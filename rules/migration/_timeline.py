"""Values of keys as they changed statement by statement: the one structure behind the
rules that judge a statement against the schema as it was just before it (where each
object was created, each column's type and each foreign key's target, each function's
definition).

``record(key, step, value)`` notes that statement ``step`` left ``key`` at ``value``
(None: the key no longer exists; step -1: a ready base catalog held it); ``value(key,
step)`` is the value as statement ``step`` found it: the last one recorded at a step
``<= step``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(slots=True)
class Timeline(Generic[K, V]):
    """Each key's value over the statements: the steps it changed at, and what it became."""

    changes: dict[K, tuple[list[int], list[V | None]]] = field(default_factory=dict)

    def record(self, key: K, step: int, value: V | None) -> None:
        steps, values = self.changes.setdefault(key, ([], []))
        if steps and steps[-1] == step:
            values[-1] = value  # a later event of the same statement wins
        else:
            steps.append(step)
            values.append(value)

    def value(self, key: K, step: int) -> V | None:
        found = self.changes.get(key)
        if found is None:
            return None
        steps, values = found
        index = bisect.bisect_right(steps, step) - 1
        return values[index] if index >= 0 else None

    def latest(self, key: K) -> V | None:
        """The value the last recorded statement left."""
        found = self.changes.get(key)
        return found[1][-1] if found else None

    def items_at(self, step: int) -> Iterator[tuple[K, V]]:
        """Every key that exists as statement ``step`` finds it, with its value."""
        for key in self.changes:
            value = self.value(key, step)
            if value is not None:
                yield key, value

    def grouped(self, group: Callable[[K, V], Hashable]) -> dict[Hashable, list[K]]:
        """The keys by ``group(key, value)`` of any value they ever had: a lookup by
        group then reads a few keys instead of every key of the run."""
        found: dict[Hashable, list[K]] = {}
        for key, (_steps, values) in self.changes.items():
            for name in {group(key, value) for value in values if value is not None}:
                found.setdefault(name, []).append(key)
        return found
