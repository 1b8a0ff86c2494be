"""NC106: the contract's naming convention (prefix, case, index and constraint suffixes)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.catalog import Constraint, ConstraintKind, Index
from checker.config import Naming
from checker.findings import Finding, Severity
from checker.model import Layer, Origin
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.naming._common import DefinedObject, final_objects, identifier_index, written_name

_SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
_UPPER = re.compile(r"[A-Z]")  # names with capitals are NC107's
_TYPE_KINDS = frozenset({"enum", "domain", "composite type"})
_PREFIXED_KINDS = (
    frozenset({"table", "index", "sequence", "view", "function", "procedure"}) | _TYPE_KINDS
)
_TRUNCATED = 63  # a name of exactly 63 bytes was most likely cut (NC104's); its suffix is gone


@register
class NamingConventionRule(Rule):
    """An extension object does not follow the contract's naming convention.

    What it does:
        Checks the objects the extension (and its proposal) defines, never
        the base's, against ``[contract]`` ``prefix`` and ``[contract.naming]``:
        tables, types, indexes, sequences, views, functions and explicitly
        named constraints must start with the prefix; a type without it is
        called out as a collision risk; names must be snake_case or lower
        case; indexes, unique indexes, foreign keys, primary keys and checks
        must end with the configured suffixes.

    Why it matters:
        Types, tables, indexes and functions share one namespace per schema
        with the base application. A generic name such as ``event_type`` or
        ``session_status`` is free today, but the day the base ships its own
        migration creating it, that migration fails on every database that
        has the extension. The prefix keeps the two apart; suffixes make the
        kind of an object readable from its name.

    Example:
        CREATE TYPE session_status AS ENUM ('active', 'closed');

    Use instead:
        CREATE TYPE parlant_session_status AS ENUM ('active', 'closed');

    References:
        https://www.postgresql.org/docs/current/ddl-schemas.html
    """

    meta = RuleMeta(
        "NC106", "naming-convention", Severity.WARNING, "name breaks the contract's convention"
    )
    doc_contract = 'prefix = "parlant_"'

    def check(self, context: RuleContext) -> Iterator[Finding]:
        contract = context.settings.contract
        naming = contract.naming
        index = identifier_index(context)
        for obj in final_objects(context):
            place = None if obj.origin.layer is Layer.BASE else written_name(index, obj)
            if place is None:
                continue  # the base's names, and names PostgreSQL derived, are not checked
            problem = _prefix_problem(obj, contract.prefix)
            if problem is not None:
                yield self._report(
                    obj, place, problem, Severity.WARNING, _with_prefix(obj, contract.prefix)
                )
                continue
            problem = _case_problem(obj, naming.case)
            if problem is not None:
                yield self._report(obj, place, problem, Severity.WARNING, None)
                continue
            suffix = _expected_suffix(obj, naming)
            if suffix and not obj.name.endswith(suffix) and len(obj.name.encode()) < _TRUNCATED:
                problem = f"{obj.kind} {obj.label} does not end with {suffix!r} (contract naming)"
                yield self._report(
                    obj, place, problem, Severity.INFO, _with_suffix(obj.name, suffix)
                )

    def _report(
        self,
        obj: DefinedObject,
        place: Origin,
        problem: str,
        severity: Severity,
        rename: str | None,
    ) -> Finding:
        return self.finding(
            problem,
            place,
            severity=severity,
            objects=[obj.label],
            fix=f"rename it to {rename}" if rename else "rename it to a lower-case snake_case name",
        )


def _prefix_problem(obj: DefinedObject, prefix: str | None) -> str | None:
    if not prefix or obj.name.startswith(prefix):
        return None
    if obj.kind in _TYPE_KINDS:
        return (
            f"{obj.kind} {obj.label} lacks the prefix {prefix!r}: it shares the schema's type "
            "namespace with the base's types and tables, so a future base migration creating "
            f"{obj.name} (a type, or a table and its row type) fails on databases that have it"
        )
    if obj.kind in _PREFIXED_KINDS or (obj.kind.endswith("constraint") and _explicit(obj)):
        return (
            f"{obj.kind} {obj.label} lacks the prefix {prefix!r}: its name is not reserved for "
            "the extension and can collide with the base's future objects"
        )
    return None


def _explicit(obj: DefinedObject) -> bool:
    # Implicit constraint names start with the table name, which the table check covers.
    return obj.owner is None or not obj.name.startswith(obj.owner.rsplit(".", 1)[-1])


def _case_problem(obj: DefinedObject, case: str | None) -> str | None:
    if case is None or _UPPER.search(obj.name):
        return None
    if case == "snake" and not _SNAKE.match(obj.name):
        return f"{obj.kind} {obj.label} is not snake_case: it can only be written quoted"
    return None


def _expected_suffix(obj: DefinedObject, naming: Naming) -> str | None:
    if isinstance(obj.obj, Index):
        return naming.unique_suffix if obj.obj.unique else naming.index_suffix
    if isinstance(obj.obj, Constraint):
        return {
            ConstraintKind.UNIQUE: naming.unique_suffix,
            ConstraintKind.FOREIGN_KEY: naming.foreign_key_suffix,
            ConstraintKind.PRIMARY_KEY: naming.primary_key_suffix,
            ConstraintKind.CHECK: naming.check_suffix,
        }.get(obj.obj.kind)
    return None


def _with_prefix(obj: DefinedObject, prefix: str | None) -> str:
    return f"{prefix}{obj.name}"


def _with_suffix(name: str, suffix: str) -> str:
    for known in ("_idx", "_index", "_unique", "_key", "_fk", "_fkey", "_pkey", "_pk", "_check"):
        if name.endswith(known):
            return name.removesuffix(known) + suffix
    return name + suffix
