"""Lock probe: which heavy locks extension statements take on tables the base already had.

While the statements are applied, the probe looks at ``pg_locks`` of the
applying session after every extension (and proposal) statement that runs
inside a transaction, and reports each lock mode stronger than ROW EXCLUSIVE
that the statement newly holds on a pre-existing table (LV505). Inside
drizzle's single transaction such a lock lasts until the whole run commits,
which is the point: an extension's FOREIGN KEY to ``user`` blocks every write
to ``user`` for the length of the migration. Statements that run outside a
transaction (autocommit, after drizzle's ``COMMIT;`` escape) release their
locks before anyone can look; they are counted as unobserved.

A history checked alone (no extension) is probed file by file, in the
populated-table probe's run where each file is its own transaction: a table
is pre-existing for a statement when an earlier file created it (MG409's
rule), so the newest file of a folder gets the findings it would get as an
extension. There, statements that cannot take a reported lock on a pre-existing
table (``_Skips``) are not followed by a look: each look copies every lock of
every session.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checker.catalog import QualifiedName, display_name
from checker.config import Runner
from checker.findings import Finding, Location, Severity
from checker.model import Layer, Statement
from checker.runners import runner_of

if TYPE_CHECKING:
    import psycopg

CODE_HEAVY_LOCK = "LV505"

# Lock modes from weakest to strongest; the ones a probe reports, with what they block.
_STRENGTH = {
    "AccessShareLock": 1,
    "RowShareLock": 2,
    "RowExclusiveLock": 3,
    "ShareUpdateExclusiveLock": 4,
    "ShareLock": 5,
    "ShareRowExclusiveLock": 6,
    "ExclusiveLock": 7,
    "AccessExclusiveLock": 8,
}
_BLOCKS = {
    "ShareLock": "blocks INSERT, UPDATE and DELETE",
    "ShareRowExclusiveLock": "blocks INSERT, UPDATE and DELETE",
    "ExclusiveLock": "blocks every write and SELECT FOR UPDATE; plain reads go on",
    "AccessExclusiveLock": "blocks every read and write",
}
_SQL_NAMES = {
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}

_BASE_TABLES = """
SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'drizzle')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""
# every relation lock of a reported strength the session holds, filtered to the tables
# in Python: a query without parameters is sent as is (an array of table oids was dumped
# on every call). Weaker modes never decide a finding (only the strongest new mode
# counts, and it is reported only from SHARE up), and leaving them out spares reading
# the dozens of catalog locks every DDL statement holds, after every statement.
_HELD = f"""
SELECT l.virtualtransaction, l.relation::int8, l.mode FROM pg_locks l
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.mode IN ({", ".join(f"'{mode}'" for mode in _SQL_NAMES)})
"""


def _held_on(base: dict[int, QualifiedName], prepared: bool = False) -> str:
    """``_HELD`` with only the relations that can be one of the ``base`` tables: oids up to
    the largest (the tables, indexes and sequences a file makes come later, and their
    locks were most of the rows read and thrown away); none when there is no table.
    ``prepared``: the session has the look prepared (``_PREPARE_LOOK``), and it is
    executed instead of parsed and planned again (a quarter of a look's cost)."""
    if not base:
        return f"{_HELD}  AND false\n"  # planned away: pg_locks is not even read
    if prepared:
        return f"EXECUTE {_LOOK}({max(base)})"
    return f"{_HELD}  AND l.relation::int8 <= {max(base)}\n"


_LOOK = "schema_check_held_locks"
_PREPARE_LOOK = f"PREPARE {_LOOK}(int8) AS {_HELD}  AND l.relation::int8 <= $1\n"
# a statement that may deallocate the session's prepared statements (DEALLOCATE, DISCARD)
_DEALLOCATING = re.compile(r"dealloc|discard", re.IGNORECASE)


