//! The group commit: the one writer (`Ingest`) and the order in which a
//! round of articles becomes durable. This file is the durability
//! invariant; read `ARCHITECTURE.md`, "Durability: the order of a commit",
//! before changing the order of anything in it.
//!
//! The fsync order of one round (`Ingest::commit_round`):
//!
//! 1. every candidate's text is already staged: a hidden temporary file in
//!    the corpus directory, written and fsynced outside the lock;
//! 2. the round is decided against the corpus as it stood when it began
//!    (`decide_round`); a candidate that meets another of the same round
//!    waits for the next;
//! 3. the round's pages are appended to the WARC archive and the archive
//!    is fsynced: no row points at a record that is not on disk;
//! 4. the new rows are inserted as *pending*, with the sightings, in one
//!    transaction (`Store::begin_round`); their numbers are spent even if
//!    what follows fails;
//! 5. the staged files are linked to their final names and the corpus
//!    directory is fsynced once; if that fsync fails the files are removed
//!    (through `Corpus::remove`) and the rows abandoned;
//! 6. the rows become stored, their alerts enter the outbox and the
//!    full-text index learns them, in one transaction
//!    (`Store::finish_round`).
//!
//! A crash between 4 and 6 leaves pending rows that `Ingest::open` settles.
//! Must not: fetch, parse or extract (candidates arrive ready), or write
//! corpus or archive files except through `corpus` and `archive`.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tracing::{debug, error, info};
use url::Url;

use super::error::PipelineError;
use super::outcome::EntryOutcome;
use crate::archive::Archive;
use crate::corpus::{self, Corpus, FileName, Staged};
use crate::dedup::{self, Decision, DocMeta, Fingerprint};
use crate::extract::Article;
use crate::fetch::Exchange;
use crate::model::{self, Capture, Event};
use crate::normalize;
use crate::store::{Backend, Finished, NewArticle, Outgoing, Sighting, Store, Stories};

/// The state that only one writer may touch at a time: the database, the
/// corpus directory, the archive, the dedup index and the next sequence
/// number.
pub struct Ingest {
    pub store: Backend,
    pub(super) corpus: Corpus,
    /// `None` when `archive.enabled = false`.
    pub(super) archive: Option<Archive>,
    pub(super) capture_duplicates: bool,
    pub(super) index: dedup::Index,
    pub(super) next_id: u64,
    /// With PostgreSQL: this worker's name and how far it has caught up.
    pub(super) fleet: Option<super::worker::Fleet>,
}
impl Ingest {
    /// Commits every queued candidate, in the order they were queued, and
    /// sends each its outcome. Candidates that waited together commit
    /// together, in as few rounds as they can: a round's articles share
    /// their fsyncs (the archive's, the pending rows', the corpus
    /// directory's and the stored rows'), so the writer's turn costs about
    /// the same for sixteen articles as for one. Each article still goes
    /// through the same order: page archived, row pending, file in place,
    /// row stored.
    pub(super) fn commit_queued(&mut self, mut queue: VecDeque<Queued>) {
        if self.store.is_postgres() {
            return self.commit_fleet(queue);
        }
        while !queue.is_empty() {
            let round = match self.store.sqlite("the group commit") {
                Ok(store) => decide_round(&self.index, store, &mut queue, self.next_id),
                Err(e) => return fail_queue(queue, e.into()),
            };
            self.commit_round(round);
        }
    }

