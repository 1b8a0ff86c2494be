"""NC rules: multi-file scenarios, version-dependent severities, and what a user
reads in the findings (both definitions, truncated names, layers)."""

from __future__ import annotations

from pathlib import Path

from support import FIXTURES, REPO, run_paths, run_sql

from checker.config import load_settings
from checker.engine import CheckResult, layer_inputs
from checker.findings import Finding, Severity
from checker.model import JournalStatus, Layer

SCENARIOS = FIXTURES / "scenarios"


def _scenario(name: str) -> CheckResult:
    settings = load_settings(SCENARIOS / name / "schema-check.toml")
    return run_paths(layer_inputs(settings), settings)


def _nc(result: CheckResult) -> list[Finding]:
    return [f for f in result.findings if f.family == "NC"]


def _line(result: CheckResult, finding: Finding) -> tuple[str, int]:
    primary = finding.primary
    assert primary is not None
    return Path(primary.file).name, result.files[primary.file].line_col(primary.start)[0]


def test_base_enum_blocks_the_extensions_generic_enum() -> None:
    result = _scenario("naming_shared_type_namespace")
    found = {(f.code, f.severity, *_line(result, f)) for f in _nc(result)}
    assert ("NC102", Severity.ERROR, "0001_ext_events.sql", 1) in found
    assert ("NC106", Severity.WARNING, "0001_ext_events.sql", 8) in found
    clash = next(f for f in result.findings if f.code == "NC102")
    assert "enum event_type ('login', 'logout')" in " ".join(clash.details)
    # the base's names are never held to the extension's prefix
    assert not [
        f for f in result.findings if f.code == "NC106" and f.primary and "base" in f.primary.file
    ]


def test_truncated_drizzle_fk_names_collide_inside_do_blocks() -> None:
    result = _scenario("naming_truncated_fk_names")
    by_code = {f.code: f for f in _nc(result) if f.code in ("NC103", "NC104")}
    assert by_code["NC104"].severity is Severity.ERROR
    assert "silently skipped" in by_code["NC104"].message
    assert _line(result, by_code["NC104"]) == ("0001_agent_runs.sql", 15)
    kept = [f for f in result.findings if f.code == "NC103" and f.severity is Severity.WARNING]
    assert len(kept) == 1 and "previous_deployment_version_id" in " ".join(kept[0].details)


def test_not_null_constraint_name_is_an_error_only_when_targeting_18(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE agent (id bigint PRIMARY KEY, name text NOT NULL);\n"
        "ALTER TABLE agent ADD CONSTRAINT agent_name_not_null CHECK (name <> '');\n"
    )
    (tmp_path / "on17").mkdir()
    (tmp_path / "on18").mkdir()
    on_17 = run_sql(tmp_path / "on17", sql, only="NC103")
    on_18 = run_sql(tmp_path / "on18", sql, contract="postgres = 18", only="NC103")
    assert [f.severity for f in on_17.findings] == [Severity.WARNING]
    assert "fails on PostgreSQL 18+" in on_17.findings[0].message
    assert [f.severity for f in on_18.findings] == [Severity.ERROR]


def test_not_null_set_later_does_not_clash(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE agent (id bigint PRIMARY KEY, name text);\n"
        "ALTER TABLE agent ADD CONSTRAINT agent_name_not_null CHECK (name <> '');\n"
        "ALTER TABLE agent ALTER COLUMN name SET NOT NULL;\n"
    )
    result = run_sql(tmp_path, sql, contract="postgres = 18", only="NC103")
    assert result.findings == []


def test_if_not_exists_shows_both_definitions(tmp_path: Path) -> None:
    sql = (
        "CREATE INDEX IF NOT EXISTS agent_name_idx ON agent (name);\n"
        "CREATE INDEX IF NOT EXISTS agent_name_idx ON agent (name) WHERE name IS NOT NULL;\n"
    )
    base = "CREATE TABLE agent (id bigint PRIMARY KEY, name text);"
    result = run_sql(tmp_path, sql, base_sql=base, only="NC101")
    [finding] = result.findings
    assert finding.severity is Severity.WARNING
    assert finding.details == (
        "existing: index agent_name_idx on agent using btree (name)",
        "this statement: index agent_name_idx on agent using btree (name) where name IS NOT NULL",
    )
    assert len(finding.locations) == 2


