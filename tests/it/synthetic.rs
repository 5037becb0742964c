//! Text of its own for synthetic pages: words drawn by a small generator
//! from a seed, so that no two pages look like copies to dedup. Shared by
//! the integration tests and the ingest benchmark (`#[path]`).

const WORDS: &[&str] = &[
    "Chechnya",
    "gay",
    "men",
    "detained",
    "police",
    "families",
    "lawyers",
    "court",
    "asylum",
    "shelter",
    "witness",
    "report",
    "Grozny",
    "activists",
    "evacuated",
    "Moscow",
    "Vienna",
    "inquiry",
    "prison",
    "relatives",
    "network",
    "torture",
    "released",
    "charged",
    "journalists",
    "embassy",
    "visa",
    "threats",
    "village",
    "hearing",
    "officials",
    "denied",
    "testimony",
    "Kadyrov",
    "campaign",
    "sanctions",
    "resolution",
    "parliament",
    "survivors",
    "flight",
];

/// A seed from any text (FNV-1a).
pub fn seed_of(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// `paragraphs` paragraphs of `words` words each, as `<p>` elements.
pub fn paragraphs(seed: u64, paragraphs: usize, words: usize) -> String {
    let mut state = seed | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        WORDS[(state % WORDS.len() as u64) as usize]
    };
    (0..paragraphs)
        .map(|_| {
            format!(
                "<p>{}.</p>\n",
                (0..words).map(|_| next()).collect::<Vec<_>>().join(" ")
            )
        })
        .collect()
}