@dataclass(slots=True)
class LockProbe:
    """Observes the applying session; give it to ``apply_statements`` as ``observer``."""

    connection: psycopg.Connection[Any]
    runner: Runner | None  # None: each folder's runner comes from its layout
    layers: frozenset[Layer] = frozenset({Layer.EXTENSION, Layer.PROPOSAL})
    base: dict[int, QualifiedName] | None = None  # tables present before the first probed statement
    unobserved: int = 0  # probed statements that ran outside a transaction
    # A history checked file by file (each file its own transaction): the tables present
    # when each file starts are its pre-existing ones, as MG409 counts them.
    per_file: bool = False
    # Set while a file's failed statements run again on their own (the populated
    # probe's realignment): a lock an earlier statement of the file already held
    # in the file's transaction is then not new, as it was not in that run.
    replaying: bool = False
    _file: str | None = None
    _first_held: dict[tuple[int, str], int] = field(default_factory=dict)  # -> statement index
    _transaction: str | None = None
    _held: dict[int, set[str]] = field(default_factory=dict)
    # True right after a statement's ``after`` looked: the locks it saw are still what
    # the session holds when the next statement starts (nothing ran in between), so
    # ``before`` need not look again. A failure leaves ``after`` out and clears it.
    _current: bool = False
    # (file, statement, table) -> finding
    _found: dict[tuple[str, int, int], Finding] = field(default_factory=dict)
    # the tables present as the next file starts, when the caller has just read them
    # (the populated probe's filler): taken instead of asking the server again
    preset: dict[int, QualifiedName] | None = None
    # no event trigger existed when ``preset`` was read (nothing runs hidden around DDL)
    preset_quiet: bool = False
    # rows of queries that already ran in the statements' round trip (``feed``), in order
    _fed: deque[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=deque)
    # Statements that cannot take a lock of a reported mode on a pre-existing table are
    # not looked after (``_unseen``): see ``_Skips``. None: every statement is looked at.
    _skips: _Skips | None = None
    _resume: bool | None = None  # ``_current`` to restore once a statement not looked at ran
    # The file's transaction has just begun (a history file by file, after the previous
    # file committed) and no statement looked at ran yet: the session holds no lock on a
    # pre-existing table but what statements not looked at took, which is none.
    _fresh: bool = False
    # the look: ``_HELD``, narrowed to the base tables' oids when the base was handed over
    # (``preset``) and so known when the looks of its statements are planned
    _held_sql: str = _HELD
    # the session holds the look prepared (``prepare_looks``): a file's looks execute it
    _look_prepared: bool = False
    _skips_base: tuple[dict[int, QualifiedName], _Skips] | None = None  # ``_skips_of``

    def inline(self, statements: Sequence[Statement]) -> list[tuple[list[str], list[str]]]:
        """The queries ``before`` and ``after`` will run around each statement, all of them
        succeeding inside the open transaction (the same decisions, state left alone)."""
        plan: list[tuple[list[str], list[str]]] = []
        has_base, file, current = self.base is not None, self._file, self._current
        preset, fresh = self.preset is not None, self._fresh
        held = self._held_sql
        skips = self._skips.copy() if self._skips is not None else None
        for statement in statements:
            if statement.layer not in self.layers:
                current = fresh = False
                if skips is not None:
                    skips.prefix = False
                plan.append(([], []))
                continue
            ahead: list[str] = []
            if not has_base or (self.per_file and statement.migration.path != file):
                file, has_base, current = statement.migration.path, True, False
                skips, fresh = None, self.per_file and preset
                if not preset:
                    ahead.append(_BASE_TABLES)
                    held = _HELD
                elif self.preset is not None:
                    held = _held_on(self.preset, self._look_prepared)
                    if self.preset_quiet:
                        skips = self._skips_of(self.preset)
                preset = False
            if skips is not None and skips.unseen(statement):
                plan.append((ahead, []))
                continue
            if not current and not fresh:
                ahead.append(held)
            plan.append((ahead, [held]))
            current, fresh = True, False
        return plan

    def _skips_of(self, base: dict[int, QualifiedName]) -> _Skips:
        """``_Skips.of(base)``, made once for a base: a file's looks are planned and read
        with the same base, and files that keep the set of tables are handed the same one."""
        if self._skips_base is None or self._skips_base[0] is not base:
            self._skips_base = (base, _Skips.of(base))
        return self._skips_base[1].copy()

    def prepare_looks(self, step: Sequence[Statement]) -> None:
        """Before a file of a history runs (its base handed over as ``preset``): have the
        look prepared in the session, so that the file's looks execute it. Not for a file
        that may deallocate prepared statements (a look would then fail in the middle of
        it): its looks are sent as text, and the look is prepared again after it."""
        if any(_DEALLOCATING.search(statement.text) for statement in step):
            if self._look_prepared:
                self.connection.execute(f"DEALLOCATE {_LOOK}")
                self._look_prepared = False
            return
        if not self._look_prepared:
            # psycopg's own preparing is turned off: once it has prepared a query of its
            # own, it deallocates every prepared statement, this one included, after a
            # DROP or ALTER
            self.connection.prepare_threshold = None
            self.connection.execute(_PREPARE_LOOK)
            self._look_prepared = True

    def feed(self, rows: Sequence[tuple[str, list[tuple[Any, ...]]]]) -> None:
        self._fed.extend(rows)

    def _rows(self, query: str) -> list[tuple[Any, ...]]:
        if not self._fed:
            return self.connection.execute(query).fetchall()
        planned, rows = self._fed.popleft()
        if planned != query:
            raise RuntimeError("lock probe: fed rows of another query than the one asked")
        return rows

    def before(self, statement: Statement) -> None:
        self._resume = None
        if statement.layer not in self.layers:
            self._current = self._fresh = False  # it runs unobserved and may take locks
            if self._skips is not None:
                self._skips.prefix = False
            return
        if self.base is None or (self.per_file and statement.migration.path != self._file):
            self._file = statement.migration.path
            self._first_held = {}
            self._skips = None
            self._fresh = self.per_file and self.preset is not None
            if self.preset is not None:
                self.base, self.preset = self.preset, None
                self._held_sql = _held_on(self.base, self._look_prepared)
                if self.preset_quiet:
                    self._skips = self._skips_of(self.base)
            else:
                self.base = {
                    int(oid): (str(schema), str(name))
                    for oid, schema, name in self._rows(_BASE_TABLES)
                }
                self._held_sql = _HELD
            self._current = False
        if self._skips is not None and self._skips.unseen(statement):
            # what the session holds does not change on a pre-existing table: the locks
            # seen before it still stand after it (unless it fails)
            self._resume, self._current = self._current, False
            return
        if not self._current:
            if self._fresh:
                self._held, self._transaction = {}, None  # what a look would have seen
            else:
                self._snapshot()
        self._current = self._fresh = False

    def after(self, statement: Statement, in_transaction: bool) -> None:
        if statement.layer not in self.layers or self.base is None:
            return
        if not in_transaction:
            self.unobserved += 1
            return
        if self._resume is not None:
            self._current, self._resume = self._resume, None
            return
        # ``_current`` was cleared by this statement's ``before``: set again once seen below
        before = self._held
        transaction = self._transaction
        self._snapshot()
        if transaction != self._transaction:
            before = {}
        for oid, modes in self._held.items():
            new = modes - before.get(oid, set())
            if self.replaying:
                new = {
                    m
                    for m in new
                    if self._first_held.get((oid, m), statement.index) >= statement.index
                }
            for mode in modes:
                self._first_held.setdefault((oid, mode), statement.index)
            strongest = max(new, key=lambda mode: _STRENGTH.get(mode, 0), default=None)
            if (
                strongest is None
                or _STRENGTH.get(strongest, 0) <= _STRENGTH["ShareUpdateExclusiveLock"]
            ):
                continue
            # a replayed statement (after a failure) overwrites its first observation
            self._found[(statement.migration.path, statement.index, oid)] = self._finding(
                statement, self.base[oid], strongest
            )
        self._current = True

    def _snapshot(self) -> None:
        assert self.base is not None
        held: dict[int, set[str]] = {}
        transaction = None
        for vxid, relation, mode in self._rows(self._held_sql):
            transaction = str(vxid)
            if int(relation) in self.base:
                held.setdefault(int(relation), set()).add(str(mode))
        self._held = held
        self._transaction = transaction

    def _finding(self, statement: Statement, table: QualifiedName, mode: str) -> Finding:
        name = display_name(table)
        in_use = runner_of(statement.migration, self.runner)
        runner = in_use.runner
        if in_use.assumed:
            until = (
                "until the run commits (no runner is configured, so one transaction for every "
                "pending migration, the worst case, is assumed; set runner in the config)"
            )
        elif runner is Runner.DRIZZLE:
            until = "until drizzle commits the whole run (every pending migration of the folder)"
        elif runner in (Runner.PER_FILE, Runner.PRISMA, Runner.TRANSACTION_PER_FILE):
            until = f"until {statement.migration.name} commits"
        else:
            until = "until the transaction the migration opened commits"
        return Finding(
            code=CODE_HEAVY_LOCK,
            severity=Severity.ERROR if mode == "AccessExclusiveLock" else Severity.WARNING,
            message=(
                f"takes {_article(_SQL_NAMES[mode])} {_SQL_NAMES[mode]} lock on pre-existing "
                f"table {name}, which "
                f"{_BLOCKS[mode]} {until}"
            ),
            locations=(Location.of(statement.origin),),
            objects=(name,),
        )

    def findings(self) -> list[Finding]:
        return sorted(self._found.values(), key=Finding.sort_key)