    /// Stores one round: captures (one archive fsync), pending rows and
    /// sightings (one transaction), files linked into place (one directory
    /// fsync), rows stored (one transaction); then the dedup index, the
    /// follow-ups, and every candidate's outcome. A failure before the
    /// files fails the whole round (each entry is retried at its next
    /// poll); a file that cannot be placed fails its article alone.
    pub(super) fn commit_round(&mut self, mut round: Vec<Decided>) {
        if round.is_empty() {
            return;
        }
        let mut outcomes: Vec<Option<Result<EntryOutcome, PipelineError>>> =
            round.iter().map(|_| None).collect();
        let fail_all = |round: Vec<Decided>, e: PipelineError| {
            let e = Arc::new(e);
            for d in round {
                let _ = d.q.reply.send(Err(PipelineError::Shared(e.clone())));
            }
        };
        // 3. The pages are on disk before any row points at them.
        let captures = match self.capture_round(&round) {
            Ok(c) => c,
            Err(e) => return fail_all(round, e),
        };
        // 4. Pending rows and sightings, in one transaction.
        if let Err(e) = self.begin_round(&round, captures) {
            return fail_all(round, e);
        }
        // 5. Files into place; one directory fsync makes them all durable.
        // From here on a new article without an outcome is stored.
        let (placed, abandoned) = self.place_files(&mut round, &mut outcomes);
        let finished: Vec<Finished> = placed
            .iter()
            .map(|p| Finished {
                id: p.id,
                at: round[p.k].q.now,
                alerts: &p.alerts,
                text: Some(&round[p.k].q.candidate.text),
            })
            .collect();
        let finishing = self.store.sqlite("the group commit");
        if let Err(e) = finishing.and_then(|s| s.finish_round(&finished, &abandoned)) {
            // The rows stay pending beside their files: the next start
            // finishes them.
            let e = Arc::new(PipelineError::from(e));
            for p in &placed {
                outcomes[p.k] = Some(Err(PipelineError::Shared(e.clone())));
            }
        }
        drop(finished);
        for (d, failed) in round.into_iter().zip(outcomes) {
            let Decided { q, novelty } = d;
            let outcome = match (failed, novelty) {
                (Some(failed), _) => failed,
                (None, Novelty::New { row, fp, meta, .. }) => {
                    self.index.insert_fingerprint(row.id, fp, &meta);
                    info!(feed = %q.candidate.feed, file = %row.file, url = %q.candidate.url, "stored article");
                    crate::service::metrics::global()
                        .article_extracted(q.candidate.article.method.as_str());
                    self.check_pickup(&q.candidate.pickup, row.story, q.now)
                        .map(|()| EntryOutcome::Stored(row.id))
                }
                (None, Novelty::Sight { of, reason, .. }) => {
                    let c = &q.candidate;
                    debug!(feed = %c.feed, url = %c.url, of, reason, "duplicate sighting");
                    self.pickup_of_copy(&c.pickup, of, q.now)
                        .map(|()| EntryOutcome::Duplicate(of))
                }
            };
            let _ = q.reply.send(outcome);
        }
    }

    /// Step 3: the pages of the round appended to the archive (the new
    /// articles', and the duplicates' when they are captured too) and the
    /// archive fsynced once. One capture per candidate, in round order.
    fn capture_round(&mut self, round: &[Decided]) -> Result<Vec<Option<Capture>>, PipelineError> {
        let mut captures = Vec::with_capacity(round.len());
        for d in round {
            let wanted = match d.novelty {
                Novelty::New { .. } => true,
                Novelty::Sight { .. } => self.capture_duplicates,
            };
            captures.push(if wanted {
                self.append_capture(&d.q.candidate)?
            } else {
                None
            });
        }
        if let Some(archive) = self.archive.as_mut() {
            archive.sync()?;
        }
        Ok(captures)
    }

    /// Step 4: the round's new rows inserted as pending and its sightings
    /// recorded, in one transaction. The numbers are spent even if this
    /// fails: never reused.
    fn begin_round(
        &mut self,
        round: &[Decided],
        captures: Vec<Option<Capture>>,
    ) -> Result<(), PipelineError> {
        let mut begun = Vec::new();
        let mut sightings = Vec::new();
        for (d, capture) in round.iter().zip(captures) {
            match &d.novelty {
                Novelty::New { row, .. } => begun.push((&**row, capture)),
                Novelty::Sight { .. } => sightings.extend(d.sighting(capture)),
            }
        }
        self.next_id += begun.len() as u64;
        let rows: Vec<(&NewArticle, Option<&Capture>)> =
            begun.iter().map(|(r, c)| (*r, c.as_ref())).collect();
        let store = self.store.sqlite("the group commit")?;
        Ok(store.begin_round(&rows, &sightings)?)
    }

