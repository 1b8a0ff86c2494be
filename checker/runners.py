"""Which runner applies a migration file, and how it groups statements into transactions.

The config's ``runner`` wins; without it, the folder's layout says: a drizzle-kit
folder (``meta/_journal.json``) runs under drizzle's migrator (every pending
migration of the folder in one transaction), a Prisma folder
(``migration_lock.toml``, ``<timestamp>_<name>/migration.sql``) under Prisma
Migrate, a folder of Flyway's ``V1__x.sql`` files under Flyway (each file in a
transaction of its own, but a file of nothing but statements that cannot run in one,
such as ``CREATE INDEX CONCURRENTLY``, and a file whose ``.sql.conf`` says
``executeInTransaction=false``, outside any), a folder of Atlas's (its ``atlas.sum``
beside ``<version>_<name>.sql`` files) under ``atlas migrate apply`` (each file in a
transaction of its own, its default ``--tx-mode file``; a file whose header says
``-- atlas:txmode none``, outside any), and a folder whose project names its
tool (the nearest ``Cargo.toml`` depends on sqlx or Diesel: a transaction per file;
the nearest ``go.mod`` on golang-migrate, which sends each file as one query, as
``per-file`` does; ``supabase/migrations`` beside the Supabase CLI's
``supabase/config.toml``: a transaction per file, as ``supabase db push`` sends each
file as one pipelined batch) under that tool. Prisma sends each ``migration.sql``
as one simple query: a file holding one statement runs it alone, outside any
transaction block; a file holding
several runs them as one implicit transaction, committed before the next file.
``per-file`` follows that same rule (the runner sends each file as one simple
query); ``autocommit`` runs every statement on its own. A plain SQL folder with
no runner configured is read under the worst case, one transaction for every
pending migration (drizzle's semantics), and messages say
that it was assumed. A file that says it runs outside a transaction (goose's
``-- +goose NO TRANSACTION``, sql-migrate's, dbmate's and sqlx's equivalents) runs every
statement on its own, whatever the configuration says; without such a line, a file
with up/down section markers (goose, sql-migrate, dbmate) runs in a transaction of
its own (``transaction-per-file``) unless the config names a runner.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.config import Runner, Settings
from checker.model import Layout, MigrationFile

WORST_CASE = Runner.DRIZZLE  # one transaction for every pending migration
_BY_LAYOUT = {
    Layout.DRIZZLE: Runner.DRIZZLE,
    Layout.PRISMA: Runner.PRISMA,
    Layout.FLYWAY: Runner.TRANSACTION_PER_FILE,
    Layout.ATLAS: Runner.TRANSACTION_PER_FILE,
    Layout.SQLX: Runner.TRANSACTION_PER_FILE,
    Layout.DIESEL: Runner.TRANSACTION_PER_FILE,
    Layout.GOLANG_MIGRATE: Runner.PER_FILE,
    Layout.SUPABASE: Runner.TRANSACTION_PER_FILE,
}
# how messages name the tool a layout says applies the files, and how it was told
TOOLS = {
    Layout.FLYWAY: "Flyway",
    Layout.ATLAS: "Atlas (atlas.sum in the folder)",
    Layout.SQLX: "sqlx (a dependency in the project's Cargo.toml)",
    Layout.DIESEL: "Diesel (a dependency in the project's Cargo.toml)",
    Layout.GOLANG_MIGRATE: "golang-migrate (a dependency in the project's go.mod)",
    Layout.SUPABASE: "the Supabase CLI (supabase/config.toml beside the folder)",
}


@dataclass(frozen=True, slots=True)
class RunnerInUse:
    """The runner of one migration file and where that knowledge came from."""

    runner: Runner
    assumed: bool  # neither the config nor the layout said: the worst case is used
    # the folder layout that named the runner (None: the config or the file did)
    layout: Layout | None = None

    @property
    def one_transaction_per_folder(self) -> bool:
        return self.runner is Runner.DRIZZLE

    @property
    def file_is_one_query(self) -> bool:
        """Each file is sent as one simple query (one statement alone, several in one)."""
        return self.runner in (Runner.PRISMA, Runner.PER_FILE)


def runner_of(migration: MigrationFile, configured: Runner | None) -> RunnerInUse:
    """The runner that applies ``migration``: the file's own word (goose's ``NO
    TRANSACTION``: each statement on its own), else the configured one, else the layout's."""
    if migration.no_transaction:
        return RunnerInUse(Runner.AUTOCOMMIT, False)
    if configured is not None:
        return RunnerInUse(configured, False)
    if migration.own_transaction:
        return RunnerInUse(Runner.TRANSACTION_PER_FILE, False)
    detected = _BY_LAYOUT.get(migration.layout)
    if detected is not None:
        return RunnerInUse(detected, False, migration.layout)
    return RunnerInUse(WORST_CASE, True)


def runner_for(migration: MigrationFile, settings: Settings) -> RunnerInUse:
    return runner_of(migration, settings.runner)


# The tables migrators keep their own bookkeeping in: they exist on every database the
# migrations run on, though no migration creates them (drizzle-kit, Prisma, Diesel,
# sqlx, golang-migrate / dbmate / Rails, Flyway, Atlas, Knex, goose, EF Core, SeaORM, MikroORM).
MIGRATOR_TABLES = frozenset(
    {
        "__drizzle_migrations",
        "_prisma_migrations",
        "__diesel_schema_migrations",
        "_sqlx_migrations",
        "schema_migrations",
        "flyway_schema_history",
        "atlas_schema_revisions",
        "knex_migrations",
        "knex_migrations_lock",
        "goose_db_version",
        "__EFMigrationsHistory",
        "seaql_migrations",
        "mikro_orm_migrations",
    }
)
