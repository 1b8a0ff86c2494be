"""PS001: a statement PostgreSQL's parser rejects."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
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

    meta = RuleMeta("PS001", "parse-error", Severity.ERROR, "statement does not parse")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for parsed in context.statements:
            error = parsed.error
            if error is None:
                continue
            fix = None
            token = (error.token or "").strip('"')
            if token and token.lower() in RESERVED_WORDS:
                fix = RESERVED_HINT.format(word=token.lower())
            message = error.message
            if not message.startswith("syntax error"):
                message = f"does not parse: {message}"
            yield self.finding(message, error.origin, fix=fix)
