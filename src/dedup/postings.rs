//! A compact multimap from 32-bit keys to 32-bit document slots.
//!
//! Every entry is one `u64` (key in the high half, slot in the low half), so
//! an entry costs 8 bytes plus half a byte of directory (below): no per-key
//! allocation, no hash table slack. Entries land in a small unsorted buffer;
//! full buffers become sorted runs, and runs of similar size are merged (a
//! log-structured merge), so an insert costs O(log n) amortised moves and
//! bulk loading at start-up is a sequence of sorts and merges, not a million
//! hash inserts.
//!
//! Each run carries a directory: for every value of the key's top bits, where
//! its entries start. A lookup reads one directory word and one small bucket
//! per run instead of binary-searching the whole run, whose lower levels miss
//! the cache once the index outgrows it (that made lookups grow with the
//! corpus). The keys stored here are hash values, so buckets stay near their
//! mean size; skewed keys only make buckets longer, never wrong.

/// Entries kept unsorted before they become a run. Every lookup scans them,
/// so this is kept small; the runs it makes are cheap to merge.
const BUFFER: usize = 128;

/// Mean entries per directory bucket: 8 entries (64 bytes, one cache line)
/// per 4-byte directory word.
const BUCKET: usize = 8;

#[derive(Debug, Default, Clone)]
struct Run {
    entries: Vec<u64>,
    /// `dir[t]` is the index of the first entry whose top `bits` bits are at
    /// least `t`; it has `2^bits + 1` words.
    dir: Vec<u32>,
    bits: u32,
}

impl Run {
    fn new(entries: Vec<u64>) -> Self {
        let n = entries.len();
        // Keys are 32 bits, so at most 32 bits of directory: every entry of
        // a key then falls in one bucket.
        let bits = (n / BUCKET).max(1).ilog2().min(32);
        let buckets = 1usize << bits;
        let mut dir = Vec::with_capacity(buckets + 1);
        let mut i = 0;
        for t in 0..buckets as u64 {
            while i < n && top(entries[i], bits) < t {
                i += 1;
            }
            dir.push(i as u32);
        }
        dir.push(n as u32);
        Run { entries, dir, bits }
    }
}

