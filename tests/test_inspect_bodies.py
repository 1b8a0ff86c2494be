"""``schema-check inspect`` shows functions, triggers and views: under each table its
triggers as psql's ``\\d`` does, then each view's columns and what it reads, then the
functions with what their bodies use (text); the whole catalog in json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main

SCHEMA = """CREATE TABLE post (id serial PRIMARY KEY, title text NOT NULL, modified_at timestamptz);
CREATE TABLE audit (id serial PRIMARY KEY, post_id int, at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := now();
    INSERT INTO audit (post_id, at) VALUES (NEW.id, now());
    RETURN NEW;
END
$$;
CREATE TRIGGER post_touch BEFORE UPDATE OF title ON post
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER post_audit AFTER INSERT OR DELETE ON post EXECUTE FUNCTION touch();
CREATE FUNCTION post_count(since timestamptz) RETURNS bigint LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = public
    AS $$ SELECT count(*) FROM post WHERE modified_at > since $$;
CREATE VIEW recent_post AS
    SELECT p.id, p.title FROM post p WHERE p.modified_at > now() - interval '1 day';
"""


def inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    sql = tmp_path / "schema.sql"
    sql.write_text(SCHEMA, encoding="utf-8")
    assert main(["inspect", str(sql), *options]) == 0
    return capsys.readouterr().out


def section(text: str, start: str, end: str | None = None) -> list[str]:
    begin = text.index(start)
    return text[begin : text.index(end, begin) if end else len(text)].splitlines()


def test_inspect_lists_each_tables_triggers_like_psql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = inspect(tmp_path, capsys)
    assert "views 1  functions 2  triggers 2" in text.splitlines()[1]
    post = section(text, 'Table "public.post"', 'View "public.recent_post"')
    assert post[-4:] == [
        "Triggers:",
        "    post_audit AFTER INSERT OR DELETE ON post FOR EACH STATEMENT EXECUTE FUNCTION touch()",
        "    post_touch BEFORE UPDATE OF title ON post FOR EACH ROW EXECUTE FUNCTION touch()",
        "",
    ]
    assert "Triggers:" not in section(text, 'Table "public.audit"', 'Table "public.post"')


def test_inspect_shows_a_views_columns_and_what_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = inspect(tmp_path, capsys)
    assert section(text, 'View "public.recent_post"', "Functions:") == [
        'View "public.recent_post"',
        "Column",
        "------",
        "id",
        "title",
        "Reads:",
        "    post (id, title, modified_at)",
        "",
    ]


def test_inspect_lists_functions_with_signature_security_and_what_they_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = inspect(tmp_path, capsys)
    assert section(text, "Functions:") == [
        "Functions:",
        "Name       | Arguments                      | Returns | Language | Security | "
        "Volatility | Settings           | Uses",
        "-----------+--------------------------------+---------+----------+----------+-"
        "-----------+--------------------+--------------------",
        "post_count | since timestamp with time zone | bigint  | sql      | definer  | "
        "stable     | search_path=public | post (modified_at)",
        "touch      |                                | trigger | plpgsql  | invoker  | "
        "volatile   |                    | audit (post_id, at)",
        "Called by triggers:",
        "    touch(): post_audit on post, post_touch on post",
    ]


def test_inspect_json_holds_functions_triggers_and_views_with_their_dependencies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = json.loads(inspect(tmp_path, capsys, "--format", "json"))["catalog"]
    count, touch = catalog["functions"]
    assert (count["label"], count["security_definer"], count["settings"]) == (
        "post_count(timestamp with time zone)",
        True,
        [["search_path", "public"]],
    )
    assert count["uses"] == [{"table": "post", "columns": ["modified_at"]}]
    assert touch["uses"] == [{"table": "audit", "columns": ["post_id", "at"]}]
    assert touch["triggers"] == [
        {"table": "post", "name": "post_audit"},
        {"table": "post", "name": "post_touch"},
    ]
    assert touch["body_origin"]["line"] == 3 and "NEW.modified_at" in touch["body"]
    post = next(t for t in catalog["tables"] if t["name"] == "post")
    assert [t["definition"] for t in post["triggers"]] == [
        "AFTER INSERT OR DELETE ON post FOR EACH STATEMENT EXECUTE FUNCTION touch()",
        "BEFORE UPDATE OF title ON post FOR EACH ROW EXECUTE FUNCTION touch()",
    ]
    assert [(t["name"], t["function"], t["events"]) for t in catalog["triggers"]] == [
        ("post_audit", ["public", "touch"], ["insert", "delete"]),
        ("post_touch", ["public", "touch"], ["update"]),
    ]
    (view,) = catalog["views"]
    assert view["columns"] == ["id", "title"]
    assert view["reads"] == [
        {"table": ["public", "post"], "columns": ["id", "title", "modified_at"]}
    ]


def test_inspect_says_when_a_body_cannot_be_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = tmp_path / "schema.sql"
    sql.write_text(
        "CREATE FUNCTION broken() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 $$;\n",
        encoding="utf-8",
    )
    assert main(["inspect", str(sql)]) == 0
    text = capsys.readouterr().out
    assert section(text, "Functions:")[-1].endswith("| (body not parsed)")