@dataclass(slots=True)
class _Skips:
    """Which statements of a file cannot take a lock of a reported mode (SHARE and up) on a
    table that existed as the file started, so that no look at ``pg_locks`` is needed
    after them (each look copies every lock of every session, the main apply's thousands
    included).

    Only used when no event trigger existed as the file started (its function could run
    anything around a DDL statement), and only until a statement of the file runs code or
    does something of an unknown kind (a DO block, DML, a procedure, CREATE EXTENSION, a
    rename, a move, an attach: it could also make an event trigger). Until then, never
    looked at: CREATE TABLE without a foreign key, parent, LIKE or query; CREATE TYPE;
    ALTER TYPE ... ADD/RENAME VALUE; CREATE FUNCTION / PROCEDURE; COMMENT; SET; and a
    CREATE INDEX whose table has a name no pre-existing table has (nothing before it in
    the file could have given a pre-existing table that name or made it a partition, so
    the index's table is new, with no rows and no pre-existing partitions).
    """

    names: frozenset[str]  # relation names of the pre-existing tables
    prefix: bool = True  # only statements of known, harmless kinds ran since the file started

    @staticmethod
    def of(base: dict[int, QualifiedName]) -> _Skips:
        return _Skips(frozenset(name for _, name in base.values()))

    def copy(self) -> _Skips:
        return _Skips(self.names, self.prefix)

    def unseen(self, statement: Statement) -> bool:
        """Whether ``statement`` needs no look; notes what it may do to later decisions."""
        kind, table = lock_kind(statement.text)
        if kind == "any":
            # it may also have made an event trigger, which could run anything later
            self.prefix = False
        if not self.prefix:
            return False
        if kind == "none":
            return True
        return kind == "index" and table is not None and table not in self.names