/// Asks the CPU to start loading the cache line at `p` (a hint: no effect
/// on results, and nothing where there is no such instruction).
#[inline(always)]
fn prefetch(p: *const u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing into the program,
    // whatever the address; SSE is part of every x86_64 CPU.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The top `bits` bits of an entry (0 when `bits` is 0).
fn top(e: u64, bits: u32) -> u64 {
    e.checked_shr(64 - bits).unwrap_or(0)
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Postings {
    runs: Vec<Run>,
    fresh: Vec<u64>,
}

impl Postings {
    pub(crate) fn push(&mut self, key: u32, slot: u32) {
        self.fresh.push((u64::from(key) << 32) | u64::from(slot));
        if self.fresh.len() >= BUFFER {
            let mut run = std::mem::take(&mut self.fresh);
            run.sort_unstable();
            let mut run = Run::new(run);
            // Merge while the newest run is at least a quarter of the one
            // before it: run sizes grow by 4x or more, so a lookup visits at
            // most ~log4(n / BUFFER) runs (9 at 50M entries), and an entry
            // is moved ~log4(n) times over its life.
            while let Some(prev) = self.runs.last() {
                if run.entries.len() * 4 < prev.entries.len() {
                    break;
                }
                let prev = self.runs.pop().unwrap_or_default();
                run = Run::new(merge(&prev.entries, &run.entries));
            }
            self.runs.push(run);
        }
    }

    /// Calls `f(i, slots)` for each `keys[i]` that holds at least one slot,
    /// in key order, with all of its slots (in no particular order) —
    /// unless more than `limit` slots are stored under it: a key shared by
    /// that many documents says nothing about any one of them, and visiting
    /// them all would be slow, so it is skipped.
    ///
    /// One key's lookup is a few dependent loads per run (directory word,
    /// then bucket), each a likely cache and TLB miss once the index is
    /// large; done one key after another they add up with the index size.
    /// Here every key's directory words are read in one loop and their
    /// buckets prefetched in the next, so the misses of all keys are in
    /// flight together before any bucket is searched.
    pub(crate) fn for_each_of(&self, keys: &[u32], limit: usize, mut f: impl FnMut(usize, &[u32])) {
        let cap = limit.saturating_add(1);
        // Bucket bounds, run-major: bounds[r * keys.len() + i].
        let mut bounds: Vec<(u32, u32)> = Vec::with_capacity(self.runs.len() * keys.len());
        for run in &self.runs {
            for &key in keys {
                let t = top(u64::from(key) << 32, run.bits) as usize;
                bounds.push((run.dir[t], run.dir[t + 1]));
            }
        }
        for (r, run) in self.runs.iter().enumerate() {
            for &(a, _) in &bounds[r * keys.len()..(r + 1) * keys.len()] {
                prefetch(run.entries.as_ptr().wrapping_add(a as usize));
            }
        }
        let mut slots: Vec<u32> = Vec::new();
        for (i, &key) in keys.iter().enumerate() {
            slots.clear();
            let lo = u64::from(key) << 32;
            for (r, run) in self.runs.iter().enumerate() {
                let (a, b) = bounds[r * keys.len() + i];
                let bucket = &run.entries[a as usize..b as usize];
                let at = bucket.partition_point(|&e| e < lo);
                slots.extend(
                    bucket[at..]
                        .iter()
                        .take(cap)
                        .take_while(|&&e| (e >> 32) as u32 == key)
                        .map(|&e| e as u32),
                );
                if slots.len() > limit {
                    break;
                }
            }
            if slots.len() <= limit {
                slots.extend(
                    self.fresh
                        .iter()
                        .filter(|&&e| (e >> 32) as u32 == key)
                        .map(|&e| e as u32),
                );
            }
            if !slots.is_empty() && slots.len() <= limit {
                f(i, &slots);
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.runs.iter().map(|r| r.entries.len()).sum::<usize>() + self.fresh.len()
    }

    /// Bytes held, capacity included (for the memory figures).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.runs
            .iter()
            .map(|r| 8 * r.entries.capacity() + 4 * r.dir.capacity())
            .sum::<usize>()
            + 8 * self.fresh.capacity()
            + self.runs.capacity() * std::mem::size_of::<Run>()
    }
}

fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every key's slots (sorted) as `for_each_of` reports them, looked up
    /// all in one batch; None for keys it skips or does not hold.
    fn lookup(p: &Postings, keys: &[u32], limit: usize) -> Vec<Option<Vec<u32>>> {
        let mut out = vec![None; keys.len()];
        p.for_each_of(keys, limit, |i, slots| {
            assert!(out[i].is_none(), "key {i} reported twice");
            let mut v = slots.to_vec();
            v.sort_unstable();
            out[i] = Some(v);
        });
        out
    }

    #[test]
    fn matches_a_plain_multimap_across_merges() {
        let mut p = Postings::default();
        let mut model: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut x: u64 = 12345;
        for slot in 0..5000u32 {
            x = crate::dedup::text::mix64(x);
            let key = (x % 700) as u32;
            p.push(key, slot);
            model.entry(key).or_default().push(slot);
        }
        assert_eq!(p.len(), 5000);
        let keys: Vec<u32> = (0..701).collect();
        for (key, got) in keys.iter().zip(lookup(&p, &keys, usize::MAX)) {
            assert_eq!(got, model.get(key).cloned(), "key {key}");
        }
        assert!(p.runs.len() <= 6, "runs stay few: {}", p.runs.len());
    }

    #[test]
    fn limit_stops_early() {
        let mut p = Postings::default();
        for s in 0..10 {
            p.push(7, s);
        }
        // Past the limit a key is skipped, and its neighbours in the batch
        // are still reported.
        p.push(8, 3);
        assert_eq!(lookup(&p, &[7, 8], 9), [None, Some(vec![3])]);
        assert_eq!(lookup(&p, &[7, 8], 10)[0], Some((0..10).collect()));
        // The same across runs: 300 entries under one key land in a run
        // and in the buffer.
        for s in 10..300 {
            p.push(7, s);
        }
        assert!(!p.runs.is_empty());
        assert_eq!(lookup(&p, &[8, 7], 299), [Some(vec![3]), None]);
        assert_eq!(
            lookup(&p, &[8, 7], 300)[1].as_ref().map(Vec::len),
            Some(300)
        );
    }

    /// Keys spread over the whole 32-bit range (as the index's hash keys
    /// are), the extreme keys included, across enough entries for large
    /// directories: every lookup agrees with a plain multimap, and keys
    /// next to stored ones find nothing.
    #[test]
    fn directory_lookups_match_a_plain_multimap() {
        let mut p = Postings::default();
        let mut model: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut x: u64 = 99;
        for slot in 0..60_000u32 {
            x = crate::dedup::text::mix64(x);
            let key = match slot % 1000 {
                0 => 0,
                1 => u32::MAX,
                // A few keys held many times, the rest mostly once.
                2..=9 => (x >> 60) as u32,
                _ => (x >> 32) as u32,
            };
            p.push(key, slot);
            model.entry(key).or_default().push(slot);
        }
        assert!(p.runs.iter().any(|r| r.bits >= 10), "a large directory");
        let mut probe: Vec<u32> = model.keys().copied().collect();
        probe.extend(model.keys().map(|k| k.wrapping_add(1)));
        probe.extend(model.keys().map(|k| k.wrapping_sub(1)));
        for (key, got) in probe.iter().zip(lookup(&p, &probe, usize::MAX)) {
            assert_eq!(got, model.get(key).cloned(), "key {key}");
        }
    }
}
