//! The one HTTP client, for feeds and pages alike.
//!
//! The only module that knows reqwest. It never trusts a server: bodies are
//! capped while they stream (after decompression, so a gzip bomb costs no
//! more than the cap: `body`), redirects are followed by hand (at most ten,
//! loops refused, every hop checked, all of them within one `timeout`), and
//! by default no request reaches a loopback, private, link-local or
//! cloud-metadata address, checked after DNS resolution and on every
//! redirect (through a proxy, before the proxy is handed the name;
//! `socks5h` names excepted: `guard`). One politeness budget per host
//! (`politeness`) covers feed polls and page fetches alike; a budget
//! shared with other processes comes in through its `HostGate` seam.
//! Failures are sorted by type, never by their words (`error`). Alerts go
//! out through `poster`. `fetcher` is the `Fetcher` and its redirect loop, `client`
//! builds the reqwest clients, `address` says which addresses are
//! private (a leaf: `config` checks proxies with it). This file only
//! declares them and re-exports their public items. Must not parse what
//! it fetches, nor touch the store or the corpus; see ARCHITECTURE.md, "Codemap" (`fetch`) and "Invariants".

pub(crate) mod address;
mod body;
mod client;
mod error;
mod fetcher;
mod guard;
mod politeness;
mod poster;
mod response;
#[cfg(test)]
mod tests;

pub use address::is_private;
pub use error::{ClientError, FetchError, PrivateAddress, Redirect, Source, Unresolved};
pub use fetcher::Fetcher;
pub use politeness::{GateFuture, GatePermit, Gated, HostGate};
pub use poster::{redact, Poster};
pub use response::{charset_of, parse_freshness, parse_retry_after, Exchange, Fetched, Validators};
