"""Bad input, enumerated: every case runs the CLI as a user would.

Each case builds its inputs in a temporary folder and runs
``python -m checker.cli check`` there. Input the tool cannot use gives exit
code 2 (3 when the live backend is unavailable) and exactly one line on
stderr that names the place (file, and line:col where there is one); input
that is readable but odd (a truncated statement, a 10,000-byte identifier,
an expression nested 20,000 deep) is checked and reported as findings. In no
case a traceback, and in every case the inputs are byte for byte what they
were before (hashed before and after).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass(frozen=True)
class Case:
    """One kind of bad input and what the user must see."""

    name: str
    build: Callable[[Path], list[str]]  # writes the inputs, returns the CLI arguments
    exit_code: int | tuple[int, ...]
    says: str = ""  # expected in the single stderr line (exit 2/3) or in the findings
    codes: tuple[str, ...] = ()  # finding codes expected in the json report (exit 0/1)
    marks: tuple[pytest.MarkDecorator, ...] = field(default=())


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _drizzle(root: Path, files: dict[str, str], journal: str | None = None) -> Path:
    """A drizzle-kit folder; ``journal`` replaces the generated journal text."""
    folder = root / "migrations"
    entries = []
    for position, (tag, text) in enumerate(files.items()):
        _write(folder / f"{tag}.sql", text)
        entries.append(
            {"idx": position, "version": "7", "when": 1700000000000 + position, "tag": tag}
        )
    if journal is None:
        journal = json.dumps({"version": "7", "dialect": "postgresql", "entries": entries})
    _write(folder / "meta" / "_journal.json", journal)
    return folder


def _journal_naming(tag: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        _write(root / "secret.sql", "CREATE TABLE outside (id int);\n")
        entries = [{"idx": 0, "when": 1, "tag": tag}]
        folder = _drizzle(root, {}, json.dumps({"entries": entries}))
        return ["--base", str(folder.relative_to(root))]

    return build


def _plain(name: str, data: str | bytes) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        _write(root / name, data)
        return ["--base", name]

    return build


def _config(name: str, text: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        _write(root / "base.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
        _write(root / name, text)
        return ["--base", "base.sql", "--config", name]

    return build


def _random_bytes(root: Path) -> list[str]:
    data = random.Random(8).randbytes(4096)
    _write(root / "random.sql", b"CREATE TABLE a (id int);\n" + data)
    return ["--base", "random.sql"]


def _random_text(root: Path) -> list[str]:
    rng = random.Random(8)
    alphabet = "abcdefgh();,'\"$ \n-*/+=<>0123456789ÉλЖ"
    _write(root / "noise.sql", "".join(rng.choice(alphabet) for _ in range(4000)))
    return ["--base", "noise.sql"]


def _truncated_utf8(root: Path) -> list[str]:
    data = "CREATE TABLE café (id int);\n".encode()
    _write(root / "cut.sql", data[: data.index("é".encode()) + 1])  # half of é
    return ["--base", "cut.sql"]


def _ten_megabytes(root: Path) -> list[str]:
    literal = "x" * (10 * 1024 * 1024)
    text = f"CREATE TABLE a (id int PRIMARY KEY, t text);\nINSERT INTO a VALUES (1, '{literal}');\n"
    _write(root / "big.sql", text)
    return ["--base", "big.sql"]


def _ten_megabytes_of_comment(root: Path) -> list[str]:
    comment = "-- " + "y" * 99 + "\n"
    text = "CREATE TABLE a (id int PRIMARY KEY);\n" + comment * (10 * 1024 * 1024 // len(comment))
    _write(root / "commented.sql", text)
    return ["--base", "commented.sql"]


def _long_identifiers(root: Path) -> list[str]:
    table, column = "t" * 10_000, "c" * 10_000
    text = (
        f'CREATE TABLE "{table}" ({column} int PRIMARY KEY);\n'
        f'CREATE INDEX ON "{table}" ({column});\n'
    )
    _write(root / "long.sql", text)
    return ["--base", "long.sql"]


def _deep_expression(root: Path) -> list[str]:
    chain = " + 1" * 20_000
    text = (
        "CREATE TABLE a (id int PRIMARY KEY, n int DEFAULT (1" + chain + "));\n"
        "ALTER TABLE a ADD CONSTRAINT deep CHECK (n" + chain + " > 0);\n"
        "CREATE INDEX ON a ((n" + chain + "));\n"
    )
    _write(root / "deep.sql", text)
    return ["--base", "deep.sql"]


def _deep_parentheses(root: Path) -> list[str]:
    _write(root / "parens.sql", "SELECT " + "(" * 50_000 + "1" + ")" * 50_000 + ";\n")
    return ["--base", "parens.sql"]


def _deep_do_block(root: Path) -> list[str]:
    depth = 3_000
    body = "BEGIN " * depth + "CREATE TABLE z (id int);" + " END;" * depth
    _write(root / "do.sql", f"DO $$ {body} $$;\n")
    return ["--base", "do.sql"]


def _missing_journal(root: Path) -> list[str]:
    folder = root / "migrations"
    _write(folder / "0000_init.sql", "CREATE TABLE a (id int);\n")
    _write(folder / "meta" / "0000_snapshot.json", "{}")
    return ["--base", "migrations"]


def _journal_is_directory(root: Path) -> list[str]:
    folder = root / "migrations"
    _write(folder / "0000_init.sql", "CREATE TABLE a (id int);\n")
    (folder / "meta" / "_journal.json").mkdir(parents=True)
    return ["--base", "migrations"]


def _symlink_loop_given(root: Path) -> list[str]:
    (root / "one.sql").symlink_to("two.sql")
    (root / "two.sql").symlink_to("one.sql")
    return ["--base", "one.sql"]


def _symlink_loop_in_folder(root: Path) -> list[str]:
    folder = root / "sql"
    _write(folder / "0001_a.sql", "CREATE TABLE a (id int);\n")
    (folder / "0002_loop.sql").symlink_to("0003_loop.sql")
    (folder / "0003_loop.sql").symlink_to("0002_loop.sql")
    return ["--base", "sql"]


def _symlink_loop_journal(root: Path) -> list[str]:
    folder = _drizzle(root, {"0000_a": "CREATE TABLE a (id int);\n"})
    journal = folder / "meta" / "_journal.json"
    journal.unlink()
    journal.symlink_to("_journal.json")
    return ["--base", "migrations"]


def _dangling_symlink_in_folder(root: Path) -> list[str]:
    folder = root / "sql"
    _write(folder / "0001_a.sql", "CREATE TABLE a (id int);\n")
    (folder / "0002_gone.sql").symlink_to("nowhere.sql")
    return ["--base", "sql"]


def _folder_linking_to_itself(root: Path) -> list[str]:
    folder = root / "sql"
    _write(folder / "0001_a.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
    (folder / "again").symlink_to(".")
    return ["--base", "sql"]


def _fifo(root: Path) -> list[str]:
    os.mkfifo(root / "pipe.sql")  # reading it would block forever
    return ["--base", "pipe.sql"]


def _unreadable(root: Path) -> list[str]:
    path = _write(root / "locked.sql", "CREATE TABLE a (id int);\n")
    path.chmod(0)
    return ["--base", "locked.sql"]


def _unreadable_journal(root: Path) -> list[str]:
    folder = _drizzle(root, {"0000_a": "CREATE TABLE a (id int);\n"})
    (folder / "meta" / "_journal.json").chmod(0)
    return ["--base", "migrations"]


def _unwritable_output(root: Path) -> list[str]:
    _write(root / "base.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
    return ["--base", "base.sql", "--output", "no/such/folder/report.json"]


def _fifo_option(option: str) -> Callable[[Path], list[str]]:
    """A FIFO given as a config, query or baseline file: reading it would block."""

    def build(root: Path) -> list[str]:
        _write(root / "base.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
        os.mkfifo(root / "pipe.file")
        return ["--base", "base.sql", option, "pipe.file"]

    return build


def _dsn(dsn: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        _write(root / "base.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
        return ["--base", "base.sql", "--live", "--backend", "dsn", "--dsn", dsn]

    return build


_ROOT_SKIP = pytest.mark.skipif(
    AS_ROOT,
    reason="running as root: chmod 000 does not stop root from reading; the FIFO and "
    "directory cases cover unreadable inputs instead",
)

CASES = [
    Case("random bytes", _random_bytes, 2, "random.sql:", marks=()),
    Case("random UTF-8 text", _random_text, 2, "noise.sql", codes=("PS001",)),
    Case(
        "truncated statement",
        _plain("cut.sql", "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int,"),
        2,
        "cut.sql",
        codes=("PS001",),
    ),
    Case("truncated inside a UTF-8 character", _truncated_utf8, 2, "cut.sql:1:"),
    Case(
        "truncated journal",
        lambda root: [
            "--base",
            str(_drizzle(root, {"0000_a": "SELECT 1;"}, '{"entries": [{"idx"').name),
        ],
        2,
        "_journal.json:1:",
    ),
    Case(
        "non-UTF-8 (latin-1)",
        _plain("latin1.sql", "-- café\nSELECT 1;\n".encode("latin-1")),
        2,
        "latin1.sql:1:7: not valid UTF-8",
    ),
    Case(
        "NUL byte", _plain("nul.sql", "SELECT 1;\x00 DROP TABLE a;\n"), 2, "nul.sql:1:10: NUL byte"
    ),
    Case("empty file", _plain("empty.sql", ""), 0),
    Case("only comments", _plain("comments.sql", "-- nothing\n/* at all */\n"), 0),
    Case("10 MB file: one huge literal", _ten_megabytes, (0, 1)),
    Case("10 MB file: mostly comments", _ten_megabytes_of_comment, (0, 1)),
    Case("identifiers of 10,000 bytes", _long_identifiers, (0, 1), codes=("NC104",)),
    Case(
        "expression nested 20,000 deep",
        _deep_expression,
        (0, 1),
        "nested too deeply",
        codes=("PS002",),
    ),
    Case("parentheses nested 50,000 deep", _deep_parentheses, 2, "parens.sql", codes=("PS001",)),
    Case(
        "DO blocks nested 3,000 deep", _deep_do_block, (0, 1), "nested too deeply", codes=("PS002",)
    ),
    Case(
        "broken journal JSON",
        lambda root: ["--base", _drizzle(root, {}, "{not json").name],
        2,
        "_journal.json:1:2: bad journal JSON",
    ),
    Case(
        "journal JSON nested 100,000 deep",
        lambda root: [
            "--base",
            _drizzle(root, {}, '{"entries": ' + "[" * 100_000 + "]" * 100_000 + "}").name,
        ],
        2,
        "_journal.json:1:1: bad journal JSON",
    ),
    Case(
        "journal without entries",
        lambda root: ["--base", _drizzle(root, {}, "[]").name],
        2,
        '_journal.json:1:1: bad journal: expected an object with an "entries" list',
    ),
    Case(
        "journal entry of the wrong type",
        lambda root: [
            "--base",
            _drizzle(root, {}, '{"entries": [{"idx": "one", "tag": "a"}]}').name,
        ],
        2,
        'entries[0]: "idx" must be an integer',
    ),
    Case(
        "missing journal in a drizzle folder",
        _missing_journal,
        2,
        "meta/_journal.json: no such file",
    ),
    Case("journal is a directory", _journal_is_directory, 2, "_journal.json: is a directory"),
    Case("journal naming ../secret", _journal_naming("../secret"), 2, "refusing to read it"),
    Case(
        "journal naming an absolute path", _journal_naming("/etc/passwd"), 2, "refusing to read it"
    ),
    Case(
        "journal naming a subfolder path",
        _journal_naming("sub/../../secret"),
        2,
        "refusing to read it",
    ),
    Case("journal naming ..", _journal_naming(".."), 2, "refusing to read it"),
    Case("journal naming a NUL byte", _journal_naming("a\x00b"), 2, "refusing to read it"),
    Case("symlink loop given as input", _symlink_loop_given, 2, "one.sql: symbolic link loop"),
    Case(
        "symlink loop inside a folder",
        _symlink_loop_in_folder,
        2,
        "0002_loop.sql: broken symbolic link or loop",
    ),
    Case(
        "journal is a symlink loop", _symlink_loop_journal, 2, "_journal.json: symbolic link loop"
    ),
    Case(
        "dangling symlink inside a folder",
        _dangling_symlink_in_folder,
        2,
        "0002_gone.sql: broken symbolic link",
    ),
    Case("folder with a symlink to itself", _folder_linking_to_itself, (0, 1)),
    Case("FIFO instead of a file", _fifo, 2, "pipe.sql: not a regular file"),
    Case("FIFO as the config", _fifo_option("--config"), 2, "pipe.file: not a regular file"),
    Case("FIFO as a query file", _fifo_option("--queries"), 2, "pipe.file: not a regular file"),
    Case("FIFO as the baseline", _fifo_option("--baseline"), 2, "pipe.file: not a regular file"),
    Case(
        "unreadable file (chmod 000)",
        _unreadable,
        2,
        "locked.sql: cannot read",
        marks=(_ROOT_SKIP,),
    ),
    Case(
        "unreadable journal (chmod 000)",
        _unreadable_journal,
        2,
        "_journal.json: cannot read",
        marks=(_ROOT_SKIP,),
    ),
    Case(
        "input that does not exist",
        lambda root: ["--base", "absent.sql"],
        2,
        "absent.sql: no such file",
    ),
    Case(
        "unknown config key",
        _config("schema-check.toml", "postgres = 17\nbogus = 1\n"),
        2,
        "schema-check.toml: bogus: unknown key",
    ),
    Case(
        "unknown contract key",
        _config("schema-check.toml", "[contract]\ntenant = 'x'\n"),
        2,
        "schema-check.toml: contract.tenant: unknown key",
    ),
    Case(
        "unknown key under [tool.schema-check]",
        _config("pyproject.toml", "[tool.schema-check]\nrunnr = 'drizzle'\n"),
        2,
        "pyproject.toml: ",
    ),
    Case(
        "contradictory delete intent",
        _config(
            "schema-check.toml",
            '[[contract.delete]]\nroot = "user"\npreserves = ["a"]\nremoves = ["a"]\n',
        ),
        2,
        "'a' is both preserved and removed",
    ),
    Case(
        "config value of the wrong type",
        _config("schema-check.toml", "[layers]\nbase = 3\n"),
        2,
        "layers.base: must be",
    ),
    Case(
        "config value out of range",
        _config("schema-check.toml", "postgres = 12\n"),
        2,
        "postgres: must be",
    ),
    Case(
        "config that is not TOML",
        _config("schema-check.toml", "postgres = = 17\n"),
        2,
        "schema-check.toml: invalid TOML",
    ),
    Case("report to an unwritable place", _unwritable_output, 2, "report.json: cannot write"),
    Case(
        "unreachable DSN",
        _dsn("postgresql://nobody:s3cret@127.0.0.1:1/none?connect_timeout=2"),
        3,
        "127.0.0.1",
    ),
    Case(
        "malformed DSN",
        _dsn("host = = '"),
        2,
        "dsn",
    ),
]


def _fingerprint(root: Path) -> dict[str, str]:
    """Content hash of every regular file, target of every link, type of the rest."""
    seen: dict[str, str] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                seen[key] = f"link:{os.readlink(path)}"
            elif stat.S_ISREG(info.st_mode):
                if info.st_mode & 0o444 == 0 and not AS_ROOT:
                    seen[key] = f"unreadable:{info.st_size}:{info.st_mtime_ns}"
                else:
                    seen[key] = hashlib.sha256(path.read_bytes()).hexdigest()
                seen[key] += f":{stat.S_IMODE(info.st_mode):o}:{info.st_mtime_ns}"
            else:
                seen[key] = f"mode:{stat.S_IFMT(info.st_mode):o}"
    return seen


def _run(root: Path, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "checker.cli", "check", "--format", "json", *arguments]
    environment = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        command,
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=c.marks) for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    root = tmp_path / "inputs"
    root.mkdir()
    arguments = case.build(root)
    before = _fingerprint(root)
    result = _run(root, arguments)
    after = _fingerprint(root)

    expected = case.exit_code if isinstance(case.exit_code, tuple) else (case.exit_code,)
    assert result.returncode in expected, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert before == after, "the inputs were modified"
    if result.returncode in (2, 3):
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        prefix = "schema-check: error: " if result.returncode == 2 else "schema-check: live "
        assert lines[0].startswith(prefix), lines[0]
        assert case.says in lines[0], lines[0]
        if not case.codes:
            return
    report = json.loads(result.stdout)
    found = {finding["code"] for finding in report["findings"]}
    assert set(case.codes) <= found, sorted(found)
    if case.says:
        messages = " ".join(f["message"] for f in report["findings"]) + result.stdout[:0]
        files = " ".join(f["location"]["file"] for f in report["findings"] if f.get("location"))
        assert case.says in messages or case.says in files
    for finding in report["findings"]:
        if finding["code"] in case.codes:
            assert finding.get("location"), finding  # every such finding is located


def test_every_case_is_enumerated_once() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    # the list, each covered by at least one case
    for topic in (
        "random bytes",
        "truncated",
        "non-UTF-8",
        "10 MB",
        "10,000 bytes",
        "nested",
        "broken journal",
        "missing journal",
        "../secret",
        "symlink loop",
        "unreadable",
        "unknown config key",
        "contradictory",
        "unreachable DSN",
        "malformed DSN",
    ):
        assert any(topic in name for name in names), topic
