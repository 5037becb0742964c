//! Log output through tracing, in the form the reader needs:
//!
//! * on a terminal: the usual lines with time, colour when stderr is a tty;
//! * under systemd (`$JOURNAL_STREAM` names stderr): no time and no colour
//!   (the journal adds its own) and a `<N>` syslog priority prefix, so
//!   `journalctl -p warning` means something;
//! * JSON, one object per line, when `TIDINGS_LOG_FORMAT=json`.
//!
//! The filter is `$TIDINGS_LOG` (tracing's env-filter syntax; a bare level
//! is tidings' own, libraries staying at `warn`), else `info` for the
//! daemon and `warn` for one-shot commands. Reads the environment
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

/// The formats `TIDINGS_LOG_FORMAT` takes.
const FORMATS: &[&str] = &["json", "journal", "journald", "text", "terminal"];

/// Whether `TIDINGS_LOG_FORMAT` says something [`choose`] knows.
pub fn check_format(asked: &str) -> Result<(), String> {
    if FORMATS.contains(&asked.trim()) {
        Ok(())
    } else {
        Err(format!(
            "$TIDINGS_LOG_FORMAT: '{asked}' is not a log format ({})",
            FORMATS.join(", ")
        ))
    }
}

const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

fn is_level(s: &str) -> bool {
    LEVELS.iter().any(|l| l.eq_ignore_ascii_case(s.trim()))
}

/// The filter for `TIDINGS_LOG` (tracing's env-filter syntax), else the
/// default level. A bare level (`debug`) is tidings' own: the libraries
/// stay at `warn`, since an HTML parser at debug drowns every line of
/// ours. A directive that is neither a level nor `target=level` (a typo
/// like `verbose`, which env-filter would take for a target and so log
/// nothing) is refused.
pub fn filter_directives(
    asked: Option<&str>,
    default: &str,
    quiet: &[&str],
) -> Result<String, String> {
    let asked = asked.map(str::trim).filter(|s| !s.is_empty());
    let Some(asked) = asked else {
        let mut d = format!("warn,tidings={default}");
        for target in quiet {
            d.push_str(&format!(",{target}=off"));
        }
        return Ok(d);
    };
    if is_level(asked) {
        return Ok(format!("warn,tidings={}", asked.to_ascii_lowercase()));
    }
    for d in asked.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let ok = match d.rsplit_once('=') {
            Some((target, level)) => !target.is_empty() && is_level(level),
            None => is_level(d),
        };
        if !ok {
            return Err(format!(
                "$TIDINGS_LOG: '{d}' is not a level ({}) or target=level",
                LEVELS.join(", ")
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(asked)
        .map(|_| asked.to_string())
        .map_err(|e| format!("$TIDINGS_LOG: '{asked}': {e}"))
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

/// Installs the global subscriber (once; later calls do nothing). The
/// `quiet` targets are off unless `TIDINGS_LOG` says otherwise (lines a
/// command reports in its own words).
pub fn init(verbose: bool, quiet: &[&str]) {
    init_to(verbose, quiet, std::io::stderr)
}

/// As `init`, with lines written through `writer` (which must end on
/// stderr: the format is chosen for it), e.g. one that lifts a progress bar
/// out of the way.
pub fn init_to<W>(verbose: bool, quiet: &[&str], writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let default = if verbose { "info" } else { "warn" };
    let asked = std::env::var("TIDINGS_LOG").ok();
    let directives = filter_directives(asked.as_deref(), default, quiet).unwrap_or_else(|e| {
        // Logging is not up yet: say it plainly, once, and go on.
        eprintln!("tidings: {e}; logging at {default}");
        format!("warn,tidings={default}")
    });
    let filter = tracing_subscriber::EnvFilter::new(directives);
    let asked = std::env::var("TIDINGS_LOG_FORMAT").ok();
    if let Some(Err(e)) = asked.as_deref().map(check_format) {
        eprintln!("tidings: {e}");
    }
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
    fn a_bare_level_leaves_the_libraries_at_warn() {
        assert_eq!(
            filter_directives(None, "info", &[]).unwrap(),
            "warn,tidings=info"
        );
        assert_eq!(
            filter_directives(Some("debug"), "info", &["x"]).unwrap(),
            "warn,tidings=debug"
        );
        assert_eq!(
            filter_directives(Some("DEBUG"), "warn", &[]).unwrap(),
            "warn,tidings=debug"
        );
        assert_eq!(
            filter_directives(Some("info,html5ever=trace"), "warn", &[]).unwrap(),
            "info,html5ever=trace"
        );
    }

    #[test]
    fn quiet_targets_are_off_only_by_default() {
        assert_eq!(
            filter_directives(None, "info", &["tidings::poll"]).unwrap(),
            "warn,tidings=info,tidings::poll=off"
        );
    }

    #[test]
    fn an_unknown_log_setting_is_refused_with_its_name() {
        let e = filter_directives(Some("verbose"), "info", &[]).unwrap_err();
        assert!(e.starts_with("$TIDINGS_LOG: 'verbose'"), "{e}");
        assert!(filter_directives(Some("tidings=loud"), "info", &[]).is_err());
        assert!(check_format("json").is_ok());
        let e = check_format("xml").unwrap_err();
        assert!(e.starts_with("$TIDINGS_LOG_FORMAT: 'xml'"), "{e}");
    }

    #[test]
    fn priorities_match_syslog() {
        assert_eq!(priority(Level::ERROR), 3);
        assert_eq!(priority(Level::WARN), 4);
        assert_eq!(priority(Level::INFO), 6);
        assert_eq!(priority(Level::TRACE), 7);
    }
}
