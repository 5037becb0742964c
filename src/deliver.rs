//! Alert delivery: the outbox loop and the senders.
//!
//! Takes due rows from the outbox, sends each to its sink (HTTP through
//! `fetch::Poster`, SMTP through lettre, a command through
//! `tokio::process` without a shell), and records the outcome: sent,
//! retried later with backoff, or expired. Runs beside ingestion on its
//! own connection to the database (`Outbox`), so a slow ingestion round
//! does not hold alerts up, nor delivery a round; the two meet only in
//! SQLite's own write lock, for the moment a statement takes. Alerts are
//! queued by ingestion, in the transaction that stores their article, so
//! an alert never exists without its article nor an article without its
//! alert. With a PostgreSQL database the outbox is the fleet's: each
//! worker claims the alerts it sends, so each is sent by one worker, and a
//! dead worker's claims lapse. Must not decide what is alerted (that is
//! `pipeline` with `alert`'s filters). See `ARCHITECTURE.md`, "Tasks in
//! the daemon" and "Several workers".
//!
//! This file only declares the files and re-exports them: `send` (the
//! senders), `outbox` (the outbox's connection, SQLite or PostgreSQL),
//! `pass` (a pass over the outbox, `flush` and the daemon's loop).

mod outbox;
mod pass;
mod send;

pub use outbox::Outbox;
pub use pass::{deliver_due, flush, run, Pass};
pub use send::{send, DeliverError, COMMAND_ENV};
