"""Built-in rules, one module per rule, grouped by family.

Importing this package imports every rule module, which registers it.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_builtin_rules() -> list[str]:
    """Import every module under ``rules`` so each rule registers itself."""
    loaded: list[str] = []
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
        loaded.append(module.name)
    return loaded