def test_reserved_words_weigh_less_in_the_base(tmp_path: Path) -> None:
    result = run_sql(
        tmp_path,
        'CREATE TABLE ev (id bigint, "offset" integer);',
        base_sql='CREATE TABLE "user" (id text PRIMARY KEY);',
        only="NC105",
    )
    severities = {f.objects[0]: f.severity for f in result.findings}
    assert severities == {"user": Severity.INFO, "ev.offset": Severity.WARNING}
    user = next(f for f in result.findings if f.objects == ("user",))
    assert "SELECT * FROM user" in user.message


def test_bundled_sim_and_parlant() -> None:
    settings = load_settings(REPO / "fixtures" / "parlant" / "schema-check.toml")
    inputs = [(p, layer) for p, layer in layer_inputs(settings) if layer is not Layer.PROPOSAL]
    result = run_paths(inputs, settings)
    found = sorted((f.code, *_line(result, f)) for f in _nc(result))
    assert ("NC105", "0093_parlant_core_tables.sql", 34) in found  # "offset"
    assert ("NC104", "0097_parlant_constraints.sql", 14) in found
    assert ("NC104", "0097_parlant_constraints.sql", 15) in found
    generic = [f.objects[0] for f in _nc(result) if f.code == "NC106" and "type" in f.message]
    assert sorted(generic) == ["agent_status", "event_type", "session_mode", "session_status"]
    # the seed's own enums do not clash with the Sim-like base
    assert not [f for f in result.findings if f.code in ("NC101", "NC102", "NC103")]


_HOSTILE_NAMES = [
    'CREATE TABLE "{}" (id int);'.format("q" * 30 + '""' + "r" * 40),  # 71 bytes, "" is one
    'CREATE TABLE "{}" (id int);'.format("é" * 32),  # 64 bytes in 32 characters
    "CREATE TABLE {} (id int);".format("名" * 22),  # unquoted, 66 bytes
    'CREATE TABLE "{}" (id int);'.format("\U0001f600" * 16),  # 16 characters, 64 bytes
    "CREATE TABLE t (id int);\nCOMMENT ON TABLE t IS '" + "x" * 80 + "';",  # in a string only
    'CREATE TABLE "line\nbreak" (id int);',  # a quoted name holding a line break
    'CREATE TABLE "a""\tb" (id int);',  # a tab after an escaped quote
    "CREATE TABLE zero\u200bwidth (id int);",  # unquoted, a zero-width space
    'CREATE TABLE "nb\u00a0sp" (id int);',
    'CREATE TABLE t2 (\n\tid int,\n\t"x" text DEFAULT \'"\' \n);',
    'CREATE TABLE "rtl\u202eevil" (id int);',
]


def test_the_naming_rules_prefilters_let_every_statement_with_such_a_token_through() -> None:
    """NC104 and NC109 scan only statements whose text may hold a token they report:
    the tests must never say no to a statement that holds one (corpus, fixtures and
    hostile spellings, every token checked with the scanner itself)."""
    from checker.invisible import hidden_characters
    from checker.model import MigrationFile, Origin, Statement
    from checker.parsing import scan_identifiers
    from rules.naming.nc104_identifier_too_long import MAX_BYTES, may_hold_long_identifier
    from rules.naming.nc109_hidden_characters_in_identifier import may_hide_characters
    from tests.support import SIM_MIGRATIONS

    texts = list(_HOSTILE_NAMES)
    folders = [FIXTURES, SIM_MIGRATIONS] if SIM_MIGRATIONS.is_dir() else [FIXTURES]
    for folder in folders:
        texts += [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.sql"))]
    migration = MigrationFile("t.sql", "t", Layer.BASE, JournalStatus.PLAIN, None)
    long_seen = hidden_seen = 0
    for text in texts:
        statement = Statement(text, Origin("t.sql", 0, len(text)), migration)
        tokens = scan_identifiers(statement)
        if any(token.byte_length > MAX_BYTES for token in tokens):
            long_seen += 1
            assert may_hold_long_identifier(text), text[:200]
        if any(hidden_characters(token.text) for token in tokens):
            hidden_seen += 1
            assert may_hide_characters(text), text[:200]
    assert long_seen >= 4 and hidden_seen >= 5
    # and they say no to most ordinary statements
    plain = ['CREATE TABLE "user" (\n\t"id" text PRIMARY KEY,\n\t"name" text NOT NULL\n);']
    assert not may_hold_long_identifier(plain[0]) and not may_hide_characters(plain[0])
