"""DR6xx: ORM drift (the ORM schema, drizzle-kit's snapshot and the migrations disagree)."""
