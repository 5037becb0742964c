//! MinHash: the fixed hash family, the per-shingle minimums (vectorised
//! where the CPU allows), LSH band keys and the sketch of a token stream
//! (shingle count, b-bit signature, sampled anchors). Pure; must not read
//! files, the database, the network or the clock; see ARCHITECTURE.md,
//! "Codemap" (`dedup`).

use super::params::{ANCHOR_RATE, NUM_HASHES, SHINGLE_K};
use super::text::{mix64, seq_hash};

/// Odd multipliers and xor masks of the NUM_HASHES hash functions, derived
/// from fixed seeds so that fingerprints are stable across builds. Kept as
/// two arrays (not pairs) so that the minimum loop runs in vector lanes.
struct HashFamily {
    mul: [u64; NUM_HASHES],
    xor: [u64; NUM_HASHES],
}

fn hash_family() -> &'static HashFamily {
    static FAMILY: std::sync::OnceLock<HashFamily> = std::sync::OnceLock::new();
    FAMILY.get_or_init(|| {
        let mut f = HashFamily {
            mul: [0; NUM_HASHES],
            xor: [0; NUM_HASHES],
        };
        let mut s: u64 = 0x7469_6469_6e67_7321; // "tidings!"
        for i in 0..NUM_HASHES {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            f.mul[i] = mix64(s) | 1;
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            f.xor[i] = mix64(s);
        }
        f
    })
}

/// The minimum of each hash function over the shingles. (x ^ b) * a is a
/// bijection of u64 per function: a permutation of the shingle space, so
/// the minimum is a MinHash sample. This loop is most of a fingerprint's
/// cost; where the CPU has 64-bit vector multiplies (AVX-512 DQ) the same
/// code is compiled for them and picked at run time. Every variant gives
/// the same minimums (a unit test holds them to it).
pub(super) fn minimums(sh: &[u64]) -> [u64; NUM_HASHES] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512dq") {
            // SAFETY: the CPU was just found to have AVX-512 F and DQ.
            return unsafe { minimums_avx512(sh, hash_family()) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU was just found to have AVX2.
            return unsafe { minimums_avx2(sh, hash_family()) };
        }
    }
    minimums_portable(sh, hash_family())
}

// Three arrays indexed in step: the plain form the vectoriser reads best.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn minimums_portable(sh: &[u64], fam: &HashFamily) -> [u64; NUM_HASHES] {
    let mut mins = [u64::MAX; NUM_HASHES];
    for &x in sh {
        for i in 0..NUM_HASHES {
            let v = (x ^ fam.xor[i]).wrapping_mul(fam.mul[i]);
            mins[i] = mins[i].min(v);
        }
    }
    mins
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn minimums_avx512(sh: &[u64], fam: &HashFamily) -> [u64; NUM_HASHES] {
    minimums_portable(sh, fam)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn minimums_avx2(sh: &[u64], fam: &HashFamily) -> [u64; NUM_HASHES] {
    minimums_portable(sh, fam)
}

pub(super) fn band_key(band: usize, vals: &[u16]) -> u32 {
    let mut packed = band as u64;
    for &v in vals {
        packed = (packed << 16) ^ u64::from(v);
    }
    (mix64(packed ^ ((band as u64) << 58)) >> 32) as u32
}

/// Shingle count, MinHash signature and anchors of a token-hash stream.
pub(super) fn sketch(tokens: &[u64]) -> (u32, Vec<u16>, Vec<u32>) {
    let mut sh: Vec<u64> = if tokens.is_empty() {
        Vec::new()
    } else if tokens.len() < SHINGLE_K {
        vec![seq_hash(tokens)]
    } else {
        tokens.windows(SHINGLE_K).map(seq_hash).collect()
    };
    sh.sort_unstable();
    sh.dedup();
    let mins = minimums(&sh);
    // b-bit MinHash: the low bits of the minimum are uniform even though the
    // minimum itself is small, so 16 of them identify it (false match 2^-16).
    let minhash = mins
        .iter()
        .map(|&m| {
            if sh.is_empty() {
                u16::MAX
            } else {
                (m >> 7) as u16
            }
        })
        .collect();
    let mut anchors: Vec<u32> = sh
        .iter()
        .filter(|&&x| mix64(x ^ 0xa5a5).is_multiple_of(ANCHOR_RATE))
        .map(|&x| x as u32)
        .collect();
    anchors.sort_unstable();
    anchors.dedup();
    (sh.len() as u32, minhash, anchors)
}

/// The vector variants of the MinHash loop must give what the plain loop
/// gives, or fingerprints stored by one machine would not match another's.
#[cfg(test)]
mod minimum_variants {
    use super::*;
    use proptest::prelude::*;

    /// The loop as first written: one shingle at a time, every function.
    #[allow(clippy::needless_range_loop)]
    fn reference(sh: &[u64]) -> [u64; NUM_HASHES] {
        let fam = hash_family();
        let mut mins = [u64::MAX; NUM_HASHES];
        for &x in sh {
            for i in 0..NUM_HASHES {
                let v = (x ^ fam.xor[i]).wrapping_mul(fam.mul[i]);
                if v < mins[i] {
                    mins[i] = v;
                }
            }
        }
        mins
    }

    proptest! {
        #[test]
        fn every_variant_gives_the_plain_minimums(sh in proptest::collection::vec(any::<u64>(), 0..700)) {
            let want = reference(&sh);
            prop_assert_eq!(minimums(&sh), want);
            prop_assert_eq!(minimums_portable(&sh, hash_family()), want);
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512dq") {
                    // SAFETY: checked just above.
                    prop_assert_eq!(unsafe { minimums_avx512(&sh, hash_family()) }, want);
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: checked just above.
                    prop_assert_eq!(unsafe { minimums_avx2(&sh, hash_family()) }, want);
                }
            }
        }
    }
}
