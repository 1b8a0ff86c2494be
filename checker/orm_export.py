"""Moved to ``checker.sources.orm`` (one module per kind of source); kept so that
existing imports still work."""

from checker.sources.orm import (
    NODE_MODULES_VARIABLE,
    OrmExport,
    export_orm,
    find_node_modules,
    schema_files,
)

__all__ = ["NODE_MODULES_VARIABLE", "OrmExport", "export_orm", "find_node_modules", "schema_files"]
