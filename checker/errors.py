"""Errors a user can cause. The CLI turns each into one line and exit code 2."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checker.model import Origin


class InputError(Exception):
    """Bad input: a missing or unreadable file, a bad journal, bad config.

    The message already carries the location (``path:line:col: what``); ``origin``
    is that place for a caller that reports it as a finding instead, and ``what``
    the message without it.
    """

    exit_code = 2

    def __init__(self, message: str, origin: Origin | None = None, what: str = "") -> None:
        super().__init__(message)
        self.origin = origin
        self.what = what or message


class ConfigError(InputError):
    """A configuration file that cannot be used; the message names the key."""


class BackendUnavailable(Exception):
    """The live backend could not start or be reached (exit code 3)."""

    exit_code = 3