    /// Step 5: each new article's staged file linked to its name, then the
    /// corpus directory fsynced once. A file that cannot be placed fails
    /// its article alone (its outcome is set); if the fsync fails, every
    /// placed file is taken back. Returns the placed articles and the ids
    /// of the rows to abandon.
    fn place_files(
        &mut self,
        round: &mut [Decided],
        outcomes: &mut [Option<Result<EntryOutcome, PipelineError>>],
    ) -> (Vec<Placed>, Vec<u64>) {
        let mut placed: Vec<Placed> = Vec::new();
        let mut abandoned = Vec::new();
        for (k, d) in round.iter_mut().enumerate() {
            let Novelty::New { row, name, .. } = &d.novelty else {
                continue;
            };
            let c = &mut d.q.candidate;
            match c.place(&self.corpus, name) {
                Ok(_) => placed.push(Placed {
                    k,
                    id: row.id,
                    name: name.clone(),
                    alerts: new_article_alerts(row, &c.sinks),
                }),
                Err(e) => {
                    abandoned.push(row.id);
                    outcomes[k] = Some(Err(e.into()));
                }
            }
        }
        if !placed.is_empty() {
            if let Err(e) = self.corpus.sync() {
                // Whether the names reached the disk is unknown: take them
                // back, so no row stands for a file that may vanish.
                let e = Arc::new(PipelineError::from(e));
                for p in placed.drain(..) {
                    if let Err(gone) = self.corpus.remove(&p.name) {
                        // Its row is abandoned all the same; the next start
                        // imports the file if it is still there.
                        error!("{gone}: not taken back after a failed corpus fsync");
                    }
                    abandoned.push(p.id);
                    outcomes[p.k] = Some(Err(PipelineError::Shared(e.clone())));
                }
            }
        }
        (placed, abandoned)
    }

    /// Appends the page a candidate came from to the archive, when there is
    /// an archive and a page (the feed's own text has none). Durable after
    /// the archive's next sync.
    pub(super) fn append_capture(
        &mut self,
        c: &Candidate,
    ) -> Result<Option<Capture>, PipelineError> {
        let (Some(archive), Some(page)) = (self.archive.as_mut(), c.page.as_ref()) else {
            return Ok(None);
        };
        Ok(Some(archive.append(
            &page.url,
            page.status,
            &page.exchange,
            &page.body,
        )?))
    }

    /// A copy of article `of` is one more outlet for its story: queues the
    /// follow-ups it brings to their number.
    pub(super) fn pickup_of_copy(
        &mut self,
        pickup: &[(String, u32)],
        of: u64,
        now: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        if pickup.is_empty() {
            return Ok(());
        }
        match self.store.story_of(of)? {
            Some(story) => self.check_pickup(pickup, story, now),
            None => Ok(()),
        }
    }

    /// Queues the one follow-up a sink asked for when a story reaches its
    /// number of outlets.
    pub(super) fn check_pickup(
        &mut self,
        pickup: &[(String, u32)],
        story: u64,
        now: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        if pickup.is_empty() {
            return Ok(());
        }
        let outlets = self.store.story_outlets(story)?;
        let Some(first) = self.store.article_record(story)? else {
            return Ok(());
        };
        let outgoing: Vec<Outgoing> = pickup
            .iter()
            .filter(|(_, n)| outlets >= *n)
            .map(|(sink, _)| Outgoing {
                sink: sink.clone(),
                event: model::STORY_PICKUP.into(),
                key: format!("pickup:{story}"),
                payload: Event::story_pickup(&first, outlets).webhook_body(),
            })
            .collect();
        Ok(self.store.enqueue(&outgoing, now)?)
    }
}

/// Takes candidates off the front of the queue for one round, deciding
/// each against the corpus as it stood when the round began. The round
/// ends before a candidate that has the canonical URL of one of the
/// round's new articles or copies or follows one of them (by the
/// round's own small index): that one is decided again in the next
/// round, against a corpus that holds them, as if it had come later.
/// `next_id` is the number the round's first new article takes.
pub(super) fn decide_round(
    index: &dedup::Index,
    store: &mut dyn Stories,
    queue: &mut VecDeque<Queued>,
    next_id: u64,
) -> Vec<Decided> {
    let mut round: Vec<Decided> = Vec::new();
    let mut urls = std::collections::HashSet::new();
    let mut fresh = dedup::Index::with_params(index.params().clone());
    let mut next_id = next_id;
    while let Some(q) = queue.pop_front() {
        let c = &q.candidate;
        match decide(index, store, c, q.now, next_id, &urls, &fresh) {
            Ok(Some(novelty)) => {
                if let Novelty::New { row, fp, meta, .. } = &novelty {
                    urls.insert(q.candidate.canonical_url.clone());
                    fresh.insert_fingerprint(row.id, fp.clone(), meta);
                    next_id += 1;
                }
                round.push(Decided { q, novelty });
            }
            Ok(None) => {
                queue.push_front(q);
                break;
            }
            Err(e) => {
                let _ = q.reply.send(Err(e));
            }
        }
    }
    round
}

