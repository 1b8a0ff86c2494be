"""Live probes on the constraint forms real ORMs write: deferred keys (Django),
ON DELETE RESTRICT (Prisma), keys referencing a partitioned table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import run_sql

pytestmark = pytest.mark.live

BASE = """
CREATE TABLE account (id int PRIMARY KEY);
CREATE TABLE note (id int PRIMARY KEY,
    account_id int NOT NULL REFERENCES account (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE invoice (id int PRIMARY KEY,
    account_id int NOT NULL REFERENCES account (id) ON DELETE RESTRICT);
CREATE TABLE event (id int NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
"""
EXTENSION = """
CREATE TABLE event_tag (id int PRIMARY KEY, event_id int NOT NULL, event_at date NOT NULL,
    FOREIGN KEY (event_id, event_at) REFERENCES event (id, at) ON DELETE CASCADE);
"""
CONTRACT = """
[[delete]]
root = "account"
removes = ["note", "invoice"]
"""


def test_deferred_restrict_and_partitioned_references_agree_with_the_server(
    tmp_path: Path, live_server: Any
) -> None:
    result = run_sql(tmp_path, EXTENSION, base_sql=BASE, contract=CONTRACT, live=live_server)
    live_codes = sorted(f.code for f in result.findings if f.code in ("LV502", "LV504"))
    messages = [f.message for f in result.findings if f.code in ("LV502", "LV504")]
    assert live_codes == [], messages
    # the static side does see both blocking keys (FK206), so the agreement is not vacuous
    assert sum(1 for f in result.findings if f.code == "FK206") >= 1


def test_indexes_on_materialized_views_are_compared(tmp_path: Path, live_server: Any) -> None:
    result = run_sql(
        tmp_path,
        "CREATE MATERIALIZED VIEW tally AS SELECT g, count(*) AS n FROM t GROUP BY g;\n"
        "CREATE UNIQUE INDEX tally_g_idx ON tally (g);\n",
        base_sql="CREATE TABLE t (id int PRIMARY KEY, g int);\n",
        live=live_server,
    )
    assert [f.message for f in result.findings if f.code == "LV502"] == []
