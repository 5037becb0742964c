//! A connection that is made again once it is lost (the server restarted,
//! the network broke): the call that met the loss fails, the next one
//! connects anew. One rule for every long-lived connection of a worker
//! (the writer's, the host gate's, the outbox's): a connection is replaced
//! only when the driver says it is closed, not after any error (a refused
//! statement leaves it usable). Must not retry a call itself: whether a
//! call may be repeated is its caller's to know.

use std::sync::Mutex;

use super::client::{PgError, PgStore};
use crate::config::PostgresConfig;

impl PgStore {
    /// Replaces this connection with a new one if it is closed. On an error
    /// the closed one stays, and the next call fails and tries again.
    pub fn reopen_if_lost(&mut self, pg: &PostgresConfig) -> Result<(), PgError> {
        if self.is_closed() {
            *self = PgStore::open(pg)?;
        }
        Ok(())
    }
}

/// A connection shared behind a lock, opened at its first use (or at once,
/// with `connect`) and again after it was lost.
pub struct Link {
    pg: PostgresConfig,
    store: Mutex<Option<PgStore>>,
}

impl Link {
    /// Connects at the first call.
    pub fn lazy(pg: &PostgresConfig) -> Link {
        Link {
            pg: pg.clone(),
            store: Mutex::new(None),
        }
    }

    /// Connects now, so that a wrong URL or password shows at start.
    pub fn connect(pg: &PostgresConfig) -> Result<Link, PgError> {
        Ok(Link {
            pg: pg.clone(),
            store: Mutex::new(Some(PgStore::open(pg)?)),
        })
    }

    /// Runs `f` on the connection, making it first if there is none or the
    /// last one was lost. Blocks: call it off the async threads.
    pub fn run<T>(&self, f: impl FnOnce(&mut PgStore) -> Result<T, PgError>) -> Result<T, PgError> {
        // A panic while holding it leaves the server consistent (each
        // statement or transaction is atomic).
        let mut slot = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let store = match slot.as_mut() {
            Some(s) => {
                s.reopen_if_lost(&self.pg)?;
                s
            }
            None => slot.insert(PgStore::open(&self.pg)?),
        };
        f(store)
    }
}
