"""Settings and the contract: documented intent the rules check the schema against.

Read from ``schema-check.toml`` or ``[tool.schema-check]`` in pyproject.toml.
Every problem is a ConfigError naming the file and the offending key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TypeVar

from checker.codes import is_code, is_group, is_selector
from checker.errors import ConfigError, InputError
from checker.files import read_text
from checker.findings import Severity
from checker.model import DatabaseUrl, Layer, Origin
from checker.platforms import PlatformChoice

E = TypeVar("E", bound=StrEnum)
_ENTRY_KEY_LINE = re.compile(r"^[ \t]*(sql|root)[ \t]*=[^\n]*$", re.M)
CONFIG_NAMES = ("schema-check.toml", ".schema-check.toml")
SUPPORTED_POSTGRES = range(13, 19)


class Runner(StrEnum):
    """How migrations are applied, which decides what runs inside a transaction."""

    DRIZZLE = "drizzle"  # all pending migrations of a folder in one transaction
    PRISMA = "prisma"  # each migration.sql as one query: one statement alone, several in one
    PER_FILE = "per-file"  # each file as one query, as Prisma does (see checker/runners.py)
    # each file in a transaction of its own, BEGIN ... COMMIT around it (goose, dbmate,
    # sql-migrate, sqlx, Flyway, Rails): a file of one statement too
    TRANSACTION_PER_FILE = "transaction-per-file"
    AUTOCOMMIT = "autocommit"  # every statement on its own


@dataclass(frozen=True, slots=True)
class QueryPattern:
    """A documented query the schema must serve, and the index expected to serve it."""

    name: str
    sql: str
    expect_index: str | None = None
    volume: str | None = None  # high | medium | low
    source: str = ""  # where it was declared: "<config>:query[0]" or "<file>:<line>"
    origin: Origin | None = None  # the declaration's place in its file, for findings


@dataclass(frozen=True, slots=True)
class DeleteIntent:
    """Deleting one row of ``root`` must keep ``preserves`` and remove ``removes``."""

    root: str
    preserves: tuple[str, ...] = ()
    removes: tuple[str, ...] = ()
    source: str = ""
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class Naming:
    """The team's naming convention: case and the suffix of each kind of constraint and index."""

    case: str | None = None  # snake | lower
    index_suffix: str | None = None
    unique_suffix: str | None = None
    foreign_key_suffix: str | None = None
    primary_key_suffix: str | None = None
    check_suffix: str | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """What the documents promise: tenant key, naming, volumes, queries and delete intents."""

    tenant_key: str | None = None
    tenant_tables: tuple[str, ...] = ()  # glob patterns; empty: every table with the tenant key
    prefix: str | None = None
    naming: Naming = Naming()
    volumes: Mapping[str, int] = field(default_factory=dict)  # rows per day
    queries: tuple[QueryPattern, ...] = ()
    deletes: tuple[DeleteIntent, ...] = ()
    # The extension may only add objects (MG408): a plugin's tables beside an application's,
    # not the application's next migration, which may alter what it likes.
    additive_only: bool = False

    def volume_of(self, table: str) -> int | None:
        if table in self.volumes:
            return self.volumes[table]
        for pattern, volume in self.volumes.items():
            if fnmatchcase(table, pattern):
                return volume
        return None


