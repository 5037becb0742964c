//! The one-document commands: `extract` (a page to corpus text), `feed`
//! (a feed's entries) and `dedup` (files' verdicts against the corpus or
//! a directory), each on a file, standard input or a URL fetched once.
//! Must hold no pipeline logic: they call the pure stages; see
//! ARCHITECTURE.md, "Codemap" (`cli`).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::exit::{UsageError, EXIT_USAGE};
use super::open::{load_config, open_store, runtime};
use crate::config::{Config, FetchConfig};
use crate::fetch::{Fetcher, Validators};

/// Fetch settings for a one-off fetch: the config's when there is one,
/// else the defaults.
fn fetch_config(config: Option<&Path>) -> Result<FetchConfig> {
    let path = config
        .map(Path::to_path_buf)
        .unwrap_or_else(crate::config::default_path);
    if config.is_none() && !path.exists() {
        return Ok(FetchConfig::default());
    }
    Ok(Config::load(&path)?.fetch)
}

/// What a command was pointed at: its bytes, Content-Type and URL.
struct Source {
    body: Vec<u8>,
    content_type: Option<String>,
    url: url::Url,
}

fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

fn read_source(
    config: Option<&Path>,
    source: &str,
    base_url: Option<&str>,
    max: fn(&FetchConfig) -> u64,
) -> Result<Source> {
    if is_url(source) {
        let url = url::Url::parse(source).map_err(|e| UsageError(format!("{source}: {e}")))?;
        let cfg = fetch_config(config)?;
        let fetcher = Fetcher::new(&cfg, &[])?;
        let fetched =
            runtime()?.block_on(fetcher.get(&url, &Validators::default(), max(&cfg), None))?;
        return Ok(Source {
            body: fetched.body,
            content_type: fetched.content_type,
            url: fetched.url,
        });
    }
    let body = if source == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        buf
    } else {
        std::fs::read(source).map_err(|e| UsageError(format!("{source}: {e}")))?
    };
    // An empty --base-url (a script's template with no URL to fill in)
    // means "no base", as if the flag were not given.
    let url = match base_url.filter(|b| !b.trim().is_empty()) {
        Some(b) => url::Url::parse(b).map_err(|e| UsageError(format!("--base-url {b}: {e}")))?,
        None => {
            let abs = std::path::absolute(source).unwrap_or_else(|_| PathBuf::from("/stdin"));
            url::Url::from_file_path(&abs)
                .unwrap_or_else(|_| url::Url::parse("file:///stdin").expect("static URL"))
        }
    };
    Ok(Source {
        body,
        content_type: None,
        url,
    })
}

pub(super) fn cmd_extract(
    config: Option<&Path>,
    source: &str,
    base_url: Option<&str>,
) -> Result<i32> {
    let src = read_source(config, source, base_url, |c| c.max_page_bytes)?;
    // A file or standard input needs no config, but a config's page size
    // limit holds for it as it does for a fetched page.
    let cfg = match config {
        Some(p) if !is_url(source) && !p.exists() => FetchConfig::default(),
        _ => fetch_config(config)?,
    };
    let opts = crate::extract::ExtractOptions::for_page_limit(cfg.max_page_bytes);
    match crate::extract::extract_with(&src.body, src.content_type.as_deref(), &src.url, &opts) {
        Ok(a) => {
            print!("{}", crate::normalize::corpus_text(&a.title, &a.paragraphs));
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {source}: {e}");
            Ok(1)
        }
    }
}

pub(super) fn cmd_feed(config: Option<&Path>, source: &str, json: bool) -> Result<i32> {
    let src = read_source(config, source, None, |c| c.max_feed_bytes)?;
    let charset = src
        .content_type
        .as_deref()
        .and_then(crate::fetch::charset_of);
    match crate::feed::parse(&src.body, charset, &src.url) {
        Ok(feed) => {
            let out = if json {
                // JSON Lines, as every list tidings prints.
                let mut s = String::new();
                for e in &feed.entries {
                    s.push_str(&serde_json::to_string(e)?);
                    s.push('\n');
                }
                s
            } else {
                crate::feed::format_tsv(&feed)
            };
            print!("{out}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {source}: {e}");
            Ok(EXIT_USAGE)
        }
    }
}

