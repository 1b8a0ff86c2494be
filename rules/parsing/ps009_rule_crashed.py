"""PS009: a rule failed with an internal error; the run went on without it."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register


@register
class RuleCrashedRule(Rule):
    """A rule raised an exception instead of finishing.

    What it does:
        The engine runs every rule guarded. When one raises (a bug in a
        built-in rule, or in a third-party rule pack loaded from the
        ``schema_check.rules`` entry points), its findings so far are
        dropped, this finding names the rule and the exception, and every
        other rule still runs. With ``SCHEMA_CHECK_DEBUG=1`` in the
        environment the finding's details carry the traceback. The exit code
        is 4: the tool failed, whatever the schema.

    Why it matters:
        One broken rule must not hide every other finding of the run, nor
        pass a gate by crashing: the report still has everything else, and
        the exit code tells CI that this run's verdict is incomplete.

    Example:
        -- any input: the finding comes from a rule's own failure, not from the SQL

    Use instead:
        -- report the finding's message (and, with SCHEMA_CHECK_DEBUG=1, its traceback)
        -- to the rule's authors; `--ignore CODE` skips the broken rule meanwhile

    References:
        https://docs.python.org/3/library/traceback.html
    """

    meta = RuleMeta("PS009", "rule-crashed", Severity.ERROR, "a rule failed with an internal error")
    doc_example_is_sql = False  # no SQL makes a correct rule crash; tests register a raising one

    def check(self, context: RuleContext) -> Iterator[Finding]:
        # The engine itself reports crashed rules (it is what caught them).
        return iter(())