@dataclass(frozen=True, slots=True)
class Layers:
    """The inputs of a run: the base, the extension on top of it, and the proposal."""

    base: tuple[Path | DatabaseUrl, ...] = ()  # a base may be a live database
    extension: tuple[Path, ...] = ()
    proposal: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeReference:
    """A rule code or family the config names, and where (``path:line:col: key``).

    Kept so the CLI can refuse unknown codes once every rule pack is loaded.
    """

    code: str
    where: str


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run is configured with: the config file, then the command line over it."""

    postgres: int = 17
    # None: each folder's runner comes from its layout (checker/runners.py); a runner
    # named here overrides every layout
    runner: Runner | None = None
    fail_on: Severity = Severity.ERROR
    layers: Layers = Layers()
    contract: Contract = Contract()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()  # rule codes or families (e.g. "NC107", "NC")
    # opt-in rules turned on: codes or group names (e.g. "HY806", "hygiene-preferences")
    enable: tuple[str, ...] = ()
    baseline: Path | None = None
    # the ORM schema (a TypeScript file or folder) the migrations must agree with (DR6xx)
    orm: Path | None = None
    # what the platform makes before the first migration runs (Supabase's "auth" and
    # "storage" schemas, say): schemas, or schema.name of a table, type or function
    provided: tuple[str, ...] = ()
    # the hosting platform whose objects exist before the first migration
    # (checker/platforms.py): read from the folders' layout, named, or none
    platform: PlatformChoice = PlatformChoice.AUTO
    path: Path | None = None  # the file the settings came from
    code_references: tuple[CodeReference, ...] = ()  # ignore entries and [severity] keys

    def is_ignored(self, code: str) -> bool:
        return any(
            code == item or (len(item) == 2 and code.startswith(item)) for item in self.ignore
        )

    def provides(self, name: str) -> bool:
        """Whether ``provided`` names the object (``schema.name``, ``public.`` optional, or
        ``schema.table.column``) or its schema: it exists before any migration runs."""
        if not self.provided:
            return False
        wanted = name.lower()
        for entry in self.provided:
            item = entry.lower().removeprefix("public.")
            if wanted == item or wanted.startswith(item + "."):
                return True
        return False


_TOP_KEYS = {
    "postgres",
    "runner",
    "fail_on",
    "layers",
    "contract",
    "severity",
    "ignore",
    "enable",
    "baseline",
    "orm",
    "provided",
    "platform",
}
_CONTRACT_KEYS = {
    "additive_only",
    "tenant_key",
    "tenant_tables",
    "prefix",
    "naming",
    "volumes",
    "query",
    "delete",
}
_QUERY_KEYS = {"name", "sql", "expect_index", "volume"}
_DELETE_KEYS = {"root", "preserves", "removes"}
_NAMING_KEYS = set(Naming.__dataclass_fields__)
_LAYER_KEYS = {"base", "extension", "proposal"}


# Where a pyproject.toml may hold our table: ``tool.schema-check`` spelled as a header or a
# dotted key (quoted or not), or a ``schema-check`` key under a [tool] header or in an inline
# ``tool = {...}`` table. Anything else (a dependency, a script named schema-check) is not.
_OUR_TABLE = re.compile(r"""tool\s*\.\s*["']?schema-check""")
_TOOL_TABLE = re.compile(r"^\s*(?:\[\s*tool\s*\]|tool\s*=)", re.M)
_OUR_KEY = re.compile(r"""["']?schema-check["']?\s*=""")


def _may_have_our_table(pyproject: str) -> bool:
    return bool(
        _OUR_TABLE.search(pyproject)
        or (_TOOL_TABLE.search(pyproject) and _OUR_KEY.search(pyproject))
    )


def find_config(start: Path) -> Path | None:
    """schema-check.toml in ``start``, or a pyproject.toml there with [tool.schema-check]."""
    for name in CONFIG_NAMES:
        candidate = start / name
        if candidate.is_file():
            return candidate
    pyproject = start / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if not _may_have_our_table(text):  # not worth importing a TOML parser
            return None
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        if isinstance(data.get("tool"), dict) and "schema-check" in data["tool"]:
            return pyproject
    return None


def load_settings(path: Path) -> Settings:
    """Read settings from a schema-check.toml or a pyproject.toml."""
    if not path.exists() and not path.is_symlink():
        raise ConfigError(f"{path}: no such config file")
    try:
        text = read_text(path)
    except InputError as exc:
        raise ConfigError(f"cannot read config: {exc}") from None
    import tomllib  # here: most runs have no config file

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    prefix = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("schema-check", {}) if isinstance(tool, dict) else {}
        prefix = "tool.schema-check."
    return settings_from_mapping(data, path, key_prefix=prefix, text=text)


