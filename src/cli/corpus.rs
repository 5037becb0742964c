//! `tidings corpus sync DIR`: on PostgreSQL, makes the corpus files in DIR
//! equal the stored rows, idempotently. In PostgreSQL mode the database
//! holds each article's text (`articles.text`, the corpus file byte for
//! byte); this writes the files from it, for a machine that wants the
//! corpus on its own disk, or to mend a shared directory.
//!
//! For each stored or imported article, in number order: a missing file is
//! written (staged, fsynced, linked under its name, the directory fsynced
//! once per page of rows); a file equal to its row is left untouched; a
//! file whose bytes differ from its row is rewritten from the row
//! (atomically, `Corpus::replace`) and named, since the row is the
//! article. A corpus-named file with no row is listed and left alone, or
//! removed with `--prune`; other files (not named `NNN_<16 hex>.txt`) are
//! not the corpus's and are never touched. Files are written through
//! `Corpus` only. On SQLite the corpus directory already is the store's
//! files, so there is nothing to sync. Holds no SQL.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::exit::UsageError;
use crate::config::Config;
use crate::corpus::{Corpus, CorpusError, FileName};
use crate::store::pg::PgStore;

#[derive(clap::Subcommand, Debug)]
pub enum CorpusCommand {
    /// Make the files in DIR equal the stored articles (PostgreSQL only).
    #[command(
        long_about = "Make the corpus files in DIR equal the stored articles, from the texts the PostgreSQL database holds (PostgreSQL configs only: with SQLite the corpus directory already is the store's files).

Each stored article's file is written if it is missing, and rewritten if its bytes differ from the article's text (the database is the record; each one rewritten is named). A file equal to its article is not touched, so a second sync writes nothing and says so. A corpus file (NNN_<16 hex>.txt) with no article in the database is listed and left alone; --prune removes it. Other files in DIR are not the corpus's and are never touched. Files appear atomically and are fsynced.

Examples:
  tidings corpus sync /srv/corpus
  tidings corpus sync /srv/corpus --prune"
    )]
    Sync {
        /// The directory (created if missing).
        dir: PathBuf,
        /// Remove corpus files that have no article in the database.
        #[arg(long)]
        prune: bool,
    },
}

/// Rows read from the database at a time, and files linked between two
/// fsyncs of the directory.
const PAGE: usize = 500;

pub fn run(config: &Config, command: &CorpusCommand) -> Result<i32> {
    let CorpusCommand::Sync { dir, prune } = command;
    let Some(pg) = &config.postgres else {
        return Err(UsageError(format!(
            "corpus sync: the store is SQLite, whose corpus directory ({}) already is its \
             articles' files: there is nothing to sync",
            config.corpus.display()
        ))
        .into());
    };
    let mut store = PgStore::open_reader(pg)?;
    let corpus = Corpus::open(dir)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let synced = sync(&mut store, &corpus, *prune, &mut w)?;
    synced.summary(dir, &mut w)?;
    w.flush()?;
    if synced.unusable > 0 {
        return Ok(1);
    }
    Ok(0)
}

/// What a sync did.
#[derive(Debug, Default)]
struct Synced {
    rows: u64,
    written: u64,
    rewritten: u64,
    unchanged: u64,
    /// Corpus files without a row (removed with `--prune`).
    without_row: u64,
    removed: u64,
    /// Rows whose file is not a corpus file name (never written).
    unusable: u64,
}

impl Synced {
    fn summary(&self, dir: &Path, w: &mut impl Write) -> std::io::Result<()> {
        let dir = dir.display();
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let rows = format!("{} article{}", self.rows, plural(self.rows));
        if self.written + self.rewritten + self.removed == 0 {
            write!(
                w,
                "{dir}: {rows}, every file equals its article: nothing written"
            )?;
        } else {
            write!(
                w,
                "{dir}: {rows}: {} written, {} rewritten, {} unchanged",
                self.written, self.rewritten, self.unchanged
            )?;
            if self.removed > 0 {
                write!(w, ", {} removed", self.removed)?;
            }
        }
        if self.without_row > self.removed {
            let left = self.without_row - self.removed;
            write!(
                w,
                "; {left} file{} without an article left alone (--prune removes them)",
                plural(left)
            )?;
        }
        writeln!(w)
    }
}

/// How one article's file was found.
#[derive(Debug, PartialEq)]
enum Placed {
    Same,
    Written,
    Rewritten,
}

