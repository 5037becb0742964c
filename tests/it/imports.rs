//! No import cycle between the files of `src/`: the layering ARCHITECTURE.md
//! ("Codemap") draws holds in the code. The graph is built from the source
//! text: an edge from file A to file B when A names a path (`use` or an
//! inline `crate::…` / `super::…`) that resolves into B's module. `mod`
//! declarations are not edges. Cycles among `extract/`'s own files are
//! allowed (the extractor's stages call each other by design). Inside any
//! other module's family (`x.rs` or `x/mod.rs` and the files under `x/`)
//! the facade only declares its children and re-exports them: a child
//! that imports its facade fails, and so does a cycle among siblings
//! (`FAMILIES_ALLOWED` lists the exceptions still being split; a family's
//! `tests.rs` may use the facade's `*`). Cycles across modules fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A file's module path: `src/lib.rs` is `[]`, `src/a.rs` and
/// `src/a/mod.rs` are `[a]`, `src/a/b.rs` is `[a, b]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or("").to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The module paths a file names, each with the number of inline modules
/// (`mod tests { … }`) it sits in, for resolving `super`.
fn paths_named(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    // Inline modules still open: the indentation of their `mod x {` line.
    let mut open: Vec<usize> = Vec::new();
    let mut stmt: Option<(String, usize)> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        while open
            .last()
            .is_some_and(|&k| indent == k && t.starts_with('}'))
        {
            open.pop();
        }
        if t.starts_with("//") {
            continue;
        }
        if (t.starts_with("mod ") || t.starts_with("pub mod ")) && t.ends_with('{') {
            open.push(indent);
            continue;
        }
        let depth = open.len();
        if let Some((s, d)) = stmt.as_mut() {
            s.push_str(t);
            if t.ends_with(';') {
                let (s, d) = (s.clone(), *d);
                out.extend(expand(s.trim_end_matches(';')).into_iter().map(|p| (p, d)));
                stmt = None;
            }
            continue;
        }
        let body = t
            .strip_prefix("pub use ")
            .or_else(|| t.strip_prefix("pub(crate) use "))
            .or_else(|| t.strip_prefix("use "));
        if let Some(body) = body {
            if body.ends_with(';') {
                out.extend(
                    expand(body.trim_end_matches(';'))
                        .into_iter()
                        .map(|p| (p, depth)),
                );
            } else {
                stmt = Some((body.to_string(), depth));
            }
            continue;
        }
        // Paths in code: `crate::a::b(…)`, `super::c::D`, `child::f()`
        // (`resolve` keeps only those that name a module of the crate).
        let mut rest = t;
        while let Some(i) = rest.find("::") {
            let head = &rest[..i];
            let start = head
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(0, |k| k + 1);
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            if !tail.starts_with(':') {
                out.push((tail[..end].trim_end_matches(':').to_string(), depth));
            }
            rest = &tail[end.max(1)..];
        }
    }
    out
}

/// The module a path lands in: the longest known module prefix.
fn resolve(
    modules: &BTreeSet<Vec<String>>,
    from: &[String],
    path: &str,
    inline: usize,
) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segs.first() {
        Some(&"crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some(&"super") => {
            let mut b = from.to_vec();
            // `super` first leaves the inline modules, then the file.
            let mut up = inline;
            while segs.first() == Some(&"super") {
                segs.remove(0);
                if up > 0 {
                    up -= 1;
                } else {
                    b.pop();
                }
            }
            b
        }
        // `self::a` and `a::…` where `a` is a child module of this file.
        Some(&first) => {
            let mut child = from.to_vec();
            if first == "self" {
                segs.remove(0);
            } else {
                child.push(first.to_string());
                if inline > 0 || !modules.contains(&child) {
                    return None;
                }
            }
            from.to_vec()
        }
        None => return None,
    };
    let mut best = base.clone();
    for s in segs {
        base.push(s.to_string());
        if modules.contains(&base) {
            best = base.clone();
        }
    }
    Some(best)
}

/// Module families whose files may still import their facade and each
/// other in a cycle, each with its reason. A family is let through whole:
/// its cycles with other modules still fail.
const FAMILIES_ALLOWED: &[(&str, &str)] = &[];

#[test]
fn no_import_cycle_between_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let name: BTreeMap<Vec<String>, String> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("bin")))
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            (module_of(&src, f), rel)
        })
        .collect();
    let modules: BTreeSet<Vec<String>> = name.keys().cloned().collect();
    // A module's family: `x.rs`, `x/mod.rs` and every file under `x/`.
    let family = |f: &str| {
        f.split('/')
            .next()
            .unwrap_or(f)
            .trim_end_matches(".rs")
            .to_string()
    };
    let allowed = |f: &str| FAMILIES_ALLOWED.iter().any(|(x, _)| family(f) == *x);
    let in_extract = |f: &str| f.starts_with("extract/");
    // A family's `tests.rs` (`#[cfg(test)] mod tests;`) looks at it from
    // outside, through the facade (`use super::*`), and nothing imports it.
    let is_tests = |f: &str| f.ends_with("/tests.rs");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Imports of a module's own facade (or a facade above it) from inside:
    // a facade only declares and re-exports its children, so a child that
    // names it is reaching back through its parent for a sibling's item.
    let mut upward = Vec::new();
    for (module, file) in &name {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        for (path, inline) in paths_named(&text) {
            let Some(to) = resolve(&modules, module, &path, inline) else {
                continue;
            };
            let target = &name[&to];
            if target == file || (in_extract(file) && in_extract(target)) || to.is_empty() {
                continue;
            }
            if module.starts_with(&to) && !allowed(file) && !is_tests(file) {
                upward.push(format!("{file} -> {target} ({path})"));
            }
            edges
                .entry(file.clone())
                .or_default()
                .insert(target.clone());
        }
    }
    upward.sort();
    upward.dedup();
    let cycles: Vec<Vec<String>> = cycles(&edges)
        .into_iter()
        .filter(|c| {
            let one_family = c.iter().all(|f| family(f) == family(&c[0]));
            !(one_family && allowed(&c[0]))
        })
        .collect();
    assert!(
        cycles.is_empty() && upward.is_empty(),
        "import cycles between files (each line is one cycle):\n{}\n\
         files that import their own facade (name the sibling module instead):\n{}",
        cycles
            .iter()
            .map(|c| c.join(" -> "))
            .collect::<Vec<_>>()
            .join("\n"),
        upward.join("\n")
    );
}

/// Cycles through the graph: from each file not yet on a reported cycle,
/// a depth-first search for a way back to it.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let nodes: Vec<&String> = edges.keys().collect();
    let mut done: BTreeSet<&String> = BTreeSet::new();
    for &n in &nodes {
        if done.contains(n) {
            continue;
        }
        // Depth-first from n, looking for a way back to n.
        let mut stack = vec![(n, vec![n.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(at).into_iter().flatten() {
                if next == n {
                    let mut c = path.clone();
                    c.push(n.clone());
                    for f in &c {
                        if let Some(k) = nodes.iter().find(|k| **k == f) {
                            done.insert(k);
                        }
                    }
                    out.push(c);
                    stack.clear();
                    break;
                }
                if seen.insert(next) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next, p));
                }
            }
        }
        done.insert(n);
    }
    out
}
