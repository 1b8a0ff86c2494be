"""Characters that do not show as themselves: bidirectional controls, zero-width and
other invisible characters, which let a name disguise what a statement or message says.

One definition for the rule that flags such names and for the text outputs that
must print them visibly (``<U+202E>``) instead of letting a terminal obey them.
"""

from __future__ import annotations

import re
import unicodedata

# Letters and symbols that render as nothing, though Unicode does not class them as format
# characters (Hangul fillers, the braille blank, the Khmer inherent vowels, the Mongolian
# vowel separator).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e")
_BLANK_LETTER = re.compile("[" + "".join(sorted(_BLANK_LETTERS)) + "]")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_hidden(char: str) -> bool:
    """True for a character that does not show as itself: controls, format characters
    (bidi controls, zero-width space/joiners, the BOM, soft hyphen), separators other than
    the plain space, and the blank letters."""
    if char == " ":
        return False
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn") or char in _BLANK_LETTERS


def hidden_characters(text: str) -> tuple[str, ...]:
    """The distinct hidden characters of ``text``, in order of first appearance."""
    # str.isprintable() is False exactly for the hidden categories (and surrogates, which
    # are not hidden): a printable text without blank letters, nearly every name, has none
    if text.isprintable() and _BLANK_LETTER.search(text) is None:
        return ()
    seen: dict[str, None] = {}
    for char in text:
        if char not in seen and is_hidden(char):
            seen[char] = None
    return tuple(seen)


def is_bidi_control(char: str) -> bool:
    return char in _BIDI


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def reveal(text: str, *, keep: str = "\n\t") -> str:
    """``text`` with every hidden character written as ``<U+XXXX>``, so that what a
    reader sees is what the text holds (``keep``: characters left as they are)."""
    if text.isprintable() and _BLANK_LETTER.search(text) is None:
        return text
    return "".join(
        f"<U+{ord(char):04X}>" if char not in keep and is_hidden(char) else char for char in text
    )
