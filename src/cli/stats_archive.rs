//! The archive's section of `tidings stats`: disk use of the WARC files
//! and what the store says they hold. One function gathers the figures
//! into a plain struct, another renders them, so a fuller `stats` can
//! print this section beside its own.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::archive::{self, DiskUse};
use crate::config::Config;
use crate::store::{CaptureCounts, Store};

/// The archive's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiveUsage {
    pub dir: PathBuf,
    pub enabled: bool,
    pub files: u64,
    /// Bytes the WARC files take on disk (gzip-compressed).
    pub bytes: u64,
    pub max_file_bytes: u64,
    pub max_record_bytes: u64,
    pub counts: CaptureCounts,
}

/// Gathers the archive's figures: the directory's files, the store's counts.
pub fn archive_usage(config: &Config, store: &Store) -> Result<ArchiveUsage> {
    let DiskUse { files, bytes } = archive::disk_use(&config.archive.dir)?;
    Ok(ArchiveUsage {
        dir: config.archive.dir.clone(),
        enabled: config.archive.enabled,
        files,
        bytes,
        max_file_bytes: config.archive.max_file_bytes,
        max_record_bytes: config.archive.max_record_bytes,
        counts: store.capture_counts()?,
    })
}

/// The section as `key: value` lines.
pub fn render(u: &ArchiveUsage) -> String {
    let c = &u.counts;
    let mut out = format!(
        "archive: {}{}\n",
        u.dir.display(),
        if u.enabled { "" } else { " (disabled)" }
    );
    for (k, v) in [
        ("archive_files", u.files.to_string()),
        ("archive_bytes", u.bytes.to_string()),
        ("archive_max_file_bytes", u.max_file_bytes.to_string()),
        ("archive_max_record_bytes", u.max_record_bytes.to_string()),
        ("captured_articles", c.articles.to_string()),
        ("captured_sightings", c.sightings.to_string()),
        ("truncated_records", c.truncated.to_string()),
        ("payload_bytes", c.payload_bytes.to_string()),
        ("articles_without_capture", c.articles_without.to_string()),
        ("texts_rewritten", c.rewritten.to_string()),
    ] {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out
}

/// `tidings stats` on this branch: the archive section only.
pub fn cmd_stats(config: &Config) -> Result<i32> {
    let store = super::open_store(config)?;
    print!("{}", render(&archive_usage(config, &store)?));
    Ok(0)
}
