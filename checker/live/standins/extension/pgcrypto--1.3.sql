-- schema-check stand-in for pgcrypto 1.3: the same functions, with the same argument and
-- result types and volatility, written in SQL and PL/pgSQL for schema-check's embedded
-- server, whose build leaves the extension out. What PostgreSQL computes itself is exact:
-- digest and hmac with md5 and the SHA-2 family, gen_random_bytes, gen_random_uuid. The
-- rest keeps its contracts, not its values: sha1 is SHA-256 cut to 20 bytes, crypt()
-- hashes with SHA-256 behind the salt's prefix (so crypt(password, stored) = stored still
-- holds), the ciphers and PGP functions mask the data with a key-derived stream (what
-- they encrypt, they decrypt) and armor() is base64 between PGP markers. The overloads
-- and wrappers are SQL-standard bodies (BEGIN ATOMIC): the functions they call are bound
-- when they are created, so they still find them after ALTER EXTENSION ... SET SCHEMA.


CREATE FUNCTION digest(data bytea, type text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
  CASE lower(type)
    WHEN 'md5' THEN RETURN decode(md5(data), 'hex');
    WHEN 'sha1' THEN RETURN substring(sha256(data) FROM 1 FOR 20);
    WHEN 'sha224' THEN RETURN sha224(data);
    WHEN 'sha256' THEN RETURN sha256(data);
    WHEN 'sha384' THEN RETURN sha384(data);
    WHEN 'sha512' THEN RETURN sha512(data);
    ELSE RAISE EXCEPTION 'Cannot use "%": No such hash algorithm', type;
  END CASE;
END
$$;

CREATE FUNCTION digest(data text, type text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT digest(convert_to(data, 'UTF8'), type);
END;

-- HMAC (RFC 2104) over the same hashes
CREATE FUNCTION hmac(data bytea, key bytea, type text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
  kind text := lower(type);
  block integer := CASE WHEN lower(type) IN ('sha384', 'sha512') THEN 128 ELSE 64 END;
  inner_pad bytea;
  outer_pad bytea;
BEGIN
  IF kind NOT IN ('md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512') THEN
    RAISE EXCEPTION 'Cannot use "%": No such hash algorithm', type;
  END IF;
  IF length(key) > block THEN
    key := CASE kind WHEN 'md5' THEN decode(md5(key), 'hex')
      WHEN 'sha1' THEN substring(sha256(key) FROM 1 FOR 20)
      WHEN 'sha224' THEN sha224(key) WHEN 'sha256' THEN sha256(key)
      WHEN 'sha384' THEN sha384(key) ELSE sha512(key) END;
  END IF;
  inner_pad := key || decode(repeat('00', block - length(key)), 'hex');
  outer_pad := inner_pad;
  FOR position IN 0..block - 1 LOOP
    inner_pad := set_byte(inner_pad, position, get_byte(inner_pad, position) # 54);
    outer_pad := set_byte(outer_pad, position, get_byte(outer_pad, position) # 92);
  END LOOP;
  inner_pad := CASE kind WHEN 'md5' THEN decode(md5(inner_pad || data), 'hex')
      WHEN 'sha1' THEN substring(sha256(inner_pad || data) FROM 1 FOR 20)
      WHEN 'sha224' THEN sha224(inner_pad || data) WHEN 'sha256' THEN sha256(inner_pad || data)
      WHEN 'sha384' THEN sha384(inner_pad || data) ELSE sha512(inner_pad || data) END;
  RETURN CASE kind WHEN 'md5' THEN decode(md5(outer_pad || inner_pad), 'hex')
      WHEN 'sha1' THEN substring(sha256(outer_pad || inner_pad) FROM 1 FOR 20)
      WHEN 'sha224' THEN sha224(outer_pad || inner_pad) WHEN 'sha256' THEN sha256(outer_pad || inner_pad)
      WHEN 'sha384' THEN sha384(outer_pad || inner_pad) ELSE sha512(outer_pad || inner_pad) END;
END
$$;

CREATE FUNCTION hmac(data text, key text, type text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT hmac(convert_to(data, 'UTF8'), convert_to(key, 'UTF8'), type);
END;

CREATE FUNCTION gen_random_bytes(count integer) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$
BEGIN
  IF count < 1 OR count > 1024 THEN
    RAISE EXCEPTION 'Length not in range';
  END IF;
  RETURN (SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::integer), 2, '0'), ''),
                        'hex')
          FROM generate_series(1, count));
END
$$;

CREATE FUNCTION gen_random_uuid() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$ SELECT pg_catalog.gen_random_uuid() $$;

-- A salt of crypt()'s formats: bf ($2a$NN$ and 22 characters), md5 ($1$ and 8), xdes
-- (_ and 8), des (2)
CREATE FUNCTION gen_salt(type text, rounds integer) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$
DECLARE
  alphabet text := './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  width integer;
  prefix text;
BEGIN
  CASE lower(type)
    WHEN 'bf' THEN
      IF rounds < 4 OR rounds > 31 THEN RAISE EXCEPTION 'gen_salt: Incorrect number of rounds'; END IF;
      prefix := '$2a$' || lpad(rounds::text, 2, '0') || '$'; width := 22;
    WHEN 'md5' THEN prefix := '$1$'; width := 8;
    WHEN 'xdes' THEN prefix := '_'; width := 8;
    WHEN 'des' THEN prefix := ''; width := 2;
    ELSE RAISE EXCEPTION 'gen_salt: Unknown salt algorithm';
  END CASE;
  RETURN prefix || (SELECT string_agg(substr(alphabet, 1 + floor(random() * 64)::integer, 1), '')
                    FROM generate_series(1, width));
END
$$;

CREATE FUNCTION gen_salt(type text) RETURNS text
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT gen_salt(type, 6);
END;

-- The salt's prefix (all of a salt, the start of a stored hash) and a SHA-256 of it and
-- the password in crypt()'s alphabet: crypt(password, crypt(password, salt)) gives the
-- same text again, as the real one does.
CREATE FUNCTION crypt(password text, salt text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
  alphabet text := './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  prefix text;
  width integer;
  hashed bytea;
BEGIN
  IF salt LIKE '$2_$__$%' THEN
    prefix := substring(salt FROM 1 FOR 29); width := 31;
  ELSIF salt LIKE '$1$%' THEN
    prefix := substring(salt FROM '^\$1\$[^$]{0,8}'); width := 22;
    prefix := prefix || '$';
  ELSIF salt LIKE '\_%' THEN
    prefix := substring(salt FROM 1 FOR 9); width := 11;
  ELSIF length(salt) >= 2 THEN
    prefix := substring(salt FROM 1 FOR 2); width := 11;
  ELSE
    RAISE EXCEPTION 'invalid salt';
  END IF;
  hashed := sha512(convert_to(prefix || password, 'UTF8'));
  RETURN prefix || (SELECT string_agg(substr(alphabet, 1 + (get_byte(hashed, i) % 64), 1), '')
                    FROM generate_series(0, width - 1) AS i);
END
$$;

-- data masked with a stream derived from the key: what it masks, it unmasks
CREATE FUNCTION schema_check_mask(data bytea, key bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
  stream bytea := sha256(key);
BEGIN
  FOR position IN 0..length(data) - 1 LOOP
    data := set_byte(data, position, get_byte(data, position) # get_byte(stream, position % 32));
  END LOOP;
  RETURN data;
END
$$;

-- what decrypting a message that is not one of the stand-in's says (volatile: never
-- evaluated ahead, only where a CASE reaches it)
CREATE FUNCTION schema_check_corrupt() RETURNS bytea
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
AS $$
BEGIN
  RAISE EXCEPTION 'Wrong key or corrupt data';
END
$$;

-- a PGP message of the stand-in: "SC" and the masked data
CREATE FUNCTION schema_check_unmask(msg bytea, key bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN substring(msg FROM 1 FOR 2) = '\x5343'::bytea
              THEN schema_check_mask(substring(msg FROM 3), key)
              ELSE schema_check_corrupt() END;
END;

-- The raw ciphers: the data masked with a stream derived from the key (and iv)
CREATE FUNCTION encrypt(data bytea, key bytea, type text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_mask(data, key);
END;

CREATE FUNCTION decrypt(data bytea, key bytea, type text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_mask(data, key);
END;

CREATE FUNCTION encrypt_iv(data bytea, key bytea, iv bytea, type text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_mask(data, key || iv);
END;

CREATE FUNCTION decrypt_iv(data bytea, key bytea, iv bytea, type text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_mask(data, key || iv);
END;

-- PGP: the symmetric functions mask with the password, the public-key ones with nothing
-- (any key decrypts what any key encrypted)
CREATE FUNCTION pgp_sym_encrypt(data text, psw text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(convert_to(data, 'UTF8'), convert_to(psw, 'UTF8'));
END;

CREATE FUNCTION pgp_sym_encrypt(data text, psw text, options text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(convert_to(data, 'UTF8'), convert_to(psw, 'UTF8'));
END;

CREATE FUNCTION pgp_sym_encrypt_bytea(data bytea, psw text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(data, convert_to(psw, 'UTF8'));
END;

CREATE FUNCTION pgp_sym_encrypt_bytea(data bytea, psw text, options text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(data, convert_to(psw, 'UTF8'));
END;

CREATE FUNCTION pgp_sym_decrypt(msg bytea, psw text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT convert_from(schema_check_unmask(msg, convert_to(psw, 'UTF8')), 'UTF8');
END;

CREATE FUNCTION pgp_sym_decrypt(msg bytea, psw text, options text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT convert_from(schema_check_unmask(msg, convert_to(psw, 'UTF8')), 'UTF8');
END;

CREATE FUNCTION pgp_sym_decrypt_bytea(msg bytea, psw text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_unmask(msg, convert_to(psw, 'UTF8'));
END;

CREATE FUNCTION pgp_sym_decrypt_bytea(msg bytea, psw text, options text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_unmask(msg, convert_to(psw, 'UTF8'));
END;

CREATE FUNCTION pgp_pub_encrypt(data text, key bytea) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(convert_to(data, 'UTF8'), ''::bytea);
END;

CREATE FUNCTION pgp_pub_encrypt(data text, key bytea, options text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(convert_to(data, 'UTF8'), ''::bytea);
END;

CREATE FUNCTION pgp_pub_encrypt_bytea(data bytea, key bytea) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(data, ''::bytea);
END;

CREATE FUNCTION pgp_pub_encrypt_bytea(data bytea, key bytea, options text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT '\x5343'::bytea || schema_check_mask(data, ''::bytea);
END;

CREATE FUNCTION pgp_pub_decrypt(msg bytea, key bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT convert_from(schema_check_unmask(msg, ''::bytea), 'UTF8');
END;

CREATE FUNCTION pgp_pub_decrypt_bytea(msg bytea, key bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_unmask(msg, ''::bytea);
END;

CREATE FUNCTION pgp_pub_decrypt(msg bytea, key bytea, psw text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT convert_from(schema_check_unmask(msg, ''::bytea), 'UTF8');
END;

CREATE FUNCTION pgp_pub_decrypt_bytea(msg bytea, key bytea, psw text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_unmask(msg, ''::bytea);
END;

CREATE FUNCTION pgp_pub_decrypt(msg bytea, key bytea, psw text, options text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT convert_from(schema_check_unmask(msg, ''::bytea), 'UTF8');
END;

CREATE FUNCTION pgp_pub_decrypt_bytea(msg bytea, key bytea, psw text, options text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT schema_check_unmask(msg, ''::bytea);
END;

CREATE FUNCTION pgp_key_id(bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT upper(substring(encode(sha256($1), 'hex') FROM 1 FOR 16)) $$;

CREATE FUNCTION armor(bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT E'-----BEGIN PGP MESSAGE-----\n\n' || encode($1, 'base64')
             || E'\n-----END PGP MESSAGE-----\n' $$;

CREATE FUNCTION armor(bytea, text[], text[]) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT E'-----BEGIN PGP MESSAGE-----\n'
         || coalesce((SELECT string_agg(k || ': ' || v || E'\n', '')
                      FROM unnest($2, $3) AS header(k, v)), '')
         || E'\n' || encode($1, 'base64') || E'\n-----END PGP MESSAGE-----\n'
$$;

CREATE FUNCTION dearmor(text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT decode(regexp_replace(
           substring($1 FROM E'\n\n(.*)\n-----END'), '[^A-Za-z0-9+/=]', '', 'g'), 'base64')
$$;

CREATE FUNCTION pgp_armor_headers(text, OUT key text, OUT value text) RETURNS SETOF record
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT m[1], m[2]
  FROM regexp_matches(substring($1 FROM E'^-----BEGIN [^\n]*\n(.*?)\n\n'),
                      E'([^:\n]+): ([^\n]*)', 'g') AS m
$$;
