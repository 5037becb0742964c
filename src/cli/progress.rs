//! The progress bar of `run --once`: shown only when a person is watching
//! (stderr is a terminal and not systemd's journal), never in a pipe, a
//! timer unit or a test. Log lines are written above the bar.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::OnceProgress;

/// The bar, once `run --once` has one.
static BAR: OnceLock<ProgressBar> = OnceLock::new();

/// Whether a bar would be seen: stderr is a terminal and systemd did not
/// start us (it sets JOURNAL_STREAM for its services and timers).
pub fn wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("JOURNAL_STREAM").is_none()
}

/// Installs the bar (hidden until polling starts).
pub fn install() {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        // Narrow enough for an 80-column terminal, message included.
        ProgressStyle::with_template("{spinner} {pos}/{len} feeds [{bar:20}] {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let _ = BAR.set(bar);
}

/// Counts shown beside the bar.
#[derive(Default)]
struct Tally {
    stored: usize,
    duplicates: usize,
    failed: usize,
}

static TALLY: std::sync::Mutex<Tally> = std::sync::Mutex::new(Tally {
    stored: 0,
    duplicates: 0,
    failed: 0,
});

/// What `run_once` reports, drawn on the bar (nothing without one).
pub fn report(event: OnceProgress) {
    let Some(bar) = BAR.get() else {
        return;
    };
    match event {
        OnceProgress::Start(n) => {
            bar.set_length(n as u64);
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        OnceProgress::Polled(o) => {
            let mut t = TALLY.lock().unwrap_or_else(|p| p.into_inner());
            t.stored += o.stored;
            t.duplicates += o.duplicates;
            t.failed += usize::from(o.error.is_some());
            bar.set_message(format!(
                "{} new, {} dup, {} failed",
                t.stored, t.duplicates, t.failed
            ));
            bar.inc(1);
        }
    }
}

/// Removes the bar before the summary is printed.
pub fn finish() {
    if let Some(bar) = BAR.get() {
        bar.finish_and_clear();
    }
}

/// Log lines, written to stderr above the bar.
#[derive(Clone, Copy)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BAR.get() {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}
