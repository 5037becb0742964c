//! The fixed sizes of shingles, signatures and bands (what a stored
//! fingerprint depends on) and the tunable decision thresholds (`Params`,
//! which do not change what is stored). Plain values; see ARCHITECTURE.md,
//! "Codemap" (`dedup`).

/// An article's identity in the corpus: its sequence number.
pub type DocId = u64;

/// Words per shingle. Chosen on the dev kit (figures in the report): at 7,
/// templated reports about other entities share at most ~0.3 of their
/// shingles with the nearest template sibling while trimmed and edited
/// copies keep over 0.65, so the verification threshold sits in a wide gap.
pub const SHINGLE_K: usize = 7;
/// MinHash values per signature; each value keeps 16 bits (b-bit MinHash), so
/// a signature is 256 bytes. 128 values give a standard error of ~0.04 on a
/// resemblance near 0.4, small against the gap the threshold sits in.
pub const NUM_HASHES: usize = 128;
/// LSH bands × rows = NUM_HASHES. With 4 rows, a pair at resemblance 0.5 is
/// a candidate with probability 0.87 through bands alone; anchors (below)
/// catch the rest, since any real copy shares dozens of them.
pub const BANDS: usize = 32;
pub const ROWS: usize = NUM_HASHES / BANDS;
/// One shingle in this many is an anchor (chosen by its hash, so two copies
/// choose the same ones). Anchors find pairs that share passages but little
/// else (quotes across outlets, trimmed copies): a shared 20-word passage
/// yields about one anchor.
pub const ANCHOR_RATE: u64 = 16;

/// Decision thresholds. They do not change what is stored, so they can be
/// tuned (config `[dedup]`) without rebuilding fingerprints.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Duplicate when the shared shingles cover at least this share of the
    /// LARGER document. Using the larger one is the size guard: a short text
    /// inside a long one (a quote, a brief) is not a copy of it.
    pub dup_min_containment: f64,
    /// Documents with fewer shingles than this are only duplicates when
    /// their resemblance reaches `small_min_resemblance` (few shingles make
    /// estimates coarse and coincidences likely).
    pub small_doc_shingles: u32,
    pub small_min_resemblance: f64,
    /// Same story when the documents share at least this many anchors held
    /// by at most `story_max_anchor_df` corpus articles...
    pub story_min_rare_anchors: u32,
    pub story_max_anchor_df: usize,
    /// ...and at least this many MinHash values agree (a resemblance of
    /// about 2%: more than a stock phrase)...
    pub story_min_matching_hashes: usize,
    /// ...and the overlap covers this share of the smaller document.
    pub story_min_containment: f64,
    /// Headlines need this many tokens to group stories by themselves.
    pub story_min_headline_tokens: usize,
    /// Story grouping only within this distance in publication time, when
    /// both times are known. Duplicates have no window.
    pub story_window_secs: i64,
    /// A paragraph seen in this many earlier articles of a source is that
    /// source's boilerplate.
    pub boilerplate_min_docs: u32,
    /// Keys (band values, anchors) shared by more documents than this carry
    /// no information about any one of them and are skipped.
    pub max_postings_per_key: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            dup_min_containment: 0.47,
            small_doc_shingles: 8,
            small_min_resemblance: 0.9,
            story_min_rare_anchors: 2,
            story_max_anchor_df: 2,
            story_min_matching_hashes: 3,
            story_min_containment: 0.05,
            story_min_headline_tokens: 4,
            story_window_secs: 30 * 86_400,
            boilerplate_min_docs: 2,
            max_postings_per_key: 256,
        }
    }
}
