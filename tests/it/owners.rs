//! One writer in code: reqwest, rusqlite, postgres and file writes appear only in
//! the modules that own them (`ARCHITECTURE.md`, "Invariants"). Reads the
//! sources; unit tests (after `#[cfg(test)]`, and `tests.rs` files) and
//! comments are not looked at.

use std::path::{Path, PathBuf};

/// What writes files, creates or removes them.
const FS_WRITES: &[&str] = &[
    "fs::write",
    "remove_file",
    "remove_dir",
    "create_dir",
    "fs::rename",
    "fs::copy",
    "hard_link",
    "File::create",
    "OpenOptions",
    "set_permissions",
];

/// (what, the files allowed to use it, why).
const OWNERS: &[(&str, &[&str], &str)] = &[
    (
        "reqwest",
        &["src/fetch.rs", "src/fetch/"],
        "fetch is the one HTTP client",
    ),
    (
        "rusqlite",
        &["src/store.rs", "src/store/"],
        "store is the one module that speaks SQL",
    ),
    (
        "postgres",
        &["src/store/pg/"],
        "the PostgreSQL store is the one module that speaks to PostgreSQL",
    ),
    (
        "fs",
        &["src/corpus.rs"],
        "corpus writes the corpus directory",
    ),
    ("fs", &["src/archive.rs"], "archive writes the WARC files"),
    (
        "fs",
        &["src/store/db.rs"],
        "the database's own directory is made before SQLite opens it",
    ),
    (
        "fs",
        &["src/service/lock.rs"],
        "the single-instance lock file beside the database",
    ),
    (
        "fs",
        &["src/cli/feeds.rs"],
        "`tidings feed add` and OPML import rewrite the config file atomically",
    ),
    (
        "fs",
        &["src/cli/demo.rs"],
        "the offline demo writes its config and site into its own temporary directory",
    ),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn allowed(file: &str, what: &str) -> bool {
    OWNERS
        .iter()
        .filter(|(w, _, _)| *w == what)
        .any(|(_, files, _)| {
            files
                .iter()
                .any(|f| file == *f || (f.ends_with('/') && file.starts_with(f)))
        })
}

/// Every use of `needles` (as `what`) outside its owners: "file:line: text".
fn strays(what: &str, needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let file = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if file.ends_with("/tests.rs") || allowed(&file, what) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            if needles.iter().any(|w| code.contains(w)) {
                found.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn reqwest_rusqlite_and_file_writes_stay_in_their_owner_modules() {
    let mut strays_all = Vec::new();
    strays_all.extend(strays("reqwest", &["reqwest"]));
    strays_all.extend(strays("rusqlite", &["rusqlite"]));
    strays_all.extend(strays("postgres", &["postgres::", "use postgres"]));
    strays_all.extend(strays("fs", FS_WRITES));
    assert!(
        strays_all.is_empty(),
        "outside their owner modules (see OWNERS in tests/it/owners.rs):\n{}",
        strays_all.join("\n")
    );
}

/// The check sees what it must: the owners themselves use what they own.
#[test]
fn the_owner_check_finds_uses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::fs::read_to_string(root.join("src/corpus.rs")).unwrap();
    assert!(FS_WRITES.iter().any(|w| corpus.contains(w)));
    assert!(!allowed("src/pipeline/commit.rs", "fs"));
    assert!(allowed("src/store/search.rs", "rusqlite"));
    assert!(allowed("src/store/pg/leases.rs", "postgres"));
    assert!(!allowed("src/store/search.rs", "postgres"));
}
