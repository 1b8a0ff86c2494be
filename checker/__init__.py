"""schema-check: a static schema linter and compatibility checker for PostgreSQL."""

__version__ = "0.1.0"
