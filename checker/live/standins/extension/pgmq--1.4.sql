-- schema-check stand-in for pgmq 1.4: its message type, its queue list and the functions
-- that create and drop queues and send, read, delete and archive messages, written in SQL
-- for schema-check's embedded server, whose build leaves the extension out. A queue is a
-- table pgmq.q_<name> with an archive pgmq.a_<name>, as pgmq makes them.

CREATE TYPE @extschema@.message_record AS (
    msg_id bigint,
    read_ct integer,
    enqueued_at timestamptz,
    vt timestamptz,
    message jsonb
);

CREATE TABLE @extschema@.meta (
    queue_name varchar UNIQUE NOT NULL,
    is_partitioned boolean NOT NULL DEFAULT false,
    is_unlogged boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION @extschema@.create(queue_name text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS @extschema@.%I (msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, '
        'read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(), '
        'vt timestamptz NOT NULL, message jsonb)', 'q_' || queue_name);
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS @extschema@.%I (msg_id bigint PRIMARY KEY, '
        'read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(), '
        'archived_at timestamptz NOT NULL DEFAULT now(), vt timestamptz NOT NULL, message jsonb)',
        'a_' || queue_name);
    INSERT INTO @extschema@.meta (queue_name) VALUES (queue_name) ON CONFLICT DO NOTHING;
    -- the queue's tables belong to the extension, as pgmq makes them
    EXECUTE format('ALTER EXTENSION pgmq ADD TABLE @extschema@.%I', 'q_' || queue_name);
    EXECUTE format('ALTER EXTENSION pgmq ADD TABLE @extschema@.%I', 'a_' || queue_name);
END;
$$;

CREATE FUNCTION @extschema@.drop_queue(queue_name text) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER EXTENSION pgmq DROP TABLE @extschema@.%I', 'q_' || queue_name);
    EXECUTE format('ALTER EXTENSION pgmq DROP TABLE @extschema@.%I', 'a_' || queue_name);
    EXECUTE format('DROP TABLE IF EXISTS @extschema@.%I', 'q_' || queue_name);
    EXECUTE format('DROP TABLE IF EXISTS @extschema@.%I', 'a_' || queue_name);
    DELETE FROM @extschema@.meta WHERE meta.queue_name = drop_queue.queue_name;
    RETURN true;
END;
$$;

CREATE FUNCTION @extschema@.send(queue_name text, msg jsonb, delay integer DEFAULT 0)
RETURNS SETOF bigint
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'INSERT INTO @extschema@.%I (vt, message) VALUES (now() + make_interval(secs => $1), $2) '
        'RETURNING msg_id', 'q_' || queue_name) USING delay, msg;
END;
$$;

CREATE FUNCTION @extschema@.read(queue_name text, vt integer, qty integer)
RETURNS SETOF @extschema@.message_record
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'WITH due AS (SELECT msg_id FROM @extschema@.%1$I WHERE vt <= now() ORDER BY msg_id '
        'LIMIT $1 FOR UPDATE SKIP LOCKED) '
        'UPDATE @extschema@.%1$I AS m SET vt = now() + make_interval(secs => $2), '
        'read_ct = m.read_ct + 1 FROM due WHERE m.msg_id = due.msg_id '
        'RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message',
        'q_' || queue_name) USING qty, vt;
END;
$$;

CREATE FUNCTION @extschema@.delete(queue_name text, msg_id bigint) RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    found bigint;
BEGIN
    EXECUTE format('DELETE FROM @extschema@.%I WHERE msg_id = $1 RETURNING msg_id', 'q_' || queue_name)
        INTO found USING msg_id;
    RETURN found IS NOT NULL;
END;
$$;

CREATE FUNCTION @extschema@.archive(queue_name text, msg_id bigint) RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    found bigint;
BEGIN
    EXECUTE format(
        'WITH gone AS (DELETE FROM @extschema@.%I WHERE msg_id = $1 RETURNING *) '
        'INSERT INTO @extschema@.%I (msg_id, read_ct, enqueued_at, vt, message) '
        'SELECT msg_id, read_ct, enqueued_at, vt, message FROM gone RETURNING msg_id',
        'q_' || queue_name, 'a_' || queue_name) INTO found USING msg_id;
    RETURN found IS NOT NULL;
END;
$$;
