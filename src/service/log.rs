//! Log output through tracing, in the form the reader needs:
//!
//! * on a terminal: the usual lines with time, colour when stderr is a tty;
//! * under systemd (`$JOURNAL_STREAM` names stderr): no time and no colour
//!   (the journal adds its own) and a `<N>` syslog priority prefix, so
//!   `journalctl -p warning` means something;
//! * JSON, one object per line, when `TIDINGS_LOG_FORMAT=json`.
//!
//! The filter is `$TIDINGS_LOG` (tracing's env-filter syntax), else `info`
//! for the daemon and `warn` for one-shot commands. Reads the environment
//! and stderr's identity; writes only to stderr.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Journald,
    Json,
}

/// The format asked for (`TIDINGS_LOG_FORMAT`: `json`, `journal`, `text`),
/// else journald when stderr is the journal stream, else terminal. The
/// values are arguments: this function reads nothing.
pub fn choose(asked: Option<&str>, stderr_is_journal: bool) -> Format {
    match asked.map(str::trim) {
        Some("json") => Format::Json,
        Some("journal" | "journald") => Format::Journald,
        Some("text" | "terminal") => Format::Terminal,
        _ if stderr_is_journal => Format::Journald,
        _ => Format::Terminal,
    }
}

/// Whether `$JOURNAL_STREAM` (`DEVICE:INODE`) names the file stderr is.
fn stderr_is_journal() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(v) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let v = v.to_string_lossy();
    let Some((dev, ino)) = v.split_once(':') else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    let fd = std::io::stderr();
    let Ok(meta) = std::os::fd::AsFd::as_fd(&fd)
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
    else {
        return false;
    };
    meta.dev() == dev && meta.ino() == ino
}

/// The syslog priority of a tracing level (sd-daemon(3) prefixes).
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// Prefixes each line with its `<N>` priority for the journal.
struct Prefixed<F>(F);

impl<S, N, F> FormatEvent<S, N> for Prefixed<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", priority(*event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(verbose: bool) {
    init_to(verbose, std::io::stderr)
}

/// As `init`, with lines written through `writer` (which must end on
/// stderr: the format is chosen for it), e.g. one that lifts a progress bar
/// out of the way.
pub fn init_to<W>(verbose: bool, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let default = if verbose { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TIDINGS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let asked = std::env::var("TIDINGS_LOG_FORMAT").ok();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match choose(asked.as_deref(), stderr_is_journal()) {
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        Format::Journald => {
            let inner = tracing_subscriber::fmt::format()
                .without_time()
                .with_level(false)
                .with_target(false)
                .with_ansi(false);
            builder
                .with_ansi(false)
                .event_format(Prefixed(inner))
                .try_init()
        }
        Format::Terminal => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_ask_then_the_journal() {
        assert_eq!(choose(Some("json"), true), Format::Json);
        assert_eq!(choose(Some("text"), true), Format::Terminal);
        assert_eq!(choose(Some("journal"), false), Format::Journald);
        assert_eq!(choose(None, true), Format::Journald);
        assert_eq!(choose(Some("bogus"), false), Format::Terminal);
        assert_eq!(choose(None, false), Format::Terminal);
    }

    #[test]
    fn priorities_match_syslog() {
        assert_eq!(priority(Level::ERROR), 3);
        assert_eq!(priority(Level::WARN), 4);
        assert_eq!(priority(Level::INFO), 6);
        assert_eq!(priority(Level::TRACE), 7);
    }
}
