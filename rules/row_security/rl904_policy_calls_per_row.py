"""RL904: a policy calls auth.uid() (or another per-request function) for every row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.catalog import display_name
from checker.findings import Edit, Finding, Fix, Severity
from checker.names import quote_identifier
from checker.rule import Rule, RuleContext, RuleMeta, register
from checker.spelling import closing_parenthesis
from checker.syntax import ParseError, ast, parse_sql
from rules.row_security._common import platform_title

# functions whose value is the same for every row of a request: the platform's claims
# readers, and the setting they read
_PER_REQUEST = frozenset(
    {
        ("auth", "uid"),
        ("auth", "jwt"),
        ("auth", "role"),
        ("auth", "email"),
        ("", "current_setting"),
        ("pg_catalog", "current_setting"),
    }
)


@register
class PolicyCallsPerRowRule(Rule):
    """A policy calls ``auth.uid()`` (or ``auth.jwt()``, ``current_setting()``) outside a
    sub-select, so PostgreSQL calls it again for every row.

    What it does:
        In a Supabase project, reports each policy whose USING or WITH CHECK
        expression calls ``auth.uid()``, ``auth.jwt()``, ``auth.role()``,
        ``auth.email()`` or ``current_setting()`` directly, at the statement
        that last wrote the expression. The fix wraps each call in a
        sub-select: ``(select auth.uid())``.

    Why it matters:
        These functions return the same value for every row of a request, but
        PostgreSQL does not know it: a direct call in a policy runs once per
        row the query reads (each call parses the request's JWT claims). As a
        sub-select, it becomes an InitPlan the planner runs once per
        statement; on tables of many rows the platform measures queries that
        run orders of magnitude faster.

    Example:
        CREATE TABLE todo (id bigint PRIMARY KEY, owner uuid NOT NULL);
        ALTER TABLE todo ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own todos" ON todo USING (owner = auth.uid());

    Use instead:
        CREATE TABLE todo (id bigint PRIMARY KEY, owner uuid NOT NULL);
        ALTER TABLE todo ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own todos" ON todo USING (owner = (SELECT auth.uid()));

    References:
        https://supabase.com/docs/guides/database/postgres/row-level-security#call-functions-with-select
        https://www.postgresql.org/docs/current/using-explain.html
    """

    doc_contract = 'platform = "supabase"\n'  # the examples are a Supabase project's
    meta = RuleMeta(
        "RL904",
        "policy-calls-function-per-row",
        Severity.WARNING,
        "a policy calls auth.uid() or current_setting() for every row",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if platform_title(context) is None:
            return
        for key in sorted(context.catalog.policies):
            policy = context.catalog.policies[key]
            where = policy.expressions_at if policy.expressions_at.file else policy.origin
            text = context.sources.files.get(where.file)
            if text is None:
                continue
            calls = _direct_calls(text.text[where.start : where.end])
            if not calls:
                continue
            named = sorted({name for name, _, _ in calls})
            edits = tuple(
                Edit(where.file, where.start + start, where.start + end, f"(select {call})")
                for _, start, end in calls
                for call in [text.text[where.start + start : where.start + end]]
            )
            first = calls[0]
            yield self.finding(
                f"policy {quote_identifier(policy.name)} on {display_name(policy.table)} calls "
                f"{', '.join(named)} for every row it checks: as a sub-select, "
                "(select ...), PostgreSQL calls it once per statement",
                where.narrowed(where.start + first[1], where.start + first[2]),
                objects=[f"{display_name(policy.table)}.{policy.name}"],
                fix=Fix("wrap each call in a sub-select", edits=edits),
            )


def _direct_calls(statement: str) -> list[tuple[str, int, int]]:
    """The per-request calls of a CREATE or ALTER POLICY's expressions outside any
    sub-select: each one's name and its span in ``statement``."""
    try:
        parsed = parse_sql(statement)
    except ParseError:
        return []
    found: list[tuple[str, int, int]] = []
    for raw in parsed or ():
        node = raw.stmt
        if not isinstance(node, ast.CreatePolicyStmt | ast.AlterPolicyStmt):
            continue
        for expression in (node.qual, node.with_check):
            for call in _calls_outside_subselects(expression):
                parts = tuple(str(part.sval) for part in call.funcname or ())
                name = parts if len(parts) == 2 else ("", parts[-1]) if parts else ("", "")
                if name not in _PER_REQUEST or call.location is None:
                    continue
                end = _call_end(statement, call.location)
                if end is not None:
                    found.append((f"{'.'.join(p for p in name if p)}()", call.location, end))
    return sorted(found, key=lambda item: item[1])


def _calls_outside_subselects(root: Any) -> Iterator[ast.FuncCall]:
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, ast.SubLink):
            continue  # already once per statement (an InitPlan)
        if isinstance(value, ast.Node):
            if isinstance(value, ast.FuncCall):
                yield value
            stack.extend(getattr(value, attribute) for attribute in value)
        elif isinstance(value, tuple | list):
            stack.extend(value)


def _call_end(text: str, start: int) -> int | None:
    """The offset just past the call written at ``start``: its closing parenthesis."""
    opened = text.find("(", start)
    close = closing_parenthesis(text, opened) if opened >= 0 else None
    return None if close is None else close + 1
