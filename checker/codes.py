"""The shape of rule codes, shared by the config loader and the rule registry.

Its own module so that reading a config never imports the rule machinery
(checker.config and checker.rule used to import each other).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CODE_PATTERN = re.compile(r"^[A-Z]{2}\d{3}$")
# An opt-in group of rules (``hygiene-preferences``): rules that run only when a
# user names them, by code or by their group, like ruff's preview rules.
GROUP_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")

# Codes are permanent: a retired rule's code stays here with the reason and what
# replaces it, so a config or comment that still names it gets a precise answer,
# and no new rule can take the code (tests/test_rule_table.py checks both).
RETIRED: dict[str, str] = {}


def is_code(item: str) -> bool:
    """A rule code such as ``FK204`` (whether any rule has it or not)."""
    return bool(CODE_PATTERN.match(item))


def is_family(item: str) -> bool:
    """A two-letter family such as ``FK`` (whether any rule has it or not)."""
    return len(item) == 2 and item.isascii() and item.isalpha() and item.isupper()


def is_group(item: str) -> bool:
    """The shape of an opt-in group name such as ``hygiene-preferences``."""
    return bool(GROUP_PATTERN.match(item))


def is_selector(item: str) -> bool:
    """A code or a family: what --select, --ignore, the config and comments accept."""
    return is_code(item) or is_family(item)


def selects(code: str, item: str, group: str | None = None) -> bool:
    """Whether ``item`` (a code such as FK204, a family such as FK, or the opt-in
    group ``group`` the rule belongs to) covers ``code``."""
    return code == item or (is_family(item) and code.startswith(item)) or names_group(group, item)


def names_group(group: str | None, item: str) -> bool:
    return group is not None and item == group


def rule_runs(
    code: str,
    group: str | None,
    selected: Sequence[str],
    ignored: Sequence[str],
    enabled: Sequence[str],
) -> bool:
    """Whether a rule runs, given --select (``selected``), --ignore and the config's
    ``enable`` list.

    A rule in an opt-in ``group`` runs only when it is named explicitly: by its
    code or its group, in --select or in ``enable``. A family (``--select HY``)
    selects the family's default rules, never its opt-in ones, unless ``enable``
    turned them on; ``enable`` makes an opt-in rule behave like a default one.
    """
    if any(selects(code, item, group) for item in ignored):
        return False
    if group is not None:
        named = (code, group)
        if not any(item in named for item in selected) and not any(
            item in named for item in enabled
        ):
            return False
    return not selected or any(selects(code, item, group) for item in selected)
