//! The config file as written: the raw TOML document (`deny_unknown_fields`,
//! values kept with their byte spans) and the lenient read that records
//! every syntax, type, unknown-key and missing-key problem with its line
//! and dotted key instead of stopping at the first. Must not judge values
//! (that is the section checks) nor read anything but the text given; see
//! ARCHITECTURE.md, "Codemap" (`config`).

use serde::Deserialize;
use toml::Spanned;

use super::problem::Problem;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    #[serde(default)]
    pub(super) store: RawStore,
    #[serde(default)]
    pub(super) fetch: RawFetch,
    pub(super) topic: Option<RawTopic>,
    #[serde(default)]
    pub(super) schedule: RawSchedule,
    #[serde(default)]
    pub(super) feeds: Vec<RawFeed>,
    #[serde(default)]
    pub(super) alerts: Vec<RawAlert>,
    #[serde(default)]
    pub(super) archive: RawArchive,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArchive {
    pub(super) enabled: Option<bool>,
    pub(super) dir: Option<Spanned<String>>,
    pub(super) max_file_size: Option<Spanned<String>>,
    pub(super) max_record_size: Option<Spanned<String>>,
    pub(super) capture_duplicates: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) database: Option<Spanned<String>>,
    pub(super) corpus: Option<Spanned<String>>,
    pub(super) seeds: Option<Spanned<String>>,
    pub(super) password_env: Option<Spanned<String>>,
    pub(super) password_file: Option<Spanned<String>>,
    pub(super) worker: Option<Spanned<String>>,
    pub(super) lease: Option<Spanned<String>>,
    pub(super) ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    #[serde(default)]
    pub(super) allow_private_networks: bool,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) max_feed_size: Option<Spanned<String>>,
    pub(super) max_page_size: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) max_entries: Option<Spanned<i64>>,
    pub(super) max_connections: Option<Spanned<i64>>,
    pub(super) per_host_connections: Option<Spanned<i64>>,
    pub(super) per_host_gap: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) hosts: std::collections::BTreeMap<String, RawHost>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) proxy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopic {
    pub(super) query: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) interval: Option<Spanned<String>>,
    pub(super) min_interval: Option<Spanned<String>>,
    pub(super) max_interval: Option<Spanned<String>>,
    pub(super) full_poll: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub(super) connections: Option<Spanned<i64>>,
    pub(super) gap: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) name: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) interval: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) proxy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlert {
    pub(super) name: Option<Spanned<String>>,
    pub(super) kind: Spanned<String>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) url_env: Option<Spanned<String>>,
    pub(super) url_file: Option<Spanned<String>>,
    pub(super) secret: Option<String>,
    pub(super) secret_env: Option<Spanned<String>>,
    pub(super) secret_file: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) feeds: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) query: Option<Spanned<String>>,
    pub(super) expire: Option<Spanned<String>>,
    pub(super) retry: Option<Spanned<String>>,
    pub(super) pickup: Option<Spanned<i64>>,
    pub(super) feed_health: Option<Spanned<String>>,
    // email
    pub(super) server: Option<Spanned<String>>,
    pub(super) port: Option<Spanned<i64>>,
    pub(super) tls: Option<Spanned<String>>,
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
    pub(super) password_env: Option<Spanned<String>>,
    pub(super) password_file: Option<Spanned<String>>,
    pub(super) from: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) to: Vec<Spanned<String>>,
    pub(super) digest: Option<Spanned<String>>,
    // command
    pub(super) command: Option<Spanned<Vec<String>>>,
    pub(super) timeout: Option<Spanned<String>>,
}

/// The 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// How many syntax errors are reported before the rest of the file is
/// given up on (an unclosed string or bracket can make every later line
/// an error of its own).
const MAX_SYNTAX_PROBLEMS: usize = 20;

