#!/usr/bin/env python3
"""Scores a bench/evalsets/run output directory; prints one table per set.

    table.py --kit KIT [--prev RUN_DIR] OUT_DIR SET...

Scoring is the kit's score.py (run as a program, so the figures are the
kit's own); this file only calls it and lays the results out. Exit status 1
when an output line holds markup (see markup_leaks), so that the check can
gate a run.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Element names of HTML that a page's text has no business showing as tags.
ELEMENTS = set("""
a abbr address area article aside audio b base bdi bdo blockquote body br button canvas
caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed
fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe
img input ins kbd label legend li link main map mark meta meter nav noscript object ol
optgroup option output p param picture pre progress q rp rt ruby s samp script section
select small source span strong style sub summary sup svg table tbody td template textarea
tfoot th thead time title tr track u ul var video wbr
""".split())
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")


def score(kit, s, pred, extra):
    """score.py's JSON summary for one prediction directory."""
    with tempfile.TemporaryDirectory() as tmp:
        js = Path(tmp) / "score.json"
        cmd = [sys.executable, str(kit / "score.py"), str(kit / s / "gold"), str(pred),
               "--headline", "--titles", str(kit / s / "titles.tsv"), "--json", str(js)] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"table.py: score.py failed on {pred}: {r.stderr.strip()}")
        return json.loads(js.read_text())


def body_tokens(text):
    parts = text.lstrip("\n").split("\n", 1)
    return re.findall(r"\w+", parts[1] if len(parts) > 1 else "")


def fold(s):
    return " ".join(s.split())


def markup_leaks(html_dir, pred_dir, ids):
    """(page, line) pairs where an output line shows a tag of an HTML element
    that stands as markup in the page's source: the tag with the text that
    follows it is found verbatim (not escaped) in the raw page. A tag the
    page wrote as text (`&lt;p&gt;` in an article about HTML) is not found
    verbatim and passes. A bare tag (no attributes) that ends the line has
    no text after it, and `<figure>` alone is in any page that uses the
    element: it is read with the text before it instead ("Single
    <figure>")."""
    leaks = []
    for pid in ids:
        pf = pred_dir / f"{pid}.txt"
        text = pf.read_text(encoding="utf-8", errors="replace") if pf.is_file() else ""
        if "<" not in text:
            continue
        src = fold((html_dir / f"{pid}.html").read_bytes().decode("utf-8", "replace"))
        for line in text.splitlines():
            for m in TAG.finditer(line):
                after = line[m.start():m.end() + 20]
                bare_at_end = after.strip() == m.group(0) and not re.search(r"\s", m.group(0))
                seen = line[max(0, m.start() - 20):m.end()] if bare_at_end else after
                if m.group(1).lower() in ELEMENTS and fold(seen) in src:
                    leaks.append((pid, line.strip()[:160]))
                    break
    return leaks


def reasons(errors_log):
    """ID -> the extractor's one-line reason, from run_cmd.sh's stderr."""
    out = {}
    if errors_log.is_file():
        for line in errors_log.read_text(errors="replace").splitlines():
            m = re.match(r"(\S+): exit \d+: tidings: \S+: (.*)", line)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def f(x):
    return "-" if x is None else f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kit", type=Path, required=True)
    ap.add_argument("--prev", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("sets", nargs="+")
    a = ap.parse_args()
    any_leak = False
    for s in a.sets:
        pred = a.out / s
        ref = a.kit / s / "ref-trafilatura"
        has_ref = ref.is_dir()
        ours = score(a.kit, s, pred, ["--compare", str(ref)] if has_ref else [])
        rows = [("tidings", ours)]
        if has_ref:
            rows.append(("ref-trafilatura", score(a.kit, s, ref, ["--bootstrap", "0"])))
        vs_prev = None
        if a.prev and (a.prev / s).is_dir():
            vs_prev = score(a.kit, s, pred, ["--compare", str(a.prev / s)])
            rows.append((f"previous ({a.prev})", score(a.kit, s, a.prev / s, ["--bootstrap", "0"])))
        print(f"\n## {s} ({ours['pages']} pages)\n")
        print("| run | F1 | precision | recall | empty | headlines exact |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, r in rows:
            heads = r.get("headline_exact")
            n = ours["pages"]
            hx = "-" if heads is None else f"{round(heads * n)}/{n}"
            print(f"| {name} | {f(r.get('f1'))} | {f(r.get('precision'))} | {f(r.get('recall'))} "
                  f"| {r.get('empty_predictions')} | {hx} |")
        print()
        for label, r in (("ref-trafilatura", ours if has_ref else None), ("previous", vs_prev)):
            if r and "compare_diff" in r:
                if r["compare_diff"] == 0 and r["compare_diff_std"] == 0:
                    print(f"vs {label}: same F1 on every resample")
                    continue
                verdict = "better" if r["compare_share_better"] >= 0.5 else "worse"
                print(f"vs {label}: {r['compare_diff']:+.3f} ± {r['compare_diff_std']:.3f}, "
                      f"tidings better in {100 * r['compare_share_better']:.0f}% of resamples ({verdict})")
        why = reasons(a.out / f"{s}.errors.log")
        empty = []
        ids = sorted(p.stem for p in (a.kit / s / "gold").glob("*.txt"))
        for pid in ids:
            pf = pred / f"{pid}.txt"
            if not pf.is_file() or not body_tokens(pf.read_text(encoding="utf-8", errors="replace")):
                empty.append(pid)
        if empty:
            gold_empty = {i for i in empty if not re.findall(r"\w+", (a.kit / s / "gold" / f"{i}.txt").read_text())}
            print(f"\nempty ({len(empty)}): " + ", ".join(
                f"{i} ({why.get(i, 'headline only')}{'; the gold is empty too' if i in gold_empty else ''})"
                for i in empty))
        leaks = markup_leaks(a.kit / s / "html", pred, ids)
        any_leak |= bool(leaks)
        print(f"\nmarkup in text: {len(leaks)} pages" + "".join(f"\n  {i}: {l}" for i, l in leaks[:20]))
    sys.exit(1 if any_leak else 0)


if __name__ == "__main__":
    main()
