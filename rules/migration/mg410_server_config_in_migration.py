"""MG410: cluster-wide or server configuration changed from a migration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.simulation import ParsedStatement
from checker.syntax import ast
from rules.migration._common import string_constants

# Libraries that are loaded through shared_preload_libraries (contrib and common extensions).
PRELOAD_LIBRARIES = frozenset(
    {
        "pg_stat_statements", "auto_explain", "pg_prewarm", "auth_delay", "passwordcheck",
        "sepgsql", "basebackup_to_shell", "basic_archive", "pg_cron", "pgaudit", "pg_partman_bgw",
        "timescaledb", "citus", "pg_hint_plan", "pg_stat_kcache", "pg_wait_sampling",
        "pg_qualstats", "pglogical", "pg_squeeze", "pg_stat_monitor", "pg_tle", "pgsodium",
        "supautils", "pg_net", "anon", "pg_show_plans", "pg_store_plans", "set_user",
        "pg_failover_slots", "pg_repack", "plpgsql", "vector",
    }
)  # fmt: skip
# Settings read only at server start.
RESTART_SETTINGS = frozenset(
    {
        "shared_preload_libraries", "max_connections", "shared_buffers", "max_worker_processes",
        "max_wal_senders", "wal_level", "max_prepared_transactions", "huge_pages",
        "max_locks_per_transaction", "port", "listen_addresses", "wal_buffers",
        "max_replication_slots", "track_activity_query_size",
    }
)  # fmt: skip


def _setting(node: Any) -> tuple[str, ast.VariableSetStmt | None] | None:
    if isinstance(node, ast.AlterSystemStmt):
        return "ALTER SYSTEM", node.setstmt
    if isinstance(node, ast.AlterDatabaseSetStmt):
        return f"ALTER DATABASE {node.dbname} SET", node.setstmt
    if isinstance(node, ast.AlterRoleSetStmt):
        role = getattr(node.role, "rolename", None) or "ALL"
        return f"ALTER ROLE {role} SET", node.setstmt
    return None


@register
class ServerConfigInMigrationRule(Rule):
    """A migration changes server or cluster configuration.

    What it does:
        Reports ALTER SYSTEM, ALTER DATABASE ... SET and ALTER ROLE ... SET
        in migrations and proposed SQL. For ``shared_preload_libraries`` it
        checks the names: one quoted string holding a comma list is one
        library name, and every name must be a library the server can load
        (pgvector's is ``vector``, and it needs no preloading at all).

    Why it matters:
        These settings belong to the server, not to the schema: ALTER SYSTEM
        affects every database of the cluster, needs superuser (managed
        services refuse it), cannot run in a transaction block, and some
        settings only apply after a restart. A wrong
        ``shared_preload_libraries`` is worse: the server refuses to start
        at its next restart ("could not access file"), long after the
        migration seemed to succeed.

    Example:
        ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements,pgvector';

    Use instead:
        CREATE EXTENSION IF NOT EXISTS vector;

    References:
        https://www.postgresql.org/docs/current/sql-altersystem.html
        https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-SHARED-PRELOAD-LIBRARIES
        https://github.com/pgvector/pgvector#installation
    """

    meta = RuleMeta(
        "MG410",
        "server-config-in-migration",
        Severity.WARNING,
        "server configuration changed in a migration",
        resumable=True,
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed in context.statements:
            found = _setting(parsed.node)
            if found is None:
                continue
            command, setstmt = found
            if setstmt is None:
                continue
            name = str(setstmt.name or "ALL")
            if name == "shared_preload_libraries" and command == "ALTER SYSTEM":
                wrong = list(self._preload(parsed, setstmt))
                if wrong:  # the wrong name is the news; the general note would repeat it
                    yield from wrong
                    continue
            restart = (
                " and takes effect only after a server restart" if name in RESTART_SETTINGS else ""
            )
            scope = (
                "every database of the cluster (written to postgresql.auto.conf; needs "
                "superuser or the ALTER SYSTEM privilege, which managed services do not grant)"
                if command == "ALTER SYSTEM"
                else "every new session of that " + command.split()[1].lower()
            )
            yield self.finding(
                f"{command} {name} in a migration changes server configuration for "
                f"{scope}{restart}",
                parsed.origin,
                objects=[name],
                fix="set it in the server's configuration (postgresql.conf, or the managed "
                "service's parameter group) and document it in the deployment notes",
            )

    def _preload(self, parsed: ParsedStatement, setstmt: ast.VariableSetStmt) -> Iterator[Finding]:
        constants = string_constants(parsed.statement)
        for arg in setstmt.args or ():
            value = str(getattr(getattr(arg, "val", None), "sval", "") or "")
            place = next(((start, end) for text, start, end in constants if text == value), None)
            origin = parsed.statement.span(*place) if place else parsed.origin
            problems: list[str] = []
            certain = "," in value
            if certain:
                problems.append(
                    f"'{value}' is ONE library name: a quoted string is a single list element, "
                    "commas included"
                )
            for library in (part.strip() for part in value.split(",")):
                if library == "pgvector":
                    certain = True
                    problems.append(
                        "no library is called pgvector: pgvector's library is vector, and it "
                        "needs no preloading (CREATE EXTENSION vector loads it)"
                    )
                elif library and library not in PRELOAD_LIBRARIES:
                    problems.append(
                        f"{library!r} is not a preload library schema-check knows: check that "
                        f"$libdir/{library} exists on every server"
                    )
            if not problems:
                continue
            outcome = (
                "the server fails to start at its next restart (FATAL: could not access file)"
                if certain
                else "if it is not there, the server fails to start at its next restart"
            )
            yield self.finding(
                f"shared_preload_libraries = '{value}': {'; '.join(problems)}: {outcome}",
                origin,
                severity=Severity.ERROR if certain else Severity.WARNING,
                objects=["shared_preload_libraries"],
                fix="list each library as its own quoted name, e.g. "
                "shared_preload_libraries = 'pg_stat_statements' (no entry for pgvector)",
            )
