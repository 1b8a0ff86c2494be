"""The HTML compatibility report: one self-contained file, no network needed to open it.

The entry point the CLI and the tests use; the work is in ``reports.html``:
``build_report_model(result)`` gathers what the page shows from a typed CheckResult
into frozen data, ``render_html(model)`` fills the Jinja2 template, and
``write_html_report`` does both and writes the file.
"""

from __future__ import annotations

from reports.html.build import build_report_model, live_server_version, version_warning
from reports.html.render import panel_data, render_html, write_html_report

__all__ = [
    "build_report_model",
    "live_server_version",
    "panel_data",
    "render_html",
    "version_warning",
    "write_html_report",
]
