//! `tidings reextract [--since DATE] [--write]`: runs the current
//! extractor and normalizer over the archived pages and says which stored
//! texts they no longer reproduce. With `--write` it replaces those corpus
//! files (through `pipeline::rewrite_article`, the writer's path), after the store has kept the text
//! each was first stored with. Holds the database's writer lock while it
//! writes, so it never races `tidings run`.

use anyhow::Result;
use chrono::Utc;

use super::exit::UsageError;
use super::filter::{parse_when, End};
use super::open::{open_store, open_writer};
use crate::archive;
use crate::config::Config;
use crate::corpus::{Corpus, FileName};

/// Whether the current extractor reproduces an archived article's stored
/// text (and what it makes of it when not).
enum Reproduction {
    Unchanged,
    Changed {
        name: FileName,
        title: String,
        text: String,
        old: String,
    },
    Skipped(String),
}

pub fn cmd_reextract(config: &Config, since: Option<&str>, write: bool) -> Result<i32> {
    // The same WHEN as search's and export's --since (a day, a time, an age).
    let since = since
        .map(|s| parse_when(s, End::Since, Utc::now()))
        .transpose()
        .map_err(|e| UsageError(format!("--since: {e}")))?;
    // Taken before anything is read, so what is compared is what is written.
    let _lock = if write {
        Some(crate::service::lock::InstanceLock::acquire(
            &config.database,
            Some(&config.corpus),
        )?)
    } else {
        None
    };
    let mut store = if write {
        open_writer(config)?
    } else {
        open_store(config)?
    };
    let corpus = Corpus::open(&config.corpus)?;
    if write {
        corpus.sweep_temporaries()?;
    }
    let captured = store.captured_articles(since)?;
    let (mut changed, mut unchanged, mut skipped) = (0, 0, 0);
    let now = Utc::now();
    for a in &captured {
        let reproduction = (|| {
            if a.capture.truncated {
                return Reproduction::Skipped(
                    "the archived page was truncated (archive.max_record_size)".into(),
                );
            }
            let Some(name) = FileName::parse(&a.file) else {
                return Reproduction::Skipped("not a corpus file name".into());
            };
            let old = match corpus.read(&name) {
                Ok(t) => t,
                Err(e) => return Reproduction::Skipped(e.to_string()),
            };
            let record = match archive::read(&config.archive.dir, &a.capture.location) {
                Ok(r) => r,
                Err(e) => return Reproduction::Skipped(e.to_string()),
            };
            match crate::pipeline::reextract(&record, &a.title, config.fetch.max_page_bytes) {
                Ok((_, text)) if text == old => Reproduction::Unchanged,
                Ok((title, text)) => Reproduction::Changed {
                    name,
                    title,
                    text,
                    old,
                },
                Err(e) => Reproduction::Skipped(format!("extraction: {e}")),
            }
        })();
        match reproduction {
            Reproduction::Unchanged => unchanged += 1,
            Reproduction::Skipped(why) => {
                skipped += 1;
                println!("skipped\t{}\t{why}", a.file);
            }
            Reproduction::Changed {
                name,
                title,
                text,
                old,
            } => {
                changed += 1;
                println!("changed\t{}\t{}", a.file, a.capture.target_uri);
                if write {
                    // The writer's path, as the pipeline writes: never here.
                    crate::pipeline::rewrite_article(
                        &mut store,
                        &corpus,
                        a.id,
                        &name,
                        &old,
                        (&title, &text),
                        now,
                    )?;
                    println!("rewritten\t{}", a.file);
                }
            }
        }
    }
    println!(
        "reextract: {} archived articles: {changed} changed, {unchanged} unchanged, {skipped} skipped{}",
        captured.len(),
        if write && changed > 0 {
            " (changed files rewritten; first texts kept in the database)"
        } else {
            ""
        }
    );
    Ok(0)
}