/// Exit status of `dedup` when some file is a copy of one already there.
const EXIT_DUPLICATE: i32 = 1;

/// `tidings dedup`: each file's verdict against the corpus or `--against
/// DIR`. A file that is itself in DIR is judged against the others only
/// (it used to be "a duplicate of itself"), and once judged joins the
/// comparison for the files after it, so of two copies the second is the
/// duplicate. Exit 0 when every file is new, 1 when some is a duplicate,
/// 2 when a file cannot be read (the others are still judged).
pub(super) fn cmd_dedup(
    config: Option<&Path>,
    against: Option<&Path>,
    files: &[PathBuf],
) -> Result<i32> {
    use crate::dedup::{Decision, DocMeta, Index};
    let same_file = |a: &Path| std::fs::canonicalize(a).ok();
    let checked: std::collections::HashSet<PathBuf> =
        files.iter().filter_map(|f| same_file(f)).collect();
    // The corpus the files are compared with: a directory's .txt files, or
    // the configured corpus through the store's fingerprints.
    let (mut index, mut names): (Index, std::collections::HashMap<u64, PathBuf>) = match against {
        Some(dir) => {
            let mut paths = Vec::new();
            for entry in
                std::fs::read_dir(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?
            {
                let p = entry?.path();
                if p.extension().is_some_and(|e| e == "txt") {
                    paths.push(p);
                }
            }
            paths.sort();
            let mut index = Index::new();
            let mut names = std::collections::HashMap::new();
            for (i, p) in paths.iter().enumerate() {
                if same_file(p).is_some_and(|c| checked.contains(&c)) {
                    continue;
                }
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                index.insert(i as u64, &text, &DocMeta::default());
                names.insert(i as u64, p.clone());
            }
            (index, names)
        }
        None => {
            let cfg = load_config(config)?;
            let corpus = crate::corpus::Corpus::open(&cfg.corpus)?;
            let store = open_store(&cfg)?;
            let listed = corpus.list()?;
            let (index, _) = crate::pipeline::build_index(&store, &corpus, &listed)?;
            let names = listed
                .into_iter()
                .map(|n| (n.seq, corpus.path_of(&n)))
                .collect();
            (index, names)
        }
    };
    let mut next_id = names.keys().max().map_or(0, |m| m + 1) + (1 << 40);
    let (mut out, mut code) = (String::new(), 0);
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("tidings: {}: {e}", f.display());
                code = EXIT_USAGE;
                continue;
            }
        };
        let me = same_file(f);
        let name = |id: u64| {
            names
                .get(&id)
                .map_or(id.to_string(), |p| p.display().to_string())
        };
        let line = match index.check(&text, &DocMeta::default()) {
            // The configured corpus holds this very file: it is stored.
            Decision::Duplicate { of, .. }
                if me.is_some() && names.get(&of).and_then(|p| same_file(p)) == me =>
            {
                code = code.max(EXIT_DUPLICATE);
                format!("stored\t{}\t1.000", name(of))
            }
            Decision::Duplicate { of, score } => {
                code = code.max(EXIT_DUPLICATE);
                format!("duplicate\t{}\t{score:.3}", name(of))
            }
            Decision::Story { of, score } => format!("story\t{}\t{score:.3}", name(of)),
            Decision::New => "new\t-\t0.000".to_string(),
        };
        out.push_str(&format!("{}\t{line}\n", f.display()));
        let in_dir = me.as_ref().is_some_and(|c| {
            c.extension().is_some_and(|e| e == "txt")
                && against
                    .and_then(|d| std::fs::canonicalize(d).ok())
                    .is_some_and(|d| c.parent() == Some(d.as_path()))
        });
        if in_dir {
            index.insert(next_id, &text, &DocMeta::default());
            names.insert(next_id, f.clone());
            next_id += 1;
        }
    }
    print!("{out}");
    Ok(code)
}
