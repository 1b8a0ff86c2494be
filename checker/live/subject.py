"""What a statement creates or changes, in words: ``creating trigger touch on post``.

A failing statement's LV501 message names its object, so a reader sees which
function, view, trigger or table broke without opening the file.
"""

from __future__ import annotations

# pglast's stubs type every node field Optional, although the parser fills the fields
# read here for the node kinds handled.
# mypy: disable-error-code="union-attr, arg-type, index"
from typing import Any

from pglast import ast
from pglast.enums import ObjectType

_KINDS = {
    ObjectType.OBJECT_TABLE: "table",
    ObjectType.OBJECT_VIEW: "view",
    ObjectType.OBJECT_MATVIEW: "materialized view",
    ObjectType.OBJECT_INDEX: "index",
    ObjectType.OBJECT_SEQUENCE: "sequence",
    ObjectType.OBJECT_FUNCTION: "function",
    ObjectType.OBJECT_PROCEDURE: "procedure",
    ObjectType.OBJECT_ROUTINE: "routine",
    ObjectType.OBJECT_TRIGGER: "trigger",
    ObjectType.OBJECT_TYPE: "type",
    ObjectType.OBJECT_DOMAIN: "domain",
    ObjectType.OBJECT_SCHEMA: "schema",
    ObjectType.OBJECT_EXTENSION: "extension",
    ObjectType.OBJECT_COLUMN: "column",
    ObjectType.OBJECT_TABCONSTRAINT: "constraint",
    ObjectType.OBJECT_FOREIGN_TABLE: "foreign table",
}


def statement_subject(text: str) -> str | None:
    """``creating function f(integer)``, ``altering table t`` ...; None when unknown."""
    from pglast import parser

    try:
        parsed = parser.parse_sql(text)
    except parser.ParseError:
        return None
    if len(parsed) != 1:
        return None
    return _subject(parsed[0].stmt)


def _subject(node: Any) -> str | None:
    if isinstance(node, ast.CreateFunctionStmt):
        kind = "procedure" if node.is_procedure else "function"
        verb = "creating or replacing" if node.replace else "creating"
        arguments = ", ".join(
            _type(p.argType)
            for p in node.parameters or ()
            if str(p.mode.value) not in ("o", "t")  # OUT and TABLE columns are not arguments
        )
        return f"{verb} {kind} {_dotted(node.funcname)}({arguments})"
    if isinstance(node, ast.CreateTrigStmt):
        verb = "creating or replacing" if node.replace else "creating"
        return f"{verb} trigger {node.trigname} on {_relation(node.relation)}"
    if isinstance(node, ast.ViewStmt):
        verb = "creating or replacing" if node.replace else "creating"
        return f"{verb} view {_relation(node.view)}"
    if isinstance(node, ast.CreateTableAsStmt):
        kind = _KINDS.get(node.objtype, "table")
        return f"creating {kind} {_relation(node.into.rel)}"
    if isinstance(node, ast.CreateStmt):
        return f"creating table {_relation(node.relation)}"
    if isinstance(node, ast.IndexStmt):
        name = f"index {node.idxname}" if node.idxname else "an index"
        return f"creating {name} on {_relation(node.relation)}"
    if isinstance(node, ast.AlterTableStmt):
        return f"altering {_KINDS.get(node.objtype, 'table')} {_relation(node.relation)}"
    if isinstance(node, ast.AlterFunctionStmt):
        return f"altering {_KINDS.get(node.objtype, 'function')} {_with_args(node.func)}"
    if isinstance(node, ast.RenameStmt):
        return _rename(node)
    if isinstance(node, ast.DropStmt):
        return _drop(node)
    if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
        return f"writing rows of table {_relation(node.relation)}"
    if isinstance(node, ast.CreateEnumStmt | ast.CompositeTypeStmt):
        names = node.typeName if isinstance(node, ast.CreateEnumStmt) else None
        return f"creating type {_dotted(names) if names else _relation(node.typevar)}"
    if isinstance(node, ast.CreateDomainStmt):
        return f"creating domain {_dotted(node.domainname)}"
    if isinstance(node, ast.CreateExtensionStmt):
        return f"creating extension {node.extname}"
    if isinstance(node, ast.CreateSeqStmt):
        return f"creating sequence {_relation(node.sequence)}"
    return None


def _rename(node: Any) -> str | None:
    kind = _KINDS.get(node.renameType)
    if kind is None:
        return None
    if node.relation is not None:
        table = _relation(node.relation)
        if kind in ("column", "constraint", "trigger"):
            return f"renaming {kind} {node.subname} of {table}"
        return f"renaming {kind} {table}"
    if isinstance(node.object, ast.ObjectWithArgs):
        return f"renaming {kind} {_with_args(node.object)}"
    if isinstance(node.object, tuple):
        return f"renaming {kind} {_dotted(node.object)}"
    return None


def _drop(node: Any) -> str | None:
    kind = _KINDS.get(node.removeType)
    if kind is None or not node.objects:
        return None
    names = []
    for item in node.objects:
        if isinstance(item, ast.ObjectWithArgs):
            names.append(_with_args(item))
        elif kind == "trigger" and isinstance(item, tuple) and len(item) >= 2:
            names.append(f"{item[-1].sval} on {_dotted(item[:-1])}")
        elif isinstance(item, tuple):
            names.append(_dotted(item))
        elif isinstance(item, ast.String):
            names.append(item.sval)
    return f"dropping {kind} {', '.join(names)}" if names else None


def _relation(node: Any) -> str:
    return f"{node.schemaname}.{node.relname}" if node.schemaname else str(node.relname)


def _dotted(names: Any) -> str:
    return ".".join(str(name.sval) for name in names if isinstance(name, ast.String))


def _with_args(node: Any) -> str:
    if node.args_unspecified:
        return _dotted(node.objname)
    return f"{_dotted(node.objname)}({', '.join(_type(t) for t in node.objargs or ())})"


def _type(node: Any) -> str:
    from pglast.stream import RawStream

    try:
        return str(RawStream()(node))
    except Exception:
        return "?"