/// Reads the TOML into [`Raw`], collecting every syntax, type,
/// unknown-key and missing-key problem instead of stopping at the first:
/// each problem's lines are blanked (byte for byte, so offsets and line
/// numbers stay those of the file) and the text is read again. What is
/// left is read as if the blanked keys were absent, so the values around
/// a mistake are still checked.
pub(super) fn read_leniently(text: &str) -> (Raw, Vec<Problem>) {
    let mut text = text.to_string();
    let mut problems = Vec::new();
    let mut syntax = 0;
    // Each round blanks at least one line, so the file's length bounds it.
    for _ in 0..=text.lines().count() {
        let error = match toml::from_str::<Raw>(&text) {
            Ok(raw) => return (raw, problems),
            Err(e) => e,
        };
        let message = plain_types(error.message());
        let doc = match toml_edit::Document::parse(text.as_str()) {
            Ok(doc) => doc,
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                problems.push(Problem {
                    line: Some(line_of(&text, at)),
                    message: format!("TOML syntax: {}", e.message().trim().replace('\n', " ")),
                });
                syntax += 1;
                if syntax >= MAX_SYNTAX_PROBLEMS {
                    break;
                }
                blank_lines(&mut text, at..at);
                continue;
            }
        };
        let Some(at) = error.span().map(|s| s.start) else {
            problems.push(Problem {
                line: None,
                message,
            });
            break;
        };
        let (key, ranges) = locate(doc.as_table(), at, "").unwrap_or_default();
        problems.push(Problem {
            line: Some(line_of(&text, at)),
            message: if key.is_empty() {
                message
            } else {
                format!("{key}: {message}")
            },
        });
        if ranges.is_empty() {
            break;
        }
        for r in ranges {
            blank_lines(&mut text, r);
        }
    }
    (Raw::default(), problems)
}

/// serde's words for types, in the config's: "expected i64" reads
/// "expected an integer", a struct is a table, a sequence an array.
fn plain_types(message: &str) -> String {
    let mut m = message.trim().replace('\n', " ");
    for (rust, toml) in [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected an integer"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array"),
    ] {
        m = m.replace(rust, toml);
    }
    if let Some(i) = m.find("expected struct ") {
        m.truncate(i);
        m.push_str("expected a table");
    }
    m
}

/// Spaces over every line that `range` touches (line ends kept).
fn blank_lines(text: &mut String, range: std::ops::Range<usize>) {
    let start = text[..range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[range.end.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    let blank: String = text[start..end]
        .chars()
        .map(|c| if c == '\n' { c } else { ' ' })
        .collect();
    // Same byte length only for ASCII; pad so offsets after it hold.
    let pad = (end - start).saturating_sub(blank.len());
    text.replace_range(start..end, &(blank + &" ".repeat(pad)));
}

/// The dotted key at byte `at` (the innermost table or key/value that
/// holds it; inline tables and arrays count as one value) and the byte
/// ranges that make it up.
fn locate(
    table: &toml_edit::Table,
    at: usize,
    prefix: &str,
) -> Option<(String, Vec<std::ops::Range<usize>>)> {
    let holds = |r: &Option<std::ops::Range<usize>>| {
        r.as_ref()
            .is_some_and(|r| r.start <= at && at < r.end.max(r.start + 1))
    };
    for (k, item) in table.iter() {
        let path = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        let key_span = table.key(k).and_then(|k| k.span());
        let tables: Vec<&toml_edit::Table> = match item {
            toml_edit::Item::Table(t) => vec![t],
            toml_edit::Item::ArrayOfTables(a) => a.iter().collect(),
            toml_edit::Item::Value(v) => {
                let span = match (key_span.clone(), v.span()) {
                    (Some(k), Some(v)) => Some(k.start.min(v.start)..v.end),
                    (k, v) => v.or(k),
                };
                if holds(&span) {
                    return Some((path, span.into_iter().collect()));
                }
                continue;
            }
            toml_edit::Item::None => continue,
        };
        for t in tables {
            if let Some(found) = locate(t, at, &path) {
                return Some(found);
            }
            if holds(&t.span()) || (t.span().is_none() && holds(&key_span)) {
                return Some((path, extent(t)));
            }
        }
    }
    None
}

/// Every byte range of a table: its header and its keys, nested ones too.
fn extent(table: &toml_edit::Table) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<_> = table.span().into_iter().collect();
    for (k, item) in table.iter() {
        match item {
            toml_edit::Item::Value(v) => {
                out.extend(table.key(k).and_then(|k| k.span()));
                out.extend(v.span());
            }
            toml_edit::Item::Table(t) => out.extend(extent(t)),
            toml_edit::Item::ArrayOfTables(a) => a.iter().for_each(|t| out.extend(extent(t))),
            toml_edit::Item::None => {}
        }
    }
    out
}