_NO_SHARE_LOCK_STARTS = (
    ("CREATE", "TYPE_P"),
    ("CREATE", "FUNCTION"),
    ("CREATE", "PROCEDURE"),
    ("CREATE", "OR", "REPLACE", "FUNCTION"),
    ("CREATE", "OR", "REPLACE", "PROCEDURE"),
    ("COMMENT", "ON"),
)
# kinds that neither rename nor move a table, attach one as a partition or child, nor run
# a query or procedure (they may lock, and are looked at)
_KEEPING_STARTS = (
    ("ALTER", "TABLE"),
    ("ALTER", "TYPE_P"),
    ("CREATE", "TABLE"),
    ("CREATE", "UNLOGGED", "TABLE"),
    ("CREATE", "INDEX"),
    ("CREATE", "UNIQUE", "INDEX"),
    ("CREATE", "TRIGGER"),
    ("CREATE", "OR", "REPLACE", "TRIGGER"),
    ("CREATE", "VIEW"),
    ("CREATE", "OR", "REPLACE", "VIEW"),
    ("CREATE", "SEQUENCE"),
    ("CREATE", "POLICY"),
    ("ALTER", "POLICY"),
    ("DROP",),
    ("GRANT",),
    ("REVOKE",),
)
_NOT_KEEPING = frozenset(
    {"RENAME", "ATTACH", "DETACH", "INHERIT", "SCHEMA", "SELECT", "VALUES", "EXECUTE"}
)
_NEW_TABLE_REFUSED = frozenset({"REFERENCES", "FOREIGN", "INHERITS", "LIKE", "OF"})


