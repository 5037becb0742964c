//! Duplicate and story decisions for new articles against the whole corpus.
//!
//! Layers, cheapest first:
//! 1. the canonical URL ([`canonical_url`], [`canonical_url_with`]): the
//!    caller looks it up in its store before fetching the page at all;
//! 2. an exact hash of the normalized token stream ([`text`] says what is
//!    normalized and why);
//! 3. near-duplicates over the whole corpus: MinHash signatures of word
//!    7-shingles, LSH banding and sampled "anchor" shingles for candidates,
//!    then a verification rule on resemblance and containment with a size
//!    guard. Paragraphs that an outlet repeats across its articles (sign-up
//!    prompts, disclaimers, copyright lines) are learned per source from
//!    earlier corpus articles and removed before shingling.
//!
//! A new article that is not a duplicate joins the story of an earlier one
//! when they share passages (quotes, sentences) or the same normalized
//! headline within a time window.
//!
//! Pure: no I/O, no clock, no environment. Time comes in through
//! [`DocMeta::published`]. What the store must persist per article is a
//! [`Fingerprint`] (see [`Fingerprint::to_bytes`]); the index is rebuilt from
//! fingerprints at start-up with [`Index::insert_fingerprint`]. This module
//! must not read files, the database, the network or the clock. See
//! ARCHITECTURE.md, "Codemap" (`dedup`).
//!
//! Files: `canonical` (URL identity), `exact` (layer 2's hash),
//! `fingerprint` (what is persisted), `params` (the shingle and signature
//! sizes, the thresholds), `minhash` (signatures and band keys), `postings`
//! (the LSH and anchor lists), `text` (tokens and hashes), `index` (the
//! index and its verdicts). This file only declares them and re-exports
//! their public items.

mod canonical;
mod exact;
mod fingerprint;
mod index;
mod minhash;
mod params;
mod postings;
#[cfg(test)]
mod tests;
pub mod text;

pub use canonical::{
    canonical_url, canonical_url_with, outlet, same_site, served_canonical, unwrap_redirect,
};
pub use exact::{text_hash, tokens};
pub use fingerprint::{Fingerprint, FingerprintError};
pub use index::{Assessment, Decision, DocMeta, Index};
pub use params::{DocId, Params, ANCHOR_RATE, BANDS, NUM_HASHES, ROWS, SHINGLE_K};
