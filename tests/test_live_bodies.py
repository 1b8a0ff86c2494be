"""Live checks of what a function, trigger or view does: LV501 names the object a failing
statement creates or changes; the populated-table probe fires every trigger (LV507)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import findings_at, run_sql

from checker.findings import Severity
from reports.common import position

pytestmark = pytest.mark.live

BASE = """CREATE TABLE post (id serial PRIMARY KEY, title text NOT NULL);
CREATE TABLE note (id serial PRIMARY KEY, body text, modified_at timestamptz);
"""
BROKEN_TRIGGER = """CREATE FUNCTION touch_modified_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER post_touch BEFORE UPDATE ON post
    FOR EACH ROW EXECUTE FUNCTION touch_modified_at();
CREATE TRIGGER note_touch BEFORE INSERT OR UPDATE ON note
    FOR EACH ROW EXECUTE FUNCTION touch_modified_at();
"""


def test_populated_probe_fires_a_trigger_that_assigns_a_column_its_table_lacks(
    tmp_path: Path, live_server: Any
) -> None:
    result = run_sql(tmp_path, BROKEN_TRIGGER, base_sql=BASE, live=live_server)
    # the migration itself succeeds on the server: PL/pgSQL is checked only when it runs
    assert findings_at(result, "LV501") == []
    (finding,) = [f for f in result.findings if f.code == "LV507"]
    assert finding.severity is Severity.ERROR
    assert finding.message == (
        "trigger post_touch on post fails on UPDATE: function touch_modified_at() raises "
        '42703 record "new" has no field "modified_at"'
    )
    # at the assignment inside the body, with the CREATE TRIGGER as the related place
    lines = [
        (Path(p.path).name, p.line, location.label)
        for location in finding.locations
        for p in [position(location, result.files)]
    ]
    assert lines == [
        ("extension.sql", 4, ""),
        ("extension.sql", 8, "trigger post_touch is created here"),
    ]
    assert any("touch_modified_at() line 3" in detail for detail in finding.details)
    # note has the column: its trigger fires on INSERT and UPDATE without error
    assert not any("note_touch" in f.message for f in result.findings)


def test_a_trigger_that_refuses_on_purpose_is_not_a_failure_but_is_named(
    tmp_path: Path, live_server: Any
) -> None:
    change = """CREATE FUNCTION no_delete() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'posts are forever'; END $$;
CREATE TRIGGER post_keep BEFORE DELETE ON post FOR EACH ROW EXECUTE FUNCTION no_delete();
"""
    result = run_sql(tmp_path, change, base_sql=BASE, live=live_server)
    findings = [f for f in result.findings if f.code == "LV507"]
    assert [(f.severity, f.message) for f in findings] == [
        (
            Severity.INFO,
            "1 trigger event could not be fired by the populated-table probe; those triggers "
            "were created but never run",
        )
    ]
    assert findings[0].details == (
        "post_keep on post, DELETE: raised P0001 posts are forever "
        "(a deliberate refusal is not judged)",
    )


def test_lv501_names_the_function_view_trigger_or_table_a_failing_statement_makes(
    tmp_path: Path, live_server: Any
) -> None:
    change = """CREATE FUNCTION post_titles() RETURNS SETOF text LANGUAGE sql AS
    $$ SELECT headline FROM post $$;
CREATE VIEW post_view AS SELECT id, headline FROM post;
CREATE TRIGGER post_missing BEFORE UPDATE ON post FOR EACH ROW EXECUTE FUNCTION nothing();
ALTER TABLE post ADD COLUMN title text;
"""
    result = run_sql(tmp_path, change, base_sql=BASE, live=live_server)
    messages = [
        (line, message.split(" fails on ")[0], message.split(": ", 1)[1].split(" ")[0])
        for _, line, message in findings_at(result, "LV501")
    ]
    assert messages == [
        (2, "creating function post_titles()", "42703"),  # at headline, inside the body
        (3, "creating view post_view", "42703"),
        (4, "creating trigger post_missing on post", "42883"),
        (5, "altering table post", "42701"),
    ]
