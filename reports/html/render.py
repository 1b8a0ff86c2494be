"""Renders the HTML report's view model: the Jinja2 environment (autoescaping on, so
identifiers from the schema always render as text; hidden characters written out),
the table panels' JSON, the inline script and style, and writing the file."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checker.invisible import reveal
from reports.html.model import PanelRow, ReportModel

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

    from checker.engine import CheckResult

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def panel_data(model: ReportModel) -> str:
    """The table panels' bodies as compact JSON, for a ``<script type="application/json">``
    block the page's script turns into tables (with textContent) when a panel opens:
    a large schema's hundred panels cost a third of their HTML. Hidden characters are
    written out; ``<``, ``>`` and ``&`` are escaped, so the block cannot end early."""
    import json

    def rows(items: Sequence[PanelRow]) -> list[list[str]]:
        return [[row.name, *row.cells, row.changed] for row in items]

    data = {
        panel.anchor: {
            "created": panel.created,
            "changed": panel.changed_at,
            "comment": panel.comment,
            "columns": [list(panel.column_header), *rows(panel.columns)],
            "indexes": [list(panel.index_header), *rows(panel.indexes)],
            "constraints": rows(panel.constraints),
            "outgoing": rows(panel.outgoing),
            "incoming": rows(panel.incoming),
            "triggers": rows(panel.triggers),
            "views": list(panel.views),
            "findings": [list(finding) for finding in panel.findings],
            **({"dropped": list(panel.dropped)} if panel.dropped else {}),
        }
        for panel in model.tables
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = reveal(text, keep="")
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text


def _table_anchors(model: ReportModel) -> dict[str, str]:
    return {panel.name: panel.anchor for panel in model.tables}


def _finalize(value: object) -> object:
    """Every value the template prints: hidden characters (bidi controls, zero-width)
    written out as ``<U+XXXX>`` text, in element content and attributes alike, so no
    name can reorder or hide part of the page. Markup (the inline script) is left alone."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return reveal(value, keep="\n\t")
    return value


def _content(text: object) -> Markup:
    """Text for element content: ``<``, ``>`` and ``&`` escaped, quotes left as they are
    (they only matter inside attributes, and SQL excerpts are full of them)."""
    import html

    from markupsafe import Markup

    return Markup(html.escape(reveal(str(text), keep="\n\t"), quote=False))


def _isolate(
    text: object, names: Iterable[str] = (), links: Mapping[str, str] | None = None
) -> Markup:
    """``text`` escaped, with each of ``names`` (a finding's objects, and their last
    dotted part) in it wrapped in ``<bdi>`` so a right-to-left name cannot reorder
    the words around it; the whole text is a ``<bdi>`` when no name is given."""
    from markupsafe import Markup

    def escape(value: str) -> Markup:
        return _content(value)

    shown = reveal(str(text), keep="\n\t")
    names = tuple(names)
    spelt = (part for name in names for part in (name, name.rpartition(".")[2]))
    candidates = {reveal(part, keep="") for part in spelt}
    candidates.discard("")
    if not names:
        return Markup("<bdi>") + escape(shown) + Markup("</bdi>")
    if not candidates:
        return escape(shown)
    pattern = re.compile(
        "|".join(
            rf"(?<![\w.]){re.escape(name)}(?![\w])"
            for name in sorted(candidates, key=lambda n: (-len(n), n))
        )
    )
    parts: list[Markup] = []
    cursor = 0
    linked: set[str] = set()  # a name links to its panel once per message
    for match in pattern.finditer(shown):
        parts.append(escape(shown[cursor : match.start()]))
        found = match.group()
        isolated = Markup("<bdi>") + escape(found) + Markup("</bdi>")
        anchor = (links or {}).get(found) or (links or {}).get(found.rpartition(".")[0])
        if anchor and found not in linked:
            linked.add(found)
            isolated = Markup('<a href="#') + anchor + Markup('">') + isolated
            isolated += Markup("</a>")
        parts.append(isolated)
        cursor = match.end()
    parts.append(escape(shown[cursor:]))
    return Markup("").join(parts)


def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    environment.filters["isolate"] = _isolate
    environment.filters["content"] = _content
    return environment


def render_html(model: ReportModel) -> str:
    """The whole page. Script and style are inlined; a Content-Security-Policy
    allows only that one script (by hash), so no injected handler could run."""
    from markupsafe import Markup

    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    style = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    if "</" in script or "</" in style:
        raise ValueError("inline script/style must not contain '</'")
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    import base64

    script_hash = "sha256-" + base64.b64encode(digest).decode("ascii")
    environment = _environment()
    template = environment.get_template("report.html.j2")
    return str(
        template.render(
            m=model,
            table_anchors=_table_anchors(model),
            changed_keys=frozenset(panel.key[2:] for panel in model.tables if panel.changed),
            panel_json=Markup(panel_data(model)),
            script=Markup(script),
            style=Markup(style),
            script_hash=script_hash,
        )
    )


def write_html_report(
    result: CheckResult, path: Path, *, title: str = "", base_url: str = ""
) -> None:
    """Build the model from ``result`` and write the page to ``path``; ``base_url`` makes
    each file:line a link to ``base_url/path#Lline`` (a repository browser at a commit)."""
    from checker.errors import InputError

    if base_url and not base_url.startswith(("https://", "http://", "file://")):
        raise InputError(f"--html-base-url {base_url}: not an http(s) or file URL")
    from reports.html.build import build_report_model

    text = render_html(build_report_model(result, title=title, base_url=base_url))
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the HTML report: {exc.strerror or exc}") from None
