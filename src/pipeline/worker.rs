//! A worker of a fleet (PostgreSQL): its name in leases and claims, how
//! long a lease lasts, and how its dedup index catches up on the articles
//! other workers stored. Plain values; must not speak SQL or poll (that is
//! `fleet`).

use std::time::Duration;

use crate::config::PostgresConfig;
use crate::dedup::{self, DocMeta};
use crate::store::pg::Known;

/// What a worker keeps between rounds.
pub(super) struct Fleet {
    /// Every article up to this number is in the dedup index (`None`: none
    /// was stored yet).
    pub(super) seen: Option<u64>,
    /// Where to connect again when the writer's connection is lost.
    pub(super) pg: PostgresConfig,
}

/// This worker's name in leases, and how long a lease lasts.
#[derive(Debug, Clone)]
pub struct Worker {
    pub name: String,
    pub lease: Duration,
}

impl Worker {
    /// The configured name, else the host's name and the process id (two
    /// workers on one machine differ by their pid).
    pub fn of(pg: &PostgresConfig) -> Worker {
        let name = pg.worker.clone().unwrap_or_else(|| {
            let host = hostname().unwrap_or_else(|| "tidings".into());
            format!("{host}:{}", std::process::id())
        });
        Worker {
            name,
            lease: pg.lease,
        }
    }
}

fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length are valid; the result is checked.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    std::str::from_utf8(&buf[..end])
        .ok()
        .filter(|h| !h.is_empty())
        .map(str::to_string)
}

/// Adds the articles another worker stored to the index, in number order,
/// and moves `seen` past them.
pub(super) fn catch_up(index: &mut dedup::Index, seen: &mut Option<u64>, known: Vec<Known>) {
    for k in known {
        let meta = DocMeta {
            source: k.source,
            published: k
                .published
                .as_deref()
                .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
                .map(|d| d.timestamp()),
        };
        let fp = match k.fingerprint.as_deref().map(dedup::Fingerprint::from_bytes) {
            Some(Ok(fp)) => Some(fp),
            _ => k.text.as_deref().map(|t| index.fingerprint(t, &meta)),
        };
        if let Some(fp) = fp {
            index.insert_fingerprint(k.id, fp, &meta);
        }
        *seen = Some(seen.map_or(k.id, |s| s.max(k.id)));
    }
}
