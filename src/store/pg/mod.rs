//! PostgreSQL: the shared database for several workers on several machines.
//!
//! SQLite stays the embedded default; this is the second backend, for a
//! fleet. What a fleet needs beyond one process is decided here, in SQL, so
//! that it holds across machines and survives a killed worker:
//!
//! - feed leases (`leases`): a due feed is claimed by one worker with
//!   `FOR UPDATE SKIP LOCKED` and a lease that expires, so no feed is polled
//!   twice at once and a dead worker's feeds are taken over;
//! - the per-host budget (`hosts`): in-flight permits, the gap between
//!   requests and a host's Retry-After are rows, not per-process state;
//! - the outbox (`outbox`): each alert is claimed by one worker, with a claim
//!   that expires, and marked sent by its claimant only;
//! - one decision per story (`stories`): a worker decides new-or-copy
//!   under a fleet-wide advisory lock, after catching up on the articles
//!   the others stored;
//! - the schema (`schema`): migrations as an append-only list, applied in one
//!   transaction under an advisory lock, so workers starting at once apply
//!   each step once.
//!
//! Time comes in as an argument everywhere (the callers' clock), never from
//! the server's `now()`, so the decisions are testable and workers agree with
//! their own schedule. The calls block, like the SQLite store's: async
//! callers run them on a blocking thread. The only module that knows the
//! `postgres` crate. Must not touch files or the network beyond its one
//! connection. See ARCHITECTURE.md, "Several workers".
//!
//! This file only declares the files and re-exports them: `client` (the
//! connection, `PgStore`, `PgError`), `schema`, `feeds` (rows, the
//! schedule), `entries`, `leases` (a feed's lease for one poll), `hosts`, `alerts` (queueing), `outbox` (claiming and
//! delivering), `stories`, `copy`, `link` (a connection made again once
//! lost); for the read commands and `corpus sync`,
//! `records` (export records and their filters), `reads` (feeds, counts,
//! provenance, stored texts) and `search` (full-text search).

mod alerts;
pub(super) mod client;
mod copy;
mod entries;
mod feeds;
mod hosts;
mod leases;
mod link;
mod outbox;
mod reads;
mod records;
mod schema;
mod search;
mod stories;

pub use client::{PgCa, PgError, PgStore};
pub use copy::{copy_sqlite, Copied, CopyError};
pub use hosts::{HostGrant, Permit};
pub use link::Link;
pub use outbox::ClaimedAlert;
pub use reads::StoredText;
pub use search::{tsquery, SearchError};
pub use stories::{Decision, Known};
