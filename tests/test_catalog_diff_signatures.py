"""Function signatures compared between the static model and a server.

The server prints an argument type of a schema that is not on its search path
qualified (``basejump.account_role``); the static model keeps it as the migration wrote
it, unqualified when the statement ran with that schema on its path. Both name the same
function: no difference.
"""

from __future__ import annotations

from checker.catalog import Catalog, Function
from checker.catalog_diff import diff_catalogs


def _catalog(arguments: str) -> Catalog:
    function = Function("basejump", "has_role_on_account", arguments, "boolean", "sql")
    return Catalog(
        schemas=frozenset({"public", "basejump"}),
        functions={(function.schema, function.name, arguments): function},
    )


def test_a_qualified_argument_type_is_the_same_signature() -> None:
    static = _catalog("uuid, account_role")
    live = _catalog("uuid, basejump.account_role")
    assert diff_catalogs(static, live) == []


def test_a_different_argument_type_is_still_a_difference() -> None:
    static = _catalog("uuid, account_role")
    live = _catalog("uuid, basejump.member_role")
    subjects = sorted(d.subject for d in diff_catalogs(static, live))
    assert len(subjects) == 2, subjects
