"""``schema-check explain-delete TABLE``: what deleting one row of a table deletes,
nulls or is blocked by, as a tree."""

from __future__ import annotations

import argparse

from checker.commands import EXIT_CLEAN
from checker.commands.common import colour, emit, resolve_settings
from checker.errors import InputError


def command_explain_delete(args: argparse.Namespace) -> int:
    from checker.engine import analyse
    from reports.delete_tree import delete_tree_to_dict, render_delete_tree_text

    settings = resolve_settings(args)
    result = analyse(settings)
    name = args.table.strip('"')
    key = tuple(name.split(".", 1)) if "." in name else ("public", name)
    if key not in result.simulation.catalog.tables:
        raise InputError(
            f"no table {args.table!r} in the inputs (`schema-check inspect` lists them)"
        )
    closure = result.graph.deletion_closure((key[0], key[1]))
    if args.format == "json":
        import json

        text = json.dumps(delete_tree_to_dict(closure), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_delete_tree_text(closure, colour=colour(args.output))
    emit(text, args.output)
    return EXIT_CLEAN
