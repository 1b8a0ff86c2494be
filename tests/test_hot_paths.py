"""The fast versions of hot functions give what the straightforward ones gave.

Each test keeps the plain algorithm a faster one replaced as its oracle and
compares the two on the upstream corpus and on odd input made for the purpose.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from support import CORPUS_ABSENT, SIM_MIGRATIONS

from checker.drizzle_snapshot import JsonPath, key_offsets
from checker.invisible import hidden_characters, is_hidden, reveal

# ---- key_offsets: the JSON key index of a drizzle snapshot --------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(?:\s*:)?|[{}\[\]]')


def _key_offsets_by_tokens(text: str, depth: int = 4) -> dict[JsonPath, int]:
    """The index as first written: every string and bracket of the text, one by one."""
    offsets: dict[JsonPath, int] = {}
    containers: list[str | None] = []
    pending: str | None = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            pending = None
            if token[-1] == ":":
                pending = json.loads(token[:-1].rstrip())
                path = tuple(key for key in containers[1:] if key is not None)
                if len(path) == len(containers) - 1 and len(path) < depth:
                    offsets.setdefault((*path, pending), match.start())
        elif token in "{[":
            containers.append(pending)
            pending = None
        else:
            containers.pop()
            pending = None
    return offsets


ODD_JSON = [
    "{}",
    "[]",
    '"just a string"',
    "42",
    '[{"in": {"an": "array"}}, {"x": 1}]',
    '{"a": 1, "b": {"c": {"d": {"e": {"f": 1}}}}}',
    # escaped quotes, backslashes and brackets inside keys and values
    r'{"k\"ey": {"va\\l": "}{][", "x\\": ["]", "{"]}, "y": "\"{"}',
    # unicode: escaped and literal, astral (two UTF-16 units in JSON escapes)
    '{"caf\\u00e9": {"na\u00efve": 1, "\\ud83d\\ude00": {"\U0001f600": {"deep": 1}}}}',
    # a key given twice keeps its first place; both subtrees count
    '{"a": {"x": 1}, "a": {"y": 2}, "b": 3, "b": 4}',
    # whitespace of every JSON kind around every token, none at all elsewhere
    ' \t\r\n{ "a" \n:\t{"b"\r\n:  [ 1 , {"c":2} ] ,"d":{ } } , "e" : null } \n',
    '{"a":{"b":{"c":{"d":{}}}},"tables":{"t":{"columns":{"id":{"name":"id"}}}}}',
    '{"n": -1.5e+3, "t": true, "f": false, "z": null, "s": {"NaN": NaN, "i": -Infinity}}',
    '{"arr": [[{"a": 1}], {"b": {"c": 1}}], "after": {"k": 1}}',
    '{"": {"": {"": 1}}}',
]


@pytest.mark.parametrize("text", ODD_JSON)
@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4, 6])
def test_key_offsets_agree_on_odd_json(text: str, depth: int) -> None:
    json.loads(text)  # the index is only asked of valid JSON
    assert key_offsets(text, depth) == _key_offsets_by_tokens(text, depth)


def test_key_offsets_point_at_the_key() -> None:
    text = '{"tables": {"public.user": {"columns": {"e\\"mail": {"name": "x"}}}}}'
    offsets = key_offsets(text)
    assert set(offsets) == {
        ("tables",),
        ("tables", "public.user"),
        ("tables", "public.user", "columns"),
        ("tables", "public.user", "columns", 'e"mail'),
    }
    assert text[offsets[("tables", "public.user", "columns", 'e"mail')] :].startswith('"e\\"mail"')


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_key_offsets_agree_on_every_corpus_snapshot() -> None:
    snapshots = sorted((SIM_MIGRATIONS / "meta").glob("*_snapshot.json"))
    assert snapshots
    # the first, the last and a spread between: every one takes too long for a unit test
    for path in {snapshots[0], snapshots[-1], *snapshots[:: max(1, len(snapshots) // 8)]}:
        text = path.read_text(encoding="utf-8")
        assert key_offsets(text) == _key_offsets_by_tokens(text), path.name


# ---- hidden_characters: NC109 and the text outputs ---------------------------------


def _hidden_by_predicate(text: str) -> tuple[str, ...]:
    """The hidden characters as first found: the predicate asked of every character."""
    return tuple(dict.fromkeys(char for char in text if is_hidden(char)))


def test_hidden_characters_agree_with_the_predicate_on_every_code_point() -> None:
    wrong = [
        f"U+{ord(char):04X}"
        for char in map(chr, range(sys.maxunicode + 1))
        if hidden_characters(char) != ((char,) if is_hidden(char) else ())
    ]
    assert wrong == []


def test_hidden_characters_of_a_name_holding_every_hidden_character() -> None:
    hidden = [char for char in map(chr, range(0x3000)) if is_hidden(char)]
    hidden += ["\u3164", "\uffa0", "\ufeff", "\U000e0001", "\U0010fffd"]
    around = "".join(f"x{char}y" for char in hidden)
    assert hidden_characters(around) == tuple(hidden)
    assert hidden_characters(around.replace("x", "\u00e9")) == tuple(hidden)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "user_id",
        "café_naïve",
        "acct\u202eresu",
        "zero\u200bwidth\u200btwice",
        "\u3164",
        "tab\there\nnewline",
        "\ud800lone surrogate",
        "mixed\u2800\u00a0\u180e\ufeff\u00ad end",
        "".join(chr(code) for code in range(0x2000, 0x2070)),
    ],
)
def test_hidden_characters_and_reveal_on_odd_names(text: str) -> None:
    assert hidden_characters(text) == _hidden_by_predicate(text)
    assert reveal(text) == "".join(
        f"<U+{ord(c):04X}>" if c not in "\n\t" and is_hidden(c) else c for c in text
    )


# ---- deparse: expressions printed once per shape ------------------------------------

EXPRESSIONS = [
    "a IS NULL",
    "a IS NOT NULL",
    '"A" IS NULL',
    '"order" IS NOT NULL',
    "t.a IS NOT NULL",
    "a = 1",
    "a = 1.0",
    "a = true",
    "a = '1'",
    "a <> 1",
    "a >= 1 AND a <= 6",
    "a >= 1 OR a <= 6",
    "(a = 1 OR b = 2) AND c IS NULL",
    "a = 1 OR (b = 2 AND c IS NULL)",
    "'{}'::jsonb",
    "'{}'::json",
    "'x'::public.status",
    "ARRAY['info', 'error']::text[]",
    "coalesce(a, '')",
    "lower(email)",
    "date_trunc('milliseconds', created_at)",
    "metadata ->> 'total' IS NOT NULL",
    "a IN (1, 2, 3)",
    "a BETWEEN 1 AND 2",
    "CASE WHEN a THEN 1 ELSE 2 END",
]


def _expression(sql: str, lead: int) -> object:
    from pglast import parse_sql

    select = parse_sql(" " * lead + f"SELECT {sql}")[0].stmt
    return select.targetList[0].val  # type: ignore[union-attr]


@pytest.mark.parametrize("lead", [0, 7])
def test_deparse_gives_the_printers_text_for_every_shape_twice(lead: int) -> None:
    from pglast.stream import RawStream

    from checker.simulator.expressions import deparse

    # every expression is printed at two offsets and in both orders of a similar pair:
    # a remembered text must never answer for a different expression
    for _round in range(2):
        for sql in EXPRESSIONS:
            node = _expression(sql, lead + _round)
            assert deparse(node) == str(RawStream()(_expression(sql, 0))), sql
