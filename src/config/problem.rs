//! What is wrong with a config, and where: one `Problem` a line, all of
//! them in one `ConfigError`, and `Report`, the way section checks hand
//! them in. Must not read anything; see ARCHITECTURE.md, "Codemap"
//! (`config`).

use std::fmt;
use std::path::PathBuf;

/// Where a section check reports a problem: the value's byte span in the
/// file, and the message.
pub(super) type Report<'a> = dyn FnMut(std::ops::Range<usize>, String) + 'a;

/// One thing wrong with the config, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

/// Everything wrong with one config file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.line {
                Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, p.message)?,
                None => write!(f, "{}: {}", self.path.display(), p.message)?,
            }
        }
        Ok(())
    }
}
