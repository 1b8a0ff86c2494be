"""Rollback rehearsal: what stays behind when the extension run fails and is rolled back.

On a copy of the database as the base left it (``CREATE DATABASE ... TEMPLATE``),
the extension statements run as the runner runs them, except that every
transaction the runner would commit is rolled back instead. Whatever still
differs from the base afterwards was committed on the way (drizzle's
``COMMIT;`` escape, statements that cannot run in a transaction) and would
survive a failed run: LV506, one finding per object. The copy is dropped on
every exit path and carries the same scratch marker as the dsn backend's
database, so a killed run's copy is cleaned up by the next run.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from checker.catalog import Catalog, display_name
from checker.config import Runner
from checker.findings import Finding, Severity
from checker.model import Statement

if TYPE_CHECKING:
    import psycopg

CODE_ROLLBACK_RESIDUE = "LV506"


def catalog_objects(catalog: Catalog) -> dict[str, str]:
    """Every object of a catalog as ``kind name`` → a fingerprint of its definition."""
    objects: dict[str, str] = {}
    for key, table in catalog.tables.items():
        name = display_name(key)
        objects[f"table {name}"] = ""
        for column in table.columns:
            objects[f"column {name}.{column.name}"] = (
                f"{column.type.render()} {column.not_null} {column.default}"
            )
        for constraint in table.constraints:
            objects[f"constraint {name}.{constraint.name}"] = repr(
                (constraint.kind, constraint.columns, constraint.expression, constraint.foreign_key)
            )
    for key, index in catalog.indexes.items():
        objects[f"index {display_name(key)}"] = repr((index.table, index.keys, index.predicate))
    for key, enum in catalog.enums.items():
        objects[f"enum type {display_name(key)}"] = repr(enum.labels)
    for key in catalog.domains:
        objects[f"domain {display_name(key)}"] = ""
    for key in catalog.composites:
        objects[f"composite type {display_name(key)}"] = ""
    for name in catalog.extensions:
        objects[f"extension {name}"] = ""
    for key in catalog.sequences:
        objects[f"sequence {display_name(key)}"] = ""
    for key in catalog.views:
        objects[f"view {display_name(key)}"] = ""
    for schema, name, arguments in catalog.functions:
        objects[f"function {display_name((schema, name))}({arguments})"] = ""
    for table_key, name in catalog.triggers:
        objects[f"trigger {name} on {display_name(table_key)}"] = ""
    return objects


_REHEARSAL_DETAIL = (
    "it was committed before the run ended (a COMMIT inside a migration, or a "
    "statement that cannot run in a transaction); a failed run must be "
    "cleaned up by hand before it can be retried"
)


def residue_findings(
    before: Catalog,
    after: Catalog,
    *,
    severity: Severity = Severity.WARNING,
    subject: str = "rolling back the failed extension run",
    detail: str = _REHEARSAL_DETAIL,
) -> list[Finding]:
    """LV506 per object a rolled-back run still changed; the caller places them in the source."""
    old = catalog_objects(before)
    new = catalog_objects(after)
    # A table left behind is one finding, not one more per column, constraint, index
    # and the sequences it owns (serial and identity columns).
    new_tables = {display_name(k) for k in after.tables if k not in before.tables}
    gone_tables = {display_name(k) for k in before.tables if k not in after.tables}
    whole = new_tables | gone_tables
    parts = {
        f"index {display_name(k)}"
        for catalog in (before, after)
        for k, index in catalog.indexes.items()
        if display_name(index.table) in whole
    } | {
        f"sequence {display_name(k)}"
        for catalog in (before, after)
        for k, sequence in catalog.sequences.items()
        if sequence.owned_by is not None and display_name(sequence.owned_by[0]) in whole
    }
    findings: list[Finding] = []
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and old[key] == new[key]:
            continue
        if key in parts or (
            key.startswith(("column ", "constraint "))
            and key.split(" ", 1)[1].rsplit(".", 1)[0] in whole
        ):
            continue
        if key not in old:
            what = f"leaves {key} behind"
        elif key not in new:
            what = f"does not bring back {key}"
        else:
            what = f"leaves {key} changed"
        findings.append(
            Finding(
                code=CODE_ROLLBACK_RESIDUE,
                severity=severity,
                message=f"{subject} {what}",
                objects=(_object_name(key),),
                details=(detail,),
            )
        )
    return findings


def _object_name(key: str) -> str:
    """``column t.c`` → ``t.c``; ``enum type s`` → ``s``; ``trigger n on t`` → ``n``."""
    for kind in ("enum type ", "composite type "):
        if key.startswith(kind):
            return key[len(kind) :]
    name = key.split(" ", 1)[-1]
    return name.split(" on ", 1)[0].split("(", 1)[0]


@contextmanager
def database_copy(admin_conninfo: str, source: str, *, drop: bool = True) -> Iterator[str]:
    """A copy of database ``source`` (no session may be connected to it); dropped on exit
    unless ``drop`` is False (the server is thrown away with it)."""
    import psycopg
    from psycopg import sql

    from checker.live.backends import SCRATCH_COMMENT, SCRATCH_PREFIX

    name = f"{SCRATCH_PREFIX}{secrets.token_hex(8)}"
    with psycopg.connect(admin_conninfo, autocommit=True) as admin:
        marker = json.dumps(
            {
                "backend_pid": admin.info.backend_pid,
                "client_pid": os.getpid(),
                "created": int(time.time()),
            }
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(name), sql.Identifier(source), sql.SQL(_copy_strategy(admin))
            )
        )
        try:
            admin.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(f"{SCRATCH_COMMENT} {marker}")
                )
            )
            yield psycopg.conninfo.make_conninfo(admin_conninfo, dbname=name)
        finally:
            if drop:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def _copy_strategy(admin: psycopg.Connection[Any]) -> str:
    """`` STRATEGY FILE_COPY`` where it is cheap: copying the files takes a checkpoint, which
    costs next to nothing without fsync (the embedded cluster); WAL-logging every block of
    the copy, the default since PostgreSQL 15, takes two to three times as long there."""
    row = admin.execute(
        "SELECT current_setting('server_version_num')::int >= 150000"
        " AND NOT current_setting('fsync')::bool"
    ).fetchone()
    return " STRATEGY FILE_COPY" if row is not None and row[0] else ""


def rehearse_rollback(
    connection: psycopg.Connection[Any], statements: Sequence[Statement], runner: Runner | None
) -> None:
    """Apply ``statements`` with every runner transaction rolled back instead of committed."""
    from checker.live.apply import apply_statements

    apply_statements(connection, statements, runner, roll_back=True)