def settings_from_mapping(
    data: Mapping[str, Any], path: Path, key_prefix: str = "", text: str = ""
) -> Settings:
    where = _Where(path, key_prefix, text)
    where.unknown(data, _TOP_KEYS, "")
    postgres = data.get("postgres", 17)
    if (
        not isinstance(postgres, int)
        or isinstance(postgres, bool)
        or postgres not in SUPPORTED_POSTGRES
    ):
        raise where.error("postgres", f"must be a PostgreSQL major version 13-18, got {postgres!r}")
    runner = where.enum("runner", data["runner"], Runner) if "runner" in data else None
    fail_on = where.enum("fail_on", data.get("fail_on", "error"), Severity)
    layers = _layers(data.get("layers", {}), where, path.parent)
    contract = _contract(data.get("contract", {}), where)
    severity_table = where.table("severity", data.get("severity", {}))
    severity: dict[str, Severity] = {}
    for code, value in severity_table.items():
        if not is_code(code):
            raise where.error(f"severity.{code}", "is not a rule code like NC101")
        severity[code] = where.enum(f"severity.{code}", value, Severity)
    ignore = tuple(where.strings("ignore", data.get("ignore", [])))
    for item in ignore:
        if not is_selector(item):
            raise where.error("ignore", f"{item!r} is not a rule code (NC101) or family (NC)")
    enable = tuple(where.strings("enable", data.get("enable", [])))
    for item in enable:
        if not (is_code(item) or is_group(item)):
            raise where.error(
                "enable",
                f"{item!r} is not a rule code (HY806) or an opt-in group (hygiene-preferences)",
            )
    references = (
        tuple(CodeReference(item, where.place(item, "ignore", "ignore")) for item in ignore)
        + tuple(CodeReference(item, where.place(item, "enable", "enable")) for item in enable)
    ) + tuple(
        CodeReference(code, where.place(code, "severity", f"severity.{code}")) for code in severity
    )
    baseline_value = data.get("baseline")
    if baseline_value is not None and not isinstance(baseline_value, str):
        raise where.error("baseline", "must be a path string")
    baseline = (path.parent / baseline_value) if isinstance(baseline_value, str) else None
    orm_value = data.get("orm")
    if orm_value is not None and not isinstance(orm_value, str):
        raise where.error("orm", "must be a path string (the Drizzle schema file or folder)")
    orm = (path.parent / orm_value) if isinstance(orm_value, str) else None
    provided = tuple(where.strings("provided", data.get("provided", [])))
    platform = (
        where.enum("platform", data["platform"], PlatformChoice)
        if "platform" in data
        else PlatformChoice.AUTO
    )
    return Settings(
        postgres=postgres,
        runner=runner,
        fail_on=fail_on,
        layers=layers,
        contract=contract,
        severity=severity,
        ignore=ignore,
        enable=enable,
        baseline=baseline,
        orm=orm,
        provided=provided,
        platform=platform,
        path=path,
        code_references=references,
    )


