"""The embedded server's stand-ins for pgcrypto and uuid-ossp, which its build leaves out.

Histories create them all the time (uuid_generate_v4() defaults, crypt() in triggers,
digest() in index expressions); on the embedded server the stand-ins take their place,
an LV508 note says so, and the live run goes on. These tests run the stand-ins' SQL on the
real embedded server: the values PostgreSQL computes itself are the real ones, and the
others keep the contracts the migrations rely on.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_live_populated import cli, write_history

pytestmark = pytest.mark.live


def scratch_database(live_server: Any) -> str:
    """The conninfo of a new database on the session's embedded server."""
    import psycopg
    from psycopg import sql

    name = f"standins_{secrets.token_hex(4)}"
    with psycopg.connect(live_server.admin_conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return str(psycopg.conninfo.make_conninfo(live_server.conninfo, dbname=name))


@pytest.fixture(scope="module")
def standins(live_server: Any) -> Iterator[Any]:
    """A scratch database with both stand-ins in a schema of their own (as Supabase does)."""
    import psycopg

    with psycopg.connect(scratch_database(live_server), autocommit=True) as connection:
        connection.execute("CREATE SCHEMA extensions")
        connection.execute('CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions')
        connection.execute("CREATE EXTENSION pgcrypto WITH SCHEMA extensions")
        connection.execute("SET search_path = public, extensions")
        yield connection


def value(connection: Any, query: str) -> Any:
    return connection.execute(query).fetchone()[0]


def test_the_stand_ins_are_what_the_embedded_server_offers(standins: Any) -> None:
    rows = standins.execute(
        "SELECT name, comment FROM pg_available_extensions "
        "WHERE name IN ('pgcrypto', 'uuid-ossp') ORDER BY name"
    ).fetchall()
    assert [name for name, _ in rows] == ["pgcrypto", "uuid-ossp"]
    assert all(comment.startswith("schema-check stand-in: ") for _, comment in rows)


def test_pg_cron_and_pg_net_stand_ins_record_what_they_are_asked(live_server: Any) -> None:
    """pg_cron's jobs are recorded (a name schedules again in place, an unknown one
    cannot be unscheduled), pg_net's requests are queued with their id returned."""
    import psycopg

    with psycopg.connect(scratch_database(live_server), autocommit=True) as connection:
        connection.execute("CREATE SCHEMA extensions")
        connection.execute("CREATE EXTENSION pg_cron")
        connection.execute("CREATE EXTENSION pg_net WITH SCHEMA extensions")
        first = value(connection, "SELECT cron.schedule('purge', '0 3 * * *', 'SELECT 1')")
        again = value(connection, "SELECT cron.schedule('purge', '0 4 * * *', 'SELECT 2')")
        assert first == again
        schedule = connection.execute(
            "SELECT schedule FROM cron.job WHERE jobid = %s", (first,)
        ).fetchone()
        assert schedule == ("0 4 * * *",)
        assert value(connection, "SELECT cron.unschedule('purge')") is True
        with pytest.raises(psycopg.errors.RaiseException):
            connection.execute("SELECT cron.unschedule('purge')")
        request = value(
            connection,
            "SELECT net.http_post(url := 'https://example.invalid', body := '{\"a\": 1}')",
        )
        assert value(connection, "SELECT count(*) FROM net.http_request_queue") == 1
        assert isinstance(request, int)


def test_vault_pgmq_and_jsonschema_stand_ins(live_server: Any) -> None:
    """The vault keeps secrets its view shows; a pgmq queue sends, reads (hiding what it
    read) and deletes; pg_jsonschema checks types, required keys and enums."""
    import psycopg

    with psycopg.connect(scratch_database(live_server), autocommit=True) as connection:
        connection.execute("CREATE SCHEMA vault")
        connection.execute("CREATE SCHEMA extensions")
        for name in ("supabase_vault", "pgmq"):
            connection.execute(f"CREATE EXTENSION {name}")
        connection.execute("CREATE EXTENSION pg_jsonschema WITH SCHEMA extensions")
        connection.execute("SELECT vault.create_secret('s3cret', 'api_key')")
        shown = "SELECT decrypted_secret FROM vault.decrypted_secrets WHERE name = 'api_key'"
        assert value(connection, shown) == "s3cret"
        connection.execute("SELECT pgmq.create('jobs')")
        sent = value(connection, """SELECT * FROM pgmq.send('jobs', '{"n": 1}')""")
        read = connection.execute("SELECT msg_id, message FROM pgmq.read('jobs', 30, 5)").fetchall()
        assert read == [(sent, {"n": 1})]
        assert connection.execute("SELECT * FROM pgmq.read('jobs', 30, 5)").fetchall() == []
        assert value(connection, f"SELECT pgmq.delete('jobs', {int(sent)})") is True
        members = "SELECT count(*) FROM pg_depend WHERE deptype = 'e' AND objid = %s::regclass"
        assert connection.execute(members, ("pgmq.q_jobs",)).fetchone() == (1,)
        schema = (
            """'{"type": "object", "required": ["a"], "properties": {"a": {"enum": [1, 2]}}}'"""
        )
        for instance, expected in (('{"a": 1}', True), ('{"a": 3}', False), ("{}", False)):
            check = f"SELECT extensions.jsonb_matches_schema({schema}, '{instance}')"
            assert value(connection, check) is expected, instance


def test_uuid_ossp_values(standins: Any) -> None:
    # RFC 4122's version 3 example: the DNS namespace and "www.example.com"
    assert str(value(standins, "SELECT uuid_generate_v3(uuid_ns_dns(), 'www.example.com')")) == (
        "5df41881-3aed-3515-88a7-2f4a814cf09e"
    )
    assert str(value(standins, "SELECT uuid_nil()")) == "00000000-0000-0000-0000-000000000000"
    assert str(value(standins, "SELECT uuid_ns_url()")) == "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
    versions = standins.execute(
        "SELECT uuid_generate_v1(), uuid_generate_v1mc(), uuid_generate_v4(), "
        "uuid_generate_v5(uuid_ns_oid(), 'x')"
    ).fetchone()
    assert [item.version for item in versions] == [1, 1, 4, 5]
    assert value(standins, "SELECT uuid_generate_v4() <> uuid_generate_v4()")


def test_pgcrypto_hashes_are_the_real_ones(standins: Any) -> None:
    assert value(standins, "SELECT digest('abc', 'sha256') = sha256('abc'::bytea)")
    assert value(standins, "SELECT encode(digest('abc'::bytea, 'MD5'), 'hex')") == md5_of("abc")
    # RFC 4231-style vectors every HMAC implementation reproduces
    fox = "'The quick brown fox jumps over the lazy dog'"
    assert value(standins, f"SELECT encode(hmac({fox}, 'key', 'sha256'), 'hex')") == (
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )
    assert value(standins, f"SELECT encode(hmac({fox}, 'key', 'md5'), 'hex')") == (
        "80070713463e7749b90c2dc24911e275"
    )
    # a key longer than the hash's block is hashed first
    long_key = "'" + "k" * 200 + "'"
    assert len(value(standins, f"SELECT hmac('x', {long_key}, 'sha512')")) == 64
    with pytest.raises(Exception, match='Cannot use "whirlpool": No such hash algorithm'):
        value(standins, "SELECT digest('abc', 'whirlpool')")


def md5_of(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_pgcrypto_contracts_hold(standins: Any) -> None:
    """What migrations and triggers rely on: crypt() checks a password against its stored
    hash, gen_salt() gives each format's shape, what is encrypted decrypts."""
    for kind, length in (("bf", 60), ("md5", 34)):
        stored = value(standins, f"SELECT crypt('secret', gen_salt('{kind}'))")
        assert len(stored) == length
        assert value(standins, f"SELECT crypt('secret', '{stored}') = '{stored}'")
        assert not value(standins, f"SELECT crypt('other', '{stored}') = '{stored}'")
    assert value(standins, "SELECT gen_salt('bf', 10)").startswith("$2a$10$")
    assert value(standins, "SELECT length(gen_random_bytes(24))") == 24
    with pytest.raises(Exception, match="Length not in range"):
        value(standins, "SELECT gen_random_bytes(0)")
    assert value(standins, "SELECT pgp_sym_decrypt(pgp_sym_encrypt('note', 'pw'), 'pw')") == "note"
    assert value(
        standins, "SELECT pgp_pub_decrypt_bytea(pgp_pub_encrypt_bytea('\\x01'::bytea, 'k'), 'k')"
    ) == bytes([1])
    assert value(
        standins, "SELECT convert_from(decrypt(encrypt('data', 'k', 'aes'), 'k', 'aes'), 'UTF8')"
    ) == ("data")
    assert value(standins, "SELECT dearmor(armor('\\x0203'::bytea))") == bytes([2, 3])
    with pytest.raises(Exception, match="Wrong key or corrupt data"):
        value(standins, "SELECT pgp_sym_decrypt('\\x00'::bytea, 'pw')")


def test_the_stand_ins_work_outside_the_search_path_and_after_a_move(live_server: Any) -> None:
    """Their wrappers are bound to the functions they call when created (SQL-standard
    bodies): called by qualified name from a search path without their schema, and after
    ALTER EXTENSION ... SET SCHEMA, they still work."""
    import psycopg

    with psycopg.connect(scratch_database(live_server), autocommit=True) as connection:
        connection.execute("CREATE SCHEMA extensions")
        connection.execute("CREATE SCHEMA moved")
        connection.execute("CREATE EXTENSION pgcrypto WITH SCHEMA extensions")
        roundtrip = (
            "SELECT {0}.pgp_sym_decrypt({0}.pgp_sym_encrypt('note', 'pw', 'cipher-algo=aes256'),"
            " 'pw'), encode({0}.digest('abc', 'md5'), 'hex')"
        )
        connection.execute("SET search_path = public")
        assert connection.execute(roundtrip.format("extensions")).fetchone() == (
            "note",
            md5_of("abc"),
        )
        connection.execute("ALTER EXTENSION pgcrypto SET SCHEMA moved")
        assert connection.execute(roundtrip.format("moved")).fetchone() == ("note", md5_of("abc"))


def test_a_history_using_the_extensions_is_verified_on_the_stand_ins(tmp_path: Path) -> None:
    folder = write_history(
        tmp_path / "migrations",
        {
            "0001_init.sql": (
                'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";\n'
                "CREATE EXTENSION IF NOT EXISTS pgcrypto;\n"
                "CREATE TABLE account (\n"
                "  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),\n"
                "  email text NOT NULL,\n"
                "  password_hash text,\n"
                "  token bytea DEFAULT gen_random_bytes(16)\n"
                ");\n"
                "CREATE FUNCTION hash_password() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n"
                "  NEW.password_hash := crypt(NEW.password_hash, gen_salt('bf'));\n"
                "  RETURN NEW;\n"
                "END $$;\n"
                "CREATE TRIGGER account_hash BEFORE INSERT ON account\n"
                "  FOR EACH ROW EXECUTE FUNCTION hash_password();\n"
                "CREATE INDEX account_email_digest ON account (digest(email, 'sha256'));\n"
            ),
            "0002_more.sql": "ALTER TABLE account ADD COLUMN note text;\n",
        },
    )
    done = cli("check", "--live", str(folder), "--select", "LV", "--format", "json")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    report = json.loads(done.stdout)
    notes = [f for f in report["findings"] if f["code"] == "LV508"]
    assert [(f["severity"], f["objects"]) for f in notes] == [
        ("info", ["uuid-ossp"]),
        ("info", ["pgcrypto"]),
    ]
    assert "schema-check's stand-in was created in its place" in notes[0]["message"]
    codes = {f["code"] for f in report["findings"]}
    assert not codes & {"LV501", "LV502", "LV507"}, report["findings"]
    assert report["live"]["applied"] == 7 and report["live"]["failed"] == 0


def test_no_stand_ins_before_postgresql_18(tmp_path: Path) -> None:
    """extension_control_path is new in PostgreSQL 18: an older cluster is left alone (an
    unknown setting would keep it from starting)."""
    from checker.live.backends import _offer_standins

    pgdata = tmp_path / "data"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("17\n", encoding="utf-8")
    (pgdata / "postgresql.conf").write_text("fsync = off\n", encoding="utf-8")
    _offer_standins(pgdata, None)
    assert (pgdata / "postgresql.conf").read_text(encoding="utf-8") == "fsync = off\n"
    assert not (tmp_path / "standins").exists()
    (pgdata / "PG_VERSION").write_text("18\n", encoding="utf-8")
    _offer_standins(pgdata, None)
    assert (tmp_path / "standins" / "extension" / "pgcrypto.control").is_file()
    assert (
        (pgdata / "postgresql.conf")
        .read_text(encoding="utf-8")
        .endswith(f"extension_control_path = '$system:{tmp_path / 'standins'}'\n")
    )


def test_http_stand_in_sends_nothing_and_says_so(live_server: Any) -> None:
    """http's calls run and return a response of status 0 without content: no request
    leaves the server. urlencode is the real encoding."""
    import psycopg

    with psycopg.connect(scratch_database(live_server), autocommit=True) as connection:
        connection.execute("CREATE SCHEMA extensions")
        connection.execute("CREATE EXTENSION http WITH SCHEMA extensions")
        response = connection.execute(
            "SELECT status, content FROM extensions.http(("
            "'DELETE', 'https://example.invalid/x', "
            "ARRAY[extensions.http_header('Authorization', 'Bearer t')], NULL, NULL"
            ")::extensions.http_request)"
        ).fetchone()
        assert response == (0, None)
        posted = "SELECT (extensions.http_post('https://example.invalid', '{}'::jsonb)).status"
        assert value(connection, posted) == 0
        assert value(connection, "SELECT extensions.urlencode('a b/é')") == "a%20b%2F%C3%A9"
