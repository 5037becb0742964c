//! Running as a service: what systemd, an operator and a monitoring system
//! see of the daemon.
//!
//! * [`notify`]: the `sd_notify` datagram protocol (READY, STATUS,
//!   WATCHDOG, RELOADING, STOPPING) written by hand on `$NOTIFY_SOCKET`.
//! * [`health`]: when the daemon counts as healthy (pure decisions; time is
//!   an argument): gates the watchdog and `/healthz`.
//! * [`metrics`]: process-wide counters and their Prometheus text rendering
//!   (pure: no I/O).
//! * [`http`]: the optional `/metrics` and `/healthz` endpoint.
//! * [`lock`]: one writer per database (`<database>.lock`).
//! * [`log`]: tracing output for a terminal, for journald, or as JSON.
//!
//! Must not touch the store, the corpus or feeds: the daemon (`daemon`)
//! ties these to the pipeline.

pub mod health;
pub mod http;
pub mod lock;
pub mod log;
pub mod metrics;
pub mod notify;