/// The novelty on one candidate, given the round so far (its new
/// articles' canonical URLs and their fingerprints in `fresh`); `None`
/// when the candidate meets one of them and must wait for the next round.
#[allow(clippy::too_many_arguments)]
pub(super) fn decide(
    index: &dedup::Index,
    store: &mut dyn Stories,
    c: &Candidate,
    now: DateTime<Utc>,
    id: u64,
    urls: &std::collections::HashSet<String>,
    fresh: &dedup::Index,
) -> Result<Option<Novelty>, PipelineError> {
    // Boilerplate is learnt per outlet (`dedup::outlet`).
    let source = dedup::outlet(&c.canonical_url).or_else(|| dedup::outlet(c.url.as_str()));
    let meta = DocMeta {
        source: source.clone(),
        published: c.published.map(|d| d.timestamp()),
    };
    if let Some(of) = store.article_by_canonical_url(&c.canonical_url)? {
        return Ok(Some(Novelty::Sight {
            of,
            reason: "url",
            score: 1.0,
            flags: (false, false),
        }));
    }
    if urls.contains(&c.canonical_url) {
        return Ok(None);
    }
    let fp = index.fingerprint(&c.text, &meta);
    let assessment = index.assess(&fp, &meta);
    let story = match assessment.decision {
        Decision::Duplicate { of, score } => {
            return Ok(Some(Novelty::Sight {
                of,
                reason: "text",
                score,
                flags: (assessment.longer, assessment.newer),
            }));
        }
        Decision::Story { of, .. } => store.story_of(of)?.unwrap_or(id),
        Decision::New => id,
    };
    if !fresh.is_empty() && fresh.assess(&fp, &meta).decision != Decision::New {
        return Ok(None);
    }
    let name = FileName {
        seq: id,
        hex: corpus::identifier(&c.canonical_url),
    };
    let row = NewArticle {
        id,
        file: name.render(),
        url: Some(c.url.to_string()),
        canonical_url: Some(c.canonical_url.clone()),
        title: c.title.clone(),
        feed: Some(c.feed.clone()),
        entry_key: Some(c.entry_key.clone()),
        published: c.published,
        fetched_at: Some(now),
        language: c.article.language.clone(),
        author: c.article.author.clone(),
        site_name: c.article.site_name.clone(),
        method: Some(c.article.method.to_string()),
        words: normalize::word_count(&c.text) as u64,
        text_hash: dedup::text_hash(&c.text),
        story,
        fingerprint: Some(fp.to_bytes()),
        source,
        access: c.article.paywalled.then(|| "paywalled".to_string()),
    };
    Ok(Some(Novelty::New {
        row: Box::new(row),
        name,
        fp,
        meta,
    }))
}

/// The alerts a new article queues, one per sink that hears of it.
pub(super) fn new_article_alerts(row: &NewArticle, sinks: &[String]) -> Vec<Outgoing> {
    sinks
        .iter()
        .map(|sink| Outgoing {
            sink: sink.clone(),
            event: model::NEW_ARTICLE.into(),
            key: format!("article:{}", row.id),
            payload: Event::new_article(&row.record()).webhook_body(),
        })
        .collect()
}

/// Sends one error to every candidate of a queue.
pub(super) fn fail_queue(queue: VecDeque<Queued>, e: PipelineError) {
    let e = Arc::new(e);
    for q in queue {
        let _ = q.reply.send(Err(PipelineError::Shared(e.clone())));
    }
}

/// A candidate waiting for its turn at the writer, and where its outcome
/// goes.
pub(super) struct Queued {
    pub(super) candidate: Candidate,
    pub(super) now: DateTime<Utc>,
    pub(super) reply: tokio::sync::oneshot::Sender<Result<EntryOutcome, PipelineError>>,
}

