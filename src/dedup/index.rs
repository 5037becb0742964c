//! The dedup index over the corpus and its verdicts: exact and
//! near-duplicates (MinHash + LSH + verification), stories, per-source
//! boilerplate pools. Pure: no I/O, no clock; see the module doc of
//! `dedup` and ARCHITECTURE.md, "Codemap" (`dedup`).

use std::collections::HashMap;

use super::fingerprint::Fingerprint;
use super::minhash::{band_key, sketch};
use super::params::{DocId, Params, BANDS, NUM_HASHES, ROWS};
use super::postings::Postings;
use super::text::{for_each_token, paragraphs, seq_hash, token_hash, token_hashes};

/// What the index knows about a document besides its text.
#[derive(Debug, Clone, Default)]
pub struct DocMeta {
    /// The outlet (host) it came from, when known. Boilerplate is learned per
    /// source; documents without one share a single pool.
    pub source: Option<String>,
    /// Publication time, seconds since the Unix epoch, when known.
    pub published: Option<i64>,
}

/// The outcome for one candidate article.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A copy of `of`: record a sighting, store nothing new.
    Duplicate { of: DocId, score: f64 },
    /// New coverage of the same story as `of`.
    Story { of: DocId, score: f64 },
    /// New coverage, a story of its own.
    New,
}

/// A decision with the facts behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub decision: Decision,
    /// For a duplicate: the copy has clearly more text than the article it
    /// copies (an update or the untrimmed original); to be noted on it.
    pub longer: bool,
    /// For a duplicate: the copy was published after the article it copies.
    pub newer: bool,
    /// Estimated resemblance (Jaccard of shingle sets) with the best match.
    pub resemblance: f64,
    /// Estimated share of the larger document covered by the overlap.
    pub containment: f64,
}

/// Per-source paragraph counts with bounded memory: when full, paragraphs
/// seen once are forgotten first (boilerplate recurs, so it survives).
#[derive(Debug, Clone)]
struct Pool {
    counts: HashMap<u64, u32>,
    cap: usize,
}

impl Pool {
    fn new(cap: usize) -> Self {
        Pool {
            counts: HashMap::new(),
            cap,
        }
    }

    fn learn(&mut self, paras: &[u64]) {
        let mut seen: Vec<u64> = paras.to_vec();
        seen.sort_unstable();
        seen.dedup();
        for h in seen {
            *self.counts.entry(h).or_insert(0) += 1;
        }
        let mut floor = 2;
        while self.counts.len() > self.cap {
            self.counts.retain(|_, c| *c >= floor);
            floor += 1;
        }
    }

    fn count(&self, h: u64) -> u32 {
        self.counts.get(&h).copied().unwrap_or(0)
    }
}

/// Paragraph memory per named source (about 200 articles' worth) and for the
/// shared pool of documents without a source.
const POOL_CAP_SOURCE: usize = 4_096;
const POOL_CAP_SHARED: usize = 1 << 17;

#[derive(Debug, Clone, Copy)]
struct DocRec {
    id: DocId,
    published: i64,
    shingles: u32,
}

const NO_TIME: i64 = i64::MIN;

/// The dedup index over the corpus.
#[derive(Debug, Clone)]
pub struct Index {
    params: Params,
    docs: Vec<DocRec>,
    /// NUM_HASHES values per document, slot-major.
    sigs: Vec<u16>,
    /// (`pub(super)`: the family's tests check which layer caught a copy.)
    pub(super) exact: HashMap<u64, u32>,
    headlines: HashMap<u64, u32>,
    bands: Postings,
    anchors: Postings,
    pools: HashMap<String, Pool>,
    ids_increasing: bool,
}

