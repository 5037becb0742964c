//! The PostgreSQL schema: an append-only list of steps, applied in one
//! transaction under an advisory lock, the version kept in `tidings_schema`.
//!
//! PostgreSQL has no `user_version`; a table holds the steps applied. The
//! advisory lock is taken before anything is read, so workers starting at
//! once apply each step exactly once. The tables follow the SQLite schema's
//! meaning (same names, same states) with PostgreSQL's own types, plus what a
//! fleet needs: leases on feeds, claims on alerts, host permits, and the
//! article text itself (in PostgreSQL mode the database holds it and the
//! corpus files are written from it). Must not hold queries of its own
//! beyond the schema's.

use super::client::{wrap, PgError, PgStore};

/// The advisory lock key for migrations ("tidings" in ASCII, truncated).
const MIGRATION_LOCK: i64 = 0x7469_6469_6e67_7301;

/// Each entry is one schema step; append only, never edit a released one.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    config_url TEXT,
    etag TEXT,
    last_modified TEXT,
    last_attempt TIMESTAMPTZ,
    last_success TIMESTAMPTZ,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll TIMESTAMPTZ,
    entries_seen BIGINT NOT NULL DEFAULT 0,
    failing_since TIMESTAMPTZ,
    retired TEXT,
    interval_secs BIGINT,
    last_full_poll TIMESTAMPTZ,
    -- The worker polling the feed, until when; a lease past its time is free.
    lease_owner TEXT,
    lease_until TIMESTAMPTZ
);
CREATE INDEX feeds_due ON feeds (next_poll);

-- Numbers the corpus files across workers, from 0 as with SQLite.
CREATE SEQUENCE article_ids MINVALUE 0 START 0;
CREATE TABLE articles (
    id BIGINT PRIMARY KEY DEFAULT nextval('article_ids'),
    file TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'stored', 'imported')),
    url TEXT,
    canonical_url TEXT,
    title TEXT NOT NULL,
    feed TEXT,
    entry_key TEXT,
    published TEXT,
    fetched_at TIMESTAMPTZ,
    language TEXT,
    author TEXT,
    site_name TEXT,
    method TEXT,
    words INTEGER NOT NULL,
    text_hash BYTEA NOT NULL,
    story BIGINT NOT NULL,
    fingerprint BYTEA,
    source TEXT,
    access TEXT,
    -- The corpus file's text, byte for byte: files are written from it.
    text TEXT NOT NULL,
    search TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', text), 'B')
    ) STORED
);
ALTER SEQUENCE article_ids OWNED BY articles.id;
CREATE INDEX articles_canonical ON articles (canonical_url);
CREATE INDEX articles_hash ON articles (text_hash);
CREATE INDEX articles_feed ON articles (feed, state);
CREATE INDEX articles_search ON articles USING GIN (search);

CREATE TABLE entries (
    feed TEXT NOT NULL,
    key TEXT NOT NULL,
    link TEXT,
    title TEXT,
    first_seen TIMESTAMPTZ NOT NULL,
    last_attempt TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('stored', 'duplicate', 'offtopic', 'failed', 'no_article')),
    article BIGINT,
    attempts INTEGER NOT NULL DEFAULT 1,
    last_error TEXT,
    PRIMARY KEY (feed, key)
);

CREATE TABLE sightings (
    id BIGSERIAL PRIMARY KEY,
    article BIGINT NOT NULL REFERENCES articles (id),
    url TEXT,
    canonical_url TEXT,
    feed TEXT,
    entry_key TEXT,
    title TEXT,
    published TEXT,
    seen_at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    score DOUBLE PRECISION,
    longer BOOLEAN NOT NULL DEFAULT FALSE,
    newer BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX sightings_article ON sightings (article);

CREATE TABLE captures (
    id BIGSERIAL PRIMARY KEY,
    article BIGINT NOT NULL REFERENCES articles (id),
    sighting BIGINT REFERENCES sightings (id),
    file TEXT NOT NULL,
    warc_offset BIGINT NOT NULL,
    warc_length BIGINT NOT NULL,
    request_offset BIGINT NOT NULL,
    request_length BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    target_uri TEXT NOT NULL,
    captured_at TIMESTAMPTZ NOT NULL,
    status INTEGER NOT NULL,
    payload_digest TEXT NOT NULL,
    payload_length BIGINT NOT NULL,
    truncated BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX captures_article ON captures (article) WHERE sighting IS NULL;
CREATE INDEX captures_sighting ON captures (sighting);

CREATE TABLE original_texts (
    article BIGINT PRIMARY KEY REFERENCES articles (id),
    text TEXT NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    sink TEXT NOT NULL,
    event TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    next_attempt TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'expired')),
    sent_at TIMESTAMPTZ,
    -- The worker sending the alert, until when; a claim past its time is free.
    claimed_by TEXT,
    claim_until TIMESTAMPTZ,
    UNIQUE (sink, key)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);

-- The per-host budget across the fleet: when the next request may start
-- (the gap, or a Retry-After), and the permits held by requests in flight.
CREATE TABLE hosts (
    host TEXT PRIMARY KEY,
    next_allowed TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
CREATE TABLE host_permits (
    id BIGSERIAL PRIMARY KEY,
    host TEXT NOT NULL REFERENCES hosts (host),
    worker TEXT NOT NULL,
    until TIMESTAMPTZ NOT NULL
);
CREATE INDEX host_permits_host ON host_permits (host, until);
"#,
    // The kind of a feed's standing failure, as SQLite keeps it.
    r#"
ALTER TABLE feeds ADD COLUMN failure_kind TEXT;
"#,
];

impl PgStore {
    /// Applies the steps this database lacks, all in one transaction.
    pub(super) fn migrate(&mut self) -> Result<(), PgError> {
        let e = wrap(&self.shown);
        let known = MIGRATIONS.len() as i64;
        let mut tx = self.client.transaction().map_err(&e)?;
        // Held to the end of the transaction: a second worker waits here and
        // then finds the steps applied.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(&e)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS tidings_schema (
                 version INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .map_err(&e)?;
        let found: i64 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM tidings_schema", &[])
            .map_err(&e)?
            .get::<_, i32>(0) as i64;
        if found > known {
            return Err(PgError::TooNew {
                url: self.shown.clone(),
                found,
                known,
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.batch_execute(step).map_err(&e)?;
            let version = i as i32 + 1;
            tx.execute(
                "INSERT INTO tidings_schema (version) VALUES ($1)",
                &[&version],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)
    }
}
