"""The Python side of the comparison: what a user would assemble instead of
tidings, from feedparser, trafilatura and datasketch, timed on the same
inputs as tidings' bench binaries.

Each subcommand runs in its own process (so its peak memory is its own)
and ends with one `bench-result {json}` line, like the Rust benches:

    peers.py feeds DIR RUNS                 feedparser.parse over DIR/* and DIR/typical/*
    peers.py extract HTML_DIR OUT_DIR LIMIT [ROUNDS [fast]]  trafilatura over the extraction pages
    peers.py dedup-dev SET_DIR SCORER OUT   the MinHashLSH predictor on the dedup kit
    peers.py dedup-bench DUMP_DIR N K T     MinHashLSH on tidings' synthetic articles
    peers.py cron BASE_URL FEEDS OUT_DIR    the cron-job equivalent of `run --once`

Only this file's process is timed; nothing here tunes the libraries beyond
the settings documented in BENCHMARKS.md.
"""
import hashlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import unicodedata

# datasketch's parameters, kept equal to tidings' (src/dedup/mod.rs): 128
# hash functions. The shingle size and threshold are chosen on the dedup
# dev set by `dedup-dev` (the best F1 there) and passed to the others.
NUM_PERM = 128
WORD = re.compile(r"\w+")


def result(**fields):
    print("bench-result " + json.dumps(fields), flush=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- feed parsing ----------------------------------------------------------


def files_in(d, xml_only=False):
    if not os.path.isdir(d):
        return []
    names = sorted(n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n)))
    if xml_only:
        names = [n for n in names if not n.endswith(".json")]
    out = []
    for n in names:
        with open(os.path.join(d, n), "rb") as f:
            out.append(f.read())
    return out


def cmd_feeds(d, runs):
    import feedparser

    typical = os.path.join(d, "typical")
    xml = files_in(d, xml_only=True) + files_in(typical, xml_only=True)
    for name, docs in (("large", files_in(d)), ("typical", files_in(typical)), ("xml", xml)):
        if not docs:
            continue
        entries = sum(len(feedparser.parse(b).entries) for b in docs)  # warm-up
        times = []
        for _ in range(int(runs)):
            t = time.perf_counter()
            for b in docs:
                feedparser.parse(b)
            times.append(time.perf_counter() - t)
        s = statistics.median(times)
        size = sum(len(b) for b in docs)
        result(stage="feed_parse", set=name, docs=len(docs), bytes=size, entries=entries,
               seconds=s, mb_per_s=size / 1e6 / s)


# --- extraction -------------------------------------------------------------


def corpus_shape(title, text):
    """Headline, blank line, one paragraph per non-empty line: tidings'
    corpus shape, which the scorer's --headline expects."""
    lines = [" ".join(title.split()) if title else ""]
    lines += [" ".join(l.split()) for l in (text or "").splitlines() if l.strip()]
    return "\n\n".join(lines)


def cmd_extract(html_dir, out_dir, limit, rounds="1", mode="default"):
    n_rounds = int(rounds)
    fast = mode == "fast"
    import trafilatura

    urls = {}
    tsv = os.path.join(os.path.dirname(html_dir.rstrip("/")), "urls.tsv")
    if os.path.exists(tsv):
        with open(tsv, encoding="utf-8") as f:
            for line in f:
                if "\t" in line:
                    i, u = line.rstrip("\n").split("\t", 1)
                    urls[i] = u
    ids = sorted(n[:-5] for n in os.listdir(html_dir) if n.endswith(".html"))[: int(limit)]
    pages = []
    for i in ids:
        with open(os.path.join(html_dir, i + ".html"), "rb") as f:
            pages.append((i, f.read()))
    rounds, per_page, docs = [], [], {}
    for rnd in range(n_rounds):
        start = time.perf_counter()
        for i, body in pages:
            t = time.perf_counter()
            # The call a user makes for text plus headline: defaults
            # (fallbacks on, comments and tables kept, neither favor_*),
            # with_metadata for the title. Raw bytes: it decodes them itself.
            # mode "fast": fast=True, trafilatura's switch that skips its
            # fallback extractors.
            doc = trafilatura.bare_extraction(body, url=urls.get(i), with_metadata=True, fast=fast)
            per_page.append(time.perf_counter() - t)
            if rnd == 0:
                docs[i] = doc
        rounds.append(time.perf_counter() - start)
    os.makedirs(out_dir, exist_ok=True)
    ok = 0
    for i, doc in docs.items():
        text = ""
        if doc is not None and doc.text:
            ok += 1
            text = corpus_shape(doc.title, doc.text)
        with open(os.path.join(out_dir, i + ".txt"), "w", encoding="utf-8") as f:
            f.write(text)
    result(stage="extract", pages=len(pages), articles=ok,
           pages_per_s=len(pages) / statistics.median(rounds),
           median_ms=statistics.median(per_page) * 1e3, peak_rss_mb=peak_rss_mb())


