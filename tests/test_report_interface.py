"""Every output format is one module with one interface: ``write(report, stream)`` over
the same typed Report; the CLI offers exactly those formats."""

from __future__ import annotations

import importlib
import inspect
import io

from reports_support import SIM_PARLANT, cached_check

from checker.cli import build_parser
from reports.output import FORMATS, Report, write_report


def test_every_format_module_writes_one_report_to_a_stream() -> None:
    for name, module_name in FORMATS.items():
        module = importlib.import_module(module_name)
        signature = inspect.signature(module.write)
        assert list(signature.parameters) == ["report", "stream"], name


def test_the_cli_offers_exactly_the_formats_there_are() -> None:
    check = build_parser()._subparsers._group_actions[0].choices["check"]
    choices = next(a.choices for a in check._actions if "--format" in a.option_strings)
    assert sorted(choices) == sorted(FORMATS)


def test_each_format_writes_the_run_it_is_given() -> None:
    result = cached_check(SIM_PARLANT)
    for name in FORMATS:
        buffer = io.StringIO()
        write_report(name, Report(result, {}), buffer)
        text = buffer.getvalue()
        assert text, name
        # every finding's code reaches every format (JUnit lists the rules that ran)
        assert result.findings[0].code in text, name


def test_a_live_run_that_could_not_start_is_not_a_live_run() -> None:
    """The live outcome is typed: a backend that was unavailable is no verified run."""
    import json

    from reports_support import run_check

    from checker.engine import LiveUnavailable

    result = run_check(SIM_PARLANT)
    result.live = LiveUnavailable("dsn", "could not connect to server")
    assert not result.live_ran
    markdown, document = io.StringIO(), io.StringIO()
    write_report("markdown", Report(result, {}), markdown)
    assert "Not checked: no live run" in markdown.getvalue()
    write_report("json", Report(result, {}), document)
    assert json.loads(document.getvalue())["live"] == {
        "error": "could not connect to server",
        "backend": "dsn",
    }
