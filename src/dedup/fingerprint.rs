//! The fingerprint: what the index keeps of one article and what the store
//! persists so the index comes back at start-up without re-reading corpus
//! files, and its versioned byte form. Must not read files or the
//! database (the store keeps the bytes); see ARCHITECTURE.md, "Codemap"
//! (`dedup`).

use super::params::{NUM_HASHES, SHINGLE_K};

/// What the index keeps of one article, and what the store persists so the
/// index comes back without re-reading corpus files.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// Hash of the whole normalized token stream (boilerplate included).
    pub exact: u64,
    /// Hash of the normalized headline (first non-boilerplate line), 0 when
    /// it is too short to identify a story.
    pub headline: u64,
    /// Distinct shingles after boilerplate removal.
    pub shingles: u32,
    /// Low 16 bits of each of the NUM_HASHES minima.
    pub minhash: Vec<u16>,
    /// Sampled shingle hashes (low 32 bits), sorted, distinct.
    pub anchors: Vec<u32>,
    /// Hash of every paragraph, boilerplate included, in order: what the
    /// per-source boilerplate pool learns from when the index is rebuilt.
    pub paragraphs: Vec<u64>,
}

/// A stored fingerprint that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FingerprintError {
    #[error("fingerprint blob is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("fingerprint blob has no tidings magic")]
    Magic,
    #[error("fingerprint blob has version {0}, this build reads version {FP_VERSION}")]
    Version(u8),
    #[error("fingerprint blob was made with other settings (k={k}, hashes={hashes})")]
    Shape { k: u8, hashes: u16 },
    #[error("fingerprint blob has {0} trailing bytes")]
    Trailing(usize),
}

const FP_MAGIC: &[u8; 3] = b"TDF";
const FP_VERSION: u8 = 1;

impl Fingerprint {
    /// Little-endian: magic "TDF", version, k, hash count (u16), exact (u64),
    /// headline (u64), shingles (u32), minhash (u16 × hashes), anchor count
    /// (u32) and anchors (u32 each), paragraph count (u32) and hashes (u64).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(
            32 + 2 * self.minhash.len() + 4 * self.anchors.len() + 8 * self.paragraphs.len(),
        );
        b.extend_from_slice(FP_MAGIC);
        b.push(FP_VERSION);
        b.push(SHINGLE_K as u8);
        b.extend_from_slice(&(self.minhash.len() as u16).to_le_bytes());
        b.extend_from_slice(&self.exact.to_le_bytes());
        b.extend_from_slice(&self.headline.to_le_bytes());
        b.extend_from_slice(&self.shingles.to_le_bytes());
        for v in &self.minhash {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&(self.anchors.len() as u32).to_le_bytes());
        for v in &self.anchors {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&(self.paragraphs.len() as u32).to_le_bytes());
        for v in &self.paragraphs {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FingerprintError> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(3)? != FP_MAGIC {
            return Err(FingerprintError::Magic);
        }
        let version = r.take(1)?[0];
        if version != FP_VERSION {
            return Err(FingerprintError::Version(version));
        }
        let k = r.take(1)?[0];
        let hashes = r.u16()?;
        if usize::from(k) != SHINGLE_K || usize::from(hashes) != NUM_HASHES {
            return Err(FingerprintError::Shape { k, hashes });
        }
        let exact = r.u64()?;
        let headline = r.u64()?;
        let shingles = r.u32()?;
        let minhash = (0..NUM_HASHES)
            .map(|_| r.u16())
            .collect::<Result<Vec<_>, _>>()?;
        let n = r.count(4)?;
        let anchors = (0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        let n = r.count(8)?;
        let paragraphs = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?;
        if r.at != bytes.len() {
            return Err(FingerprintError::Trailing(bytes.len() - r.at));
        }
        Ok(Fingerprint {
            exact,
            headline,
            shingles,
            minhash,
            anchors,
            paragraphs,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FingerprintError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(FingerprintError::Truncated(self.b.len()))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, FingerprintError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, FingerprintError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, FingerprintError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    /// A element count, checked against the bytes left so that a corrupt
    /// count cannot make us allocate gigabytes.
    fn count(&mut self, elem: usize) -> Result<usize, FingerprintError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(elem) > self.b.len() - self.at {
            return Err(FingerprintError::Truncated(self.b.len()));
        }
        Ok(n)
    }
}
