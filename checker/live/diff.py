"""Compare the static Catalog with the live one: one LV502 finding per difference.

The comparison itself is ``checker.catalog_diff`` (shared with the drift
checks); this module words its differences as LV502 findings. A finding sits at
the static object's origin (the statement that made it); objects that exist only
on the server have no static origin, and the verifier places them afterwards.
Expressions the loose form cannot settle are printed by the server itself.
"""

from __future__ import annotations

from checker.catalog import Catalog
from checker.catalog_diff import FALLBACK_DEFAULT_OPCLASSES as FALLBACK_DEFAULT_OPCLASSES
from checker.catalog_diff import Sides
from checker.catalog_diff import diff_catalogs as diff_models
from checker.catalog_diff import type_key as type_key
from checker.findings import Finding, Location, Severity
from checker.spelling import Canonicaliser

CODE_CATALOG_DIFFERS = "LV502"
SIDES = Sides("static model", "server", "in the static model", "on the server")


def diff_catalogs(
    static: Catalog,
    live: Catalog,
    *,
    default_opclasses: frozenset[tuple[str, str]] | None = None,
    canonicalise: Canonicaliser | None = None,
    severity: Severity = Severity.WARNING,
) -> list[Finding]:
    """Every difference between the static model and the live catalog, as LV502 findings.

    ``default_opclasses`` are the (access method, operator class) pairs the
    server uses by default (``ServerFacts.default_opclasses``); ``canonicalise``
    lets the server print static expressions (``ServerCanonicaliser``).
    """
    differences = diff_models(
        static, live, default_opclasses=default_opclasses, canonicalise=canonicalise
    )
    findings = [
        Finding(
            code=CODE_CATALOG_DIFFERS,
            severity=severity,
            message=difference.describe(SIDES),
            locations=(Location.of(difference.place),) if difference.place is not None else (),
            objects=difference.objects,
        )
        for difference in differences
    ]
    return sorted(findings, key=Finding.sort_key)
