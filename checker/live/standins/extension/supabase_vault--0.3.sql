-- schema-check stand-in for supabase_vault 0.3: its table of secrets, the view that
-- decrypts them and the functions that create and update them, written in SQL for
-- schema-check's embedded server, whose build leaves the extension out. A secret is kept
-- as written (the stand-in has no key to encrypt it with): the decrypted view shows it.

CREATE TABLE @extschema@.secrets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text,
    description text NOT NULL DEFAULT '',
    secret text NOT NULL,
    key_id uuid,
    nonce bytea,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX secrets_name_idx ON @extschema@.secrets (name) WHERE name IS NOT NULL;

CREATE VIEW @extschema@.decrypted_secrets AS
SELECT id, name, description, secret, secret AS decrypted_secret, key_id, nonce,
    created_at, updated_at
FROM @extschema@.secrets;

CREATE FUNCTION @extschema@.create_secret(
    new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '',
    new_key_id uuid DEFAULT NULL
) RETURNS uuid
LANGUAGE sql
AS $$
    INSERT INTO @extschema@.secrets (secret, name, description, key_id)
    VALUES (new_secret, new_name, new_description, new_key_id)
    RETURNING id
$$;

CREATE FUNCTION @extschema@.update_secret(
    secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL,
    new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL
) RETURNS void
LANGUAGE sql
AS $$
    UPDATE @extschema@.secrets SET secret = coalesce(new_secret, secret),
        name = coalesce(new_name, name), description = coalesce(new_description, description),
        key_id = coalesce(new_key_id, key_id), updated_at = CURRENT_TIMESTAMP
    WHERE id = secret_id
$$;
