"""Extensions the migrations create that the server cannot install.

Checked before anything is applied: a server without pgvector would otherwise
answer every statement that uses ``vector`` with its own failure (LV501) and
every table it never built with a catalog difference (LV502). One LV508
finding per missing extension names it and the server, and the verifier
skips the rest of the live run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from checker.findings import Finding, Location, Severity
from checker.model import Statement

if TYPE_CHECKING:
    import psycopg

CODE_EXTENSION_UNAVAILABLE = "LV508"
# what the control file's comment of schema-check's stand-in extensions starts with
STANDIN_COMMENT = "schema-check stand-in"


def created_extensions(statements: Sequence[Statement]) -> dict[str, Statement]:
    """Each extension a top-level CREATE EXTENSION names, with the first statement naming it."""
    from pglast import ast, parser

    found: dict[str, Statement] = {}
    for statement in statements:
        if "extension" not in statement.text.lower():
            continue  # cheap: most statements never mention one
        try:
            parsed = parser.parse_sql(statement.text)
        except parser.ParseError:
            continue  # reported by the static checks
        for raw in parsed or ():
            node = raw.stmt
            if isinstance(node, ast.CreateExtensionStmt) and node.extname:
                found.setdefault(str(node.extname), statement)
    return found


def missing_extensions(
    connection: psycopg.Connection[Any],
    statements: Sequence[Statement],
    *,
    server: str,
    where: str,
    embedded: bool = False,
) -> list[Finding]:
    """LV508 for every extension the statements create that the server does not offer.

    On the ``embedded`` server, schema-check's own, a missing extension says nothing about
    the user's servers: its build lacks some of PostgreSQL's own (pgcrypto, uuid-ossp,
    which need OpenSSL or libuuid). The finding is then a warning that the live run could
    not go on there, not an error of the migrations."""
    wanted = created_extensions(statements)
    if not wanted:
        return []
    offered = {
        str(name): str(comment or "")
        for name, comment in connection.execute(
            "SELECT name, comment FROM pg_available_extensions WHERE name = ANY(%s)",
            (sorted(wanted),),
        )
    }
    available = set(offered)
    findings: list[Finding] = []
    for name, statement in sorted(wanted.items()):
        comment = offered.get(name, "")
        if embedded and comment.startswith(STANDIN_COMMENT):
            findings.append(_standin_note(name, statement, comment, server))
    stopped = (
        "the live verification stopped here: no statement was applied, so nothing else "
        "was compared or probed"
    )
    for name, statement in sorted(wanted.items()):
        if name in available:
            continue
        if embedded:
            findings.append(
                Finding(
                    code=CODE_EXTENSION_UNAVAILABLE,
                    severity=Severity.WARNING,
                    message=(
                        f"extension {name} is not in the embedded {server} that schema-check "
                        "runs, so the live verification cannot apply these migrations there; "
                        "this says nothing about the servers they are deployed to"
                    ),
                    locations=(Location.of(statement.origin),),
                    objects=(name,),
                    details=(
                        f"the embedded server's pg_available_extensions has no {name} (its "
                        "build leaves out some of PostgreSQL's own extensions, such as "
                        "pgcrypto and uuid-ossp): verify on a server that has it, with "
                        "--backend docker (an image with it) or --backend dsn",
                        stopped,
                    ),
                )
            )
            continue
        findings.append(
            Finding(
                code=CODE_EXTENSION_UNAVAILABLE,
                severity=Severity.ERROR,
                message=(
                    f"extension {name} is not available on {server} at {where}: "
                    "the migrations cannot be applied there"
                ),
                locations=(Location.of(statement.origin),),
                objects=(name,),
                details=(
                    "pg_available_extensions has no such extension: install it on the "
                    "server (for pgvector, a server built with it such as the "
                    "pgvector/pgvector image), or use --backend embedded",
                    stopped,
                ),
            )
        )
    return findings


def _standin_note(name: str, statement: Statement, comment: str, server: str) -> Finding:
    """LV508 (info): the embedded server's stand-in took the place of extension ``name``."""
    differs = comment.split(": ", 1)[1] if ": " in comment else ""
    return Finding(
        code=CODE_EXTENSION_UNAVAILABLE,
        severity=Severity.INFO,
        message=(
            f"extension {name} is not in the embedded {server}: schema-check's stand-in was "
            "created in its place (the same functions, argument and result types and "
            "volatility, written in SQL), so statements that use it were verified against "
            "the stand-in"
        ),
        locations=(Location.of(statement.origin),),
        objects=(name,),
        details=tuple(
            part
            for part in (
                f"what the stand-in computes differently: {differs}" if differs else "",
                "to verify with the real extension: --backend docker (an image with it) or "
                "--backend dsn",
            )
            if part
        ),
    )


def standin_notes(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """``missing_extensions``' findings split into the stand-in notes (the run goes on) and
    the extensions missing for good (the run stops)."""
    notes = [f for f in findings if f.severity is Severity.INFO]
    return notes, [f for f in findings if f.severity is not Severity.INFO]
