"""RL902: policies on a table whose row level security is off."""

from __future__ import annotations

from collections.abc import Iterator

from checker.catalog import relation_sql
from checker.findings import Finding, Fix, Location, Severity
from checker.model import Origin
from checker.names import quote_identifier
from checker.rule import Rule, RuleContext, RuleMeta, register
from rules.row_security._common import label, policies_by_table


@register
class PolicyWithoutRowSecurityRule(Rule):
    """A table has row security policies, but its row level security is off.

    What it does:
        Reports each table that has at least one policy (CREATE POLICY) when
        the migrations end while its row level security is off (never enabled,
        or disabled later): at the statement that disabled it, else at its
        first policy, with the policies and the table as related places. Any
        PostgreSQL project.

    Why it matters:
        PostgreSQL applies a table's policies only when row level security is
        enabled on it (``ALTER TABLE ... ENABLE ROW LEVEL SECURITY``). Until
        then every role with privileges on the table reads and changes every
        row, whatever the policies say: the migration looks protected and is
        not.

    Example:
        CREATE TABLE note (id bigint PRIMARY KEY, owner text NOT NULL);
        CREATE POLICY own_notes ON note USING (owner = current_user);

    Use instead:
        CREATE TABLE note (id bigint PRIMARY KEY, owner text NOT NULL);
        ALTER TABLE note ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own_notes ON note USING (owner = current_user);

    References:
        https://www.postgresql.org/docs/current/ddl-rowsecurity.html
    """

    meta = RuleMeta(
        "RL902",
        "policy-without-row-security",
        Severity.ERROR,
        "policies on a table whose row level security is off",
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for key, policies in sorted(policies_by_table(context).items()):
            table = context.catalog.tables.get(key)
            if table is None or table.row_security:
                continue
            names = ", ".join(quote_identifier(p.name) for p in policies)
            count = f"{len(policies)} polic{'y' if len(policies) == 1 else 'ies'}"
            others = [Location.of(p.origin, "a policy of it") for p in policies[:3]]
            places: list[Origin | Location]
            if table.row_security_set.file:
                # turned off after it was on: the statement that did it is the one to see
                places = [table.row_security_set, *others]
                where = "it is turned off here"
            else:
                places = [policies[0].origin, *others[1:]]
                places.append(Location.of(table.origin, "table created here"))
                where = "it is never enabled"
            sql = relation_sql(table.qualified)
            them = "it" if len(policies) == 1 else "them"
            yield self.finding(
                f"table {label(table)} has {count} ({names}) but row level security is off "
                f"({where}): PostgreSQL ignores {them}, and every role with privileges on "
                "the table reads and changes every row",
                places,
                objects=[label(table)],
                fix=Fix(
                    "enable row level security on the table",
                    statements=(f"ALTER TABLE {sql} ENABLE ROW LEVEL SECURITY;",),
                ),
            )
