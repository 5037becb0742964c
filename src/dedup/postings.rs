//! A compact multimap from 32-bit keys to 32-bit document slots.
//!
//! Every entry is one `u64` (key in the high half, slot in the low half), so
//! an entry costs 8 bytes and nothing else: no per-key allocation, no hash
//! table slack. Entries land in a small unsorted buffer; full buffers become
//! sorted runs, and runs of similar size are merged (a log-structured merge),
//! so an insert costs O(log n) amortised moves and a lookup is a binary
//! search in each of at most ~log2(n / BUFFER) runs. Bulk loading at start-up
//! is therefore a sequence of sorts and merges, not a million hash inserts.

/// Entries kept unsorted before they become a run; scanning this many `u64`
/// is cheaper than a binary search miss in cache.
const BUFFER: usize = 512;

#[derive(Debug, Default, Clone)]
pub(crate) struct Postings {
    runs: Vec<Vec<u64>>,
    fresh: Vec<u64>,
}

impl Postings {
    pub(crate) fn push(&mut self, key: u32, slot: u32) {
        self.fresh.push((u64::from(key) << 32) | u64::from(slot));
        if self.fresh.len() >= BUFFER {
            let mut run = std::mem::take(&mut self.fresh);
            run.sort_unstable();
            self.runs.push(run);
            // Merge while the newest run is at least a quarter of the one
            // before it: run sizes grow by 4x or more, so a lookup searches
            // at most ~log4(n / BUFFER) runs (7 at 50M entries), and an entry
            // is moved ~log4(n) times over its life.
            while self.runs.len() >= 2 {
                let n = self.runs.len();
                if self.runs[n - 1].len() * 4 < self.runs[n - 2].len() {
                    break;
                }
                let b = self.runs.pop().unwrap_or_default();
                let a = self.runs.pop().unwrap_or_default();
                self.runs.push(merge(&a, &b));
            }
        }
    }

    /// Calls `f` with every slot stored under `key`, in no particular order,
    /// unless more than `limit` slots are stored under it: then it calls
    /// nothing and returns false (a key shared by that many documents says
    /// nothing about any one of them, and visiting them all would be slow).
    pub(crate) fn for_each(&self, key: u32, limit: usize, mut f: impl FnMut(u32)) -> bool {
        let lo = u64::from(key) << 32;
        let hi = lo | u64::from(u32::MAX);
        // One binary search per run; matches follow it and are usually few.
        let ranges: Vec<(usize, usize)> = self
            .runs
            .iter()
            .map(|run| {
                let a = run.partition_point(|&e| e < lo);
                let n = run[a..]
                    .iter()
                    .take(limit.saturating_add(1))
                    .take_while(|&&e| e <= hi)
                    .count();
                (a, a + n)
            })
            .collect();
        let fresh = self
            .fresh
            .iter()
            .filter(|&&e| e >> 32 == u64::from(key))
            .count();
        let total = ranges.iter().map(|(a, b)| b - a).sum::<usize>() + fresh;
        if total > limit {
            return false;
        }
        for (run, &(a, b)) in self.runs.iter().zip(&ranges) {
            for &e in &run[a..b] {
                f(e as u32);
            }
        }
        if fresh > 0 {
            for &e in self.fresh.iter().filter(|&&e| e >> 32 == u64::from(key)) {
                f(e as u32);
            }
        }
        true
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.runs.iter().map(Vec::len).sum::<usize>() + self.fresh.len()
    }

    /// Bytes held, capacity included (for the memory figures).
    pub(crate) fn heap_bytes(&self) -> usize {
        8 * (self.runs.iter().map(Vec::capacity).sum::<usize>() + self.fresh.capacity())
            + self.runs.capacity() * std::mem::size_of::<Vec<u64>>()
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
        for key in 0..701u32 {
            let mut got = Vec::new();
            assert!(p.for_each(key, usize::MAX, |s| got.push(s)));
            got.sort_unstable();
            assert_eq!(
                got,
                model.get(&key).cloned().unwrap_or_default(),
                "key {key}"
            );
        }
        assert!(p.runs.len() <= 6, "runs stay few: {}", p.runs.len());
    }

    #[test]
    fn limit_stops_early() {
        let mut p = Postings::default();
        for s in 0..10 {
            p.push(7, s);
        }
        let mut n = 0;
        assert!(!p.for_each(7, 9, |_| n += 1));
        assert_eq!(n, 0, "nothing visited past the limit");
        assert!(p.for_each(7, 10, |_| n += 1));
        assert_eq!(n, 10);
    }
}
