"""``schema-check inspect``: print what the simulator built from the inputs, each
table like psql's ``\\d`` or the whole catalog as JSON."""

from __future__ import annotations

import argparse

from checker.commands import EXIT_CLEAN
from checker.commands.common import emit
from checker.config import Settings

_INSPECT_KEYS = (
    "tables", "columns", "foreign_keys", "enums", "checks", "indexes", "views", "functions",
    "triggers",
)  # fmt: skip


def command_inspect(args: argparse.Namespace) -> int:
    import json

    from checker.catalog import display_name
    from checker.engine import analyse
    from checker.model import Layer
    from checker.platforms import is_platform_file
    from reports.catalog_report import catalog_document, render_tables_text

    settings = Settings(postgres=args.postgres or 17)
    result = analyse(settings, [(path, Layer.BASE) for path in args.paths])
    catalog = result.simulation.catalog
    counts = catalog.counts()
    parse_errors = sum(1 for s in result.simulation.statements if s.error is not None)
    files = sum(
        1
        for m in result.sources.migrations
        if m.path in result.sources.files and not is_platform_file(m.path)
    )
    if args.format == "json":
        document = {
            **counts,
            "files": files,
            "statements": len(result.sources.statements),
            "applied_statements": len(result.sources.applied_statements),
            # applied statements plus the static DDL found inside DO blocks
            "analysed_statements": len(result.simulation.statements),
            "parse_errors": parse_errors,
            "table_list": [
                {
                    "name": display_name(table.qualified),
                    "columns": len(table.columns),
                    "foreign_keys": len(table.foreign_keys),
                    "indexes": len(catalog.indexes_of(table.qualified)),
                }
                for table in sorted(catalog.tables.values(), key=lambda t: t.qualified)
            ],
            "catalog": catalog_document(catalog, result.files),
        }
        emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", args.output)
        return EXIT_CLEAN
    lines = [
        f"{files} files, {len(result.sources.statements)} statements "
        f"({len(result.sources.applied_statements)} applied, "
        f"{len(result.simulation.statements)} analysed with DO-block bodies), "
        f"{parse_errors} parse errors",
        "  ".join(f"{key} {value}" for key, value in counts.items() if key in _INSPECT_KEYS),
        "",
    ]
    lines += render_tables_text(catalog)
    emit("\n".join(lines).rstrip("\n") + "\n", args.output)
    return EXIT_CLEAN
