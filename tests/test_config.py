"""Configuration: the contract is read exactly, and every mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import Runner, find_config, load_settings
from checker.errors import ConfigError
from checker.findings import Severity

REPO = Path(__file__).resolve().parent.parent


def test_bundled_contract_is_read() -> None:
    settings = load_settings(REPO / "fixtures" / "parlant" / "schema-check.toml")
    assert settings.runner is Runner.DRIZZLE
    assert settings.postgres == 17
    assert settings.contract.tenant_key == "workspace_id"
    assert settings.contract.prefix == "parlant_"
    assert [q.expect_index for q in settings.contract.queries] == [
        "parlant_agent_workspace_status_idx",
        "parlant_session_user_status_idx",
        "parlant_event_session_offset_idx",
    ]
    assert settings.contract.deletes[0].root == "user"
    assert "parlant_session" in settings.contract.deletes[0].preserves
    assert settings.contract.deletes[1].removes == ("parlant_*",)
    assert settings.contract.volume_of("parlant_event") == 1_000_000
    assert [p.name for p in settings.layers.base] == ["sim"]


def test_pyproject_table_is_found_and_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.schema-check]\npostgres = 18\nfail_on = "warning"\n'
        '[tool.schema-check.severity]\nNC107 = "info"\n'
    )
    found = find_config(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    settings = load_settings(found)
    assert settings.postgres == 18
    assert settings.fail_on is Severity.WARNING
    assert settings.severity == {"NC107": Severity.INFO}


@pytest.mark.parametrize(
    ("pyproject", "ours"),
    [
        ('[tool."schema-check"]\npostgres = 16\n', True),
        ("[tool]\nschema-check = { postgres = 16 }\n", True),
        ("tool.schema-check.postgres = 16\n", True),
        ('[project]\nname = "schema-check"\ndependencies = ["schema-check>=0.1"]\n', False),
        ('[project.scripts]\nschema-check = "checker.cli:main"\n', False),
        ("[tool.ruff]\nline-length = 100\n", False),
        ('[project.scripts]\nschema-check = "x:main"\n[tool.ruff]\nline-length = 1\n', False),
        ("tool = { schema-check = { postgres = 16 } }\n", True),
    ],
)
def test_pyproject_is_ours_only_with_a_schema_check_table(
    tmp_path: Path, pyproject: str, ours: bool
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    assert find_config(tmp_path) == (tmp_path / "pyproject.toml" if ours else None)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "runner = 'flyway'",
            "runner: must be one of drizzle | prisma | per-file | transaction-per-file "
            "| autocommit",
        ),
        ("postgres = 9", "postgres: must be a PostgreSQL major version"),
        ("provided = 3", "provided: must be a string or a list of strings"),
        ("colour = true", "colour: unknown key"),
        ("[contract]\nprefx = 'p_'", "contract.prefx: unknown key"),
        ("[severity]\nNC101 = 'fatal'", "severity.NC101: must be one of error | warning | info"),
        ("[[contract.query]]\nname = 'q'", "contract.query[0].sql: is required"),
        ("[[contract.delete]]\nroot = 'user'", "contract.delete[0]: needs preserves or removes"),
        (
            "[[contract.delete]]\nroot = 'u'\npreserves = ['a']\nremoves = ['a']",
            "contract.delete[0]: 'a' is both preserved and removed",
        ),
        ("[contract.volumes]\nt = -1", "contract.volumes.t: must be a non-negative integer"),
        ("ignore = ['nope']", "ignore: 'nope' is not a rule code"),
        ("postgres = ", "invalid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "schema-check.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_without_runner_each_folder_layout_decides(tmp_path: Path) -> None:
    path = tmp_path / "schema-check.toml"
    path.write_text("postgres = 17\n")
    assert load_settings(path).runner is None
