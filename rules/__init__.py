"""Built-in rules, one module per rule, grouped by family.

``RULE_TABLE`` names every built-in rule and the module that defines it, so a run
imports only the rules it selected (importing all of them and building their
classes was a quarter of a check's time). A new rule is one more row here;
tests/test_rule_table.py fails, and prints the row to add, when a rule module is
missing from the table or a row names a module that does not define its code.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from checker.findings import Severity
from checker.rule import RuleMeta, declare_codes, declare_groups, defer

# (code, kebab-case name, module under ``rules`` (its folder is the family), default
# severity, summary): what listing and reporting need without importing the rule
_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    ("DR601", "table-drift", "drift.dr601_table_drift", "error", "a table exists on one side only"),
    (
        "DR602",
        "column-drift",
        "drift.dr602_column_drift",
        "error",
        "a column exists on one side only",
    ),
    (
        "DR603",
        "column-type-drift",
        "drift.dr603_column_type_drift",
        "error",
        "a column's type differs",
    ),
    (
        "DR604",
        "nullability-drift",
        "drift.dr604_nullability_drift",
        "error",
        "a column's NOT NULL differs",
    ),
    (
        "DR605",
        "default-drift",
        "drift.dr605_default_drift",
        "warning",
        "a column's default differs",
    ),
    (
        "DR606",
        "index-drift",
        "drift.dr606_index_drift",
        "warning",
        "an index differs or is missing",
    ),
    (
        "DR607",
        "foreign-key-drift",
        "drift.dr607_foreign_key_drift",
        "warning",
        "a foreign key differs or is missing",
    ),
    ("DR608", "check-drift", "drift.dr608_check_drift", "warning", "a check differs or is missing"),
    ("DR609", "enum-drift", "drift.dr609_enum_drift", "warning", "an enum's labels differ"),
    (
        "DR610",
        "row-security-drift",
        "drift.dr610_row_security_drift",
        "error",
        "row level security, a policy or a view's security_invoker differs from the declared schema",
    ),
    (
        "FK201",
        "set-null-on-not-null",
        "foreign_keys.fk201_set_null_not_null",
        "error",
        "SET NULL on a column that cannot be NULL",
    ),
    (
        "FK202",
        "fk-type-mismatch",
        "foreign_keys.fk202_type_mismatch",
        "error",
        "foreign key column type differs from its key",
    ),
    (
        "FK203",
        "referenced-not-unique",
        "foreign_keys.fk203_referenced_not_unique",
        "error",
        "referenced columns are not a primary key or unique key",
    ),
    (
        "FK204",
        "unindexed-foreign-key",
        "foreign_keys.fk204_unindexed_fk",
        "warning",
        "foreign key columns lead no index",
    ),
    (
        "FK205",
        "preserve-intent-broken",
        "foreign_keys.fk205_preserve_broken",
        "error",
        "a CASCADE path deletes preserved rows",
    ),
    (
        "FK206",
        "required-delete-blocked",
        "foreign_keys.fk206_delete_blocked",
        "error",
        "a required delete is blocked or incomplete",
    ),
    (
        "FK207",
        "cascade-blast-radius",
        "foreign_keys.fk207_cascade_blast_radius",
        "warning",
        "a delete cascades into high-volume tables",
    ),
    (
        "FK208",
        "tenant-key-not-enforced",
        "foreign_keys.fk208_tenant_key_not_enforced",
        "warning",
        "a reference between tenant-scoped tables ignores the tenant key",
    ),
    ("FK209", "fk-cycle", "foreign_keys.fk209_fk_cycle", "warning", "foreign keys form a cycle"),
    (
        "FK210",
        "duplicate-foreign-key",
        "foreign_keys.fk210_duplicate_fk",
        "warning",
        "duplicate foreign key",
    ),
    (
        "FN701",
        "body-names-missing-object",
        "functions.fn701_body_names_missing_object",
        "error",
        "function body names a table, column or function that does not exist",
    ),
    (
        "FN702",
        "trigger-row-field-missing",
        "functions.fn702_trigger_row_field_missing",
        "error",
        "trigger function uses NEW/OLD column its table lacks",
    ),
    (
        "FN703",
        "body-object-removed",
        "functions.fn703_body_object_removed",
        "error",
        "a table or column a function body uses is dropped or renamed",
    ),
    (
        "FN704",
        "view-dependency-dropped",
        "functions.fn704_view_dependency_dropped",
        "error",
        "DROP of a table or column a view reads",
    ),
    (
        "FN705",
        "non-transactional-in-function",
        "functions.fn705_non_transactional_in_function",
        "error",
        "function body runs a command that cannot run in a transaction",
    ),
    (
        "FN706",
        "security-definer-without-search-path",
        "functions.fn706_security_definer_search_path",
        "warning",
        "SECURITY DEFINER function without SET search_path",
    ),
    (
        "FN707",
        "execute-concatenated-string",
        "functions.fn707_execute_concatenated_string",
        "warning",
        "EXECUTE of a string concatenating an unquoted variable",
    ),
    (
        "FN708",
        "trigger-function-not-trigger",
        "functions.fn708_trigger_function_not_trigger",
        "error",
        "trigger function does not return trigger",
    ),
    (
        "HY801",
        "table-without-primary-key",
        "hygiene.hy801_table_without_primary_key",
        "warning",
        "table without a primary key",
    ),
    (
        "HY802",
        "json-column",
        "hygiene.hy802_json_column",
        "warning",
        "json column instead of jsonb",
    ),
    ("HY803", "money-column", "hygiene.hy803_money_column", "warning", "money column"),
    (
        "HY804",
        "serial-column",
        "hygiene.hy804_serial_column",
        "warning",
        "serial column that is not the primary key",
    ),
    (
        "HY805",
        "serial-primary-key",
        "hygiene.hy805_serial_primary_key",
        "warning",
        "serial primary key instead of an identity column",
    ),
    (
        "HY806",
        "timestamp-without-time-zone",
        "hygiene.hy806_timestamp_without_time_zone",
        "warning",
        "timestamp without time zone (or timetz) column",
    ),
    (
        "HY807",
        "varchar-with-length",
        "hygiene.hy807_varchar_with_length",
        "info",
        "varchar(n) column",
    ),
    (
        "HY808",
        "index-extends-unique-key",
        "hygiene.hy808_index_extends_unique_key",
        "warning",
        "index adds columns after a key that is already unique",
    ),
    (
        "HY809",
        "intersected-foreign-keys",
        "hygiene.hy809_intersected_foreign_keys",
        "warning",
        "foreign keys to one table share some of their columns",
    ),
    (
        "HY810",
        "nullable-composite-foreign-key",
        "hygiene.hy810_nullable_composite_foreign_key",
        "warning",
        "multi-column foreign key with nullable columns, not MATCH FULL",
    ),
    (
        "HY811",
        "redundant-not-null-predicate",
        "hygiene.hy811_redundant_not_null_predicate",
        "warning",
        "index WHERE clause tests IS NOT NULL on a NOT NULL column",
    ),
    (
        "HY812",
        "text-primary-key",
        "hygiene.hy812_text_primary_key",
        "info",
        "primary key of a text or varchar type",
    ),
    (
        "HY813",
        "timestamp-in-index-middle",
        "hygiene.hy813_timestamp_in_index_middle",
        "info",
        "timestamp column before the last key of an index",
    ),
    (
        "HY814",
        "table-not-linked",
        "hygiene.hy814_table_not_linked",
        "info",
        "table linked to no other table",
    ),
    (
        "HY815",
        "constraint-never-validated",
        "hygiene.hy815_constraint_never_validated",
        "warning",
        "constraint left NOT VALID, never validated",
    ),
    (
        "IX301",
        "query-not-served",
        "index.ix301_query_not_served",
        "error",
        "documented query not served by an index",
    ),
    (
        "IX302",
        "documented-index-missing",
        "index.ix302_documented_index_missing",
        "error",
        "documented index missing or on other columns",
    ),
    ("IX303", "duplicate-index", "index.ix303_duplicate_index", "warning", "duplicate index"),
    (
        "IX304",
        "prefix-redundant-index",
        "index.ix304_prefix_redundant_index",
        "warning",
        "index is a prefix of another index",
    ),
    (
        "IX305",
        "non-immutable-index-expression",
        "index.ix305_non_immutable_index_expression",
        "error",
        "index predicate or expression calls a non-IMMUTABLE function",
    ),
    (
        "IX306",
        "partition-key-rules",
        "index.ix306_partition_key_rules",
        "error",
        "unique key without the partition key, or partition of a non-partitioned table",
    ),
    (
        "IX307",
        "vector-index",
        "index.ix307_vector_index",
        "error",
        "pgvector index unusable or unbuildable",
    ),
    (
        "IX308",
        "btree-on-unbounded-column",
        "index.ix308_btree_on_unbounded_column",
        "warning",
        "B-tree index on an unbounded jsonb/array/free-text column",
    ),
    (
        "IX309",
        "low-selectivity-index",
        "index.ix309_low_selectivity_index",
        "info",
        "single-column index on a boolean or two-value column",
    ),
    (
        "LV501",
        "statement-fails-live",
        "live.lv501_statement_fails",
        "error",
        "statement fails on a server",
    ),
    (
        "LV502",
        "catalog-differs",
        "live.lv502_catalog_differs",
        "warning",
        "static model differs from live",
    ),
    (
        "LV503",
        "plan-differs",
        "live.lv503_plan_differs",
        "warning",
        "server plans a query otherwise",
    ),
    ("LV504", "cascade-differs", "live.lv504_cascade_differs", "error", "observed cascade differs"),
    (
        "LV505",
        "heavy-lock-live",
        "live.lv505_heavy_lock",
        "warning",
        "heavy lock on existing table",
    ),
    (
        "LV506",
        "rollback-residue",
        "live.lv506_rollback_residue",
        "warning",
        "rollback leaves residue",
    ),
    (
        "LV507",
        "fails-on-populated-table",
        "live.lv507_fails_on_populated_table",
        "error",
        "statement fails once tables hold rows",
    ),
    (
        "LV508",
        "extension-unavailable",
        "live.lv508_extension_unavailable",
        "error",
        "server lacks a needed extension",
    ),
    (
        "MG401",
        "file-not-in-journal",
        "migration.mg401_file_not_in_journal",
        "error",
        "migration file not listed in the drizzle journal",
    ),
    (
        "MG402",
        "journal-entry-without-file",
        "migration.mg402_journal_entry_without_file",
        "error",
        "drizzle journal entry without its file",
    ),
    (
        "MG403",
        "duplicate-sequence-number",
        "migration.mg403_duplicate_sequence_number",
        "warning",
        "two migrations with the same number",
    ),
    (
        "MG404",
        "sequence-gap",
        "migration.mg404_sequence_gap",
        "warning",
        "gap in the migration numbering",
    ),
    (
        "MG405",
        "journal-when-not-increasing",
        "migration.mg405_journal_when_not_increasing",
        "error",
        "journal `when` not increasing",
    ),
    (
        "MG406",
        "used-before-created",
        "migration.mg406_used_before_created",
        "error",
        "object used before it is created, or never",
    ),
    (
        "MG407",
        "non-transactional-in-transaction",
        "migration.mg407_non_transactional_in_transaction",
        "error",
        "statement that cannot run in a transaction block runs inside one",
    ),
    (
        "MG408",
        "extension-changes-base",
        "migration.mg408_extension_changes_base",
        "warning",
        "extension alters or drops a base object",
    ),
    (
        "MG409",
        "lock-heavy-on-existing-table",
        "migration.mg409_lock_heavy_on_existing_table",
        "warning",
        "lock-heavy DDL on an existing table",
    ),
    (
        "MG410",
        "server-config-in-migration",
        "migration.mg410_server_config_in_migration",
        "warning",
        "server configuration changed in a migration",
    ),
    (
        "MG411",
        "add-not-null-column-without-default",
        "migration.mg411_add_not_null_column_without_default",
        "error",
        "NOT NULL column without a default added to an existing table",
    ),
    (
        "MG412",
        "applied-migration-edited",
        "migration.mg412_applied_migration_edited",
        "error",
        "the change edits or deletes an applied migration",
    ),
    (
        "MG413",
        "drop-index-not-concurrently",
        "migration.mg413_drop_index_not_concurrently",
        "warning",
        "DROP INDEX without CONCURRENTLY on an existing index",
    ),
    (
        "MG414",
        "drop-column-or-table",
        "migration.mg414_drop_column_or_table",
        "warning",
        "DROP COLUMN or DROP TABLE on an existing column or table",
    ),
    (
        "MG415",
        "truncate-existing-table",
        "migration.mg415_truncate_existing_table",
        "warning",
        "TRUNCATE of an existing table (CASCADE: an error)",
    ),
    (
        "MG416",
        "lock-without-lock-timeout",
        "migration.mg416_lock_without_lock_timeout",
        "info",
        "lock taken on an existing table with no lock_timeout set",
    ),
    (
        "MG417",
        "not-rerunnable-outside-transaction",
        "migration.mg417_not_rerunnable_outside_transaction",
        "warning",
        "statement outside a transaction fails when the file is re-run",
    ),
    (
        "MG418",
        "domain-constraint-on-existing-domain",
        "migration.mg418_domain_constraint_on_existing_domain",
        "warning",
        "constraint added to a domain that existed before the run",
    ),
    (
        "MG419",
        "enum-value-renamed",
        "migration.mg419_enum_value_renamed",
        "warning",
        "value of an existing enum renamed",
    ),
    (
        "NC101",
        "duplicate-relation",
        "naming.nc101_duplicate_relation",
        "error",
        "relation name defined twice",
    ),
    (
        "NC102",
        "type-name-clash",
        "naming.nc102_type_name_clash",
        "error",
        "type name already taken",
    ),
    (
        "NC103",
        "constraint-name-clash",
        "naming.nc103_constraint_name_clash",
        "error",
        "constraint name already taken",
    ),
    (
        "NC104",
        "identifier-too-long",
        "naming.nc104_identifier_too_long",
        "warning",
        "identifier over 63 bytes",
    ),
    (
        "NC105",
        "reserved-word",
        "naming.nc105_reserved_word",
        "warning",
        "object named with a reserved word",
    ),
    (
        "NC106",
        "naming-convention",
        "naming.nc106_naming_convention",
        "warning",
        "name breaks the contract's convention",
    ),
    (
        "NC107",
        "mixed-case-identifier",
        "naming.nc107_mixed_case_identifier",
        "warning",
        "quoted identifier with capital letters",
    ),
    (
        "NC108",
        "truncation-hits-other-object",
        "naming.nc108_truncation_hits_other_object",
        "error",
        "long name in DROP/ALTER/RENAME truncates to another object's name",
    ),
    (
        "NC109",
        "hidden-characters-in-identifier",
        "naming.nc109_hidden_characters_in_identifier",
        "warning",
        "identifier with bidirectional controls, zero-width or invisible characters",
    ),
    ("PS001", "parse-error", "parsing.ps001_parse_error", "error", "statement does not parse"),
    ("PS002", "not-analysed", "parsing.ps002_not_analysed", "info", "statement not analysed"),
    (
        "PS003",
        "contract-names-missing-object",
        "parsing.ps003_contract_names_missing_object",
        "error",
        "the contract names a table or column the schema does not have",
    ),
    (
        "PS004",
        "unused-suppression",
        "parsing.ps004_unused_suppression",
        "warning",
        "a suppression comment silences no finding",
    ),
    (
        "PS005",
        "reference-unreadable",
        "parsing.ps005_reference_unreadable",
        "warning",
        "a snapshot, ORM or declared schema the drift rules compare with describes no valid schema",
    ),
    (
        "PS009",
        "rule-crashed",
        "parsing.ps009_rule_crashed",
        "error",
        "a rule failed with an internal error",
    ),
    (
        "RL901",
        "exposed-table-without-row-security",
        "row_security.rl901_exposed_table_without_row_security",
        "error",
        "a table the platform's API serves has row level security off",
    ),
    (
        "RL902",
        "policy-without-row-security",
        "row_security.rl902_policy_without_row_security",
        "error",
        "policies on a table whose row level security is off",
    ),
    (
        "RL903",
        "row-security-without-policy",
        "row_security.rl903_row_security_without_policy",
        "info",
        "a table the platform's API serves has row level security and no policy",
    ),
    (
        "RL904",
        "policy-calls-function-per-row",
        "row_security.rl904_policy_calls_per_row",
        "warning",
        "a policy calls auth.uid() or current_setting() for every row",
    ),
    (
        "RL905",
        "view-bypasses-row-security",
        "row_security.rl905_view_bypasses_row_security",
        "error",
        "a view the platform's API serves reads protected rows with its owner's rights",
    ),
    (
        "RL906",
        "materialized-view-served",
        "row_security.rl906_materialized_view_served",
        "warning",
        "a materialized view the platform's API serves holds protected rows",
    ),
    (
        "RL907",
        "policy-trusts-user-metadata",
        "row_security.rl907_policy_trusts_user_metadata",
        "error",
        "a policy decides on user_metadata, which the user can rewrite",
    ),
    (
        "RL908",
        "exposed-security-definer-function",
        "row_security.rl908_exposed_security_definer_function",
        "warning",
        "the platform's API lets its clients call a SECURITY DEFINER function",
    ),
)


# Opt-in rules (code -> group): they run only when a user names the code or the
# group (``--select hygiene-preferences``, the config's ``enable``); their RuleMeta
# carries the same group.
PREFERENCES = "hygiene-preferences"
_OPT_IN: dict[str, str] = {
    code: PREFERENCES for code in ("HY805", "HY806", "HY807", "HY812", "HY813", "HY814")
}


# Resumable rules (RuleMeta.resumable): each reports only at statements, from what ran up to
# them, so a run resumed from a checkpoint runs it over the new statements alone.
# tests/test_resumable_rules.py checks, on the corpus and on every rule's fixtures, that
# such a run finds exactly what a whole run finds.
_RESUMABLE = frozenset(
    {
        "MG408",
        "MG409",
        "MG410",
        "MG411",
        "MG413",
        "MG414",
        "MG415",
        "MG416",
        "MG417",
        "MG418",
        "MG419",
        "FN704",
        "NC101",
        "NC102",
        "PS001",
        "PS002",
    }
)


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One built-in rule, known without importing it."""

    code: str
    name: str
    family: str  # the package under ``rules`` (foreign_keys, index, ...)
    module: str  # the importable module name
    severity: str
    summary: str
    group: str | None = None  # the opt-in group; None: on by default
    resumable: bool = False

    @property
    def prefix(self) -> str:
        return self.code[:2]

    @property
    def meta(self) -> RuleMeta:
        return RuleMeta(
            self.code,
            self.name,
            Severity(self.severity),
            self.summary,
            group=self.group,
            resumable=self.resumable,
        )