@functools.lru_cache(maxsize=8192)
def lock_kind(text: str) -> tuple[str, str | None]:
    """How a statement may lock tables that existed before it, from its tokens alone.

    ("none", None): never in a mode from SHARE up (the lock probe need not look);
    ("index", table): CREATE INDEX on ``table`` (its relation name as stored);
    ("keeps", None): may lock, but renames, moves or attaches no table and runs no query;
    ("any", None): anything else (a DO block, DML, a procedure, an unknown statement).
    """
    from checker.live.apply import batchable, statement_tokens

    if not batchable(text):  # several statements, transaction control, COPY, CALL
        return ("any", None)
    tokens = statement_tokens(text)
    words = [name for name, _, _ in tokens]
    if words[:1] in (["SET"], ["RESET"]):
        refused = {"CONSTRAINTS", "TRANSACTION", "CHARACTERISTICS"}
        return ("any", None) if refused & set(words[1:3]) else ("none", None)
    if any(tuple(words[: len(start)]) == start for start in _NO_SHARE_LOCK_STARTS):
        return ("none", None)
    if words[:2] == ["ALTER", "TYPE_P"]:
        at = _after_name(words, 2)
        if words[at : at + 2] in (["ADD_P", "VALUE_P"], ["RENAME", "VALUE_P"]):
            return ("none", None)
    if not any(tuple(words[: len(start)]) == start for start in _KEEPING_STARTS):
        return ("any", None)
    if _NOT_KEEPING & set(words):
        return ("any", None)
    if "TABLE" in words[:3] and words[0] == "CREATE":
        at = words.index("TABLE") + 1
        if words[at : at + 3] == ["IF_P", "NOT", "EXISTS"]:
            at += 3
        at = _after_name(words, at)
        plain = at < len(words) and words[at] == "ASCII_40"
        partitioned = all(
            words[i + 1 : i + 2] == ["BY"] for i, word in enumerate(words) if word == "PARTITION"
        )
        if plain and partitioned and not _NEW_TABLE_REFUSED & set(words):
            return ("none", None)
        return ("keeps", None)
    if "INDEX" in words[:3] and words[0] == "CREATE" and "ON" in words:
        at = words.index("ON") + 1
        if words[at : at + 1] == ["ONLY"]:
            at += 1
        end = _after_name(words, at)
        if end > at and (end == len(words) or words[end] in ("USING", "ASCII_40")):
            return ("index", _identifier(text, tokens[end - 1]))
    return ("keeps", None)


def keeps_tables(text: str) -> bool:
    """Whether the statement leaves the set of tables as it was: it neither creates, drops,
    renames nor moves a table, attaches or detaches a partition, nor runs a query, a
    procedure or a DO block (a CREATE TABLE or DROP of any kind counts as changing it)."""
    if lock_kind(text)[0] == "any":
        return False
    from checker.live.apply import statement_tokens

    words = [name for name, _, _ in statement_tokens(text)]
    return words[:1] != ["DROP"] and not (words[:1] == ["CREATE"] and "TABLE" in words[1:3])


def _after_name(words: list[str], at: int) -> int:
    """The position after a possibly qualified name starting at ``at``."""
    while at < len(words) and words[at] not in ("ASCII_40", "ASCII_46", "ASCII_59"):
        at += 1
        if at < len(words) and words[at] == "ASCII_46":
            at += 1
        else:
            break
    return at


def _identifier(text: str, token: tuple[str, int, int]) -> str | None:
    """A name token as PostgreSQL stores it; None when not sure (U&"...", a letter beyond
    ASCII unquoted, or long enough to be truncated)."""
    word = text[token[1] : token[2] + 1]
    if word.startswith('"') and word.endswith('"') and len(word) >= 2:
        name = word[1:-1].replace('""', '"')
    elif _PLAIN_NAME.fullmatch(word):
        name = word.lower()  # PostgreSQL folds ASCII letters only
    else:
        return None
    return name if len(name.encode()) < 63 else None


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