impl Default for Index {
    fn default() -> Self {
        Self::with_params(Params::default())
    }
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_params(params: Params) -> Self {
        Index {
            params,
            docs: Vec::new(),
            sigs: Vec::new(),
            exact: HashMap::new(),
            headlines: HashMap::new(),
            bands: Postings::default(),
            anchors: Postings::default(),
            pools: HashMap::new(),
            ids_increasing: true,
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    fn pool(&self, meta: &DocMeta) -> Option<&Pool> {
        self.pools.get(meta.source.as_deref().unwrap_or(""))
    }

    /// The fingerprint of `text` given what the index has learned so far
    /// about `meta.source`'s boilerplate.
    pub fn fingerprint(&self, text: &str, meta: &DocMeta) -> Fingerprint {
        let pool = self.pool(meta);
        let min_docs = self.params.boilerplate_min_docs;
        let mut paras = Vec::new();
        let mut all_tokens: Vec<u64> = Vec::new();
        let mut kept: Vec<(usize, usize)> = Vec::new();
        for p in paragraphs(text) {
            let start = all_tokens.len();
            for_each_token(p, |t| all_tokens.push(token_hash(t)));
            let toks = &all_tokens[start..];
            if toks.is_empty() {
                continue;
            }
            let h = seq_hash(toks);
            paras.push(h);
            if pool.is_none_or(|pl| pl.count(h) < min_docs) {
                kept.push((start, all_tokens.len()));
            }
        }
        if kept.is_empty() {
            // All boilerplate (or nothing): judge the text as it is.
            kept = vec![(0, all_tokens.len())];
        }
        let exact = seq_hash(&all_tokens);
        let headline = kept
            .first()
            .filter(|(s, e)| e - s >= self.params.story_min_headline_tokens && e - s <= 40)
            .map_or(0, |&(s, e)| seq_hash(&all_tokens[s..e]));
        let body: Vec<u64> = kept
            .iter()
            .flat_map(|&(s, e)| all_tokens[s..e].iter().copied())
            .collect();
        let (shingles, minhash, anchors) = sketch(&body);
        Fingerprint {
            exact,
            headline,
            shingles,
            minhash,
            anchors,
            paragraphs: paras,
        }
    }

    /// Adds a corpus document (headline line, then paragraphs).
    pub fn insert(&mut self, id: DocId, text: &str, meta: &DocMeta) {
        let fp = self.fingerprint(text, meta);
        self.insert_fingerprint(id, fp, meta);
    }

    /// Adds a corpus document from its stored fingerprint. Call in corpus
    /// order (sequence numbers): boilerplate is learned in that order.
    pub fn insert_fingerprint(&mut self, id: DocId, fp: Fingerprint, meta: &DocMeta) {
        let slot = self.docs.len() as u32;
        if self.docs.last().is_some_and(|d| d.id >= id) {
            self.ids_increasing = false;
        }
        let key = meta.source.clone().unwrap_or_default();
        let cap = if key.is_empty() {
            POOL_CAP_SHARED
        } else {
            POOL_CAP_SOURCE
        };
        self.pools
            .entry(key)
            .or_insert_with(|| Pool::new(cap))
            .learn(&fp.paragraphs);
        self.exact.entry(fp.exact).or_insert(slot);
        if fp.headline != 0 {
            self.headlines.entry(fp.headline).or_insert(slot);
        }
        let mut sig = fp.minhash;
        sig.resize(NUM_HASHES, u16::MAX);
        if fp.shingles > 0 {
            for b in 0..BANDS {
                self.bands
                    .push(band_key(b, &sig[b * ROWS..(b + 1) * ROWS]), slot);
            }
            for &a in &fp.anchors {
                self.anchors.push(a, slot);
            }
        }
        self.sigs.extend_from_slice(&sig);
        self.docs.push(DocRec {
            id,
            published: meta.published.unwrap_or(NO_TIME),
            shingles: fp.shingles,
        });
    }

    /// Decides whether `text` copies a document of the index.
    pub fn check(&self, text: &str, meta: &DocMeta) -> Decision {
        self.assess(&self.fingerprint(text, meta), meta).decision
    }

    /// The decision for a fingerprint, with the facts behind it.
    pub fn assess(&self, fp: &Fingerprint, meta: &DocMeta) -> Assessment {
        let mut out = Assessment {
            decision: Decision::New,
            longer: false,
            newer: false,
            resemblance: 0.0,
            containment: 0.0,
        };
        let published = meta.published.unwrap_or(NO_TIME);
        // 0 is the hash of no tokens at all: empty texts copy nothing.
        if let Some(&slot) = self.exact.get(&fp.exact).filter(|_| fp.exact != 0) {
            let d = self.docs[slot as usize];
            out.decision = Decision::Duplicate {
                of: d.id,
                score: 1.0,
            };
            out.resemblance = 1.0;
            out.containment = 1.0;
            out.newer = published != NO_TIME && d.published != NO_TIME && published > d.published;
            return out;
        }
        if fp.shingles == 0 || fp.minhash.len() != NUM_HASHES {
            return out;
        }
        // Candidates: slot -> (shared anchors, shared rare anchors); bands
        // only mark presence.
        let mut cands: HashMap<u32, (u32, u32)> = HashMap::new();
        let limit = self.params.max_postings_per_key;
        let band_keys: Vec<u32> = (0..BANDS)
            .map(|b| band_key(b, &fp.minhash[b * ROWS..(b + 1) * ROWS]))
            .collect();
        self.bands.for_each_of(&band_keys, limit, |_, slots| {
            for &s in slots {
                cands.entry(s).or_insert((0, 0));
            }
        });
        self.anchors.for_each_of(&fp.anchors, limit, |_, slots| {
            let rare = u32::from(slots.len() <= self.params.story_max_anchor_df);
            for &s in slots {
                let e = cands.entry(s).or_insert((0, 0));
                e.0 += 1;
                e.1 += rare;
            }
        });
        let p = &self.params;
        let q = f64::from(fp.shingles);
        let mut best_dup: Option<(f64, f64, u32)> = None; // (containment, resemblance, slot)
        let mut best_story: Option<(f64, u32)> = None;
        for (&slot, &shared) in &cands {
            let d = self.docs[slot as usize];
            if d.shingles == 0 {
                continue;
            }
            let sig = &self.sigs[slot as usize * NUM_HASHES..(slot as usize + 1) * NUM_HASHES];
            let same = sig.iter().zip(&fp.minhash).filter(|(a, b)| a == b).count();
            let j = same as f64 / NUM_HASHES as f64;
            let dd = f64::from(d.shingles);
            let inter = j * (q + dd) / (1.0 + j);
            let cmax = (inter / q.max(dd)).min(1.0);
            let small = fp.shingles.min(d.shingles) < p.small_doc_shingles;
            let is_dup = cmax >= p.dup_min_containment && (!small || j >= p.small_min_resemblance);
            if is_dup {
                let better = best_dup.is_none_or(|(c, _, s)| cmax > c || (cmax == c && slot < s));
                if better {
                    best_dup = Some((cmax, j, slot));
                }
                continue;
            }
            let in_window = published == NO_TIME
                || d.published == NO_TIME
                || (published - d.published).abs() <= p.story_window_secs;
            if !in_window {
                continue;
            }
            // Same story: a shared passage that few corpus articles have (a
            // passage shared by many is template or boilerplate text), and
            // MinHash agreeing that the overlap is more than one phrase.
            let (_, rare) = shared;
            let csmall = inter / q.min(dd);
            if rare >= p.story_min_rare_anchors
                && same >= p.story_min_matching_hashes
                && csmall >= p.story_min_containment
            {
                let better =
                    best_story.is_none_or(|(sc, s)| csmall > sc || (csmall == sc && slot < s));
                if better {
                    best_story = Some((csmall, slot));
                }
            }
        }
        if let Some((c, j, slot)) = best_dup {
            let d = self.docs[slot as usize];
            out.decision = Decision::Duplicate { of: d.id, score: c };
            out.resemblance = j;
            out.containment = c;
            // "Longer": at least a tenth more text than what it copies.
            out.longer = q > 1.1 * f64::from(d.shingles);
            out.newer = published != NO_TIME && d.published != NO_TIME && published > d.published;
            return out;
        }
        if best_story.is_none() && fp.headline != 0 {
            if let Some(&slot) = self.headlines.get(&fp.headline) {
                let d = self.docs[slot as usize];
                if published == NO_TIME
                    || d.published == NO_TIME
                    || (published - d.published).abs() <= p.story_window_secs
                {
                    best_story = Some((1.0, slot));
                }
            }
        }
        if let Some((score, slot)) = best_story {
            out.decision = Decision::Story {
                of: self.docs[slot as usize].id,
                score,
            };
        }
        out
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Whether `id` is in the index.
    pub fn contains(&self, id: DocId) -> bool {
        if self.ids_increasing {
            self.docs.binary_search_by_key(&id, |d| d.id).is_ok()
        } else {
            self.docs.iter().any(|d| d.id == id)
        }
    }

    /// Whether a paragraph (given as text) is learned boilerplate of `source`.
    pub fn is_boilerplate(&self, source: Option<&str>, paragraph: &str) -> bool {
        let h = seq_hash(&token_hashes(paragraph));
        self.pools
            .get(source.unwrap_or(""))
            .is_some_and(|p| p.count(h) >= self.params.boilerplate_min_docs)
    }

    /// Approximate heap bytes held by the index (for the memory figures).
    pub fn heap_bytes(&self) -> usize {
        let map = |n: usize| n * (8 + 4 + 1) * 8 / 7;
        self.docs.capacity() * std::mem::size_of::<DocRec>()
            + self.sigs.capacity() * 2
            + map(self.exact.capacity())
            + map(self.headlines.capacity())
            + self.bands.heap_bytes()
            + self.anchors.heap_bytes()
            + self
                .pools
                .values()
                .map(|p| map(p.counts.capacity()) + 64)
                .sum::<usize>()
    }
}
