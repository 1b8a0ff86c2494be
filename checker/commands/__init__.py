"""The handlers of schema-check's commands, one module per command.

``checker.cli`` parses the command line and imports only the handler of the
command given, so a command never pays for another's imports. These modules and
the CLI are the only part of ``checker`` that wires in ``rules`` and ``reports``.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input or usage,
3 live backend unavailable, 4 a rule failed with an internal error (PS009),
141 the reader of stdout went away (a closed pipe).
"""

from __future__ import annotations

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_BACKEND, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a reader that stopped early