/// A new article of a round whose file is linked into place: its index in
/// the round, its id, its file and the alerts it queues once stored.
pub(super) struct Placed {
    pub(super) k: usize,
    pub(super) id: u64,
    pub(super) name: FileName,
    pub(super) alerts: Vec<Outgoing>,
}

/// A candidate in a round, with what the round made of it.
pub(super) struct Decided {
    pub(super) q: Queued,
    pub(super) novelty: Novelty,
}

impl Decided {
    /// The sighting row of a copy (with its capture, if its page was
    /// archived); `None` for a new article.
    pub(super) fn sighting(&self, capture: Option<Capture>) -> Option<Sighting> {
        let Novelty::Sight {
            of,
            reason,
            score,
            flags: (longer, newer),
        } = self.novelty
        else {
            return None;
        };
        let c = &self.q.candidate;
        if longer || newer {
            info!(feed = %c.feed, url = %c.url, of, longer, newer, "a longer or newer version of an article");
        }
        Some(Sighting {
            article: of,
            url: Some(c.url.to_string()),
            canonical_url: Some(c.canonical_url.clone()),
            feed: c.feed.clone(),
            entry_key: c.entry_key.clone(),
            title: Some(c.title.clone()),
            published: c.published,
            seen_at: self.q.now,
            reason,
            score,
            longer,
            newer,
            capture,
        })
    }
}

/// What the commit decides of a candidate: a new article, or another
/// sighting of one already stored.
pub(super) enum Novelty {
    /// Another sighting of a stored article.
    Sight {
        of: u64,
        reason: &'static str,
        score: f64,
        /// (longer, newer) than the article it copies.
        flags: (bool, bool),
    },
    /// A new article: its row (numbered), its file name and fingerprint.
    New {
        row: Box<NewArticle>,
        name: FileName,
        fp: Fingerprint,
        meta: DocMeta,
    },
}

/// An article ready to be decided on.
pub(super) struct Candidate {
    pub(super) feed: String,
    pub(super) entry_key: String,
    pub(super) url: Url,
    pub(super) canonical_url: String,
    pub(super) title: String,
    pub(super) text: String,
    pub(super) published: Option<DateTime<Utc>>,
    pub(super) article: Article,
    /// The sinks that hear of this article if it is new.
    pub(super) sinks: Vec<String>,
    /// The sinks that want a follow-up at a number of outlets.
    pub(super) pickup: Vec<(String, u32)>,
    /// The page the article was extracted from (none when the feed's own
    /// text stood in).
    pub(super) page: Option<Page>,
    /// The text already in a fsynced temporary corpus file, when staging
    /// worked (else `commit` writes it whole).
    pub(super) staged: Option<Staged>,
}

impl Candidate {
    /// Links the text staged before the commit to its file name, or writes
    /// it whole when staging had failed. Durable after the corpus's sync.
    pub(super) fn place(
        &mut self,
        corpus: &Corpus,
        name: &FileName,
    ) -> Result<std::path::PathBuf, corpus::CorpusError> {
        match self.staged.take() {
            Some(staged) => corpus.link(staged, name),
            None => corpus
                .stage(&self.text)
                .and_then(|staged| corpus.link(staged, name)),
        }
    }
}

/// A fetched page, kept for the archive.
pub(super) struct Page {
    pub(super) url: Url,
    pub(super) status: u16,
    pub(super) exchange: Exchange,
    pub(super) body: Vec<u8>,
}

/// `tidings reextract --write`: the one rewrite of a stored article's
/// file. The store keeps the text the file held first (`original_texts`)
/// and takes the new title, text and counts, then the file is replaced
/// atomically (through `corpus`). The caller holds the single-writer lock.
pub fn rewrite_article(
    store: &mut Store,
    corpus: &Corpus,
    id: u64,
    name: &FileName,
    original: &str,
    (title, text): (&str, &str),
    now: DateTime<Utc>,
) -> Result<(), PipelineError> {
    let rewrite = crate::store::Rewrite {
        original,
        title,
        text,
        words: normalize::word_count(text) as u64,
        text_hash: dedup::text_hash(text),
    };
    store.record_reextract(id, &rewrite, now)?;
    corpus.replace(name, text)?;
    Ok(())
}
