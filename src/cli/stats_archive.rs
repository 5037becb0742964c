//! The archive's section of `tidings stats`: disk use of the WARC files
//! and what the store says they hold, gathered into a plain struct that
//! `stats` prints beside its other sections.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::archive::{self, DiskUse};
use crate::config::Config;
use crate::store::CaptureCounts;

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

/// Gathers the archive's figures: the directory's files, and the store's
/// counts (`counts`, from either backend).
pub fn archive_usage(config: &Config, counts: CaptureCounts) -> Result<ArchiveUsage> {
    let DiskUse { files, bytes } = archive::disk_use(&config.archive.dir)?;
    Ok(ArchiveUsage {
        dir: config.archive.dir.clone(),
        enabled: config.archive.enabled,
        files,
        bytes,
        max_file_bytes: config.archive.max_file_bytes,
        max_record_bytes: config.archive.max_record_bytes,
        counts,
    })
}
