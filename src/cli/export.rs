//! `tidings export`: the stored articles as JSON Lines or CSV on standard
//! output, for other tools. The records are `model::ExportRecord` (the
//! wire format, README "Export record"); this file only writes them. Must
//! not query the store beyond `export_filtered`; see ARCHITECTURE.md,
//! "Codemap" (`cli`).

use std::io::Write;

use anyhow::Result;

use super::args::Format;
use super::{filter, open_store};
use crate::config::Config;
use crate::model::ExportRecord;

pub(super) fn cmd_export(
    config: &Config,
    format: Format,
    duplicates: bool,
    filter: &filter::FilterArgs,
) -> Result<i32> {
    let store = open_store(config)?;
    let filter = filter.resolve(config, &store, chrono::Utc::now())?;
    let records = store.export_filtered(&filter, duplicates)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    write_records(&mut w, format, &records)?;
    w.flush()?;
    Ok(0)
}

/// The records in `format`, header included for CSV.
fn write_records(w: &mut impl Write, format: Format, records: &[ExportRecord]) -> Result<()> {
    match format {
        Format::Jsonl => {
            for r in records {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            writeln!(w, "id,file,url,canonical_url,title,feed,published,fetched_at,language,words,duplicate_of,story")?;
            for r in records {
                let opt_n = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
                let fields = [
                    opt_n(r.id),
                    r.file.clone().unwrap_or_default(),
                    r.url.clone().unwrap_or_default(),
                    r.canonical_url.clone().unwrap_or_default(),
                    r.title.clone(),
                    r.feed.clone().unwrap_or_default(),
                    r.published.clone().unwrap_or_default(),
                    r.fetched_at.clone().unwrap_or_default(),
                    r.language.clone().unwrap_or_default(),
                    r.words.to_string(),
                    opt_n(r.duplicate_of),
                    r.story.to_string(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(w, "{}", line.join(","))?;
            }
        }
    }
    Ok(())
}

/// RFC 4180 quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An article with every field set, its title needing quotes; a
    /// duplicate sighting with the optional fields empty; a seed.
    fn records() -> Vec<ExportRecord> {
        vec![
            ExportRecord {
                id: Some(7),
                file: Some("007_00000000000000ab.txt".into()),
                url: Some("https://example.org/a?x=1,2".into()),
                canonical_url: Some("https://example.org/a".into()),
                title: "Floods, \"worst in decades\"\nand after\r".into(),
                feed: Some("rights-watch".into()),
                published: Some("2026-11-20T09:00:00Z".into()),
                fetched_at: Some("2026-11-20T09:05:00Z".into()),
                language: Some("en".into()),
                words: 312,
                duplicate_of: None,
                story: 7,
                access: Some("paywalled".into()),
            },
            ExportRecord {
                id: None,
                file: None,
                url: Some("https://mirror.example/a".into()),
                canonical_url: None,
                title: String::new(),
                feed: Some("mirror".into()),
                published: None,
                fetched_at: Some("2026-11-20T10:00:00Z".into()),
                language: None,
                words: 0,
                duplicate_of: Some(7),
                story: 7,
                access: None,
            },
            ExportRecord {
                id: Some(1),
                file: Some("001_00000000000000cd.txt".into()),
                url: None,
                canonical_url: None,
                title: "A seed".into(),
                feed: None,
                published: None,
                fetched_at: None,
                language: None,
                words: 40,
                duplicate_of: None,
                story: 1,
                access: None,
            },
        ]
    }

    fn written(format: Format) -> String {
        let mut out = Vec::new();
        write_records(&mut out, format, &records()).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The bytes users have: the header, RFC 4180 quoting (a comma, a
    /// quote, a newline and a carriage return), empty optional fields,
    /// `\n` line ends, no `access` column.
    #[test]
    fn csv_bytes_are_pinned() {
        assert_eq!(
            written(Format::Csv),
            "id,file,url,canonical_url,title,feed,published,fetched_at,language,words,duplicate_of,story\n\
             7,007_00000000000000ab.txt,\"https://example.org/a?x=1,2\",https://example.org/a,\
             \"Floods, \"\"worst in decades\"\"\nand after\r\",rights-watch,2026-11-20T09:00:00Z,\
             2026-11-20T09:05:00Z,en,312,,7\n\
             ,,https://mirror.example/a,,,mirror,,2026-11-20T10:00:00Z,,0,7,7\n\
             1,001_00000000000000cd.txt,,,A seed,,,,,40,,1\n"
        );
    }

    #[test]
    fn jsonl_is_one_record_a_line() {
        let out = written(Format::Jsonl);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with(r#"{"id":7,"file":"007_00000000000000ab.txt","#));
        assert!(lines[0].ends_with(r#","story":7,"access":"paywalled"}"#));
        assert!(!lines[1].contains("access"));
    }
}
