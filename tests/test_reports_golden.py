"""Golden outputs of every format on the bundled Sim + Parlant check.

The files live in tests/__snapshots__/test_reports_golden/; after an intended
change of findings or formats, regenerate them with
``pytest tests/test_reports_golden.py --snapshot-update`` and review the diff.
"""

from __future__ import annotations

import pytest
from reports_support import FORMATS, SIM_PARLANT, cached_check, render, run_check
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class _Golden(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT


def _extension(fmt: str) -> type[_Golden]:
    suffix = {"text": "txt", "junit": "xml", "github": "txt", "markdown": "md"}.get(fmt, fmt)
    return type(f"Golden_{fmt}", (_Golden,), {"file_extension": suffix})


@pytest.mark.parametrize("fmt", FORMATS)
def test_sim_parlant_golden(fmt: str, snapshot: SnapshotAssertion) -> None:
    output = render(cached_check(SIM_PARLANT), fmt)
    assert "/work/" not in output and "/tmp/" not in output, (
        "absolute paths make goldens machine-specific"
    )
    assert output == snapshot.use_extension(_extension(fmt))


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "github", "markdown", "html"])
def test_two_runs_are_byte_identical(fmt: str) -> None:
    first = render(run_check(SIM_PARLANT), fmt).encode("utf-8")
    second = render(run_check(SIM_PARLANT), fmt).encode("utf-8")
    assert first == second
