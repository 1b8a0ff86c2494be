"""The pre-merge gate: a run judged against its base.

``analyse_change`` finds the change (``--since``: the files changed since the git
merge base; a baseline's new or edited files; an extension or proposal on top of
the base) and analyses the run and the base alone; ``judge_change`` marks each of
the run's findings introduced or pre-existing against the base's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from checker.cache import Cache
from checker.change import ChangeFacts, ChangeSummary, judge, point_at_change
from checker.config import Settings
from checker.engine import CheckResult, analyse, layer_inputs, touched_by_change
from checker.errors import InputError
from checker.findings import Finding
from checker.model import Layer
from checker.sources import load_sources

if TYPE_CHECKING:
    from checker.baseline import Baseline


def analyse_change(
    settings: Settings,
    since: str | None,
    stack: contextlib.ExitStack,
    cache: Cache | None = None,
    baseline: Baseline | None = None,
    base_read: Callable[[CheckResult], None] | None = None,
) -> tuple[CheckResult, CheckResult | None]:
    """The whole run, and the base alone when a change is known (``None`` otherwise).

    ``base_read`` is given the base alone as soon as its inputs are read, before the
    whole run's are (its check may start on the other core meanwhile).

    ``since`` (a git revision): the base folders now, with the files changed
    since the merge base as the change, against the same folders at the merge
    base (extracted for the length of ``stack``). Otherwise an extension or
    proposal is the change: the base plus it against the base alone.
    """
    if since is not None:
        from checker.git_base import git_base

        if settings.layers.extension or settings.layers.proposal:
            raise InputError("--since judges the change inside the base folders; drop --extension")
        folders = [p for p in settings.layers.base if isinstance(p, Path)]
        if len(folders) != len(settings.layers.base):
            raise InputError("--since: a database URL has no git history; give migration folders")
        keep_in = None
        if cache is not None:
            with contextlib.suppress(OSError):  # not writable: the base is extracted per run
                cache.prepare()
                keep_in = cache.root
        change = stack.enter_context(git_base(folders, since, keep_in))
        facts = ChangeFacts(
            files=change.change_files,
            previous=dict(change.previous),
            deleted=change.deleted,
            declared=frozenset(change.declared),
        )
        present = [
            (f, shown) for f, shown in zip(change.base_folders, folders, strict=True) if f.exists()
        ]
        base = analyse(
            settings,
            [(f, Layer.BASE) for f, _ in present],
            cache=cache,
            shown_as=[*present, *change.roots],
        )
        if base_read is not None:
            base_read(base)
        result = analyse(settings, [(f, Layer.BASE) for f in folders], facts, cache)
        result.extra["change_form"] = (
            "since",
            f"changes since {change.ref} (merge base {change.short})",
        )
        return result, base
    layers = settings.layers
    if baseline is not None and baseline.files and not (layers.extension or layers.proposal):
        # A baseline that records its files knows the change: what is new or edited since.
        from checker.baseline import changed_since_baseline

        sources = load_sources(layer_inputs(settings))
        known = changed_since_baseline(baseline, sources.migrations, sources.files)
        result = analyse(settings, change=known, cache=cache)
        changed = len(known.files) if known is not None else 0
        result.extra["change_form"] = (
            "baseline",
            f"{changed} file(s) new or edited since the baseline {baseline.path}",
        )
        return result, None
    if not (layers.extension or layers.proposal):
        return analyse(settings, cache=cache), None
    base = analyse(settings, [(p, Layer.BASE) for p in layers.base], cache=cache)
    if base_read is not None:
        base_read(base)
    result = analyse(settings, cache=cache)
    given = ", ".join(str(p) for p in (*layers.extension, *layers.proposal))
    on_top = ", ".join(str(p) for p in layers.base) or "an empty database"
    result.extra["change_form"] = ("extension", f"{given} on top of {on_top}")
    return result, base


def judge_change(result: CheckResult, base: CheckResult) -> CheckResult:
    """Mark ``result``'s findings introduced or pre-existing against the base alone's.

    An introduced finding about a base object is moved to the change's statement
    that touched the object last (the base place stays as a related location).
    Only introduced findings decide the exit code.
    """
    change_files = frozenset(path for path in result.files if _in_change(result, path))
    # The base alone cannot meet a contract written for base + change (its queries and delete
    # intents name the change's tables): those findings were never the base's to resolve.
    contract = str(result.settings.path) if result.settings.path is not None else None
    own = [f for f in base.findings if f.primary is None or f.primary.file != contract]
    marked, resolved = judge(result.findings, own, change_files)
    touched = (
        dict(result.restored.touched)
        if result.restored is not None and "analysed" not in result._derived
        else touched_by_change(result)
    )
    marked = [point_at_change(finding, change_files, touched) for finding in marked]
    # Drift (DR6xx) is judged against whatever snapshot each side has: a base whose
    # journal's last snapshot is absent compares nothing, so only drift at the change's
    # own statements, or at the declared schema files it edits, is the change's doing.
    facts = result.change_facts
    drifting = change_files | (facts.declared if facts is not None else frozenset())
    marked = [
        replace(finding, introduced=False)
        if finding.introduced
        and finding.code.startswith("DR")
        and not any(location.file in drifting for location in finding.locations)
        else finding
        for finding in marked
    ]
    result.findings = sorted(marked, key=Finding.sort_key)
    introduced = sum(1 for f in marked if f.introduced)
    form, description = cast("tuple[str, str]", result.extra.get("change_form", ("", "")))
    result.change = ChangeSummary(
        form,
        description,
        tuple(sorted(drifting)),
        introduced=introduced,
        pre_existing=len(marked) - introduced,
        resolved=resolved,
    )
    return result


def _in_change(result: CheckResult, path: str) -> bool:
    """A file whose statements are the change (the extension or proposal layer)."""
    migration = next((m for m in result.sources.migrations if m.path == path), None)
    return migration is not None and migration.layer is not Layer.BASE
