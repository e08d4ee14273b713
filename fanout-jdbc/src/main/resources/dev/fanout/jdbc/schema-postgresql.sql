-- fanout journal: the table JdbcJournal keeps accepted invalidations in (PostgreSQL 9.5 or later).
--
-- Apply it once, as a migration, with the role that owns the application's tables:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f schema-postgresql.sql
-- or copy it into a Flyway/Liquibase migration. The application's role needs SELECT, INSERT,
-- UPDATE and DELETE on the table and USAGE on its sequence. JdbcJournal.builder().createSchema(true)
-- runs this same file at start-up instead (every statement is IF NOT EXISTS).
-- To use another table name, replace fanout_journal everywhere (index names start with it too) and
-- give the same name to JdbcJournal.builder().table(...).

CREATE TABLE IF NOT EXISTS fanout_journal (
  seq             BIGSERIAL     PRIMARY KEY,   -- append order; claims and history page by it
  id              VARCHAR(128)  NOT NULL,      -- the invalidation id (idempotency key)
  entity_key      VARCHAR(1024),               -- optional entity key, e.g. post:42
  version         BIGINT,                      -- optional entity version
  payload         TEXT          NOT NULL,      -- the invalidation as JSON: id, paths, tags, entity, version
  state           CHAR(1)       NOT NULL,      -- P pending, D delivered, F failed, S superseded
  accepted_at     TIMESTAMPTZ   NOT NULL,
  updated_at      TIMESTAMPTZ   NOT NULL,
  next_attempt_at TIMESTAMPTZ   NOT NULL,      -- not claimable before (retry backoff)
  attempts        INTEGER       NOT NULL,      -- claims so far
  lease_owner     VARCHAR(200),                -- the sender holding (or that finished) the entry
  lease_until     TIMESTAMPTZ,                 -- the holder's lease end; NULL when released
  progress        TEXT,                        -- JSON: targets that acknowledged, stages done
  summary         VARCHAR(500)  NOT NULL,      -- the last report's one-line summary
  CONSTRAINT fanout_journal_state_ck CHECK (state IN ('P', 'D', 'F', 'S'))
);

-- Idempotency: one entry per invalidation id.
CREATE UNIQUE INDEX IF NOT EXISTS fanout_journal_id_uq ON fanout_journal (id);

-- One entry per entity version (the same webhook received by two backend replicas); also serves
-- the "newest version of this key" look-up. NULL versions never conflict.
CREATE UNIQUE INDEX IF NOT EXISTS fanout_journal_entity_version_uq ON fanout_journal (entity_key, version);

-- Claims and the backlog read only unfinished entries, in sequence order: a partial index stays as
-- small as the backlog, however long the history kept for catch-up.
CREATE INDEX IF NOT EXISTS fanout_journal_pending_ix ON fanout_journal (seq) WHERE state = 'P';

-- Entity ordering: a claim reads every unfinished version of a key.
CREATE INDEX IF NOT EXISTS fanout_journal_pending_entity_ix ON fanout_journal (entity_key)
  WHERE state = 'P' AND entity_key IS NOT NULL;

-- Catch-up history windows and expiry read by acceptance time.
CREATE INDEX IF NOT EXISTS fanout_journal_accepted_ix ON fanout_journal (accepted_at);

-- Catch-up outcomes (Journal.recordCatchUp): one row per replica caught up, or that could not be.
-- The journal keeps the newest 10,000 rows (it deletes older ones as it inserts); nothing in a row
-- is secret: the replica is named by its stage and host:port only.
CREATE TABLE IF NOT EXISTS fanout_journal_catchup (
  seq        BIGSERIAL     PRIMARY KEY,   -- record order; the newest rows are kept
  stage      VARCHAR(64)   NOT NULL,      -- the fan-out stage
  target     VARCHAR(300)  NOT NULL,      -- the replica's host:port
  reason     VARCHAR(16)   NOT NULL,      -- JOINED, NOT_READY, MISSED, RETURNED
  outcome    VARCHAR(16)   NOT NULL,      -- CAUGHT_UP, FAILED
  ended_at   TIMESTAMPTZ   NOT NULL,
  since      TIMESTAMPTZ,                 -- start of the history sent; NULL if it got no history
  paths      INTEGER       NOT NULL,      -- paths sent
  tags       INTEGER       NOT NULL,      -- tags sent
  entries    INTEGER       NOT NULL,      -- invalidations they unite
  attempts   INTEGER       NOT NULL,
  elapsed_ms BIGINT        NOT NULL,      -- from the replica's appearance to the outcome
  error      VARCHAR(500)                 -- why it failed; NULL when caught up
);
