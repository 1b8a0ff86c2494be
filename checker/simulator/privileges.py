"""GRANT and REVOKE of tables' data privileges and of functions' EXECUTE, and ALTER
DEFAULT PRIVILEGES for both.

The model keeps only what a revoke takes away from the privileges an object's owner or
its platform granted by default (``Table.revoked``, ``Function.revoked_execute``):
whether a role can still read or write a table's rows, or call a function. Column grants
count as the privilege granted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast.enums import GrantTargetType, ObjectType

from checker.simulator.objects import function_matches
from checker.simulator.state import State
from checker.types import PgNode

DATA_PRIVILEGES = ("select", "insert", "update", "delete")


_ROUTINES = (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE)


def grant(state: State, node: PgNode) -> None:
    """GRANT / REVOKE ... ON [TABLE] t | ON ALL TABLES IN SCHEMA s ... TO / FROM roles, and
    EXECUTE on functions likewise."""
    if node.objtype in _ROUTINES:
        _grant_execute(state, node)
        return
    if node.objtype != ObjectType.OBJECT_TABLE:
        return
    pairs = _pairs(node)
    if not pairs:
        return
    if node.targtype == GrantTargetType.ACL_TARGET_ALL_IN_SCHEMA:
        schemas = {str(getattr(s, "sval", s)) for s in node.objects or ()}
        keys = [key for key in state.tables if key[0] in schemas]
    elif node.targtype == GrantTargetType.ACL_TARGET_OBJECT:
        keys = [state.relation_key(target) for target in node.objects or ()]
    else:
        return
    for key in keys:
        table = state.tables.get(key)
        if table is None:
            continue  # a view, a sequence or a missing table: the statement's own error
        revoked = table.revoked - pairs if node.is_grant else table.revoked | pairs
        if revoked != table.revoked:
            # no event: privileges are no schema change the rules weigh
            state.put_table(replace(table, revoked=frozenset(revoked)))


def default_privileges(state: State, node: PgNode) -> None:
    """ALTER DEFAULT PRIVILEGES [IN SCHEMA s] GRANT / REVOKE ... ON TABLES: for the tables
    the migrations' role makes later (FOR ROLE of another role changes nothing here)."""
    action = node.action
    if action is None or action.objtype not in (ObjectType.OBJECT_TABLE, *_ROUTINES):
        return
    options = {str(o.defname): o.arg for o in node.options or ()}
    if "roles" in options:
        return  # another role's future objects
    schemas = [str(getattr(s, "sval", s)) for s in options.get("schemas") or ()]
    if action.objtype in _ROUTINES:
        if _names_execute(action):
            roles = frozenset(_roles(action.grantees))
            for schema in schemas or list(state.schemas):
                now = state.default_revoked_execute.get(schema, frozenset())
                state.default_revoked_execute[schema] = (
                    now - roles if action.is_grant else now | roles
                )
        return
    pairs = _pairs(action)
    for schema in schemas or list(state.schemas):
        current = state.default_revoked.get(schema, frozenset())
        changed = current - pairs if action.is_grant else current | pairs
        state.default_revoked[schema] = frozenset(changed)


def _grant_execute(state: State, node: PgNode) -> None:
    """GRANT / REVOKE EXECUTE (or ALL) ON FUNCTION f(...) | ON ALL FUNCTIONS IN SCHEMA s."""
    if not _names_execute(node):
        return
    if node.targtype == GrantTargetType.ACL_TARGET_ALL_IN_SCHEMA:
        schemas = {str(getattr(s, "sval", s)) for s in node.objects or ()}
        keys = [key for key in state.functions if key[0] in schemas]
    elif node.targtype == GrantTargetType.ACL_TARGET_OBJECT:
        keys = [key for target in node.objects or () for key in function_matches(state, target)]
    else:
        return
    roles = frozenset(_roles(node.grantees))
    for key in keys:
        function = state.functions[key]
        revoked = (
            function.revoked_execute - roles if node.is_grant else function.revoked_execute | roles
        )
        state.functions[key] = replace(function, revoked_execute=frozenset(revoked))


def _names_execute(node: PgNode) -> bool:
    """Whether a GRANT or REVOKE on routines names EXECUTE (ALL does)."""
    return not node.privileges or any(str(p.priv_name) == "execute" for p in node.privileges)


def _pairs(node: PgNode) -> frozenset[tuple[str, str]]:
    """The (role, data privilege) pairs a GRANT or REVOKE names."""
    privileges: tuple[str, ...] = DATA_PRIVILEGES
    if node.privileges:
        privileges = tuple(
            name for p in node.privileges if (name := str(p.priv_name)) in DATA_PRIVILEGES
        )
    return frozenset(
        (role, privilege) for role in _roles(node.grantees) for privilege in privileges
    )


def _roles(grantees: Any) -> list[str]:
    names = []
    for role in grantees or ():
        if role.rolename is not None:
            names.append(str(role.rolename))
        else:
            names.append(str(role.roletype.name).removeprefix("ROLESPEC_").lower())
    return names
