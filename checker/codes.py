"""The shape of rule codes, shared by the config loader and the rule registry.

Its own module so that reading a config never imports the rule machinery
(checker.config and checker.rule used to import each other).
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^[A-Z]{2}\d{3}$")
