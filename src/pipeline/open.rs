//! Opening the writer: the store and the corpus opened, what a crash left
//! repaired (pending rows settled, temporaries swept), corpus files the
//! database does not know imported, and the dedup and search indexes built.
//!
//! Runs once at start, before any poll (see `ARCHITECTURE.md`, "Durability:
//! the order of a commit", for what a crash can leave). Must not: fetch,
//! or write corpus files except through `corpus`.

use chrono::{DateTime, Utc};
use tracing::warn;

use super::commit::Ingest;
use super::error::PipelineError;
use crate::archive::Archive;
use crate::config::Config;
use crate::corpus::{Corpus, FileName};
use crate::dedup::{self, DocMeta};
use crate::normalize;
use crate::store::{Backend, NewArticle, Store};

/// What opening the corpus found and repaired.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OpenReport {
    pub corpus_files: usize,
    pub imported: usize,
    pub repaired_pending: usize,
    pub dropped_pending: usize,
}

/// Fingerprints computed at start, to be kept: (article id, blob).
pub type Fingerprints = Vec<(u64, Vec<u8>)>;

/// The row of a corpus file found in the directory.
pub(super) fn imported_row(name: &FileName, text: &str) -> NewArticle {
    let (title, _) = normalize::split(text);
    NewArticle {
        id: name.seq,
        file: name.render(),
        url: None,
        canonical_url: None,
        title: title.to_string(),
        feed: None,
        entry_key: None,
        published: None,
        fetched_at: None,
        language: None,
        author: None,
        site_name: None,
        method: None,
        words: normalize::word_count(text) as u64,
        text_hash: dedup::text_hash(text),
        story: name.seq,
        fingerprint: None,
        source: None,
        access: None,
    }
}

/// Builds the dedup index from the stored fingerprints, in number order (so
/// that per-source boilerplate is learnt as it was). An article without a
/// readable fingerprint is fingerprinted from its file; those are returned
/// so the caller can keep them. Corpus files the store does not know are
/// indexed too (for read-only callers); `listed` is the directory's
/// listing, which the caller has already made.
pub fn build_index(
    store: &Store,
    corpus: &Corpus,
    listed: &[FileName],
) -> Result<(dedup::Index, Fingerprints), PipelineError> {
    let mut index = dedup::Index::new();
    let mut computed = Vec::new();
    let mut all = store.fingerprints()?;
    let extra: Vec<_> = {
        let known: std::collections::HashSet<&str> = all.iter().map(|r| r.1.as_str()).collect();
        listed
            .iter()
            .filter(|n| !known.contains(n.render().as_str()))
            .map(|n| (n.seq, n.render(), None, None, None))
            .collect()
    };
    all.extend(extra);
    all.sort_by_key(|r| r.0);
    for (id, file, blob, source, published) in all {
        let meta = DocMeta {
            source,
            published: published.map(|p| p.timestamp()),
        };
        if let Some(fp) = blob
            .as_deref()
            .and_then(|b| dedup::Fingerprint::from_bytes(b).ok())
        {
            index.insert_fingerprint(id, fp, &meta);
            continue;
        }
        let Some(name) = FileName::parse(&file) else {
            continue;
        };
        // A file deleted by hand leaves its row: it no longer takes part.
        let Ok(text) = corpus.read(&name) else {
            continue;
        };
        let fp = index.fingerprint(&text, &meta);
        computed.push((id, fp.to_bytes()));
        index.insert_fingerprint(id, fp, &meta);
    }
    Ok((index, computed))
}

/// Indexes for search the articles whose text the full-text index lacks
/// (stored before the index existed, imported from the directory, or
/// repaired after a crash), from their corpus files; returns how many. A
/// file deleted by hand is skipped (its article is not searchable).
pub(super) fn index_text(store: &mut Store, corpus: &Corpus) -> Result<usize, PipelineError> {
    // In batches, so a large corpus is not held in memory at once.
    pub(super) const BATCH: usize = 256;
    let mut done = 0;
    for chunk in store.unindexed_articles()?.chunks(BATCH) {
        let texts: Vec<(u64, String)> = chunk
            .iter()
            .filter_map(|(id, file)| {
                let name = FileName::parse(file)?;
                corpus.read(&name).ok().map(|t| (*id, t))
            })
            .collect();
        let refs: Vec<(u64, &str)> = texts.iter().map(|(i, t)| (*i, t.as_str())).collect();
        store.index_texts(&refs)?;
        done += refs.len();
    }
    Ok(done)
}
impl Ingest {
    /// Opens the store and the corpus, repairs what a crash left, imports
    /// corpus files the database does not know (the seeds on a first run),
    /// and indexes every corpus file for dedup. Blocking.
    pub fn open(
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<(Ingest, OpenReport), PipelineError> {
        let mut store = Store::open(&config.database)?;
        let corpus = Corpus::open(&config.corpus)?;
        corpus.sweep_temporaries()?;
        if let Some(seeds) = &config.seeds {
            corpus.seed_from(seeds)?;
        }
        for stray in corpus.strays()? {
            warn!(
                "{}: ignored: corpus files are named NNN_<16 hex digits>.txt (rename it, e.g. 900_0000000000000001.txt, to have it recorded)",
                stray.display()
            );
        }
        let feeds: Vec<(String, String)> = config
            .feeds
            .iter()
            .map(|f| (f.name.clone(), f.url.to_string()))
            .collect();
        store.sync_feeds(&feeds)?;
        let mut report = OpenReport::default();
        for p in store.pending_articles()? {
            let name = FileName::parse(&p.file);
            if name.as_ref().is_some_and(|n| corpus.exists(n)) {
                store.finish_article(p.id, now, &[], None)?;
                report.repaired_pending += 1;
            } else {
                store.abandon_article(p.id)?;
                report.dropped_pending += 1;
            }
        }
        store.retry_alerts_now(now)?;
        let known: std::collections::HashSet<String> = store.article_files()?.into_iter().collect();
        let listed = corpus.list()?;
        let mut imports = Vec::new();
        for name in listed.iter().filter(|n| !known.contains(&n.render())) {
            let text = corpus.read(name)?;
            imports.push(imported_row(name, &text));
        }
        for taken in store.import_articles(&imports)? {
            warn!("corpus file numbered {taken} not recorded: another file has that number");
        }
        report.imported = imports.len();
        report.corpus_files = listed.len();
        let (index, computed) = build_index(&store, &corpus, &listed)?;
        store.set_fingerprints(&computed)?;
        index_text(&mut store, &corpus)?;
        let max_seq = store.max_article_id()?.max(listed.last().map(|n| n.seq));
        let next_id = max_seq.map_or(0, |m| m + 1);
        let archive = if config.archive.enabled {
            Some(Archive::open(&config.archive, |file| {
                store.archive_end(file).unwrap_or(0)
            })?)
        } else {
            None
        };
        Ok((
            Ingest {
                store: Backend::Sqlite(store),
                corpus,
                archive,
                capture_duplicates: config.archive.capture_duplicates,
                index,
                next_id,
                fleet: None,
            },
            report,
        ))
    }
}
