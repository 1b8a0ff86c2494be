"""Suppression comments: ``-- schema-check: ignore[CODE, ...]`` on a statement and
``ignore-file`` for a whole file; what they silence, the unknown codes they name
(refused: a typo must not switch a rule off), and the ones that silence nothing (PS004).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from checker.errors import InputError
from checker.findings import Edit, Finding, Fix, Location, Severity
from checker.rule import selects, unknown_selector
from checker.sources import SourceSet

# The list takes anything up to "]" so that a misspelt code (fk204, FK2O4) is
# reported instead of turning the comment into "ignore every rule".
_SUPPRESSION = re.compile(
    r"--\s*schema-check:\s*(?P<kind>ignore-file|ignore)(?:\[(?P<codes>[^\]\n]*)\])?",
)


@dataclass(frozen=True, slots=True)
class _Suppression:
    """One ``schema-check: ignore`` comment: the span it covers and the codes it names."""

    start: int
    end: int
    codes: frozenset[str] | None  # None: every code
    comment: tuple[int, int] = (0, 0)  # the comment's own span in its file
    places: tuple[tuple[str, int], ...] = ()  # each listed code and its offset


def apply_suppressions(
    findings: Iterable[Finding], sources: SourceSet, ran: Sequence[str] | None = None
) -> tuple[list[Finding], int]:
    """Drop findings silenced by ``-- schema-check: ignore[CODE]`` comments.

    ``ignore`` applies to the statement the comment is in, or to the next
    statement when the comment stands on its own line before it;
    ``ignore-file`` applies to the whole file. No code list means every code.
    With ``ran`` (the codes of the rules that ran) and PS004 among them, a code
    in a comment that silenced nothing although its rule ran is a PS004 finding.
    """
    by_file = _suppressions(sources)
    kept: list[Finding] = []
    suppressed = 0
    used: set[tuple[str, int, str | None]] = set()
    for finding in findings:
        primary = finding.primary
        spans = by_file.get(primary.file, []) if primary else []
        hit = False
        for s in spans:
            if primary is None or not s.start <= primary.start <= s.end:
                continue
            if s.codes is None:
                used.add((primary.file, s.comment[0], None))
                hit = True
            for item in s.codes or ():
                if selects(finding.code, item):
                    used.add((primary.file, s.comment[0], item))
                    hit = True
        if hit:
            suppressed += 1
            continue
        kept.append(finding)
    if ran is not None and UNUSED_SUPPRESSION in ran:
        kept.extend(_unused_suppressions(by_file, used, ran, sources))
    return kept, suppressed


UNUSED_SUPPRESSION = "PS004"


def _unused_suppressions(
    by_file: Mapping[str, Sequence[_Suppression]],
    used: set[tuple[str, int, str | None]],
    ran: Sequence[str],
    sources: SourceSet,
) -> Iterator[Finding]:
    """PS004 for each listed code that silenced nothing, when its rules all ran
    (a rule left out by --select or the config cannot prove a comment unused)."""
    layers = {st.origin.file: st.origin.layer for st in sources.statements}
    for path, suppressions in by_file.items():
        layer = layers.get(path)
        text = sources.files[path].text
        for s in suppressions:
            if s.codes is None:
                if (path, s.comment[0], None) not in used:
                    yield Finding(
                        UNUSED_SUPPRESSION,
                        Severity.WARNING,
                        "suppression comment silences no finding: no rule reports anything here",
                        (Location(path, s.comment[0], s.comment[1], layer),),
                        fix=Fix("delete the comment", (_delete_comment(text, path, s),)),
                    )
                continue
            for item, offset in s.places:
                if (path, s.comment[0], item) in used or item == UNUSED_SUPPRESSION:
                    continue
                covered = [code for code in ran if selects(code, item)]
                if not covered or (len(item) == 5 and item not in ran):
                    continue
                what = "no rule of family" if len(item) == 2 else "rule"
                yield Finding(
                    UNUSED_SUPPRESSION,
                    Severity.WARNING,
                    f"suppression of {item} silences nothing: {what} {item} reports no finding "
                    "here, so the comment only hides a future finding",
                    (Location(path, offset, offset + len(item), layer),),
                    objects=(item,),
                    fix=Fix(
                        f"remove {item} from the comment",
                        (_delete_item(text, path, s, item, offset),),
                    ),
                )


def _delete_comment(text: str, path: str, suppression: _Suppression) -> Edit:
    """Delete the comment to the end of its line (any words after it were part of it)."""
    start = suppression.comment[0]
    end = text.find("\n", start)
    return Edit(path, start, len(text) if end < 0 else end, "")


def _delete_item(text: str, path: str, suppression: _Suppression, item: str, offset: int) -> Edit:
    """Delete one code of the list with its comma; the whole comment when it is the only one."""
    if len(suppression.places) == 1:
        return _delete_comment(text, path, suppression)
    end = offset + len(item)
    if (item, offset) != suppression.places[-1]:
        following = text.index(",", end) + 1
        while following < len(text) and text[following] == " ":
            following += 1
        return Edit(path, offset, following, "")
    start = text.rindex(",", 0, offset)
    return Edit(path, start, end, "")


def check_suppression_codes(sources: SourceSet) -> None:
    """Refuse a suppression comment that names no registered rule or family.

    A misspelt code would otherwise silence nothing (or, unparsed, everything)
    without a word. Raises InputError at the code's ``file:line:col``.
    """
    for path, source in sources.files.items():
        for _match, places in _comments(source.text):
            for code, offset in places:
                problem = unknown_selector(code)
                if problem is not None:
                    line, column = source.line_col(offset)
                    raise InputError(f"{path}:{line}:{column}: suppression comment: {problem}")


def _comments(text: str) -> Iterator[tuple[re.Match[str], tuple[tuple[str, int], ...]]]:
    """Each suppression comment of a file, with every code it lists and that code's offset."""
    if "schema-check:" not in text:
        return
    for match in _SUPPRESSION.finditer(text):
        raw = match.group("codes")
        places: list[tuple[str, int]] = []
        if raw is not None:
            offset = match.start("codes")
            for item in raw.split(","):
                if item.strip():
                    places.append((item.strip(), offset + len(item) - len(item.lstrip())))
                offset += len(item) + 1
        yield match, tuple(places)


def _suppressions(sources: SourceSet) -> dict[str, list[_Suppression]]:
    result: dict[str, list[_Suppression]] = {}
    statements_by_file: dict[str, list[tuple[int, int]]] = {}
    for statement in sources.statements:
        statements_by_file.setdefault(statement.origin.file, []).append(
            (statement.origin.start, statement.origin.end)
        )
    for path, source in sources.files.items():
        spans = statements_by_file.get(path, [])
        for match, places in _comments(source.text):
            listed = match.group("codes") is not None  # ignore[] lists nothing: silences nothing
            codes = frozenset(code for code, _ in places) if listed else None
            comment = (match.start(), match.end())
            if match.group("kind") == "ignore-file":
                result.setdefault(path, []).append(
                    _Suppression(0, len(source.text), codes, comment, places)
                )
                continue
            position = match.start()
            # the statement it stands in, or ends the line of; else the next one
            target = next(
                (
                    (s, e)
                    for s, e in spans
                    if s <= position <= e or (e < position and "\n" not in source.text[e:position])
                ),
                None,
            ) or next(((s, e) for s, e in spans if s > position), None)
            if target is not None:
                result.setdefault(path, []).append(
                    _Suppression(target[0], target[1], codes, comment, places)
                )
    return result
