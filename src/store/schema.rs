//! The schema: the migrations, one step each, keyed by `PRAGMA
//! user_version` (`db` applies them). Append only: never edit a released
//! step, for databases that ran it do not run it again.
//!
//! Part of the store; holds SQL text only.

/// Each entry is one schema step; append only, never edit a released one.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll TEXT,
    entries_seen INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'stored', 'imported')),
    url TEXT,
    canonical_url TEXT,
    title TEXT NOT NULL,
    feed TEXT,
    entry_key TEXT,
    published TEXT,
    fetched_at TEXT,
    language TEXT,
    author TEXT,
    site_name TEXT,
    method TEXT,
    words INTEGER NOT NULL,
    text_hash BLOB NOT NULL,
    story INTEGER NOT NULL
);
CREATE INDEX articles_canonical ON articles(canonical_url);
CREATE INDEX articles_hash ON articles(text_hash);
CREATE TABLE entries (
    feed TEXT NOT NULL,
    key TEXT NOT NULL,
    link TEXT,
    title TEXT,
    first_seen TEXT NOT NULL,
    last_attempt TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('stored', 'duplicate', 'offtopic', 'failed', 'no_article')),
    article INTEGER,
    attempts INTEGER NOT NULL DEFAULT 1,
    last_error TEXT,
    PRIMARY KEY (feed, key)
);
CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    article INTEGER NOT NULL REFERENCES articles(id),
    url TEXT,
    canonical_url TEXT,
    feed TEXT,
    entry_key TEXT,
    title TEXT,
    published TEXT,
    seen_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    score REAL
);
CREATE INDEX sightings_article ON sightings(article);
"#,
    r#"
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    sink TEXT NOT NULL,
    event TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_attempt TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'expired')),
    sent_at TEXT,
    UNIQUE (sink, key)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt);
ALTER TABLE feeds ADD COLUMN failing_since TEXT;
"#,
    r#"
ALTER TABLE feeds ADD COLUMN config_url TEXT;
ALTER TABLE feeds ADD COLUMN retired TEXT;
ALTER TABLE feeds ADD COLUMN interval_secs INTEGER;
ALTER TABLE feeds ADD COLUMN last_full_poll TEXT;
UPDATE feeds SET config_url = url;
"#,
    r#"
ALTER TABLE articles ADD COLUMN fingerprint BLOB;
ALTER TABLE articles ADD COLUMN source TEXT;
ALTER TABLE sightings ADD COLUMN longer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sightings ADD COLUMN newer INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
CREATE INDEX articles_feed ON articles(feed, state);
"#,
    r#"
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    article INTEGER NOT NULL REFERENCES articles(id),
    sighting INTEGER REFERENCES sightings(id),
    file TEXT NOT NULL,
    warc_offset INTEGER NOT NULL,
    warc_length INTEGER NOT NULL,
    request_offset INTEGER NOT NULL,
    request_length INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    target_uri TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    payload_digest TEXT NOT NULL,
    payload_length INTEGER NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX captures_article ON captures(article) WHERE sighting IS NULL;
CREATE INDEX captures_sighting ON captures(sighting);
CREATE INDEX captures_file ON captures(file);
CREATE TABLE original_texts (
    article INTEGER PRIMARY KEY REFERENCES articles(id),
    text TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
"#,
    // Full-text search over headline and body, its rowid the article id.
    // The body lives in the corpus file, which SQL cannot read: rows that
    // lack theirs (every article when this step runs) are indexed from their
    // files by `pipeline::index_text` when the writer next opens.
    // `remove_diacritics 2` folds case and accents as the topic query does.
    r#"
CREATE VIRTUAL TABLE article_text USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
"#,
    // 'paywalled' when only the public part of the article could be read;
    // NULL when the page showed all of it.
    r#"
ALTER TABLE articles ADD COLUMN access TEXT;
"#,
    // The kind of the last failed poll (`model::FailureKind::label`), so
    // that readers tell a storage fault from the feed's own failure by its
    // type. Before this step the pipeline's storage fault was known only
    // by the prefix it wrote, "storage fault: " (every message of a fetch
    // or parse failure starts with the feed's URL): rows that carry it are
    // given their kind once here, so `status` says what it said before.
    r#"
ALTER TABLE feeds ADD COLUMN failure_kind TEXT;
UPDATE feeds SET failure_kind = 'store'
 WHERE last_error LIKE 'storage fault: %' AND consecutive_failures = 0 AND retired IS NULL;
"#,
];
