"""``schema-check rules [CODE]``: the list of rules, one rule's documentation, or the
whole reference as markdown (docs/rules.md)."""

from __future__ import annotations

import argparse
import sys

from checker.commands import EXIT_CLEAN
from checker.errors import InputError
from checker.rule import DOC_SECTIONS, RuleMeta, registry


def command_rules(args: argparse.Namespace) -> int:
    rules = registry()
    if args.format == "markdown" and not args.code:
        from reports.rule_docs import render_rules_reference

        sys.stdout.write(render_rules_reference(rules))
        return EXIT_CLEAN
    if args.code:
        code = args.code.upper()
        rule = rules.get(code)
        if rule is None:
            raise InputError(f"no rule {args.code!r}; `schema-check rules` lists them")
        docs = rule.docs()
        meta = rule.meta
        out = [f"{meta.code} {meta.name} ({meta.severity.value})", "", docs.get("Summary", "")]
        if meta.group is not None:
            out += ["", _opt_in_note(meta)]
        for section in DOC_SECTIONS:
            if docs.get(section):
                out += ["", f"{section}:", _indent(docs[section])]
        sys.stdout.write("\n".join(out) + "\n")
        return EXIT_CLEAN
    width = max((len(r.meta.name) for r in rules.values()), default=10)
    for code, rule in rules.items():
        meta = rule.meta
        opt_in = f" [opt-in: {meta.group}]" if meta.group is not None else ""
        sys.stdout.write(
            f"{code}  {meta.name:<{width}}  {meta.severity.value:<7}  {meta.summary}{opt_in}\n"
        )
    return EXIT_CLEAN


def _opt_in_note(meta: RuleMeta) -> str:
    return (
        f"Opt-in ({meta.group}): runs only when selected by code or group, "
        f"e.g. --select {meta.code} or --select {meta.group}, or with "
        f'enable = ["{meta.group}"] in the config.'
    )


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
