//! The pipeline's error: what failed while polling, preparing or
//! committing, keeping the store's, the corpus's, the fetcher's or the
//! archive's error whole. See `ARCHITECTURE.md`, "Codemap" (`pipeline`).
//!
//! Must not: decide what a failure does to a feed (that is `poll` and
//! `outcome`), nor import the pipeline's other files.

use std::sync::Arc;

use crate::archive::ArchiveError;
use crate::corpus::CorpusError;
use crate::fetch::FetchError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("internal task failed: {0}")]
    Task(String),
    /// One failure that failed several articles committed together.
    #[error(transparent)]
    Shared(Arc<PipelineError>),
}

impl PipelineError {
    /// Whether the database, the corpus or the archive failed (full,
    /// read-only, gone), rather than the feed or the page.
    pub fn is_storage(&self) -> bool {
        match self {
            PipelineError::Store(_) | PipelineError::Corpus(_) | PipelineError::Archive(_) => true,
            PipelineError::Shared(inner) => inner.is_storage(),
            PipelineError::Fetch(_) | PipelineError::Task(_) => false,
        }
    }
}
