"""Rule documentation as markdown: each rule's help (also SARIF's), and the
reference page docs/rules.md, generated so the docs cannot drift from the code."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from checker.rule import DOC_SECTIONS, FAMILIES, Rule


def rule_help_markdown(rule: type[Rule]) -> str:
    """One rule's docstring sections as markdown, SQL sections fenced."""
    docs = rule.docs()
    blocks = [docs.get("Summary", "").strip()]
    for section in DOC_SECTIONS:
        # dedent before stripping: the first line carries no indentation of its own
        body = textwrap.dedent(docs.get(section, "")).strip()
        if not body:
            continue
        if section in ("Example", "Use instead") and rule.doc_example_is_sql:
            body = "```sql\n" + body + "\n```"
        elif section == "References":
            body = "\n".join(f"- {line.strip()}" for line in body.splitlines() if line.strip())
        blocks.append(f"**{section}**\n\n{body}")
    return "\n\n".join(block for block in blocks if block)


def render_rules_reference(rules: Mapping[str, type[Rule]]) -> str:
    """docs/rules.md: an index table, then every rule's documentation, by family."""
    lines = [
        "# schema-check rules",
        "",
        "Generated from the rules' docstrings by `schema-check rules --format markdown`;",
        "a test keeps this file equal to that output. Severity is the default; a",
        "config's `[severity]` table overrides it.",
        "",
        "| code | name | severity | summary |",
        "|---|---|---|---|",
    ]
    for code, rule in rules.items():
        meta = rule.meta
        anchor = f"{code.lower()}-{meta.name}"
        summary = meta.summary + (f" (opt-in: {meta.group})" if meta.group else "")
        lines.append(f"| [{code}](#{anchor}) | {meta.name} | {meta.severity.value} | {summary} |")
    family = ""
    for code, rule in rules.items():
        meta = rule.meta
        if meta.family != family:
            family = meta.family
            lines += ["", f"## {family}: {FAMILIES.get(family, '')}"]
        lines += [
            "",
            f"### {code} {meta.name}",
            "",
            f"Default severity: {meta.severity.value}. Since {meta.since}.",
            "",
            *_opt_in_lines(code, meta.group),
            rule_help_markdown(rule),
        ]
    return "\n".join(lines) + "\n"


def _opt_in_lines(code: str, group: str | None) -> list[str]:
    """The note that says an opt-in rule runs only when asked for."""
    if group is None:
        return []
    return [
        f"**Opt-in** (group `{group}`): off by default; it runs only when selected by its",
        f"code or its group: `--select {code}`, `--select {group}`, or",
        f'`enable = ["{group}"]` in the config.',
        "",
    ]
