"""Independent work on two cores, with forked copies of this process.

``run_shared``: independent tasks; the process and one forked copy share a queue.

A check's rules read one finished catalog and write nothing the others read, so
they can run in two processes. The copy is made with ``fork`` after the catalog
is built: it inherits everything already computed, and only the findings travel
back (pickled, a few milliseconds). Both processes take the next task from one
pipe, two bytes per task, so the slow tasks do not pile up on one side. The
first ``pinned`` tasks stay in this process (whatever they leave in memory, a
later step here may reuse).

``Background``: one value computed by a forked copy while this process goes
on with something else (a drizzle-kit snapshot's catalog, say, while the
migrations are parsed and simulated).

Nothing is forked where it cannot pay or is not safe: without ``os.fork``
(Windows), with one CPU, with other threads running (a forked copy holds only
the forking thread), when ``SCHEMA_CHECK_JOBS=1`` is set (for profiling and
debugging), or for fewer than two shareable tasks (``run_shared``). If the copy fails in any way,
this process runs its tasks itself: the result is the same, only slower.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, cast

_T = TypeVar("_T")
_R = TypeVar("_R")

_TOKEN = struct.Struct(">H")
_MAX_TASKS = 1 << 15  # two bytes a token, well inside a pipe's buffer


# True in a forked copy: it runs its share on its own core and forks no further copy
_in_copy = False
# Long Background copies (``holds_core``) not yet collected: while one runs, the other
# core is taken, and nothing else is forked
_running = 0


def _became_copy() -> None:
    global _in_copy
    _in_copy = True


def available_cores() -> int:
    """How many processes may share the work here: 1 or 2 (1 in a forked copy: the
    two cores are the parent's and this copy's already)."""
    if _in_copy or _running or os.environ.get("SCHEMA_CHECK_JOBS", "").strip() == "1":
        return 1
    threading = sys.modules.get("threading")  # never imported: no thread was started
    if not hasattr(os, "fork") or (threading is not None and threading.active_count() > 1):
        return 1
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return 2 if usable >= 2 else 1


def run_shared(
    tasks: Sequence[_T], run: Callable[[_T], _R], *, pinned: int = 0, fork: bool = True
) -> list[_R]:
    """``[run(task) for task in tasks]``, on two processes when ``fork`` and it may.

    ``run`` must catch what its task raises (an exception in the copy loses the
    copy's results, which are then recomputed here) and return picklable values.
    """
    shared = len(tasks) - pinned
    if not fork or shared < 2 or shared > _MAX_TASKS or available_cores() < 2:
        return [run(task) for task in tasks]
    tokens_out, tokens_in = os.pipe()
    results_out, results_in = os.pipe()
    os.write(tokens_in, b"".join(_TOKEN.pack(index) for index in range(pinned, len(tasks))))
    os.close(tokens_in)  # the queue is complete: an empty read means no task is left
    try:
        child = os.fork()
    except OSError:
        child = -1
    if child == 0:  # the copy: take tasks until none is left, send the results, exit
        _became_copy()
        status = 1
        try:
            os.close(results_out)
            done = {index: run(tasks[index]) for index in _taken(tokens_out)}
            _write_all(results_in, pickle.dumps(done, pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)  # no clean-up of this process's state: it is the parent's
    os.close(results_in)
    results: dict[int, _R] = {}
    try:
        for index in range(pinned):
            results[index] = run(tasks[index])
        for index in _taken(tokens_out):
            results[index] = run(tasks[index])
    finally:
        os.close(tokens_out)
        theirs = _collect(child, results_out)
    results.update(cast("dict[int, _R]", theirs))
    return [results[i] if i in results else run(tasks[i]) for i in range(len(tasks))]


def _taken(tokens: int) -> Iterator[int]:
    """Task numbers, taken one at a time from the queue (a read of one token is atomic)."""
    while True:
        token = os.read(tokens, _TOKEN.size)
        if len(token) < _TOKEN.size:
            return
        yield _TOKEN.unpack(token)[0]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def _collect(child: int, results: int) -> dict[int, object]:
    """The copy's results, or nothing when there is no copy or it failed."""
    chunks: list[bytes] = []
    with os.fdopen(results, "rb") as stream:
        chunks.append(stream.read())
    if child <= 0:
        return {}
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not chunks[0]:
        return {}
    try:
        loaded = pickle.loads(b"".join(chunks))
    except Exception:  # a truncated or garbled answer: recompute here
        return {}
    return loaded if isinstance(loaded, dict) else {}


class Background(Generic[_R]):
    """``compute()`` in a forked copy, started now; ``result()`` waits for its value.

    Where nothing may be forked, or the copy fails, ``result()`` computes the
    value here instead. ``compute`` must return a picklable value. A copy that
    ``holds_core`` (long work) leaves this process one core: nothing else is forked
    until its value is collected.
    """

    __slots__ = ("_answers", "_child", "_compute", "_holds")

    def __init__(self, compute: Callable[[], _R], *, holds_core: bool = False) -> None:
        self._compute = compute
        self._child = -1
        self._answers = -1
        self._holds = holds_core
        if available_cores() < 2:
            return
        answers, answer_in = os.pipe()
        try:
            child = os.fork()
        except OSError:
            os.close(answers)
            os.close(answer_in)
            return
        if child == 0:
            _became_copy()
            status = 1
            try:
                os.close(answers)
                _write_all(answer_in, pickle.dumps({0: compute()}, pickle.HIGHEST_PROTOCOL))
                status = 0
            finally:
                os._exit(status)
        os.close(answer_in)
        self._child, self._answers = child, answers
        if holds_core:
            global _running
            _running += 1

    def close(self) -> None:
        """Give up on the value: the copy is told (its write fails) and waited for."""
        if self._answers < 0:
            return
        answers, self._answers = self._answers, -1
        self._collected()
        os.close(answers)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._child, 0)

    def _collected(self) -> None:
        if self._holds:
            global _running
            _running -= 1

    def cancel(self) -> None:
        """Stop the copy if it still runs (its value is not wanted any more)."""
        if self._answers >= 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child, signal.SIGKILL)
        self.close()

    def result(self) -> _R:
        if self._answers < 0:
            return self._compute()
        answers, self._answers = self._answers, -1
        self._collected()
        got = _collect(self._child, answers)
        return cast("_R", got[0]) if 0 in got else self._compute()
