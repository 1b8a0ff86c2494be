"""Function, trigger and view bodies: what the catalog keeps of them, what the FN
rules see in them, and no false finding on upstream Sim's functions and triggers."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CORPUS_ABSENT, SIM_MIGRATIONS, run_paths

from checker.bodies import UseKind, analyse_function
from checker.config import Settings
from checker.engine import analyse, run_rules
from checker.model import Layer


def _check(tmp_path: Path, sql: str, select: str = "FN") -> list[tuple[str, int, str]]:
    path = tmp_path / "0001_case.sql"
    path.write_text(sql, encoding="utf-8")
    result = run_rules(
        analyse(Settings(), [(path, Layer.BASE)]),
        select=lambda meta: meta.code.startswith(select),
    )
    found = []
    for finding in result.findings:
        assert finding.primary is not None
        line = result.files[finding.primary.file].line_col(finding.primary.start)[0]
        found.append((finding.code, line, finding.message))
    return sorted(found)


@pytest.mark.skipif(not SIM_MIGRATIONS.is_dir(), reason=CORPUS_ABSENT)
def test_upstream_functions_and_triggers_give_no_fn_finding() -> None:
    result = run_paths([(SIM_MIGRATIONS, Layer.BASE)])
    catalog = result.simulation.catalog
    assert (len(catalog.functions), len(catalog.triggers)) == (9, 12)
    fn = [f"{f.code} {f.message}" for f in result.findings if f.code.startswith("FN")]
    assert fn == []
    # and the bodies were really resolved: every function names what it updates
    for function in catalog.functions.values():
        transition = [
            name
            for trigger in catalog.triggers.values()
            if trigger.function == function.qualified
            for _, name in trigger.transition_tables
        ]
        analysis = analyse_function(function, catalog, transition=transition)
        assert analysis.error is None, function.label
        assert analysis.uses, function.label
        assert all(use.found for use in analysis.uses), function.label


def test_catalog_keeps_function_trigger_and_view_details(tmp_path: Path) -> None:
    path = tmp_path / "0001_case.sql"
    path.write_text(
        "CREATE TABLE note (id text PRIMARY KEY, body text, updated_at timestamptz);\n"
        "CREATE FUNCTION touch() RETURNS trigger SECURITY DEFINER\n"
        "SET search_path = public, pg_temp STABLE AS $$\n"
        "BEGIN NEW.updated_at := now(); RETURN NEW; END $$ LANGUAGE plpgsql;\n"
        "CREATE TRIGGER note_touch BEFORE UPDATE OF body ON note FOR EACH ROW\n"
        "    EXECUTE FUNCTION touch();\n"
        "CREATE VIEW note_bodies (note_id, body) AS SELECT n.id, n.body FROM note n;\n"
        "ALTER FUNCTION touch() RENAME TO stamp;\n",
        encoding="utf-8",
    )
    catalog = analyse(Settings(), [(path, Layer.BASE)]).simulation.catalog
    function = catalog.functions[("public", "stamp", "")]
    assert (function.language, function.returns, function.volatility) == (
        "plpgsql",
        "trigger",
        "stable",
    )
    assert function.security_definer
    assert function.setting("search_path") == "public, pg_temp"
    text = path.read_text(encoding="utf-8")
    assert text[function.body_origin.start : function.body_origin.end] == function.body
    trigger = catalog.triggers[(("public", "note"), "note_touch")]
    assert trigger.function == ("public", "stamp")
    assert (trigger.timing, trigger.events, trigger.update_columns) == (
        "before",
        ("update",),
        ("body",),
    )
    view = catalog.views[("public", "note_bodies")]
    assert view.columns == ("note_id", "body")
    assert [(r.table, r.columns) for r in view.reads] == [(("public", "note"), ("id", "body"))]


def test_a_drop_breaking_a_function_is_fn703_not_fn701(tmp_path: Path) -> None:
    found = _check(
        tmp_path,
        "CREATE TABLE account (id text PRIMARY KEY, balance integer);\n"
        "CREATE FUNCTION balance_of(p text) RETURNS integer LANGUAGE sql AS $$\n"
        "  SELECT balance FROM account WHERE id = p\n"
        "$$;\n"
        "ALTER TABLE account DROP COLUMN balance;\n",
    )
    assert [(code, line) for code, line, _ in found] == [("FN703", 5)]
    assert "balance_of(text) still uses column account.balance (at 0001_case.sql:3)" in found[0][2]


def test_body_resolution_ignores_variables_records_and_aliases(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE item (id int PRIMARY KEY, qty int);\n"
        "CREATE FUNCTION f(qty_min int) RETURNS int AS $$\n"
        "DECLARE r record; total int := 0; it item%ROWTYPE;\n"
        "BEGIN\n"
        "  FOR r IN SELECT i.id, i.qty AS amount FROM item i WHERE i.qty > qty_min LOOP\n"
        "    total := total + r.amount;\n"
        "  END LOOP;\n"
        "  SELECT * INTO it FROM item LIMIT 1;\n"
        "  RETURN total + it.qty + f.qty_min;\n"
        "END $$ LANGUAGE plpgsql;\n"
    )
    assert _check(tmp_path, sql) == []
    catalog = analyse(Settings(), [(tmp_path / "0001_case.sql", Layer.BASE)]).simulation.catalog
    analysis = analyse_function(catalog.functions[("public", "f", "integer")], catalog)
    columns = {u.name for u in analysis.uses if u.kind is UseKind.COLUMN}
    assert columns == {"id", "qty"}


def _the_one_finding(tmp_path: Path, sql: str, code: str) -> tuple[str, list[int], list[str]]:
    """The single ``code`` finding on ``sql``: its message, and the line and label of each
    of its places."""
    path = tmp_path / "0001_case.sql"
    path.write_text(sql, encoding="utf-8")
    result = run_paths([(path, Layer.BASE)], only=code)
    [finding] = [f for f in result.findings if f.code == code]
    lines = [sql.count("\n", 0, loc.start) + 1 for loc in finding.locations]
    return finding.message, lines, [loc.label for loc in finding.locations]


def test_a_trigger_field_a_body_uses_twice_is_one_finding(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE note (id text PRIMARY KEY, updated_at timestamptz);\n"
        "CREATE FUNCTION touch() RETURNS trigger AS $$\n"
        "BEGIN\n"
        "  IF NEW.modified_at IS NULL THEN\n"
        "    NEW.modified_at := now();\n"
        "  END IF;\n"
        "  RETURN NEW;\n"
        "END $$ LANGUAGE plpgsql;\n"
        "CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION touch();\n"
    )
    message, lines, labels = _the_one_finding(tmp_path, sql, "FN702")
    assert "NEW.modified_at" in message
    assert lines == [4, 5, 9]
    assert labels[1:] == ["used again here", "trigger created here"]


def test_a_missing_column_a_body_names_twice_is_one_finding(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE message (id bigint PRIMARY KEY, chat_id bigint, content text);\n"
        "CREATE FUNCTION copy_chat(old_chat bigint, new_chat bigint) RETURNS void\n"
        "LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  INSERT INTO message (chat_id, content, tokens)\n"
        "  SELECT new_chat, content, tokens FROM message WHERE chat_id = old_chat;\n"
        "END $$;\n"
    )
    message, lines, labels = _the_one_finding(tmp_path, sql, "FN701")
    assert "column message.tokens" in message
    assert (lines[0], lines[-1]) == (5, 6)
    assert labels[-1] == "used again here"


def test_a_pg_temp_function_ends_with_the_file_that_made_it(tmp_path: Path) -> None:
    """A function made in ``pg_temp`` lives as long as the session, as a temporary table
    does: a later migration file that drops a column it used breaks nothing (the file
    that made it has called it, and no later session can)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_backfill.sql").write_text(
        "CREATE TABLE account (id text PRIMARY KEY, balance integer, total integer);\n"
        "CREATE FUNCTION pg_temp.copy_balance() RETURNS void LANGUAGE sql AS $$\n"
        "  UPDATE account SET total = balance\n"
        "$$;\n"
        "SELECT pg_temp.copy_balance();\n",
        encoding="utf-8",
    )
    (folder / "0002_drop.sql").write_text(
        "ALTER TABLE account DROP COLUMN balance;\n", encoding="utf-8"
    )
    result = run_paths([(folder, Layer.BASE)])
    assert [f.code for f in result.findings if f.code.startswith("FN")] == []
    assert not [key for key in result.simulation.catalog.functions if key[0] == "pg_temp"]
