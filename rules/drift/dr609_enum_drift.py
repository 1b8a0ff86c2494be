"""DR609: an enum type is missing on one side, or its labels or their order differ."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import EnumType
from checker.catalog_diff import Aspect, Form
from checker.drift import Drift
from checker.findings import Finding, Severity
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.drift._drift import drift_finding, drift_of


@register
class EnumDriftRule(Rule):
    """An enum type exists on one side only, or its labels or their order differ.

    What it does:
        Compares the enum types of the migrations with those of drizzle-kit's
        last snapshot and the ORM schema's export: presence, labels, and the
        labels' order (which decides how values sort and compare).

    Why it matters:
        A label the ORM offers but the database lacks fails every write of it
        with 22P02 (error), as does an enum the ORM declares and no migration
        creates. Labels only in the SQL, or in another order, make sorting
        and ``<`` comparisons differ from what the schema suggests (warning).

    Example:
        ``ALTER TYPE status ADD VALUE 'archived';`` missing from the migrations
        while ``schema.ts`` says ``pgEnum('status', ['active', 'archived'])``.

    Use instead:
        Change the enum in the schema and let ``drizzle-kit generate`` write the
        ``ALTER TYPE ... ADD VALUE``.

    References:
        https://orm.drizzle.team/docs/column-types/pg#enum
        https://www.postgresql.org/docs/current/datatype-enum.html
    """

    meta = RuleMeta("DR609", "enum-drift", Severity.WARNING, "an enum's labels differ")
    doc_example_is_sql = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for drift in drift_of(context, Aspect.ENUM):
            severity = Severity.ERROR if _writes_fail(drift) else Severity.WARNING
            yield drift_finding(self, drift, severity)


def _writes_fail(drift: Drift) -> bool:
    """The ORM offers a label (or a whole enum) the database does not have."""
    difference = drift.difference
    if difference.form is Form.RIGHT_ONLY:
        return isinstance(difference.right, EnumType)
    if difference.form is Form.DIFFERS:
        migrations = _labels_of(difference.left)
        orm = _labels_of(difference.right)
        return bool(set(orm) - set(migrations))
    return False


def _labels_of(rendered: object) -> list[str]:
    """Labels from the diff's rendering ``('a', 'b')``."""
    import ast

    text = str(rendered)
    try:
        value = ast.literal_eval(text if text != "()" else "()")
    except (ValueError, SyntaxError):
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, tuple) else []
