-- schema-check stand-in for http (pgsql-http) 1.6: its types and its request functions,
-- written in SQL for schema-check's embedded server, whose build leaves the extension out.
-- No request leaves the server: every function returns a response of status 0, no
-- content type, no headers and no content, so code that calls them runs and can be
-- verified, and code that reads the response sees a request that got no answer.

CREATE DOMAIN @extschema@.http_method AS text;

CREATE TYPE @extschema@.http_header AS (field varchar, value varchar);

CREATE TYPE @extschema@.http_request AS (
    method @extschema@.http_method,
    uri varchar,
    headers @extschema@.http_header[],
    content_type varchar,
    content varchar
);

CREATE TYPE @extschema@.http_response AS (
    status integer,
    content_type varchar,
    headers @extschema@.http_header[],
    content varchar
);

CREATE FUNCTION @extschema@.http_header(field varchar, value varchar)
RETURNS @extschema@.http_header
LANGUAGE sql IMMUTABLE
RETURN ROW(field, value)::@extschema@.http_header;

CREATE FUNCTION @extschema@.http(request @extschema@.http_request)
RETURNS @extschema@.http_response
LANGUAGE sql
RETURN ROW(0, NULL, ARRAY[]::@extschema@.http_header[], NULL)::@extschema@.http_response;

CREATE FUNCTION @extschema@.http_get(uri varchar) RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('GET', uri, NULL, NULL, NULL)::@extschema@.http_request);

CREATE FUNCTION @extschema@.http_get(uri varchar, data jsonb) RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('GET', uri, NULL, NULL, NULL)::@extschema@.http_request);

CREATE FUNCTION @extschema@.http_post(uri varchar, content varchar, content_type varchar)
RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('POST', uri, NULL, content_type, content)::@extschema@.http_request);

CREATE FUNCTION @extschema@.http_post(uri varchar, data jsonb) RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(
    ROW('POST', uri, NULL, 'application/json', data::text)::@extschema@.http_request
);

CREATE FUNCTION @extschema@.http_put(uri varchar, content varchar, content_type varchar)
RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('PUT', uri, NULL, content_type, content)::@extschema@.http_request);

CREATE FUNCTION @extschema@.http_patch(uri varchar, content varchar, content_type varchar)
RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('PATCH', uri, NULL, content_type, content)::@extschema@.http_request);

CREATE FUNCTION @extschema@.http_delete(uri varchar) RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('DELETE', uri, NULL, NULL, NULL)::@extschema@.http_request);

CREATE FUNCTION @extschema@.http_head(uri varchar) RETURNS @extschema@.http_response
LANGUAGE sql
RETURN @extschema@.http(ROW('HEAD', uri, NULL, NULL, NULL)::@extschema@.http_request);

CREATE FUNCTION @extschema@.urlencode(string varchar) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    result text := '';
    byte integer;
BEGIN
    FOR byte IN SELECT get_byte(convert_to(string, 'UTF8'), i)
        FROM generate_series(0, octet_length(convert_to(string, 'UTF8')) - 1) AS i LOOP
        IF chr(byte) ~ '[A-Za-z0-9._~-]' AND byte < 128 THEN
            result := result || chr(byte);
        ELSE
            result := result || '%' || upper(lpad(to_hex(byte), 2, '0'));
        END IF;
    END LOOP;
    RETURN result;
END;
$$;
