//! The corpus directory: one article per `NNN_HHHHHHHHHHHHHHHH.txt` file.
//!
//! The only module that writes into the corpus directory. A file appears
//! atomically (write to a hidden temporary name, fsync, rename, fsync the
//! directory) and is never rewritten, except by [`Corpus::replace`] for
//! `tidings reextract --write`. Must not know about SQLite or HTTP.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("corpus directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("corpus file {0} already exists")]
    Exists(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CorpusError + '_ {
    move |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A corpus file's name, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    pub seq: u64,
    pub hex: String,
}

impl FileName {
    /// Reads `NNN_HHHHHHHHHHHHHHHH.txt`; anything else is not a corpus file.
    pub fn parse(name: &str) -> Option<FileName> {
        let stem = name.strip_suffix(".txt")?;
        let (num, hex) = stem.split_once('_')?;
        let ok_num = num.len() >= 3 && num.bytes().all(|b| b.is_ascii_digit());
        let ok_hex = hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !(ok_num && ok_hex) {
            return None;
        }
        Some(FileName {
            seq: num.parse().ok()?,
            hex: hex.to_string(),
        })
    }

    pub fn render(&self) -> String {
        format!("{:03}_{}.txt", self.seq, self.hex)
    }
}

/// The 64-bit identifier of an article, as 16 hex digits: the first 8 bytes
/// of the SHA-256 of its canonical URL.
pub fn identifier(canonical_url: &str) -> String {
    let d = Sha256::digest(canonical_url.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// One file found in the corpus directory.
#[derive(Debug, Clone)]
pub struct Found {
    pub name: FileName,
    pub text: String,
}

/// A text written and fsynced under a hidden temporary name, waiting for
/// its corpus name ([`Corpus::stage`], [`Corpus::link`]). Removed when
/// dropped unplaced (a duplicate needs no file).
#[derive(Debug)]
pub struct Staged {
    tmp: Option<PathBuf>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// The corpus directory.
#[derive(Debug, Clone)]
pub struct Corpus {
    dir: PathBuf,
}

impl Corpus {
    /// Opens (creating if needed) the corpus directory. Reading only: a
    /// reader (`search`, `dedup`) opening it while the daemon runs must not
    /// touch the daemon's half-written files, so the sweep is apart.
    pub fn open(dir: &Path) -> Result<Corpus, CorpusError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        Ok(Corpus {
            dir: dir.to_path_buf(),
        })
    }

    /// Removes the temporary files a crash left. Only the holder of the
    /// instance lock calls it (the daemon's start, `reextract --write`):
    /// anyone else could delete a file the running writer is about to link.
    pub fn sweep_temporaries(&self) -> Result<(), CorpusError> {
        self.sweep_temporaries_older_than(Duration::ZERO, SystemTime::now())
    }

    /// Removes the temporary files last written more than `age` before
    /// `now`: in a directory that several writers share (a fleet's), those
    /// are what a killed writer left, since a live one links or removes its
    /// own within a commit.
    pub fn sweep_temporaries_older_than(
        &self,
        age: Duration,
        now: SystemTime,
    ) -> Result<(), CorpusError> {
        let dir = &self.dir;
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            if !entry
                .file_name()
                .to_string_lossy()
                .starts_with(".tidings-tmp-")
            {
                continue;
            }
            let p = entry.path();
            // A time after `now` is a writer's whose clock runs ahead: young.
            let young = match entry.metadata().and_then(|m| m.modified()) {
                Ok(t) => now.duration_since(t).map_or(true, |d| d < age),
                Err(_) => false,
            };
            if !young {
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    // Another writer swept it first.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(&p)(e)),
                }
            }
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, name: &FileName) -> PathBuf {
        self.dir.join(name.render())
    }

    /// Every corpus file in the directory, in sequence order. Files that
    /// are not valid UTF-8 are read lossily: they take part in dedup as
    /// best they can and are never rewritten.
    pub fn scan(&self) -> Result<Vec<Found>, CorpusError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            let Some(name) = FileName::parse(&entry.file_name().to_string_lossy()) else {
                continue;
            };
            let p = entry.path();
            let bytes = fs::read(&p).map_err(io(&p))?;
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            out.push(Found { name, text });
        }
        out.sort_by_key(|f| f.name.seq);
        Ok(out)
    }

    /// The corpus files' names, in sequence order, without reading them.
    pub fn list(&self) -> Result<Vec<FileName>, CorpusError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            if let Some(name) = FileName::parse(&entry.file_name().to_string_lossy()) {
                out.push(name);
            }
        }
        out.sort_by_key(|n| n.seq);
        Ok(out)
    }

    /// Files in the directory that are not named like corpus files
    /// (`NNN_<16 hex>.txt`), hidden ones aside: they are ignored, and the
    /// one who put them there should hear of it.
    pub fn strays(&self) -> Result<Vec<PathBuf>, CorpusError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && !name.starts_with('.') && FileName::parse(&name).is_none() {
                out.push(entry.path());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Copies the corpus files of `seeds` into this corpus when it holds
    /// none yet (a first run), so that a seed directory (tracked in git,
    /// or read-only) is read but never written to. Returns how many.
    pub fn seed_from(&self, seeds: &Path) -> Result<usize, CorpusError> {
        if !self.list()?.is_empty() {
            return Ok(0);
        }
        let mut copied = 0;
        for entry in fs::read_dir(seeds).map_err(io(seeds))? {
            let entry = entry.map_err(io(seeds))?;
            let Some(name) = FileName::parse(&entry.file_name().to_string_lossy()) else {
                continue;
            };
            let p = entry.path();
            let text = fs::read_to_string(&p).map_err(io(&p))?;
            self.write(&name, &text)?;
            copied += 1;
        }
        Ok(copied)
    }

    /// Reads one corpus file (lossily, as `scan` does).
    pub fn read(&self, name: &FileName) -> Result<String, CorpusError> {
        let p = self.path_of(name);
        let bytes = fs::read(&p).map_err(io(&p))?;
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Whether a corpus file exists.
    pub fn exists(&self, name: &FileName) -> bool {
        self.path_of(name).exists()
    }

    /// Writes `text` to a hidden temporary file for `name` and fsyncs it;
    /// removes it again if that fails. `sweep_temporaries` (at the writer's start) removes any a crash leaves.
    fn write_temporary(&self, tag: &str, text: &str) -> Result<PathBuf, CorpusError> {
        let tmp = self
            .dir
            .join(format!(".tidings-tmp-{}-{tag}", std::process::id()));
        let written = (|| {
            let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(text.as_bytes()).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(tmp)
    }

    /// Makes the names linked so far durable (by [`Corpus::link`] among
    /// them): fsync of the directory.
    pub fn sync(&self) -> Result<(), CorpusError> {
        fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))
    }

    /// Writes a new corpus file atomically: [`Corpus::stage`],
    /// [`Corpus::link`] and [`Corpus::sync`] in one. Refuses to replace one.
    pub fn write(&self, name: &FileName, text: &str) -> Result<PathBuf, CorpusError> {
        let final_path = self.path_of(name);
        if final_path.exists() {
            return Err(CorpusError::Exists(final_path));
        }
        let path = self.link(self.stage(text)?, name)?;
        self.sync()?;
        Ok(path)
    }

    /// The first half of [`Corpus::write`], for a text whose name is not
    /// known yet: the text in a hidden temporary file, fsynced. The caller
    /// can do this without holding up other writers (the fsync is most of
    /// a write's time), then give it its name with [`Corpus::link`].
    /// Dropping the result unplaced removes the file.
    pub fn stage(&self, text: &str) -> Result<Staged, CorpusError> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Staged {
            tmp: Some(self.write_temporary(&format!("staged-{n}"), text)?),
        })
    }

    /// The second half of [`Corpus::write`]: the staged text appears under
    /// `name` (linked into place) for readers at once, and durably once
    /// [`Corpus::sync`] returns, so several files placed together share one
    /// directory fsync. Refuses to replace a file.
    pub fn link(&self, mut staged: Staged, name: &FileName) -> Result<PathBuf, CorpusError> {
        let final_path = self.path_of(name);
        let Some(tmp) = staged.tmp.take() else {
            return Err(CorpusError::Exists(final_path));
        };
        if final_path.exists() {
            let _ = fs::remove_file(&tmp);
            return Err(CorpusError::Exists(final_path));
        }
        self.link_temporary(tmp, name)
    }

    /// Links a fsynced temporary file to its name and removes the
    /// temporary name (or the temporary file, on failure).
    fn link_temporary(&self, tmp: PathBuf, name: &FileName) -> Result<PathBuf, CorpusError> {
        let final_path = self.path_of(name);
        let result = (|| {
            // hard_link fails if the target exists, unlike rename: a file is
            // never replaced even if two writers race.
            fs::hard_link(&tmp, &final_path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    CorpusError::Exists(final_path.clone())
                } else {
                    CorpusError::Io {
                        path: final_path.clone(),
                        source: e,
                    }
                }
            })?;
            fs::remove_file(&tmp).map_err(io(&tmp))?;
            Ok(final_path.clone())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Replaces a corpus file's text atomically (a temporary file, fsynced,
    /// renamed over it, the directory fsynced): a reader sees the old text
    /// or the new, never a mix. Only `tidings reextract --write` calls it,
    /// after the store has kept the text first stored; the name and number
    /// stay. Refuses a file that does not exist.
    pub fn replace(&self, name: &FileName, text: &str) -> Result<PathBuf, CorpusError> {
        let final_path = self.path_of(name);
        if !final_path.exists() {
            return Err(CorpusError::Io {
                path: final_path,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        let tmp = self.write_temporary(&name.render(), text)?;
        let result = (|| {
            fs::rename(&tmp, &final_path).map_err(io(&final_path))?;
            self.sync()?;
            Ok(final_path.clone())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Removes a corpus file that a crash left without its database row.
    pub fn remove(&self, name: &FileName) -> Result<(), CorpusError> {
        let p = self.path_of(name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CorpusError::Io { path: p, source: e }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_render() {
        let n = FileName::parse("004_9d58132667f5f0f0.txt").unwrap();
        assert_eq!(
            n,
            FileName {
                seq: 4,
                hex: "9d58132667f5f0f0".into()
            }
        );
        assert_eq!(n.render(), "004_9d58132667f5f0f0.txt");
        assert_eq!(
            FileName {
                seq: 1000,
                hex: n.hex.clone()
            }
            .render(),
            "1000_9d58132667f5f0f0.txt"
        );
        for bad in [
            "04_9d58132667f5f0f0.txt",
            "004_9D58132667F5F0F0.txt",
            "004_9d58.txt",
            "004_9d58132667f5f0f0.md",
            "x.txt",
        ] {
            assert_eq!(FileName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn identifier_is_16_hex_of_sha256() {
        let id = identifier("https://example.org/a");
        assert_eq!(id.len(), 16);
        assert_eq!(id, identifier("https://example.org/a"));
        assert_ne!(id, identifier("https://example.org/b"));
    }

    #[test]
    fn write_is_atomic_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::open(dir.path()).unwrap();
        let n = FileName {
            seq: 5,
            hex: "00000000000000ff".into(),
        };
        c.write(&n, "T\n\nBody").unwrap();
        assert_eq!(fs::read_to_string(c.path_of(&n)).unwrap(), "T\n\nBody");
        assert!(matches!(c.write(&n, "other"), Err(CorpusError::Exists(_))));
        assert_eq!(fs::read_to_string(c.path_of(&n)).unwrap(), "T\n\nBody");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
    }

    #[test]
    fn staged_text_is_placed_once_and_an_unplaced_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::open(dir.path()).unwrap();
        let n = FileName {
            seq: 7,
            hex: "00000000000000aa".into(),
        };
        let names = || -> Vec<_> {
            fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        let staged = c.stage("T\n\nStaged body").unwrap();
        assert_eq!(names().len(), 1, "the staged text is on disk");
        assert!(c.list().unwrap().is_empty(), "but not a corpus file yet");
        c.link(staged, &n).unwrap();
        c.sync().unwrap();
        assert_eq!(
            fs::read_to_string(c.path_of(&n)).unwrap(),
            "T\n\nStaged body"
        );
        assert_eq!(names(), [n.render()], "no temporary file is left");
        // A name in use is refused, the file kept, the staged text removed.
        let again = c.stage("other").unwrap();
        assert!(matches!(c.link(again, &n), Err(CorpusError::Exists(_))));
        assert_eq!(
            fs::read_to_string(c.path_of(&n)).unwrap(),
            "T\n\nStaged body"
        );
        assert_eq!(names(), [n.render()]);
        // Dropped unplaced (a duplicate): removed.
        drop(c.stage("a duplicate").unwrap());
        assert_eq!(names(), [n.render()]);
    }

    #[test]
    fn replace_swaps_the_whole_text_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::open(dir.path()).unwrap();
        let n = FileName {
            seq: 5,
            hex: "00000000000000ff".into(),
        };
        assert!(c.replace(&n, "new").is_err(), "only an existing file");
        c.write(&n, "T\n\nOld body").unwrap();
        c.replace(&n, "T\n\nNew").unwrap();
        assert_eq!(c.read(&n).unwrap(), "T\n\nNew");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_the_sweep_removes_temporaries_and_scan_orders_by_number() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(".tidings-tmp-1-010_0000000000000001.txt"),
            "half",
        )
        .unwrap();
        fs::write(dir.path().join("010_0000000000000001.txt"), "ten").unwrap();
        fs::write(dir.path().join("002_0000000000000002.txt"), "two").unwrap();
        fs::write(dir.path().join("notes.md"), "not corpus").unwrap();
        let c = Corpus::open(dir.path()).unwrap();
        let found = c.scan().unwrap();
        let seqs: Vec<_> = found.iter().map(|f| f.name.seq).collect();
        assert_eq!(seqs, vec![2, 10]);
        let tmp = dir.path().join(".tidings-tmp-1-010_0000000000000001.txt");
        // Regression: `search` opening the corpus beside a running daemon
        // swept the daemon's staged file, and its article failed to link.
        assert!(tmp.exists(), "a reader's open removed a writer's file");
        c.sweep_temporaries().unwrap();
        assert!(!tmp.exists());
        assert_eq!(c.scan().unwrap().len(), 2);
    }

    #[test]
    fn a_shared_directory_sweeps_only_temporaries_left_long_ago() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::open(dir.path()).unwrap();
        let (old, young) = (
            dir.path().join(".tidings-tmp-old"),
            dir.path().join(".tidings-tmp-young"),
        );
        let now = SystemTime::now();
        for (p, age) in [(&old, 7200), (&young, 60)] {
            let f = std::fs::File::create(p).unwrap();
            f.set_modified(now - Duration::from_secs(age)).unwrap();
        }
        c.sweep_temporaries_older_than(Duration::from_secs(3600), now)
            .unwrap();
        assert!(!old.exists(), "a temporary two hours old stayed");
        assert!(young.exists(), "a writer's file in progress was swept");
        c.sweep_temporaries().unwrap();
        assert!(!young.exists());
    }
}
