"""One interface for a check's outputs: each format is a module of ``reports`` with
``write(report, stream)`` over the same typed ``Report``; the CLI picks the module by
the format's name and never composes an output itself."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from checker.findings import Finding, Severity

if TYPE_CHECKING:
    from checker.baseline import BaselineEntry
    from checker.engine import CheckResult
    from checker.live.verify import LiveReport
    from checker.model import SourceFile
    from checker.rule import RuleMeta

# format name -> the module under ``reports`` that writes it
FORMATS: Mapping[str, str] = {
    "text": "reports.text_report",
    "json": "reports.json_report",
    "sarif": "reports.sarif_report",
    "junit": "reports.junit_report",
    "markdown": "reports.markdown_report",
    "github": "reports.github_report",
}


@dataclass(frozen=True)
class Report:
    """What every output reads: the check's result and how the user asked to see it."""

    result: CheckResult
    metas: Mapping[str, RuleMeta]
    colour: bool = False
    baselined: int = 0  # findings a baseline accepted
    fixed: Sequence[BaselineEntry] = field(default=())  # baseline entries that no longer occur
    statistics: bool = False
    show_pre_existing: bool = False

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings

    @property
    def files(self) -> Mapping[str, SourceFile]:
        return self.result.files

    @property
    def pre_existing(self) -> list[Finding]:
        return [f for f in self.findings if f.introduced is False]

    @property
    def shown(self) -> list[Finding]:
        """The findings listed one by one: the change's, or all with --show-pre-existing."""
        if self.show_pre_existing:
            return self.findings
        return [f for f in self.findings if f.introduced is not False]

    @property
    def collapsed(self) -> str:
        """The pre-existing findings in one line (empty when they are listed, or none)."""
        return "" if self.show_pre_existing else collapsed_line(self.pre_existing)

    @property
    def headline(self) -> str:
        return change_headline(self.result)

    @property
    def live(self) -> LiveReport | None:
        """The live verification's report when one ran and finished."""
        # LiveUnavailable lives in the engine: a run without --live never imports checker.live
        from checker.engine import LiveUnavailable

        live = self.result.live
        return None if isinstance(live, LiveUnavailable) else live


def write_report(output_format: str, report: Report, stream: TextIO) -> None:
    module = importlib.import_module(FORMATS[output_format])
    module.write(report, stream)


def collapsed_line(pre_existing: Sequence[Finding]) -> str:
    """The findings the base already had, one count per rule: listed, never lost."""
    if not pre_existing:
        return ""
    counts: dict[str, int] = {}
    for finding in pre_existing:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    per_code = ", ".join(
        f"{code} ×{count}" for code, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    )
    return (
        f"pre-existing: {len(pre_existing)} findings the base already had ({per_code}); "
        "--show-pre-existing lists them"
    )


def change_headline(result: CheckResult) -> str:
    """One line on what the change did, when the run judged one."""
    change = result.change
    if change is None:
        return ""
    introduced = [f for f in result.findings if f.introduced]
    errors = sum(1 for f in introduced if f.severity is Severity.ERROR)
    return (
        f"change: {change.description}: {len(introduced)} findings introduced "
        f"({errors} error{'' if errors == 1 else 's'}), {change.pre_existing} pre-existing, "
        f"{change.resolved} resolved"
    )


def live_summary(report: LiveReport) -> str:
    phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in report.timings.items())
    platform = ""
    if report.platform is not None and report.applied_count:
        name, count = report.platform
        platform = f" ({count} of them the {name} platform's objects)"
    return (
        f"live: {report.backend} backend, PostgreSQL {report.server_version}: "
        f"{report.applied_count} statements applied{platform}, {report.failed_count} failed; "
        f"{phases}\n"
    )
