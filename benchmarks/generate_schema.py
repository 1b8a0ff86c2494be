"""Generate a synthetic drizzle-kit migrations folder for benchmarks.

A schema of N tables spread over M migrations: each table is created with a
few columns, later migrations add columns, foreign keys (drizzle's
``ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`` form, some of them wrapped in
the ``DO $$ BEGIN ... EXCEPTION WHEN duplicate_object`` block older drizzle-kit
versions write), indexes and enum types, with every ON DELETE action. The
output is deterministic for the same arguments (a seeded generator).

    python benchmarks/generate_schema.py OUT --tables 400 --migrations 150 \\
        --fk-density 1.5 --indexes 2

prints the number of statements written. ``scaled(out, factor)`` is what the
benchmark uses: factor 1 is about 2,500 statements, 8 is about 20,000.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

BREAKPOINT = "\n--> statement-breakpoint\n"
ACTIONS = ["cascade", "set null", "restrict", "no action", "set default"]
TYPES = ["text", "integer", "boolean", "timestamp", "jsonb", "varchar(255)", "bigint", "uuid"]


@dataclass(frozen=True)
class Shape:
    tables: int
    migrations: int
    fk_density: float  # foreign keys per table, on average
    indexes: int  # indexes per table
    extra_columns: int = 2  # ALTER TABLE ADD COLUMN per table
    enums: int = 0  # enum types (default: one per 20 tables)
    seed: int = 8


def scaled(out: Path, factor: int) -> tuple[Path, int]:
    """The benchmark's schema at ``factor`` × the base size (about 2,500 statements)."""
    shape = Shape(tables=275 * factor, migrations=65 * factor, fk_density=1.5, indexes=2)
    return out, generate(out, shape)


def generate(out: Path, shape: Shape) -> int:
    """Write the folder; returns the number of statements."""
    rng = random.Random(shape.seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "meta").mkdir(parents=True)
    enum_count = shape.enums or max(1, shape.tables // 20)
    per_migration: list[list[str]] = [[] for _ in range(shape.migrations)]

    def place(first: int, statement: str) -> int:
        """Put a statement in a migration at or after ``first``; returns where."""
        where = rng.randint(first, min(shape.migrations - 1, first + 3))
        per_migration[where].append(statement)
        return where

    enums = [f"status_{i}" for i in range(enum_count)]
    for name in enums:
        labels = ", ".join(f"'{label}'" for label in ("active", "paused", "archived"))
        per_migration[0].append(f'CREATE TYPE "public"."{name}" AS ENUM({labels});')
    created_in: list[int] = []
    for t in range(shape.tables):
        first = (t * shape.migrations) // max(1, shape.tables)
        columns = ['\t"id" text PRIMARY KEY NOT NULL']
        for c in range(rng.randint(3, 8)):
            columns.append(f'\t"col_{c}" {rng.choice(TYPES)}{rng.choice(["", " NOT NULL"])}')
        columns.append(f'\t"state" "{rng.choice(enums)}" DEFAULT \'active\' NOT NULL')
        columns.append('\t"created_at" timestamp DEFAULT now() NOT NULL')
        body = ",\n".join(columns)
        created_in.append(place(first, f'CREATE TABLE "t_{t}" (\n{body}\n);'))
    for t in range(shape.tables):
        after = created_in[t]
        for e in range(shape.extra_columns):
            place(after, f'ALTER TABLE "t_{t}" ADD COLUMN "extra_{e}" {rng.choice(TYPES)};')
        fks = int(shape.fk_density) + (1 if rng.random() < shape.fk_density % 1 else 0)
        for f in range(fks if t else 0):
            parent = rng.randrange(0, t)
            action = rng.choice(ACTIONS)
            column = f"ref_{f}"
            nullable = action in ("set null", "set default") or rng.random() < 0.5
            where = place(max(after, created_in[parent]), (
                f'ALTER TABLE "t_{t}" ADD COLUMN "{column}" text'
                f"{'' if nullable else ' NOT NULL'};"
            ))  # fmt: skip
            name = f"t_{t}_{column}_t_{parent}_id_fk"
            constraint = (
                f'ALTER TABLE "t_{t}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}") '
                f'REFERENCES "public"."t_{parent}"("id") ON DELETE {action} ON UPDATE no action;'
            )
            if rng.random() < 0.3:
                constraint = (
                    f"DO $$ BEGIN\n {constraint}\nEXCEPTION\n WHEN duplicate_object THEN null;\n"
                    "END $$;"
                )
            place(where, constraint)
            if rng.random() < 0.6:
                index = f'"t_{t}_{column}_idx" ON "t_{t}" USING btree ("{column}")'
                place(where, f"CREATE INDEX {index};")
        for i in range(shape.indexes):
            unique = "UNIQUE " if rng.random() < 0.2 else ""
            keys = ", ".join(f'"col_{k}"' for k in range(rng.randint(1, 2)))
            place(after, f'CREATE {unique}INDEX "t_{t}_idx_{i}" ON "t_{t}" USING btree ({keys});')
    entries = []
    total = 0
    for position, statements in enumerate(per_migration):
        tag = f"{position:04d}_synthetic_{position}"
        text = BREAKPOINT.join(statements) + "\n" if statements else "SELECT 1;\n"
        total += max(1, len(statements))
        (out / f"{tag}.sql").write_text(text, encoding="utf-8")
        entries.append(
            {"idx": position, "version": "7", "when": 1700000000000 + position * 1000,
             "tag": tag, "breakpoints": True}
        )  # fmt: skip
    journal = {"version": "7", "dialect": "postgresql", "entries": entries}
    (out / "meta" / "_journal.json").write_text(json.dumps(journal, indent=2), encoding="utf-8")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write (replaced)")
    parser.add_argument("--tables", type=int, default=250)
    parser.add_argument("--migrations", type=int, default=60)
    parser.add_argument("--fk-density", type=float, default=1.5)
    parser.add_argument("--indexes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    shape = Shape(args.tables, args.migrations, args.fk_density, args.indexes, seed=args.seed)
    print(generate(args.out, shape))


if __name__ == "__main__":
    main()
