//! Layer 2: the exact identity of a text, a hash of its normalized token
//! stream (`text` says what is normalized). Pure; see ARCHITECTURE.md,
//! "Codemap" (`dedup`).

use sha2::{Digest, Sha256};

use super::text::for_each_token;

/// The tokens that identity is decided on: HTML entities decoded, NFKC,
/// case-folded, invisible characters dropped, punctuation (quotes and dashes
/// included) separating tokens, Han/Hiragana/Katakana one token per character.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t.to_string()));
    out
}

/// Hash of the normalized token stream: equal for texts that differ only in
/// case, whitespace, punctuation, Unicode form or invisible characters.
pub fn text_hash(text: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    for_each_token(text, |t| {
        h.update(t.as_bytes());
        h.update(b" ");
    });
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}
