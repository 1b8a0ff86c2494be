"""The shape of rule codes, shared by the config loader and the rule registry.

Its own module so that reading a config never imports the rule machinery
(checker.config and checker.rule used to import each other).
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^[A-Z]{2}\d{3}$")

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


def is_selector(item: str) -> bool:
    """A code or a family: what --select, --ignore, the config and comments accept."""
    return is_code(item) or is_family(item)


def selects(code: str, item: str) -> bool:
    """Whether ``item`` (a code such as FK204 or a family such as FK) covers ``code``."""
    return code == item or (is_family(item) and code.startswith(item))
