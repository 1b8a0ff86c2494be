"""LV508: the live server does not offer an extension the migrations create."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class ExtensionUnavailableRule(Rule):
    """The live server cannot install an extension the migrations create.

    What it does:
        Before applying anything, reads ``pg_available_extensions`` on the
        live server and reports each extension a ``CREATE EXTENSION`` of the
        migrations names that the server does not offer, with the server's
        version and its address (password masked). The live run then stops:
        nothing is applied, compared or probed. On the embedded server
        (schema-check's own, whose build leaves out some of PostgreSQL's own
        extensions) it is a warning: the live run could not go on there,
        which says nothing about the servers the migrations are deployed to;
        ``--backend docker`` or ``dsn`` can. As nothing was verified live, that
        run exits 3 (live backend unavailable). For the two such extensions
        histories use most, pgcrypto and uuid-ossp, the embedded server offers
        schema-check's stand-ins instead (PostgreSQL 18's
        ``extension_control_path``): the same functions, argument and result
        types and volatility, written in SQL. What PostgreSQL computes itself
        is exact (md5 and SHA-2 digests and HMACs, random bytes, version 3
        and 4 UUIDs); crypt(), sha1, the ciphers and PGP functions, and
        version 1 and 5 UUIDs keep their contracts (a stored hash checks, what
        is encrypted decrypts) but not their values. The run goes on, and an
        LV508 info at the CREATE EXTENSION says the stand-in took its place.

    Why it matters:
        A server without pgvector answers every statement that uses
        ``vector`` with an error and every table it could not build with a
        catalog difference: hundreds of findings that all say one thing. The
        same server in production would refuse the first migration.

    Example:
        CREATE EXTENSION IF NOT EXISTS schema_check_no_such_extension;

    Use instead:
        CREATE EXTENSION IF NOT EXISTS vector;

    References:
        https://www.postgresql.org/docs/current/view-pg-available-extensions.html
        https://github.com/pgvector/pgvector#installation
    """

    meta = RuleMeta(
        "LV508", "extension-unavailable", Severity.ERROR, "server lacks a needed extension"
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from self.external_findings(context)
