//! `tidings status`: one row per configured feed: its health, last
//! success, last error, next poll, entries seen and articles stored. An
//! aligned, coloured table on a terminal; tab-separated in a pipe; JSON
//! with --json (JSON Lines, one feed per line). Below it, on standard
//! error, whether the database, the corpus or the archive is on a full or
//! read-only file system (the feeds' rows cannot say so when it is the
//! database). Holds no SQL.

use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::open::open_reader;
use super::paint::Paint;
use crate::config::Config;
use crate::model::FailureKind;
use crate::store::FeedRow;

/// How a feed is doing, in a word.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Its last poll worked.
    Ok,
    /// Its last poll failed (it is retried with backoff).
    Failing,
    /// Its last poll met a network outage (every host failing at once),
    /// which is not counted against the feed.
    Offline,
    /// It answered 410 Gone and is not polled until its URL changes.
    Retired,
    /// Never polled yet.
    New,
}

impl Health {
    pub fn of(row: &FeedRow) -> Health {
        if row.retired.is_some() {
            Health::Retired
        } else if row.last_attempt.is_none() {
            Health::New
        } else if row.consecutive_failures > 0 || storage_fault(row) {
            // A storage fault is not counted against the feed, but it is
            // the operator's to mend: not the network's passing outage.
            Health::Failing
        } else if row.last_error.is_some() {
            // An error that did not count: the outage rule's.
            Health::Offline
        } else {
            Health::Ok
        }
    }

    fn word(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Failing => "failing",
            Health::Offline => "offline",
            Health::Retired => "retired",
            Health::New => "new",
        }
    }

    fn paint(self, p: &Paint, s: &str) -> String {
        match self {
            Health::Ok => p.green(s),
            Health::Failing => p.red(s),
            Health::Offline => p.yellow(s),
            Health::Retired => p.yellow(s),
            Health::New => p.cyan(s),
        }
    }
}

#[derive(Serialize)]
struct JsonRow<'a> {
    health: Health,
    #[serde(flatten)]
    row: &'a FeedRow,
}

const HEADER: [&str; 9] = [
    "FEED",
    "HEALTH",
    "LAST SUCCESS",
    "LAST ERROR",
    "NEXT POLL",
    "ENTRIES SEEN",
    "ARTICLES STORED",
    "FAILURES",
    "URL",
];

/// The cells of one row, as printed.
fn cells(f: &FeedRow) -> [String; 9] {
    let opt = |t: Option<DateTime<Utc>>| t.map(crate::model::ts).unwrap_or_else(|| "-".into());
    let next = match &f.retired {
        Some(_) => "retired".to_string(),
        None => opt(f.next_poll),
    };
    [
        f.name.clone(),
        Health::of(f).word().to_string(),
        opt(f.last_success),
        f.last_error
            .as_deref()
            .unwrap_or("-")
            .replace(['\t', '\n'], " "),
        next,
        f.entries_seen.to_string(),
        f.articles_stored.to_string(),
        f.consecutive_failures.to_string(),
        f.url.clone(),
    ]
}

/// The widest a LAST ERROR cell gets on a terminal (the full text is in
/// the pipe and JSON forms).
const ERROR_WIDTH: usize = 40;

/// Less free space than this is a full disk: not even one article fits.
const LOW_SPACE: u64 = 1 << 20;

/// What is wrong with the file systems the database, the corpus and the
/// archive are on: read-only, or (nearly) full. One line each.
pub fn storage_problems(config: &Config) -> Vec<String> {
    let mut places = vec![("corpus", config.corpus.clone())];
    // With PostgreSQL, the database is on the server, not at this path.
    if config.postgres.is_none() {
        places.insert(0, ("database", config.database.clone()));
    }
    if config.archive.enabled && config.archive.dir.exists() {
        places.push(("archive", config.archive.dir.clone()));
    }
    places
        .into_iter()
        .filter_map(|(what, path)| {
            let problem = file_system_problem(&path)?;
            Some(format!("{what} {}: {problem}", path.display()))
        })
        .collect()
}

