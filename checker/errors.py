"""Errors a user can cause. The CLI turns each into one line and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a missing or unreadable file, a bad journal, bad config.

    The message already carries the location (``path:line:col: what``).
    """

    exit_code = 2


class ConfigError(InputError):
    """A configuration file that cannot be used; the message names the key."""


class BackendUnavailable(Exception):
    """The live backend could not start or be reached (exit code 3)."""

    exit_code = 3
