"""Runs tidings' bench binaries and the Python stack (peers.py) on the same
inputs, one stage after the other, and prints one markdown table with both
figures and the ratio per stage. Started by `bench/compare/run`, which has
set up the virtual environment and built tidings; raw output of every step
goes to bench/compare/out/.

    compare.py [--quick]

Environment: TIDINGS_EVAL (the eval kits; the run script checks it),
PEER_PYTHON (the venv's python), COMPARE_IDLE_SECONDS (default 60),
COMPARE_PY_DEDUP_SIZES (default "10000 100000"; add 1000000 to time
datasketch at 1M as well, which takes about half an hour and ~12 GB).
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "out")
EVAL = os.environ["TIDINGS_EVAL"]
PY = os.environ.get("PEER_PYTHON", sys.executable)
PEERS = os.path.join(HERE, "peers.py")
QUICK = "--quick" in sys.argv[1:]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(name, argv, env=None):
    """Runs one step, keeps its output in out/NAME.log and returns its
    `bench-result` records."""
    log(f"{name}: {' '.join(argv)}")
    e = dict(os.environ)
    e.update(env or {})
    t = time.time()
    r = subprocess.run(argv, cwd=REPO, env=e, capture_output=True, text=True)
    with open(os.path.join(OUT, name + ".log"), "w") as f:
        f.write(r.stdout)
        f.write(r.stderr)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-3000:] + r.stderr[-3000:])
        sys.exit(f"compare: step {name} failed (exit {r.returncode}); full output in {f.name}")
    log(f"{name}: done in {time.time() - t:.0f} s")
    return [json.loads(l.split(" ", 1)[1]) for l in r.stdout.splitlines() if l.startswith("bench-result ")]


def bench(name, target, args=(), env=None):
    return run(name, ["cargo", "bench", "--quiet", "--bench", target, "--", *args], env)


def peer(name, *args, env=None):
    return run(name, [PY, PEERS, *args], env)


def pick(records, **match):
    for r in records:
        if all(r.get(k) == v for k, v in match.items()):
            return r
    sys.exit(f"compare: no result {match} in {records}")


def score_extraction(name, gold, pred):
    j = os.path.join(OUT, name + ".json")
    run(name, [sys.executable, os.path.join(EVAL, "extraction/score.py"), gold, pred, "--headline",
               "--titles", os.path.join(EVAL, "extraction/dev/titles.tsv"), "--bootstrap", "0", "--json", j])
    with open(j) as f:
        return json.load(f)


def score_dedup(name, pred):
    r = subprocess.run([sys.executable, os.path.join(EVAL, "dedup/score_dedup.py"),
                        os.path.join(EVAL, "dedup/dev/labels.tsv"), pred], capture_output=True, text=True, check=True)
    with open(os.path.join(OUT, name + ".log"), "w") as f:
        f.write(r.stdout)
    story = next((l for l in r.stdout.splitlines() if l.startswith("story level")), "")
    return float(r.stdout.split()[-1]), float(story.split()[-1]) if story else None


def machine():
    """The lines BENCHMARKS.md wants about where the figures come from."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    osname = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release")
                   if l.startswith("PRETTY_NAME=")), "?") if os.path.exists("/etc/os-release") else "?"
    out = lambda *a: subprocess.run(a, capture_output=True, text=True).stdout.strip()
    py = out(PY, "--version")
    return [f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"- machine: {os.cpu_count()} cores, {cpu}, {mem / 1048576:.0f} GiB RAM, {osname}, Linux {os.uname().release}",
            f"- {out('rustc', '--version')}; {py} (feedparser, trafilatura, datasketch: bench/compare/requirements.txt)",
            f"- command: `bench/compare/run{' --quick' if QUICK else ''}`"]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    rows = []  # (stage, measure, tidings, python, ratio, target, met)

    def row(stage, measure, t, p, ratio="", target="", met=""):
        rows.append((stage, measure, t, p, ratio, target, met))

    # Feed parsing ----------------------------------------------------------
    feeds = os.path.join(EVAL, "feeds/bench")
    rt = bench("feed_parse-tidings", "feed_parse", env={"TIDINGS_FEED_BENCH": feeds})
    rp = peer("feed_parse-python", "feeds", feeds, "1" if QUICK else "3")
    for s, label in (("large", "4 large feeds (RSS, Atom, RDF, JSON Feed; 500 items each)"),
                     ("typical", "60 typical feeds (15 of them JSON Feed)"),
                     ("xml", "the 48 XML feeds of both sets (no JSON Feed)")):
        t, p = pick(rt, set=s), pick(rp, set=s)
        x = t["mb_per_s"] / p["mb_per_s"]
        row("feed parsing", f"MB/s, {label}, {t['bytes'] / 1e6:.1f} MB; entries {t['entries']} vs {p['entries']}",
            f"{t['mb_per_s']:.1f}", f"{p['mb_per_s']:.2f}", f"{x:.0f}x", ">= 50x", "yes" if x >= 50 else "**no**")

    # Extraction --------------------------------------------------------------
    html = os.path.join(EVAL, "extraction/dev/html")
    gold = os.path.join(EVAL, "extraction/dev/gold")
    limit = 60 if QUICK else 100000
    if QUICK:  # score only the pages that were extracted
        ids = sorted(n[:-5] for n in os.listdir(html) if n.endswith(".html"))[:limit]
        gold = os.path.join(OUT, "gold-subset")
        os.makedirs(gold)
        for i in ids:
            os.symlink(os.path.join(EVAL, "extraction/dev/gold", i + ".txt"), os.path.join(gold, i + ".txt"))
    tx, px = os.path.join(OUT, "extract-tidings"), os.path.join(OUT, "extract-python")
    t = pick(bench("extract-tidings", "extract", env={"EXTRACT_OUT": tx, "EXTRACT_LIMIT": str(limit)}), stage="extract")
    p = pick(peer("extract-python", "extract", html, px, str(limit), "1"), stage="extract")
    pfx = os.path.join(OUT, "extract-python-fast")
    pf = pick(peer("extract-python-fast", "extract", html, pfx, str(limit), "1", "fast"), stage="extract")
    st, sp = score_extraction("extract-score-tidings", gold, tx), score_extraction("extract-score-python", gold, px)
    spf = score_extraction("extract-score-python-fast", gold, pfx)
    x = t["pages_per_s"] / p["pages_per_s"]
    ft, fp = st["f1"], sp["f1"]
    row("extraction", f"pages/s per core, {t['pages']} pages, one thread", f"{t['pages_per_s']:.1f}",
        f"{p['pages_per_s']:.1f}", f"{x:.1f}x", ">= 2x", "yes" if x >= 2 else "**no**")
    row("extraction", "F1 (kit's score.py, body, 4-word shingles)", f"{ft:.3f}", f"{fp:.3f}", "",
        "equal or better", "yes" if ft >= fp else "**no**")
    xf = t["pages_per_s"] / pf["pages_per_s"]
    row("extraction", "pages/s per core, trafilatura with `fast=True` (no fallbacks)", f"{t['pages_per_s']:.1f}",
        f"{pf['pages_per_s']:.1f}", f"{xf:.1f}x")
    row("extraction", "F1, trafilatura with `fast=True`", f"{ft:.3f}", f"{spf['f1']:.3f}")
    row("extraction", "peak RSS, MB (page set held in memory)", f"{t['peak_rss_mb']:.0f}", f"{p['peak_rss_mb']:.0f}")

    # Dedup: F1 on the dev kit ------------------------------------------------
    kit = os.path.join(EVAL, "dedup")
    pred_t = os.path.join(OUT, "dedup-pred-tidings.tsv")
    with open(pred_t, "w") as f:
        log("dedup-dev-tidings: predict.sh")
        subprocess.run([os.path.join(kit, "predict.sh"), os.path.join(REPO, "target/release/tidings"),
                        os.path.join(kit, "dev")], cwd=REPO, stdout=f, check=True)
    f1t, storyt = score_dedup("dedup-score-tidings", pred_t)
    pred_p = os.path.join(OUT, "dedup-pred-python.tsv")
    dev = pick(peer("dedup-dev-python", "dedup-dev", os.path.join(kit, "dev"),
                    os.path.join(kit, "score_dedup.py"), pred_p), stage="dedup_dev")
    f1p, storyp = score_dedup("dedup-score-python", pred_p)
    k, thr = dev["k"], dev["threshold"]
    row("dedup", "F1, duplicate level (dedup dev kit)", f"{f1t:.3f}", f"{f1p:.3f}", "", "better",
        "yes" if f1t > f1p else "**no**")
    row("dedup", "F1, story level (same story, other writing)", f"{storyt:.3f}", f"{storyp:.3f}")

    # Dedup: time and memory at scale -------------------------------------------
    sizes = [2000, 10000] if QUICK else [10000, 100000, 1000000]
    py_sizes = [2000, 10000] if QUICK else [int(s) for s in os.environ.get("COMPARE_PY_DEDUP_SIZES", "10000 100000").split()]
    rt = bench("dedup-tidings", "dedup", [str(s) for s in sizes])
    dump = os.path.join(OUT, "dedup-inputs")
    bench("dedup-dump", "dedup", [str(s) for s in py_sizes], env={"DEDUP_DUMP": dump})
    rp = {n: pick(peer(f"dedup-python-{n}", "dedup-bench", dump, str(n), str(k), str(thr)), stage="dedup")
          for n in py_sizes}
    shutil.rmtree(dump)
    for n in sizes:
        t = pick(rt, n=n)
        p = rp.get(n)
        label = f"{n:,}"
        if p is None:
            row("dedup", f"µs per decision at {label}", f"{t['decision_us']:.0f}", "not run", "", ">= 10x", "")
            row("dedup", f"memory per article at {label}, bytes (RSS growth)", f"{t['rss_b_per_article']:.0f}", "not run")
            continue
        x = p["decision_us"] / t["decision_us"]
        row("dedup", f"µs per decision at {label} (copies found {t['found']} vs {p['found']} of 500, "
            f"false dups {t['false_dups']} vs {p['false_dups']})", f"{t['decision_us']:.0f}",
            f"{p['decision_us']:.0f}", f"{x:.1f}x", ">= 10x", "yes" if x >= 10 else "**no**")
        row("dedup", f"memory per article at {label}, bytes (RSS growth)", f"{t['rss_b_per_article']:.0f}",
            f"{p['rss_b_per_article']:.0f}", f"{p['rss_b_per_article'] / t['rss_b_per_article']:.1f}x")

    # End to end ------------------------------------------------------------------
    env = {"INGEST_COMPARE": f"{PY} {PEERS} cron", "PEER_K": str(k), "PEER_THRESHOLD": str(thr)}
    if QUICK:
        env.update(FEEDS="10", ARTICLES="10")
    r = bench("ingest", "ingest", env=env)
    t, p = pick(r, who="tidings"), pick(r, who="compare")
    x = t["articles_per_s"] / p["articles_per_s"]
    n_feeds = 10 if QUICK else 100
    row("end to end", f"articles/s, {n_feeds} feeds, `run --once` on an empty DB (stored {t['stored']} vs {p['stored']})",
        f"{t['articles_per_s']:.0f}", f"{p['articles_per_s']:.0f}", f"{x:.1f}x", ">= 200/s",
        "yes" if t["articles_per_s"] >= 200 else "**no**")
    row("end to end", "CPU per article, ms", f"{t['cpu_ms_per_article']:.2f}", f"{p['cpu_ms_per_article']:.2f}",
        f"{p['cpu_ms_per_article'] / t['cpu_ms_per_article']:.1f}x")
    row("end to end", "peak RSS, MB", f"{t['peak_rss_mb']:.0f}", f"{p['peak_rss_mb']:.0f}", "", "< 200 MB",
        "yes" if t["peak_rss_mb"] < 200 else "**no**")

    # Idle daemon -------------------------------------------------------------------
    seconds = "5" if QUICK else os.environ.get("COMPARE_IDLE_SECONDS", "60")
    feeds_n = "500" if QUICK else "10000"
    t = pick(bench("idle", "idle", env={"FEEDS": feeds_n, "SECONDS": seconds}), stage="idle")
    row("idle daemon", f"CPU, % of one core, {int(feeds_n):,} feeds, {float(seconds):.0f} s",
        f"{t['cpu_pct']:.3f}", "no daemon (cron)")
    row("idle daemon", "RSS, MB", f"{t['rss_mb']:.0f}", "0 between runs")

    print(f"\n{'QUICK MODE (small sizes, smoke test only) — ' if QUICK else ''}"
          f"tidings vs Python (feedparser, trafilatura, datasketch); ratio = how many times better tidings is\n")
    print("\n".join(machine()) + "\n")
    print("| stage | measure | tidings | Python | ratio | target | met |")
    print("| --- | --- | ---: | ---: | ---: | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nPython side: datasketch MinHash/MinHashLSH, {128} permutations, word {k}-shingles, "
          f"threshold {thr} (the best F1 on the dedup dev kit). Raw output: bench/compare/out/")


if __name__ == "__main__":
    main()