fn file_system_problem(path: &std::path::Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs only fills the plain struct it is given.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    if st.f_flag & libc::ST_RDONLY != 0 {
        return Some("read-only file system".into());
    }
    let free = (st.f_bavail as u64).saturating_mul(st.f_frsize as u64);
    (free < LOW_SPACE).then(|| format!("file system full ({} KiB free)", free / 1024))
}

pub fn run(config: &Config, json: bool) -> Result<i32> {
    // Said first: a full database may not even open.
    let problems = storage_problems(config);
    for p in &problems {
        eprintln!("tidings: storage: {p}");
    }
    let code = if problems.is_empty() { 0 } else { 1 };
    let mut store = open_reader(config)?;
    // Feeds removed from the config keep their rows (their articles keep
    // their provenance) but are no longer shown.
    let configured: std::collections::HashSet<&str> =
        config.feeds.iter().map(|f| f.name.as_str()).collect();
    let rows: Vec<FeedRow> = store
        .feeds()?
        .into_iter()
        .filter(|f| configured.contains(f.name.as_str()))
        .collect();
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if json {
        // JSON Lines, as every list tidings prints: one feed per line.
        for row in &rows {
            let out = JsonRow {
                health: Health::of(row),
                row,
            };
            serde_json::to_writer(&mut w, &out)?;
            writeln!(w)?;
        }
        w.flush()?;
        return Ok(code);
    }
    let paint = Paint::stdout();
    let table: Vec<[String; 9]> = rows.iter().map(cells).collect();
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        writeln!(w, "{}", HEADER.join("\t"))?;
        for r in &table {
            writeln!(w, "{}", r.join("\t"))?;
        }
        w.flush()?;
        return Ok(code);
    }
    // On a terminal: aligned columns, long errors cut, health in colour
    // (unless NO_COLOR).
    let table: Vec<[String; 9]> = table
        .into_iter()
        .map(|mut r| {
            if r[3].chars().count() > ERROR_WIDTH {
                r[3] = r[3].chars().take(ERROR_WIDTH - 1).collect::<String>() + "…";
            }
            r
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for r in &table {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w - s.chars().count()));
    let header: Vec<String> = HEADER.iter().zip(widths).map(|(h, w)| pad(h, w)).collect();
    writeln!(w, "{}", paint.bold(header.join("  ").trim_end()))?;
    for (r, row) in table.iter().zip(&rows) {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, wd))| {
                let padded = pad(c, wd);
                if i == 1 {
                    Health::of(row).paint(&paint, &padded)
                } else {
                    padded
                }
            })
            .collect();
        writeln!(w, "{}", line.join("  ").trim_end())?;
    }
    w.flush()?;
    Ok(code)
}

/// Whether the row's last failure is the pipeline's storage fault (the
/// database, corpus or archive full or read-only): by the kind the poll
/// recorded, never by the words of its message, which a server may echo.
fn storage_fault(row: &FeedRow) -> bool {
    row.failure_kind == Some(FailureKind::Store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_reads_the_row() {
        let now = Utc::now();
        let mut r = FeedRow::default();
        assert_eq!(Health::of(&r), Health::New);
        r.last_attempt = Some(now);
        assert_eq!(Health::of(&r), Health::Ok);
        // The outage rule records the error but counts no failure: not
        // "failing", which would blame the feed for the network.
        r.last_error = Some("connection refused".into());
        assert_eq!(Health::of(&r), Health::Offline);
        // A storage fault is not counted either, but it is ours to mend.
        r.failure_kind = Some(FailureKind::Store);
        assert_eq!(Health::of(&r), Health::Failing);
        // Known by its kind, not its words.
        r.failure_kind = Some(FailureKind::Network);
        r.last_error = Some("storage fault: the proxy's disk".into());
        assert_eq!(Health::of(&r), Health::Offline);
        r.consecutive_failures = 2;
        assert_eq!(Health::of(&r), Health::Failing);
        r.retired = Some("HTTP 410".into());
        assert_eq!(Health::of(&r), Health::Retired);
    }
}
