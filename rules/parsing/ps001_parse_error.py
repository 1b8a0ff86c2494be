"""PS001: a statement PostgreSQL's parser rejects."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.model import Origin
from checker.names import RESERVED_WORDS
from checker.rule import Rule, RuleContext, RuleMeta, register

# Words PostgreSQL reserves: unquoted, they end an identifier position with a syntax error.
RESERVED_HINT = (
    '{word!r} is a reserved word in PostgreSQL: quote it ("{word}") wherever it names '
    "a table or column, or rename it"
)


@register
class ParseErrorRule(Rule):
    """A statement does not parse.

    What it does:
        Reports every statement that PostgreSQL's own parser (through pglast)
        rejects, at the exact line and column the parser points at, with the
        parser's message. The run goes on with the other statements.

    Why it matters:
        A migration that does not parse fails at deploy time, and everything
        after it in the same transaction is rolled back. Statements that do
        not parse are also invisible to every other rule.

    Example:
        CREATE TABLE user (id text PRIMARY KEY);

    Use instead:
        CREATE TABLE "user" (id text PRIMARY KEY);

    References:
        https://www.postgresql.org/docs/current/sql-syntax-lexical.html
        https://www.postgresql.org/docs/current/sql-keywords-appendix.html
    """

    meta = RuleMeta(
        "PS001", "parse-error", Severity.ERROR, "statement does not parse", resumable=True
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed in context.statements:
            error = parsed.error
            if error is None:
                continue
            fix = None
            token = (error.token or "").strip('"')
            if token and token.lower() in RESERVED_WORDS:
                fix = RESERVED_HINT.format(word=token.lower())
            variable = _psql_variable(context, error.origin)
            if variable is not None:
                fix = PSQL_VARIABLE_HINT.format(variable=variable)
            placeholder = _template_placeholder(context, error.origin)
            if placeholder is not None:
                fix = TEMPLATE_HINT.format(placeholder=placeholder)
            message = error.message
            if not message.startswith("syntax error"):
                message = f"does not parse: {message}"
            yield self.finding(message, error.origin, fix=fix)


# psql's variable interpolation: :name, :'name' (a literal), :"name" (an identifier)
_PSQL_VARIABLE = re.compile(r":(?:'\w+'|\"\w+\"|[A-Za-z_]\w*)")
PSQL_VARIABLE_HINT = (
    "{variable} is a psql variable (`psql -v`), so this file is a template that its "
    "runner fills in, not SQL: check the SQL it expands to"
)


# a template's placeholder: Go, Jinja, Mustache ({{ x }}, {% x %}) and Flyway (${x})
_TEMPLATE_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{[^}\n]*\}")
TEMPLATE_HINT = (
    "{placeholder} is a template placeholder that the migration tool fills in, so this "
    "file is not SQL until it is rendered: check the rendered SQL (docs/migration-layouts.md)"
)


def _template_placeholder(context: RuleContext, origin: Origin) -> str | None:
    """The template placeholder the parser stopped at (at ``{`` or ``$``), if any."""
    source = context.sources.files.get(origin.file)
    if source is None:
        return None
    start = origin.start
    if source.text.startswith("{", start) and source.text.startswith("{{", start - 1):
        start -= 1  # the parser stops at the second brace of {{ after an identifier
    match = _TEMPLATE_PLACEHOLDER.match(source.text, start)
    return match.group(0) if match else None


def _psql_variable(context: RuleContext, origin: Origin) -> str | None:
    """The psql variable the parser stopped at, if that is what it stopped at."""
    source = context.sources.files.get(origin.file)
    if source is None:
        return None
    match = _PSQL_VARIABLE.match(source.text, origin.start)
    return match.group(0) if match else None