class _Where:
    """Builds ConfigErrors that name the file and the full key."""

    def __init__(self, path: Path, prefix: str, text: str = "") -> None:
        self.path = path
        self.prefix = prefix
        self.text = text

    def array_entry(self, table: str, position: int) -> Origin | None:
        """Where the ``position``-th ``[[<prefix><table>]]`` entry is written.

        The span is the entry's first ``sql =`` / ``root =`` line when there is
        one, else its header, so findings about a documented query or intent
        point at the line that states it.
        """
        header = re.compile(
            r"^[ \t]*\[\[[ \t]*" + re.escape(self.prefix + table) + r"[ \t]*\]\][^\n]*$", re.M
        )
        matches = list(header.finditer(self.text))
        if position >= len(matches):
            return None
        start, end = matches[position].start(), matches[position].end()
        limit = matches[position + 1].start() if position + 1 < len(matches) else len(self.text)
        key_line = re.compile(r"^[ \t]*(sql|root)[ \t]*=[^\n]*$", re.M).search(
            self.text, end, limit
        )
        if key_line is not None:
            start, end = key_line.start(), key_line.end()
        return Origin(str(self.path), start, end, -1, Layer.EXTENSION)

    def place(self, token: str, section: str, key: str) -> str:
        """``path:line:col: key`` of ``token`` in the file: its first mention as a
        word outside comments, after the ``section`` header or key when there is one."""
        anchor = re.compile(
            r"^[ \t]*(\[[ \t]*"
            + re.escape(self.prefix + section)
            + r"[ \t]*\]|"
            + re.escape(section)
            + r"[ \t]*=)",
            re.M,
        ).search(self.text)
        word = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(token) + r"(?![A-Za-z0-9_])")
        for start in (anchor.start() if anchor else 0, 0):
            for found in word.finditer(self.text, start):
                line_start = self.text.rfind("\n", 0, found.start()) + 1
                if "#" in self.text[line_start : found.start()]:
                    continue  # in a comment
                line = self.text.count("\n", 0, found.start()) + 1
                return f"{self.path}:{line}:{found.start() - line_start + 1}: {self.prefix}{key}"
        return f"{self.path}: {self.prefix}{key}"

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {self.prefix}{key}: {message}")

    def unknown(self, data: Mapping[str, Any], allowed: set[str], parent: str) -> None:
        for key in data:
            if key not in allowed:
                full = f"{parent}.{key}" if parent else key
                known = ", ".join(sorted(allowed))
                raise self.error(full, f"unknown key (known: {known})")

    def table(self, key: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {type(value).__name__}")
        return value

    def strings(self, key: str, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a string or a list of strings")
        return list(value)

    def string(self, key: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise self.error(key, "is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(key, "must be a non-empty string")
        return value

    def enum(self, key: str, value: Any, kind: type[E]) -> E:
        try:
            return kind(value)
        except ValueError:
            allowed = " | ".join(member.value for member in kind)
            raise self.error(key, f"must be one of {allowed}, got {value!r}") from None


def _layers(value: Any, where: _Where, root: Path) -> Layers:
    table = where.table("layers", value)
    where.unknown(table, _LAYER_KEYS, "layers")
    resolved: dict[str, tuple[Path, ...]] = {}
    for name in _LAYER_KEYS:
        paths = where.strings(f"layers.{name}", table.get(name, []))
        if name != "base" and any(DatabaseUrl.recognise(p) for p in paths):
            raise where.error(f"layers.{name}", "a database URL can only be a base")
        resolved[name] = tuple(root / p for p in paths if not DatabaseUrl.recognise(p))
    base = tuple(
        DatabaseUrl(p) if DatabaseUrl.recognise(p) else root / p
        for p in where.strings("layers.base", table.get("base", []))
    )
    return Layers(base, resolved["extension"], resolved["proposal"])


def _contract(value: Any, where: _Where) -> Contract:
    table = where.table("contract", value)
    where.unknown(table, _CONTRACT_KEYS, "contract")
    naming_table = where.table("contract.naming", table.get("naming", {}))
    where.unknown(naming_table, _NAMING_KEYS, "contract.naming")
    naming_values = {
        key: where.string(f"contract.naming.{key}", naming_table.get(key)) for key in _NAMING_KEYS
    }
    if naming_values["case"] not in (None, "snake", "lower"):
        raise where.error("contract.naming.case", "must be snake or lower")
    volumes_table = where.table("contract.volumes", table.get("volumes", {}))
    volumes: dict[str, int] = {}
    for name, rows in volumes_table.items():
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise where.error(
                f"contract.volumes.{name}", "must be a non-negative integer (rows per day)"
            )
        volumes[name] = rows
    queries = []
    raw_queries = table.get("query", [])
    if not isinstance(raw_queries, list):
        raise where.error("contract.query", "must be an array of tables ([[contract.query]])")
    for position, raw in enumerate(raw_queries):
        key = f"contract.query[{position}]"
        raw = where.table(key, raw)
        where.unknown(raw, _QUERY_KEYS, key)
        volume = where.string(f"{key}.volume", raw.get("volume"))
        if volume not in (None, "high", "medium", "low"):
            raise where.error(f"{key}.volume", "must be high, medium or low")
        queries.append(
            QueryPattern(
                name=where.string(f"{key}.name", raw.get("name"), required=True) or "",
                sql=where.string(f"{key}.sql", raw.get("sql"), required=True) or "",
                expect_index=where.string(f"{key}.expect_index", raw.get("expect_index")),
                volume=volume,
                source=f"{where.path}:{where.prefix}{key}",
                origin=where.array_entry("contract.query", position),
            )
        )
    deletes = []
    raw_deletes = table.get("delete", [])
    if not isinstance(raw_deletes, list):
        raise where.error("contract.delete", "must be an array of tables ([[contract.delete]])")
    for position, raw in enumerate(raw_deletes):
        key = f"contract.delete[{position}]"
        raw = where.table(key, raw)
        where.unknown(raw, _DELETE_KEYS, key)
        preserves = tuple(where.strings(f"{key}.preserves", raw.get("preserves", [])))
        removes = tuple(where.strings(f"{key}.removes", raw.get("removes", [])))
        if not preserves and not removes:
            raise where.error(key, "needs preserves or removes")
        overlap = set(preserves) & set(removes)
        if overlap:
            raise where.error(key, f"{sorted(overlap)[0]!r} is both preserved and removed")
        deletes.append(
            DeleteIntent(
                root=where.string(f"{key}.root", raw.get("root"), required=True) or "",
                preserves=preserves,
                removes=removes,
                source=f"{where.path}:{where.prefix}{key}",
                origin=where.array_entry("contract.delete", position),
            )
        )
    return Contract(
        tenant_key=where.string("contract.tenant_key", table.get("tenant_key")),
        tenant_tables=tuple(
            where.strings("contract.tenant_tables", table.get("tenant_tables", []))
        ),
        prefix=where.string("contract.prefix", table.get("prefix")),
        naming=Naming(**naming_values),
        volumes=volumes,
        queries=tuple(queries),
        deletes=tuple(deletes),
        additive_only=_boolean(where, "contract.additive_only", table.get("additive_only", False)),
    )


def _boolean(where: _Where, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise where.error(key, f"expected true or false, got {value!r}")
    return value