# --- dedup ------------------------------------------------------------------


def shingles(text, k):
    """Word k-shingles after NFKC and case folding, as bytes for datasketch;
    a text shorter than k words is one shingle."""
    toks = WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(toks) < k:
        return [" ".join(toks).encode()] if toks else []
    return [" ".join(toks[j : j + k]).encode() for j in range(len(toks) - k + 1)]


def minhash(text, k):
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=1)
    sh = shingles(text, k)
    if sh:
        m.update_batch(sh)
    return m


class Deduper:
    """MinHashLSH for candidates, then the candidate with the highest
    estimated Jaccard is a duplicate when that reaches the threshold.
    Keeps each article's signature (LeanMinHash) for that check."""

    def __init__(self, threshold):
        from datasketch import MinHashLSH

        self.t = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.sigs = {}

    def insert(self, key, m):
        from datasketch import LeanMinHash

        lean = LeanMinHash(m)
        self.lsh.insert(key, lean, check_duplication=False)
        self.sigs[key] = lean

    def decide(self, m):
        best, score = None, 0.0
        for c in self.lsh.query(m):
            j = self.sigs[c].jaccard(m)
            if j > score:
                best, score = c, j
        return (best, score) if best is not None and score >= self.t else (None, score)


def read_dir(d):
    out = {}
    for n in sorted(os.listdir(d)):
        if n.endswith(".txt"):
            with open(os.path.join(d, n), encoding="utf-8") as f:
                out[n[:-4]] = f.read()
    return out


def f1_of(scorer, labels, pred):
    r = subprocess.run([sys.executable, scorer, labels, pred], capture_output=True, text=True, check=True)
    last = r.stdout.strip().splitlines()[-1]
    return float(last.split()[1])


def cmd_dedup_dev(set_dir, scorer, out):
    """Sweeps shingle size and threshold on the dev set and keeps the best
    F1: the most favourable fair setting for the Python side (tidings'
    own parameters are fixed in its source)."""
    corpus = read_dir(os.path.join(set_dir, "corpus"))
    queries = read_dir(os.path.join(set_dir, "queries"))
    labels = os.path.join(set_dir, "labels.tsv")
    best = None
    for k in (3, 5, 7):
        cm = {d: minhash(t, k) for d, t in corpus.items()}
        qm = {q: minhash(t, k) for q, t in queries.items()}
        for t100 in range(30, 95, 5):
            t = t100 / 100
            dd = Deduper(t)
            for d, m in cm.items():
                dd.insert(d, m)
            with open(out, "w") as f:
                for q, m in qm.items():
                    hit, _ = dd.decide(m)
                    hit = hit or "-"
                    f.write(f"{q}\t{hit}\t{hit}\n")
            f1 = f1_of(scorer, labels, out)
            print(f"dedup-dev: k={k} threshold={t:.2f} F1 {f1:.3f}", file=sys.stderr)
            if best is None or f1 > best[0]:
                best = (f1, k, t)
    f1, k, t = best
    # Leave the best run's predictions in OUT.
    dd = Deduper(t)
    for d, tx in corpus.items():
        dd.insert(d, minhash(tx, k))
    with open(out, "w") as f:
        for q, tx in queries.items():
            hit, _ = dd.decide(minhash(tx, k))
            hit = hit or "-"
            f.write(f"{q}\t{hit}\t{hit}\n")
    result(stage="dedup_dev", f1=f1_of(scorer, labels, out), k=k, threshold=t)


