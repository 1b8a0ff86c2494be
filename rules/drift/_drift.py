"""What every DR rule shares: the run's drift (computed once) and its wording."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog_diff import Aspect, Form, shown
from checker.drift import Drift, find_drift
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext
from checker.sources import DECLARED


def _all_drift(context: RuleContext) -> list[Drift]:
    return find_drift(
        context.catalog,
        context.sources.references,
        context.sources.files,
        context.settings.postgres,
        context.live_catalog,
    )


def drift_of(context: RuleContext, *aspects: Aspect) -> Iterator[Drift]:
    """The run's drift about these aspects."""
    for drift in context.memo(_all_drift):
        if drift.difference.aspect in aspects:
            yield drift


def describe(drift: Drift) -> str:
    """One sentence naming both sides."""
    difference = drift.difference
    side = drift.side
    if difference.form is Form.LEFT_ONLY:
        return f"{difference.subject} is {drift.left_in} but {drift.not_in_side}"
    if difference.form is Form.RIGHT_ONLY:
        return f"{difference.subject} is in {side} but not {drift.left_in}"
    return (
        f"{difference.subject} differs: {shown(difference.left)} {drift.left_in}, "
        f"{shown(difference.right)} in {side}"
    )


def declared(drift: Drift) -> bool:
    """Whether the drift is from a Supabase project's declared schema (``supabase/schemas``)
    alone, whose consequences are the next ``supabase db diff``'s, not an ORM's."""
    return drift.reference.kind == DECLARED and not drift.also and not drift.on_server


def declared_consequence(drift: Drift) -> str:
    """What the next ``supabase db diff`` makes of a declared schema's drift."""
    form = drift.difference.form
    if form is Form.LEFT_ONLY:
        return "the next `supabase db diff` writes a migration that drops it"
    if form is Form.RIGHT_ONLY:
        return "no migration makes it; the next `supabase db diff` writes one"
    return "the next `supabase db diff` writes a migration that makes it as declared"


def drift_finding(
    rule: Rule, drift: Drift, severity: Severity, message: str | None = None
) -> Finding:
    """A finding at both sides: the migration statement, then the reference's definition.
    A declared schema's drift says what ``supabase db diff`` makes of it."""
    if message is None and declared(drift):
        message = f"{describe(drift)}: {declared_consequence(drift)}"
    return rule.finding(
        message or describe(drift),
        drift.places(),
        severity=severity,
        objects=drift.difference.objects,
    )