RULE_TABLE: tuple[RuleRow, ...] = tuple(
    RuleRow(
        code,
        name,
        module.partition(".")[0],
        f"{__name__}.{module}",
        severity,
        summary,
        _OPT_IN.get(code),
        code in _RESUMABLE,
    )
    for code, name, module, severity, summary in _ROWS
)
declare_codes(row.code for row in RULE_TABLE)
declare_groups(_OPT_IN)


def load_builtin_rules(select: Callable[[RuleRow], bool] | None = None) -> list[str]:
    """Import the built-in rule modules (those ``select`` accepts), so each registers itself."""
    loaded: list[str] = []
    for row in RULE_TABLE:
        if select is None or select(row):
            importlib.import_module(row.module)
            loaded.append(row.module)
    return loaded


def defer_builtin_rules(select: Callable[[RuleRow], bool] | None = None) -> list[str]:
    """Make the built-in rules ``select`` accepts part of every run without importing
    them: each module is imported by the process that runs its rule."""
    deferred: list[str] = []
    for row in RULE_TABLE:
        if select is None or select(row):
            defer(row.meta, row.module)
            deferred.append(row.module)
    return deferred


def load_rules_for(codes: Iterable[str]) -> None:
    """Import the modules of these codes (unknown codes are a plugin's or none)."""
    wanted = set(codes)
    load_builtin_rules(lambda row: row.code in wanted)


def rule_modules() -> list[str]:
    """Every rule module on disk (``<family>/<code>_<name>.py``), for the table's test."""
    found: list[str] = []
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        leaf = module.name.rpartition(".")[2]
        if not module.ispkg and not leaf.startswith("_"):
            found.append(module.name)
    return sorted(found)
