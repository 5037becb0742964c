//! `tidings show ID`: one article's provenance, one `key: value` line per
//! fact: its URLs, feeds, sightings, capture time, where its page lies in
//! the archive, its story, and whether `reextract --write` replaced its
//! text. `--json`: the same as one JSON object. Reads the store only
//! (SQLite or PostgreSQL, through `open::Reader`).

use anyhow::Result;

use super::exit::UsageError;
use super::open::open_reader;
use crate::config::Config;
use crate::model::{ts, Capture};

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

/// `FILE offset N length N (HTTP 200, <record id>, sha1:…[, truncated])`
pub fn describe(c: &Capture) -> String {
    format!(
        "{} offset {} length {} (HTTP {}, {}, {}{})",
        c.location.file,
        c.location.offset,
        c.location.length,
        c.status,
        c.record_id,
        c.payload_digest,
        if c.truncated { ", truncated" } else { "" }
    )
}

/// A capture as JSON: where the page lies in the archive and what it was.
fn capture_json(c: &Capture) -> serde_json::Value {
    serde_json::json!({
        "captured_at": ts(c.captured_at),
        "url": c.target_uri,
        "status": c.status,
        "warc_file": c.location.file,
        "offset": c.location.offset,
        "length": c.location.length,
        "record_id": c.record_id,
        "payload_digest": c.payload_digest,
        "truncated": c.truncated,
    })
}

pub fn cmd_show(config: &Config, id: u64, json: bool) -> Result<i32> {
    let mut store = open_reader(config)?;
    let Some(a) = store.article_record(id)? else {
        return Err(UsageError(format!("no article numbered {id}")).into());
    };
    let capture = store.capture_of(id)?;
    let sightings = store.sightings_of(id)?;
    let story = store.story_members(a.story)?;
    let method = store.article_method(id)?;
    if json {
        // The export record, and the provenance the text lines give.
        let mut v = serde_json::to_value(&a)?;
        let sightings: Vec<_> = sightings
            .iter()
            .map(|s| {
                serde_json::json!({
                    "seen_at": s.seen_at.map(ts),
                    "feed": s.feed,
                    "url": s.url,
                    "reason": s.reason,
                    "score": s.score,
                    "capture": s.capture.as_ref().map(capture_json),
                })
            })
            .collect();
        let extra = serde_json::json!({
            "method": method,
            "capture": capture.as_ref().map(capture_json),
            "story_members": story,
            "sightings": sightings,
            "rewritten_at": store.original_text(id)?.map(|(_, at)| ts(at)),
        });
        if let (Some(v), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        println!("{v}");
        return Ok(0);
    }
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k}: {v}\n"));
    line("id", id.to_string());
    line("file", or_dash(a.file.clone()));
    line("title", a.title.clone());
    line("url", or_dash(a.url.clone()));
    line("canonical_url", or_dash(a.canonical_url.clone()));
    line("feed", or_dash(a.feed.clone()));
    line("published", or_dash(a.published.clone()));
    line("fetched_at", or_dash(a.fetched_at.clone()));
    line("method", or_dash(method.clone()));
    if let Some(access) = &a.access {
        line(
            "access",
            format!("{access} (the text is only the public part of the article)"),
        );
    }
    match &capture {
        Some(c) => {
            line("captured_at", ts(c.captured_at));
            line("capture_url", c.target_uri.clone());
            line("warc", describe(c));
        }
        None => {
            let why = match (a.url.is_some(), method.as_deref()) {
                (false, _) => "none (a file found in the corpus directory)",
                (true, Some("feed")) => "none (the feed's own text stood in for the page)",
                _ => "none (stored while the archive was off, or before it existed)",
            };
            line("warc", why.into());
        }
    }
    let others: Vec<String> = story
        .iter()
        .filter(|&&m| m != id)
        .map(u64::to_string)
        .collect();
    line(
        "story",
        if others.is_empty() {
            format!("{} (no other article)", a.story)
        } else {
            format!("{} (with {})", a.story, others.join(", "))
        },
    );
    let mut feeds: Vec<String> = a.feed.iter().cloned().collect();
    for s in &sightings {
        if let Some(f) = &s.feed {
            if !feeds.contains(f) {
                feeds.push(f.clone());
            }
        }
    }
    line(
        "feeds",
        if feeds.is_empty() {
            "-".into()
        } else {
            feeds.join(", ")
        },
    );
    line("sightings", sightings.len().to_string());
    for s in &sightings {
        let mut v = format!(
            "{} {} {} ({} {:.3})",
            s.seen_at.map(ts).unwrap_or_else(|| "-".into()),
            s.feed.as_deref().unwrap_or("-"),
            s.url.as_deref().unwrap_or("-"),
            s.reason,
            s.score.unwrap_or(0.0)
        );
        if let Some(c) = &s.capture {
            v.push_str(&format!(" warc {}", describe(c)));
        }
        line("sighting", v);
    }
    match store.original_text(id)? {
        Some((_, at)) => line(
            "text",
            format!(
                "rewritten by reextract --write at {} (the text first stored is kept in the database)",
                ts(at)
            ),
        ),
        None => line("text", "as first stored".into()),
    }
    print!("{out}");
    Ok(0)
}
