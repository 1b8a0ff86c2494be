"""schema-check: a static schema linter and compatibility checker for PostgreSQL."""

from checker import _compiled_methods

__version__ = "0.1.0"

# before any of the package's dataclasses is defined: their generated methods are
# compiled once and kept beside the bytecode (see checker/_compiled_methods.py)
_compiled_methods.install()
