"""NC109: identifiers holding bidirectional controls, zero-width or other invisible characters."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.invisible import describe, hidden_characters, is_bidi_control, reveal
from checker.model import Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.naming._common import final_objects, identifier_index


@register
class HiddenCharactersInIdentifierRule(Rule):
    """An identifier holds characters that do not show as themselves.

    What it does:
        Reports every identifier, in every statement that writes it, that
        holds a bidirectional control (U+202E RIGHT-TO-LEFT OVERRIDE, the
        isolates U+2066-U+2069 and the like), a zero-width character (U+200B
        ZERO WIDTH SPACE, the joiners, U+FEFF), another control or format
        character, a space other than the plain one, or a letter that renders
        blank (U+3164 HANGUL FILLER). Names spelt with ``U&"..."`` escapes are
        read after decoding. The message writes each such character as
        ``<U+XXXX>``.

    Why it matters:
        A right-to-left override reverses the text after it in an editor, a
        diff or a review tool, so ``"acct<U+202E>resu"`` reads as
        ``acctuser``: a name can disguise what a statement does (grant to,
        drop or copy into a table that is not the one a reviewer sees). A
        zero-width space makes two names that look identical different, so a
        query written by hand names the wrong object or none. Nothing in a
        schema needs such characters in its names.

    Example:
        CREATE TABLE U&"acct\\202Eresu" (id bigint PRIMARY KEY);

    Use instead:
        CREATE TABLE account_user (id bigint PRIMARY KEY);

    References:
        https://www.unicode.org/reports/tr36/#Bidirectional_Text_Spoofing
        https://trojansource.codes/
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS-UESCAPE
    """

    meta = RuleMeta(
        "NC109",
        "hidden-characters-in-identifier",
        Severity.WARNING,
        "identifier with bidirectional controls, zero-width or invisible characters",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        names: dict[tuple[str, int], set[str]] = {}  # the names reported per statement
        places: list[tuple[Origin, str, str]] = []
        # the few tokens with hidden characters, then sorted (stable: the order sorting
        # every token would give them)
        hiding = [
            token
            for token in identifier_index(context).tokens(may_hide_characters)
            if hidden_characters(token.text)
        ]
        for token in sorted(hiding, key=lambda t: t.origin.start):
            reported = names.setdefault((token.origin.file, token.origin.statement), set())
            if token.text not in reported:
                reported.add(token.text)
                places.append((token.origin, token.text, "name"))
        # Names written as U&"..." escapes are no identifier tokens: their definitions are.
        # Names derived from a reported one (its _pkey, its _seq) are not told again.
        for obj in final_objects(context):
            if not hidden_characters(obj.name) or not obj.origin.file:
                continue
            reported = names.setdefault((obj.origin.file, obj.origin.statement), set())
            if not any(name in obj.name for name in reported):
                reported.add(obj.name)
                places.append((obj.origin, obj.name, obj.kind))
        places.sort(key=lambda place: (place[0].file, place[0].start))
        for origin, name, kind in places:
            yield self._finding(origin, name, kind)

    def _finding(self, origin: Origin, name: str, kind: str) -> Finding:
        hidden = hidden_characters(name)
        shown = reveal(name, keep="")
        what = ", ".join(describe(char) for char in hidden)
        effect = (
            "reverses or reorders the text around it where it is displayed"
            if any(is_bidi_control(char) for char in hidden)
            else "does not show, so the name looks like another one"
        )
        return self.finding(
            f'{kind} "{shown}" holds {what}: it {effect}',
            origin,
            objects=[name],
            fix=(
                f"rename it to a name of visible characters only (such as "
                f'"{_visible(name)}") and use that name in every statement'
            ),
        )


def _visible(name: str) -> str:
    kept = "".join(char for char in name if not hidden_characters(char))
    return kept or "renamed"


_LINE_BREAKS = str.maketrans("", "", "\t\n\r\f\v")
_BREAK = re.compile(r"[\t\n\r\f\v]")
# string constants, quoted names and line comments, as the scanner reads them where a
# text has no backslash escapes, dollar quotes or block comments
_LEXEMES = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*")


def may_hide_characters(text: str) -> bool:
    """False only when no identifier token of ``text`` can hold a hidden character: the
    text has none but tabs and line breaks, and none of those is inside a quoted name."""
    if hidden_characters(text.translate(_LINE_BREAKS)):
        return True
    if '"' not in text or _BREAK.search(text) is None:
        return False
    if "\\" in text or "$" in text or "/*" in text:
        return True  # a text this lexing cannot follow is scanned
    return any(
        lexeme.startswith('"') and _BREAK.search(lexeme) is not None
        for lexeme in _LEXEMES.findall(text)
    )
