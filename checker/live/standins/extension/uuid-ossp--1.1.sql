-- schema-check stand-in for uuid-ossp 1.1: the same functions, written in SQL for
-- schema-check's embedded server, whose build leaves the extension out. uuid_nil, the
-- namespaces and version 3 give the values uuid-ossp gives; version 4 is PostgreSQL's
-- gen_random_uuid(); versions 1 and 1mc are random values marked version 1 (no MAC
-- address or clock here), and version 5 hashes with SHA-256 in place of SHA-1 (PostgreSQL
-- has no SHA-1 of its own), so their values differ from uuid-ossp's.

CREATE FUNCTION uuid_nil() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

CREATE FUNCTION uuid_ns_dns() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION uuid_ns_url() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION uuid_ns_oid() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION uuid_ns_x500() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

-- Each function marks its 16 bytes with its version and the RFC 4122 variant; v1mc is a
-- SQL-standard body, bound to v1 when created (it finds it after SET SCHEMA too).

CREATE FUNCTION uuid_generate_v1() RETURNS uuid
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
AS $$
  SELECT encode(set_byte(set_byte(b, 6, (get_byte(b, 6) & 15) | 16), 8,
                         (get_byte(b, 8) & 63) | 128), 'hex')::uuid
  FROM (SELECT uuid_send(gen_random_uuid()) AS b) AS random
$$;

CREATE FUNCTION uuid_generate_v1mc() RETURNS uuid
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT uuid_generate_v1();
END;

CREATE FUNCTION uuid_generate_v3(namespace uuid, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT encode(set_byte(set_byte(b, 6, (get_byte(b, 6) & 15) | 48), 8,
                         (get_byte(b, 8) & 63) | 128), 'hex')::uuid
  FROM (SELECT decode(md5(uuid_send(namespace) || convert_to(name, 'UTF8')), 'hex') AS b)
       AS hashed
$$;

CREATE FUNCTION uuid_generate_v4() RETURNS uuid
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
AS $$ SELECT gen_random_uuid() $$;

CREATE FUNCTION uuid_generate_v5(namespace uuid, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT encode(set_byte(set_byte(b, 6, (get_byte(b, 6) & 15) | 80), 8,
                         (get_byte(b, 8) & 63) | 128), 'hex')::uuid
  FROM (SELECT substring(sha256(uuid_send(namespace) || convert_to(name, 'UTF8'))
                         FROM 1 FOR 16) AS b) AS hashed
$$;
