//! `tidings export`: the stored articles as JSON Lines or CSV on standard
//! output, for other tools. The records are `model::ExportRecord` (the
//! wire format, README "Export record"); this file only writes them. Must
//! not query the store beyond `export_filtered` (SQLite or PostgreSQL, the
//! same records); see ARCHITECTURE.md,
//! "Codemap" (`cli`).

use std::io::Write;

use anyhow::Result;

use super::args::Format;
use super::filter;
use super::open::open_reader;
use crate::config::Config;
use crate::model::ExportRecord;

pub(super) fn cmd_export(
    config: &Config,
    format: Format,
    duplicates: bool,
    filter: &filter::FilterArgs,
) -> Result<i32> {
    let mut store = open_reader(config)?;
    let filter = filter.resolve(config, &mut store, chrono::Utc::now())?;
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
            if records.is_empty() {
                return write_header_alone(w);
            }
            // serde writes the header from `CsvRow`'s field names before
            // the first row.
            let mut csv = csv_writer(w);
            for r in records {
                csv.serialize(CsvRow::from(r))?;
            }
            csv.flush()?;
        }
    }
    Ok(())
}

/// CSV as it has always been written: RFC 4180 quoting where needed,
/// `\n` after each record.
fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// The header of an export with no rows. The csv crate writes a header
/// only before a first row, so one is written aside and its first line
/// kept: the names stay `CsvRow`'s.
fn write_header_alone(w: &mut impl Write) -> Result<()> {
    let mut aside = csv_writer(Vec::new());
    aside.serialize(CsvRow::default())?;
    let bytes = aside.into_inner().map_err(|e| e.into_error())?;
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    w.write_all(&bytes[..end])?;
    Ok(())
}

/// One CSV row: the one place that lists the CSV columns and their order
/// (serde writes the header from the field names). The JSON record's
/// `access` is not a column, as it never was. Empty optional fields are
/// empty cells.
#[derive(serde::Serialize, Default)]
struct CsvRow<'a> {
    id: Option<u64>,
    file: Option<&'a str>,
    url: Option<&'a str>,
    canonical_url: Option<&'a str>,
    title: &'a str,
    feed: Option<&'a str>,
    published: Option<&'a str>,
    fetched_at: Option<&'a str>,
    language: Option<&'a str>,
    words: u64,
    duplicate_of: Option<u64>,
    story: u64,
}

impl<'a> From<&'a ExportRecord> for CsvRow<'a> {
    fn from(r: &'a ExportRecord) -> Self {
        CsvRow {
            id: r.id,
            file: r.file.as_deref(),
            url: r.url.as_deref(),
            canonical_url: r.canonical_url.as_deref(),
            title: &r.title,
            feed: r.feed.as_deref(),
            published: r.published.as_deref(),
            fetched_at: r.fetched_at.as_deref(),
            language: r.language.as_deref(),
            words: r.words,
            duplicate_of: r.duplicate_of,
            story: r.story,
        }
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

    /// An export that finds nothing is the header alone.
    #[test]
    fn csv_of_nothing_is_the_header() {
        let mut out = Vec::new();
        write_records(&mut out, Format::Csv, &[]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,file,url,canonical_url,title,feed,published,fetched_at,language,words,duplicate_of,story\n"
        );
    }

    /// The export command's help (and so the man page) names the CSV
    /// columns in their order: taken from `CsvRow`, not listed again.
    #[test]
    fn help_names_the_columns() {
        use clap::CommandFactory;
        let mut out = Vec::new();
        write_records(&mut out, Format::Csv, &[]).unwrap();
        let header = String::from_utf8(out).unwrap();
        let columns = header.trim_end().replace(',', ", ");
        let cli = super::super::args::Cli::command();
        let export = cli.find_subcommand("export").unwrap();
        let help = export.get_long_about().unwrap().to_string();
        assert!(help.contains(&columns), "{columns}\n{help}");
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
