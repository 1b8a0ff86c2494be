-- schema-check stand-in for pg_jsonschema 0.3: json_matches_schema, jsonb_matches_schema
-- and jsonschema_is_valid, written in SQL for schema-check's embedded server, whose build
-- leaves the extension out. It checks what CHECK constraints mostly rely on: "type",
-- "required", "enum", "properties" and "items", recursively; every other keyword
-- (patterns, formats, bounds, combinators) is accepted without being checked.

CREATE FUNCTION @extschema@._schema_check_matches(schema jsonb, instance jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    wanted jsonb := schema -> 'type';
    kind text := jsonb_typeof(instance);
    key text;
    item jsonb;
BEGIN
    IF jsonb_typeof(schema) = 'boolean' THEN
        RETURN schema::text::boolean;
    END IF;
    IF wanted IS NOT NULL THEN
        IF jsonb_typeof(wanted) = 'string' THEN
            wanted := jsonb_build_array(wanted);
        END IF;
        IF NOT EXISTS (
            SELECT FROM jsonb_array_elements_text(wanted) AS t(name)
            WHERE t.name = kind
                OR (t.name = 'integer' AND kind = 'number' AND instance::text !~ '[.eE]')
        ) THEN
            RETURN false;
        END IF;
    END IF;
    IF schema ? 'enum' AND NOT (schema -> 'enum') @> jsonb_build_array(instance) THEN
        RETURN false;
    END IF;
    IF kind = 'object' THEN
        FOR key IN SELECT jsonb_array_elements_text(coalesce(schema -> 'required', '[]')) LOOP
            IF NOT instance ? key THEN
                RETURN false;
            END IF;
        END LOOP;
        FOR key, item IN SELECT * FROM jsonb_each(coalesce(schema -> 'properties', '{}')) LOOP
            IF instance ? key AND NOT @extschema@._schema_check_matches(item, instance -> key) THEN
                RETURN false;
            END IF;
        END LOOP;
    ELSIF kind = 'array' AND jsonb_typeof(schema -> 'items') = 'object' THEN
        FOR item IN SELECT jsonb_array_elements(instance) LOOP
            IF NOT @extschema@._schema_check_matches(schema -> 'items', item) THEN
                RETURN false;
            END IF;
        END LOOP;
    END IF;
    RETURN true;
END;
$$;

CREATE FUNCTION @extschema@.json_matches_schema(schema json, instance json) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN @extschema@._schema_check_matches(schema::jsonb, instance::jsonb);

CREATE FUNCTION @extschema@.jsonb_matches_schema(schema json, instance jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN @extschema@._schema_check_matches(schema::jsonb, instance);

CREATE FUNCTION @extschema@.jsonschema_is_valid(schema json) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN jsonb_typeof(schema::jsonb) IN ('object', 'boolean');
