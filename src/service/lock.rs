//! One writer per database: `tidings run` (daemon or `--once`) holds an
//! exclusive `flock` on `<database>.lock` for as long as it runs.
//!
//! The kernel drops the lock when the process dies, however it dies, so a
//! `kill -9` never leaves a stale lock behind. Readers (`status`, `export`,
//! `search`) do not take it: SQLite's WAL lets them read beside the writer.
//! Touches only the lock file.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("database {database} is in use by another tidings{holder} (lock {lock}); stop it first, or give this one another database")]
    Busy {
        database: PathBuf,
        lock: PathBuf,
        /// " (pid N)" when the holder wrote its pid, else empty.
        holder: String,
    },
    #[error("lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

/// The lock file for a database: `tidings.db` → `tidings.db.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl InstanceLock {
    /// Takes the lock for `database`, or says who holds it. Never waits.
    pub fn acquire(database: &Path) -> Result<InstanceLock, LockError> {
        let path = lock_path(database);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path);
        // A lock file someone else created and we may not write still
        // locks: flock needs only an open descriptor. The pid is then left
        // as it was.
        let (mut file, writable) = match opened {
            Ok(f) => (f, true),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                (File::open(&path).map_err(|_| io(e))?, false)
            }
            Err(e) => return Err(io(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                let holder = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                    format!(" (pid {pid})")
                } else {
                    String::new()
                };
                return Err(LockError::Busy {
                    database: database.to_path_buf(),
                    lock: path,
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // The pid is only for the message a second instance prints.
        if writable {
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            write!(file, "{}", std::process::id()).map_err(io)?;
        }
        Ok(InstanceLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub/t.db");
        let first = InstanceLock::acquire(&db).unwrap();
        assert_eq!(first.path(), dir.path().join("sub/t.db.lock"));
        let err = InstanceLock::acquire(&db).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LockError::Busy { .. }), "{msg}");
        assert!(
            msg.contains(&format!("(pid {})", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("t.db is in use by another tidings"), "{msg}");
        drop(first);
        InstanceLock::acquire(&db).unwrap();
    }
}
