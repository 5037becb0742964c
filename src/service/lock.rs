//! One writer per database and per corpus: `tidings run` (daemon or
//! `--once`) holds an exclusive `flock` on `<database>.lock`, the database
//! named by its real path (a symlink to it names the same lock), and one on
//! the corpus directory itself, for as long as it runs.
//!
//! The kernel drops the lock when the process dies, however it dies, so a
//! `kill -9` never leaves a stale lock behind. Readers (`status`, `export`,
//! `search`) do not take it: SQLite's WAL lets them read beside the writer.
//! Touches only the lock file (the corpus directory is locked through a
//! descriptor of its own, nothing written in it).

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
    #[error("corpus {corpus} is in use by another tidings (with another database); give each database a corpus of its own")]
    CorpusBusy { corpus: PathBuf },
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
    _corpus: Option<File>,
    path: PathBuf,
}

/// A path with its symlinks resolved, as far as it exists: the database
/// may not exist yet, its directory does once the lock is taken.
fn real_path(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .map(|d| d.join(name))
        .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// The lock file for a database: `tidings.db` → `tidings.db.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl InstanceLock {
    /// Takes the locks for `database` and, when given, its `corpus`
    /// directory (if it exists), or says who holds them. Never waits.
    pub fn acquire(database: &Path, corpus: Option<&Path>) -> Result<InstanceLock, LockError> {
        if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let path = lock_path(&real_path(database));
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
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
        // Two databases on one corpus would number files over each other.
        let corpus = match corpus.filter(|c| c.is_dir()) {
            Some(dir) => {
                let real = real_path(dir);
                let f = File::open(&real).map_err(|source| LockError::Io {
                    path: real.clone(),
                    source,
                })?;
                match f.try_lock() {
                    Ok(()) => Some(f),
                    Err(TryLockError::WouldBlock) => {
                        return Err(LockError::CorpusBusy { corpus: real })
                    }
                    Err(TryLockError::Error(source)) => {
                        return Err(LockError::Io { path: real, source })
                    }
                }
            }
            None => None,
        };
        // The pid is only for the message a second instance prints.
        if writable {
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            write!(file, "{}", std::process::id()).map_err(io)?;
        }
        Ok(InstanceLock {
            _file: file,
            _corpus: corpus,
            path,
        })
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
        let first = InstanceLock::acquire(&db, None).unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(first.path(), real.join("sub/t.db.lock"));
        let err = InstanceLock::acquire(&db, None).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LockError::Busy { .. }), "{msg}");
        assert!(
            msg.contains(&format!("(pid {})", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("t.db is in use by another tidings"), "{msg}");
        drop(first);
        InstanceLock::acquire(&db, None).unwrap();
    }

    #[test]
    fn a_symlink_to_the_database_or_a_shared_corpus_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        let db = dir.path().join("t.db");
        std::fs::write(&db, "").unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        let _first = InstanceLock::acquire(&db, Some(&corpus)).unwrap();
        let err = InstanceLock::acquire(&link, None).unwrap_err();
        assert!(matches!(err, LockError::Busy { .. }), "{err}");
        let other = dir.path().join("other.db");
        let err = InstanceLock::acquire(&other, Some(&corpus)).unwrap_err();
        assert!(matches!(err, LockError::CorpusBusy { .. }), "{err}");
        assert!(
            err.to_string().contains("is in use by another tidings"),
            "{err}"
        );
        // The refused one left the database lock free again.
        drop(err);
        InstanceLock::acquire(&other, None).unwrap();
    }
}