def cmd_dedup_bench(dump, n, k, t):
    n, k, t = int(n), int(k), float(t)
    dd = Deduper(t)
    rss0 = rss_bytes()
    start = time.perf_counter()
    with open(os.path.join(dump, "corpus.txt"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == n:
                break
            dd.insert(i, minhash(line.rstrip("\n").replace("\t", "\n\n"), k))
    build = time.perf_counter() - start
    mem = rss_bytes() - rss0
    probes = []
    with open(os.path.join(dump, f"queries-{n}.tsv"), encoding="utf-8") as f:
        for line in f:
            kind, target, text = line.rstrip("\n").split("\t", 2)
            probes.append((kind == "copy", int(target), text.replace("\t", "\n\n")))
    t_copy, t_new, found, false_dups = [], [], 0, 0
    for is_copy, target, text in probes:
        t0 = time.perf_counter()
        hit, _ = dd.decide(minhash(text, k))
        el = time.perf_counter() - t0
        if is_copy:
            t_copy.append(el)
            found += hit == target
        else:
            t_new.append(el)
            false_dups += hit is not None
    us = lambda v: statistics.median(v) * 1e6
    result(stage="dedup", n=n, decision_us=us(t_copy + t_new), copy_us=us(t_copy), new_us=us(t_new),
           rss_b_per_article=mem / n, found=found, false_dups=false_dups, build_s=build,
           peak_rss_mb=peak_rss_mb())


# --- end to end ---------------------------------------------------------------


def cmd_cron(base, feeds, out_dir):
    """One cron run as a typical script does it: parse every feed, fetch and
    extract each new entry's page in a thread pool, dedup against what was
    kept before (a MinHashLSH pickled between runs), write one text file per
    new article. State lives beside OUT_DIR."""
    import logging
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    import feedparser
    import trafilatura

    from trafilatura.settings import use_config

    logging.getLogger("urllib3").setLevel(logging.ERROR)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    # The test server is on 127.0.0.1, which trafilatura's SSRF guard
    # refuses; tidings gets allow_private_networks for the same reason.
    config = use_config()
    config.set("DEFAULT", "SSRF_PROTECTION", "off")
    k, t = int(os.environ.get("PEER_K", "5")), float(os.environ.get("PEER_THRESHOLD", "0.5"))
    state_path = os.path.join(os.path.dirname(os.path.abspath(out_dir)), "cron-state.pickle")
    if os.path.exists(state_path):
        with open(state_path, "rb") as f:
            seen, dd, seq = pickle.load(f)
    else:
        seen, dd, seq = set(), Deduper(t), 0
    urls = [f"{base}/f{i}.xml" for i in range(int(feeds))]
    workers = int(os.environ.get("PEER_WORKERS", "16"))

    def page(entry):
        html = trafilatura.fetch_url(entry.link, config=config)
        if html is None:
            return entry, None
        return entry, trafilatura.bare_extraction(html, url=entry.link, with_metadata=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parsed = list(pool.map(feedparser.parse, urls))
        new = []
        for fp in parsed:
            for e in fp.entries:
                key = e.get("id") or e.get("link")
                if key and key not in seen:
                    seen.add(key)
                    new.append(e)
        stored = dupes = failed = 0
        for entry, doc in pool.map(page, new):
            if doc is None or not doc.text:
                failed += 1
                continue
            text = corpus_shape(doc.title or entry.get("title", ""), doc.text)
            m = minhash(text, k)
            hit, _ = dd.decide(m)
            if hit is not None:
                dupes += 1
                continue
            seq += 1
            name = f"{seq:03d}_{hashlib.sha256(entry.link.encode()).hexdigest()[:16]}.txt"
            dd.insert(name, m)
            tmp = os.path.join(out_dir, "." + name)
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, os.path.join(out_dir, name))
            stored += 1
    with open(state_path, "wb") as f:
        pickle.dump((seen, dd, seq), f)
    print(f"cron: {len(urls)} feeds, {len(new)} new entries, stored {stored}, duplicates {dupes}, failed {failed}")


def main():
    cmds = {"feeds": cmd_feeds, "extract": cmd_extract, "dedup-dev": cmd_dedup_dev,
            "dedup-bench": cmd_dedup_bench, "cron": cmd_cron}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
