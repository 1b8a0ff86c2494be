"""The IX rules on the bundled Sim + Parlant design, as a user of `schema-check check` sees them."""

from __future__ import annotations

import pytest
from support import FIXTURES, run_sql

from checker.config import load_settings
from checker.engine import check
from checker.findings import Severity


@pytest.fixture(scope="module")
def findings():  # type: ignore[no-untyped-def]
    settings = load_settings(FIXTURES / "parlant" / "schema-check.toml")
    return [f for f in check(settings).findings if f.family == "IX"]


def test_seed_query_with_sort_is_reported_with_the_index_that_serves_it(findings) -> None:  # type: ignore[no-untyped-def]
    ix301 = [f for f in findings if f.code == "IX301"]
    assert len(ix301) == 1
    (finding,) = ix301
    assert "active sessions of a user" in finding.message and "sort" in finding.message
    assert finding.severity is Severity.INFO  # the contract says medium volume
    assert finding.fix is not None
    assert "(user_id, status, last_activity_at DESC)" in str(finding.fix)


def test_partition_of_a_plain_table_is_an_error(findings) -> None:  # type: ignore[no-untyped-def]
    (finding,) = [f for f in findings if f.code == "IX306"]
    assert finding.severity is Severity.ERROR
    assert finding.primary is not None and finding.primary.file.endswith("proposal.md")
    assert "parlant_event is not a partitioned table" in finding.message


def test_sim_base_duplicate_and_redundant_indexes(findings) -> None:  # type: ignore[no-untyped-def]
    objects = {(f.code, f.objects[0]) for f in findings if f.code in ("IX303", "IX304")}
    assert ("IX303", "permissions_user_entity_idx") in objects
    assert ("IX304", "permissions_user_id_idx") in objects


def test_high_volume_query_served_with_a_sort_is_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    schema = (
        "CREATE TABLE ev (id bigint PRIMARY KEY, s bigint, n int);\n"
        "CREATE INDEX ev_s_idx ON ev (s);\n"
    )
    contract = (
        "[contract.volumes]\nev = 1000000\n"
        '[[contract.query]]\nname = "q"\nsql = "SELECT * FROM ev WHERE s = ? ORDER BY n"\n'
    )
    result = run_sql(tmp_path, schema, contract=contract, only="IX301")
    (finding,) = result.findings
    assert finding.severity is Severity.WARNING
    assert finding.fix is not None
    # the new index makes ev_s_idx a redundant prefix (IX304): the fix drops it too
    assert finding.fix.statements == (
        "CREATE INDEX ev_s_n_idx ON ev (s, n);",
        'DROP INDEX "ev_s_idx";',
    )
