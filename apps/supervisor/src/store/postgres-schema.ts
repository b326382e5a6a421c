/**
 * The PostgreSQL schema, as one ordered list of migrations (postgres.ts applies those not yet recorded).
 * The same data as the SQLite files, in PostgreSQL's types; what only a cluster needs comes after.
 *
 * Times the database judges (lease expiry, node heartbeats) are `timestamptz` compared with `now()`: one clock
 * for the whole cluster. Times a node only records (created, updated) stay ISO text or epoch milliseconds, as
 * in SQLite, so both stores hand out the same records.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE sessions (
     session_id    text PRIMARY KEY,
     engine        text NOT NULL,
     desired_state text NOT NULL,
     status        text NOT NULL,
     restarts      integer NOT NULL DEFAULT 0,
     metadata      jsonb NOT NULL DEFAULT '{}',
     webhooks      jsonb NOT NULL DEFAULT '[]',
     last_error    jsonb,
     me            jsonb,
     created_at    text NOT NULL,
     updated_at    text NOT NULL,
     started_at    text,
     ready_at      text,
     proxy         text,
     version       integer NOT NULL DEFAULT 1
   );

   -- Events are ordered for readers by the transaction that wrote them (see pg-event-stream.ts): xact is that
   -- transaction's id, seq the order inside it. Ids compare byte by byte, as in SQLite, whatever the server's
   -- locale: a pruned id is placed among the others by its index (cursorOf).
   CREATE TABLE events (
     seq        bigserial PRIMARY KEY,
     xact       xid8 NOT NULL DEFAULT pg_current_xact_id(),
     id         text COLLATE "C" NOT NULL UNIQUE,
     session_id text NOT NULL,
     type       text NOT NULL,
     created_ms bigint NOT NULL,
     envelope   text NOT NULL
   );
   CREATE INDEX events_stream ON events (xact, seq);
   CREATE INDEX events_created ON events (created_ms);
   CREATE TABLE deliveries (
     event_seq        bigint NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
     target           text NOT NULL,
     status           text NOT NULL,
     attempts         integer NOT NULL DEFAULT 0,
     next_attempt_ms  bigint NOT NULL,
     last_error       text,
     last_status      integer,
     delivered_ms     bigint,
     claimed_by       text,
     claim_expires_ms bigint,
     PRIMARY KEY (event_seq, target)
   );
   CREATE INDEX deliveries_due ON deliveries (status, next_attempt_ms);
   CREATE INDEX deliveries_target_due ON deliveries (target, status, next_attempt_ms);

   CREATE TABLE idempotent_sends (
     session_id      text NOT NULL,
     idempotency_key text NOT NULL,
     request_hash    text NOT NULL,
     state           text NOT NULL,
     result          jsonb,
     created_ms      bigint NOT NULL,
     PRIMARY KEY (session_id, idempotency_key)
   );
   CREATE INDEX idempotent_sends_created ON idempotent_sends (created_ms);

   -- The cluster's members. A node is alive while its heartbeat is younger than its lease_ms.
   CREATE TABLE nodes (
     node_id       text PRIMARY KEY,
     url           text NOT NULL,
     status        text NOT NULL,
     max_sessions  integer NOT NULL,
     sessions      integer NOT NULL DEFAULT 0,
     free_memory   bigint NOT NULL DEFAULT 0,
     lease_ms      integer NOT NULL,
     started_at    timestamptz NOT NULL DEFAULT now(),
     heartbeat_at  timestamptz NOT NULL DEFAULT now()
   );

   -- Who runs a session. epoch grows at every change of owner: every write of an owner names the epoch it
   -- holds, and is refused once another holds the session (fencing).
   CREATE TABLE session_leases (
     session_id text PRIMARY KEY REFERENCES sessions (session_id) ON DELETE CASCADE,
     node_id    text NOT NULL,
     epoch      bigint NOT NULL,
     expires_at timestamptz NOT NULL
   );
   CREATE INDEX session_leases_node ON session_leases (node_id);

   -- What an engine needs to come back without a new QR (webjs: the profile's IndexedDB and Local Storage).
   CREATE TABLE auth_state (
     session_id text PRIMARY KEY REFERENCES sessions (session_id) ON DELETE CASCADE,
     epoch      bigint NOT NULL,
     sha256     text NOT NULL,
     data       bytea NOT NULL,
     saved_at   timestamptz NOT NULL DEFAULT now()
   );

   -- Each session's last log records (logs/pg-session-log-store.ts), whichever node logged them, in the order of
   -- logged_ms (the record's time, epoch ms), then seq. No reference to sessions: a record logged just after its
   -- session was deleted must not fail the batch it is written in; such rows are pruned.
   CREATE TABLE session_logs (
     seq        bigserial PRIMARY KEY,
     session_id text NOT NULL,
     node_id    text NOT NULL,
     logged_ms  bigint NOT NULL,
     record     jsonb NOT NULL
   );
   CREATE INDEX session_logs_session ON session_logs (session_id, logged_ms, seq);`,
  // Every change of a session row is announced to the nodes, which reload it into their registry caches; every
  // transaction that appends events wakes their event streams (one notification per transaction: identical
  // notifications of one transaction are delivered once). See cluster/pg-listener.ts.
  `CREATE FUNCTION wsm_notify_session() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('wsm_sessions', CASE WHEN TG_OP = 'DELETE' THEN OLD.session_id ELSE NEW.session_id END);
     RETURN NULL;
   END $$;
   CREATE TRIGGER sessions_notify AFTER INSERT OR UPDATE OR DELETE ON sessions
     FOR EACH ROW EXECUTE FUNCTION wsm_notify_session();
   CREATE FUNCTION wsm_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('wsm_events', '');
     RETURN NULL;
   END $$;
   CREATE TRIGGER events_notify AFTER INSERT ON events
     FOR EACH STATEMENT EXECUTE FUNCTION wsm_notify_events();`,
  // Epochs from one sequence for every session and incarnation: a fencing token is never handed out twice, even
  // to a session deleted and created again under the same id (whose lease would otherwise start at 1 again).
  `CREATE SEQUENCE lease_epochs;
   SELECT setval('lease_epochs', coalesce((SELECT max(epoch) FROM session_leases), 0) + 1, false);`,
  // An update's notification names the version it wrote ("<session id> <version>"), so the node that wrote it,
  // whose cache has that version already, does not read its own write back; inserts and deletes name the id only.
  `CREATE OR REPLACE FUNCTION wsm_notify_session() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('wsm_sessions', CASE
       WHEN TG_OP = 'DELETE' THEN OLD.session_id
       WHEN TG_OP = 'UPDATE' THEN NEW.session_id || ' ' || NEW.version
       ELSE NEW.session_id END);
     RETURN NULL;
   END $$;`,
];
