"""Entry points read from the distributions on the path, without importlib.metadata."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from checker.entry_points import entry_points


def _distribution(site: Path, folder: str, text: str) -> None:
    (site / folder).mkdir(parents=True)
    (site / folder / "entry_points.txt").write_text(text)


def test_matches_importlib_metadata_for_every_group_installed_here() -> None:
    groups = {entry.group for dist in metadata.distributions() for entry in dist.entry_points}
    assert groups, "this environment has no entry points at all"
    for group in sorted(groups):
        expected = sorted((e.name, e.value) for e in metadata.entry_points(group=group))
        assert sorted((e.name, e.value) for e in entry_points(group)) == expected, group


def test_reads_the_group_section_only(tmp_path: Path) -> None:
    _distribution(
        tmp_path,
        "acme_rules-1.0.dist-info",
        "# a comment\n[console_scripts]\nacme = acme.cli:main\n\n"
        "[schema_check.rules]\nacme = acme_rules\n; another comment\n"
        "extra = acme_rules.more:pack [fast]\n",
    )
    found = entry_points("schema_check.rules", [str(tmp_path)])
    assert [(e.name, e.value, e.distribution) for e in found] == [
        ("acme", "acme_rules", "acme_rules"),
        ("extra", "acme_rules.more:pack [fast]", "acme_rules"),
    ]
    assert entry_points("no.such.group", [str(tmp_path)]) == []


def test_first_distribution_of_a_name_on_the_path_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _distribution(first, "Acme.Rules-2.0.dist-info", "[schema_check.rules]\nacme = new_pack\n")
    _distribution(second, "acme_rules-1.0.egg-info", "[schema_check.rules]\nacme = old_pack\n")
    found = entry_points("schema_check.rules", [str(first), str(second), str(tmp_path / "gone")])
    assert [e.value for e in found] == ["new_pack"]


def test_load_imports_the_module_and_its_attribute(tmp_path: Path) -> None:
    (tmp_path / "ep_probe_pack.py").write_text("class Holder:\n    value = 42\n")
    _distribution(
        tmp_path,
        "ep_probe-1.dist-info",
        "[g]\nmodule = ep_probe_pack\nattr = ep_probe_pack:Holder.value [extra]\n",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        loaded = {e.name: e.load() for e in entry_points("g", [str(tmp_path)])}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ep_probe_pack", None)
    assert getattr(loaded["module"], "__name__", None) == "ep_probe_pack"
    assert loaded["attr"] == 42