/// Makes the file `name` hold `text`. A new file is linked but not yet
/// durable: the caller fsyncs the directory (`Corpus::sync`).
fn place(corpus: &Corpus, name: &FileName, text: &str) -> Result<Placed> {
    let path = corpus.path_of(name);
    match std::fs::read(&path) {
        Ok(bytes) if bytes == text.as_bytes() => Ok(Placed::Same),
        Ok(_) => {
            corpus.replace(name, text)?;
            Ok(Placed::Rewritten)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match corpus.link(corpus.stage(text)?, name) {
                Ok(_) => Ok(Placed::Written),
                // Written by someone else meanwhile (a worker, another
                // sync): judged as found.
                Err(CorpusError::Exists(_)) => match std::fs::read(&path) {
                    Ok(bytes) if bytes == text.as_bytes() => Ok(Placed::Same),
                    _ => {
                        corpus.replace(name, text)?;
                        Ok(Placed::Rewritten)
                    }
                },
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e).with_context(|| format!("corpus file {}", path.display())),
    }
}

/// Writes every stored article's file into `corpus`, page by page, then
/// deals with the files that have no article.
fn sync(store: &mut PgStore, corpus: &Corpus, prune: bool, w: &mut impl Write) -> Result<Synced> {
    // Listed before the rows are read: the workers write a file only after
    // its row is committed, so every file listed here that has a row is
    // seen to have it below, and none is taken for an orphan by mistake.
    let listed = corpus.list()?;
    let mut done = Synced::default();
    let mut after = None;
    loop {
        let page = store.stored_texts(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let mut linked = false;
        for row in &page {
            done.rows += 1;
            // The name comes from a shared database: only a corpus file
            // name (digits, underscore, hex) is a path inside DIR.
            let Some(name) = FileName::parse(&row.file).filter(|n| n.render() == row.file) else {
                eprintln!(
                    "tidings: corpus sync: article {} names {:?}, not a corpus file name: not written",
                    row.id, row.file
                );
                done.unusable += 1;
                continue;
            };
            match place(corpus, &name, &row.text)? {
                Placed::Same => done.unchanged += 1,
                Placed::Written => {
                    done.written += 1;
                    linked = true;
                }
                Placed::Rewritten => {
                    done.rewritten += 1;
                    writeln!(
                        w,
                        "rewritten {}: its bytes differed from article {}",
                        row.file, row.id
                    )?;
                }
            }
        }
        if linked {
            corpus.sync()?;
        }
    }
    let known: HashSet<String> = store.article_files()?.into_iter().collect();
    for name in listed {
        let file = name.render();
        if known.contains(&file) {
            continue;
        }
        done.without_row += 1;
        if prune {
            corpus.remove(&name)?;
            done.removed += 1;
            writeln!(w, "removed {file}: no article in the database")?;
        } else {
            writeln!(w, "no article: {file}")?;
        }
    }
    if done.removed > 0 {
        corpus.sync()?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(seq: u64) -> FileName {
        FileName {
            seq,
            hex: "00000000000000ab".into(),
        }
    }

    #[test]
    fn a_file_is_written_kept_or_rewritten_by_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::open(dir.path()).unwrap();
        let n = name(3);
        assert_eq!(place(&c, &n, "T\n\nBody").unwrap(), Placed::Written);
        assert_eq!(place(&c, &n, "T\n\nBody").unwrap(), Placed::Same);
        assert_eq!(place(&c, &n, "T\n\nBody!").unwrap(), Placed::Rewritten);
        assert_eq!(
            std::fs::read_to_string(c.path_of(&n)).unwrap(),
            "T\n\nBody!"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left");
    }

    #[test]
    fn the_summary_says_when_nothing_was_written() {
        let mut out = Vec::new();
        let quiet = Synced {
            rows: 10,
            unchanged: 10,
            without_row: 1,
            ..Synced::default()
        };
        quiet.summary(Path::new("/c"), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "/c: 10 articles, every file equals its article: nothing written; 1 file without an article left alone (--prune removes them)\n"
        );
        let mut out = Vec::new();
        let busy = Synced {
            rows: 10,
            written: 9,
            unchanged: 1,
            without_row: 2,
            removed: 2,
            ..Synced::default()
        };
        busy.summary(Path::new("/c"), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "/c: 10 articles: 9 written, 0 rewritten, 1 unchanged, 2 removed\n"
        );
    }
}
