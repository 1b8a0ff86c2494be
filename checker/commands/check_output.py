"""A check's outputs: the baseline's verdict on each finding, and the report in the
format asked for (every format is a module of ``reports`` behind one interface)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from checker.commands.common import colour, load_all_rules, metas

if TYPE_CHECKING:
    from checker.baseline import BaselineEntry
    from checker.engine import CheckResult


def apply_baseline(result: CheckResult, path: Path | None) -> tuple[int, Sequence[BaselineEntry]]:
    """Mark the findings a baseline accepts as pre-existing and the others as introduced.

    Rules that did not run (``--select``/``--ignore``) cannot have resolved their entries,
    so those are not counted as no longer occurring."""
    if path is None:
        path = result.settings.baseline
        if path is None or not path.exists():
            return 0, ()
    from checker.baseline import apply_baseline as match_baseline
    from checker.baseline import load_baseline
    from checker.change import ChangeSummary

    baseline = load_baseline(path)
    new, fixed = match_baseline(result.findings, baseline, result.files)
    ran = set(result.rules_run)
    fixed = [entry for entry in fixed if entry.code in ran]
    new_ids = {id(f) for f in new}
    result.findings = [
        replace(f, introduced=id(f) in new_ids)
        if f.introduced is None or id(f) not in new_ids
        else f
        for f in result.findings
    ]
    accepted = len(result.findings) - len(new)
    resolved = sum(entry.count for entry in fixed)
    result.extra["baseline"] = {
        "path": str(path),
        "accepted": accepted,
        "new": len(new),
        "resolved": resolved,
    }
    if result.change is None:
        given = result.extra.get("change_form")
        form, description = (
            (str(given[0]), str(given[1]))
            if isinstance(given, tuple)
            else ("baseline", f"findings not in the baseline {path}")
        )
        introduced = sum(1 for f in result.findings if f.introduced)
        from checker.model import Layer

        changed = sorted(m.path for m in result.sources.migrations if m.layer is Layer.EXTENSION)
        result.change = ChangeSummary(
            form,
            description,
            tuple(changed),
            introduced=introduced,
            pre_existing=len(result.findings) - introduced,
            resolved=resolved,
        )
    return accepted, fixed


def render(
    result: CheckResult,
    output_format: str,
    output: Path | None,
    baselined: int = 0,
    fixed: Sequence[BaselineEntry] = (),
    statistics: bool = False,
    show_pre_existing: bool = False,
) -> str:
    """The output in the format asked for: every format is a module with one interface."""
    from reports.output import Report, write_report

    if output_format == "sarif":
        load_all_rules()  # SARIF describes every rule, not only those that ran
    report = Report(
        result,
        metas(),
        colour=colour(output),
        baselined=baselined,
        fixed=tuple(fixed),
        statistics=statistics,
        show_pre_existing=show_pre_existing,
    )
    buffer = io.StringIO()
    write_report(output_format, report, buffer)
    return buffer.getvalue()
