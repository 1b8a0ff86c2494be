"""Every output leads with what the change introduced; what the base already had is one line
per rule, never lost; a baseline is one more form of the same judgement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main

BASE = (
    "CREATE TABLE account (id text PRIMARY KEY, email text);\n"
    "CREATE INDEX account_email_idx ON account (email);\n"
    "CREATE INDEX account_email_again_idx ON account (email);\n"  # IX303: the base's own
)
CHANGE = "ALTER TABLE account ADD COLUMN nickname text NOT NULL;\n"  # MG411: the change's


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "base"
    base.mkdir()
    (base / "0001_account.sql").write_text(BASE, encoding="utf-8")
    change = tmp_path / "change"
    change.mkdir()
    (change / "0002_nickname.sql").write_text(CHANGE, encoding="utf-8")
    return base, change


def _run(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", *arguments])
    return code, capsys.readouterr().out


def test_text_leads_with_the_change_and_collapses_the_base(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, change = project
    code, text = _run(["--base", str(base), "--extension", str(change)], capsys)
    assert code == 1
    assert "MG411 error" in text
    assert "IX303" not in text.split("pre-existing:")[0]  # not listed among the change's
    assert "pre-existing: 1 findings the base already had (IX303 ×1)" in text
    # the change's ALTER also lacks a lock_timeout (MG416, info)
    assert "change: " in text and "2 findings introduced (1 error)" in text
    _, full = _run(["--base", str(base), "--extension", str(change), "--show-pre-existing"], capsys)
    assert "IX303 warning" in full


def test_json_marks_each_finding_and_describes_the_change(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, change = project
    _, out = _run(["--base", str(base), "--extension", str(change), "--format", "json"], capsys)
    document = json.loads(out)
    assert document["schema_version"] == 2
    marks = {f["code"]: f["introduced"] for f in document["findings"]}
    assert marks["MG411"] is True and marks["IX303"] is False
    assert document["change"]["form"] == "extension"
    assert document["change"]["introduced"] == sum(marks.values())


def test_only_introduced_findings_decide_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base"
    base.mkdir()
    # an error the base already has: a SET NULL on a NOT NULL column (FK201)
    (base / "0001.sql").write_text(
        "CREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE c (id int PRIMARY KEY, p_id int NOT NULL REFERENCES p ON DELETE SET NULL);\n",
        encoding="utf-8",
    )
    change = tmp_path / "change"
    change.mkdir()
    (change / "0002.sql").write_text("CREATE TABLE note (id int PRIMARY KEY);\n", encoding="utf-8")
    arguments = ["--base", str(base), "--extension", str(change), "--format", "json"]
    code, out = _run(arguments, capsys)
    assert any(
        f["code"] == "FK201" and f["introduced"] is False for f in json.loads(out)["findings"]
    )
    assert code == 0
    code, _ = _run([*arguments, "--fail-on-pre-existing"], capsys)
    assert code == 1


def test_github_puts_the_change_first_and_ends_with_one_summary(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, change = project
    arguments = ["--base", str(base), "--extension", str(change), "--format", "github"]
    _, out = _run([*arguments, "--show-pre-existing"], capsys)
    lines = out.splitlines()
    assert lines[0].startswith("::error") and "title=MG411" in lines[0]
    assert lines[-1].startswith("::notice title=schema-check::change: ")
    _, collapsed = _run(arguments, capsys)
    assert "title=IX303" not in collapsed and "IX303 ×1" in collapsed.splitlines()[-1]


def test_markdown_heads_with_the_change(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, change = project
    _, out = _run(["--base", str(base), "--extension", str(change), "--format", "markdown"], capsys)
    assert out.startswith("**change: ")
    assert "pre-existing: 1 findings the base already had" in out


def test_html_lists_the_change_and_folds_the_base_to_one_line_per_rule(
    project: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    base, change = project
    html = tmp_path / "report.html"
    code, _ = _run(["--base", str(base), "--extension", str(change), "--html", str(html)], capsys)
    assert code == 1
    page = html.read_text(encoding="utf-8")
    listed = page.split('id="findings-table"')[1].split("</table>")[0]
    assert "MG411" in listed and "IX303" not in listed
    folded = page.split('id="pre-existing"')[1].split("</details>\n  \n")[0]
    assert "1 finding the base already had" in folded
    assert re.search(r"<code>IX303</code>.*?<td class=\"num\">1</td>", folded, flags=re.S)
    assert "Findings the change introduces" in page
    # nothing introduced: the page says so, the base's finding is still there
    (change / "0002_nickname.sql").write_text("CREATE TABLE tag (id int PRIMARY KEY);\n")
    code, _ = _run(["--base", str(base), "--extension", str(change), "--html", str(html)], capsys)
    page = html.read_text(encoding="utf-8")
    assert code == 0 and "The change introduces no finding." in page
    assert 'id="pre-existing"' in page and "<code>IX303</code>" in page


def test_baseline_marks_instead_of_hiding_and_select_resolves_nothing_it_did_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_account.sql").write_text(BASE, encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    assert main(["baseline", "--base", str(folder), "-o", str(baseline)]) == 0
    capsys.readouterr()
    (folder / "0002_nickname.sql").write_text(CHANGE, encoding="utf-8")
    code, out = _run([str(folder), "--baseline", str(baseline), "--format", "json"], capsys)
    document = json.loads(out)
    assert code == 1
    marks = {f["code"]: f["introduced"] for f in document["findings"]}
    assert marks == {"IX303": False, "MG411": True, "MG416": True}
    assert document["baseline"] == {
        "path": str(baseline), "accepted": 1, "new": 2, "resolved": 0
    }  # fmt: skip
    # IX303 did not run: its accepted entry is not "resolved"
    _, out = _run(
        [str(folder), "--baseline", str(baseline), "--format", "json", "--select", "MG"], capsys
    )
    assert json.loads(out)["baseline"]["resolved"] == 0


def test_the_headline_states_only_what_was_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_account.sql").write_text(BASE, encoding="utf-8")
    _, markdown = _run([str(folder), "--format", "markdown"], capsys)
    assert "compatible" not in markdown.splitlines()[0].lower()  # no extension to be compatible
    assert "Not checked: no documented queries" in markdown
    assert "| proper indexing for the expected query patterns | ✅" not in markdown
    html = tmp_path / "report.html"
    main(["check", str(folder), "--html", str(html), "-o", str(tmp_path / "out.txt")])
    page = html.read_text(encoding="utf-8")
    assert "<dt>target PostgreSQL</dt><dd>17 (the static checks)</dd>" in page
    assert "<dt>server PostgreSQL</dt><dd>no live run</dd>" in page
    assert "fully compatible" not in page  # no extension: no claim about one
    assert ">Extension</th>" not in page


def test_the_html_footer_names_the_commit_the_inputs_were_read_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support import commit_all, git

    repo = tmp_path / "repo"
    (repo / "migrations").mkdir(parents=True)
    (repo / "migrations" / "0001.sql").write_text(BASE, encoding="utf-8")
    commit_all(repo, "base")
    head = git(repo, "rev-parse", "HEAD").strip()
    page = tmp_path / "report.html"
    _run([str(repo / "migrations"), "--html", str(page), "--no-cache"], capsys)
    footer = page.read_text(encoding="utf-8").split('<footer class="page-footer">')[1]
    assert f"inputs read at commit {head[:12]}" in footer
    assert "uncommitted" not in footer
    (repo / "migrations" / "0002.sql").write_text(CHANGE, encoding="utf-8")
    _run([str(repo / "migrations"), "--html", str(page), "--no-cache"], capsys)
    assert "with uncommitted changes" in page.read_text(encoding="utf-8")
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "0001.sql").write_text(BASE, encoding="utf-8")
    _run([str(outside), "--html", str(page), "--no-cache"], capsys)
    assert "inputs read at commit" not in page.read_text(encoding="utf-8")


def test_the_html_report_marks_what_the_change_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json as json_module
    import re

    base = tmp_path / "base"
    base.mkdir()
    (base / "0001.sql").write_text(
        BASE + "CREATE TABLE audit (id text PRIMARY KEY);\n", encoding="utf-8"
    )
    change = tmp_path / "change"
    change.mkdir()
    (change / "0002.sql").write_text(
        "DROP INDEX account_email_again_idx;\nALTER TABLE account DROP COLUMN email;\n"
        "DROP TABLE audit;\n",
        encoding="utf-8",
    )
    page = tmp_path / "report.html"
    _run(["--base", str(base), "--extension", str(change), "--html", str(page)], capsys)
    html = page.read_text(encoding="utf-8")
    assert re.search(
        r'class="changed changed-dropped">dropped</span> by the change: <bdi>audit', html
    )
    block = html.split('<script type="application/json" id="table-data">')[1].split("</script>")[0]
    panels = json_module.loads(block)
    (account,) = [p for p in panels.values() if "column email" in p["dropped"]]
    # the DROP COLUMN takes its index with it
    assert set(account["dropped"]) == {
        "index account_email_again_idx",
        "index account_email_idx",
        "column email",
    }
