//! `tidings completions SHELL` and `tidings man`: shell completions and a
//! man page, generated from the command definitions so they never drift
//! from `--help`.

use anyhow::Result;
use clap::CommandFactory;

use super::args::Cli;

pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "tidings", &mut std::io::stdout());
    Ok(0)
}

/// The environment variables tidings reads, for the man page.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("TIDINGS_CONFIG", "The config file when --config is not given."),
    ("TIDINGS_LOG", "The log filter: a level (error, warn, info, debug, trace) for tidings' own lines, the libraries staying at warn, or tracing's target=level directives. Default: info for run, warn for the rest."),
    ("TIDINGS_LOG_FORMAT", "json for one JSON object per log line; journal or text to choose by hand (the journal's format is chosen by itself when standard error is the journal)."),
    ("NO_COLOR", "No colour on a terminal."),
    ("STATE_DIRECTORY", "Set by systemd: where the database and corpus go when the config has no [store] table."),
    ("NOTIFY_SOCKET, WATCHDOG_USEC", "Set by systemd: readiness, status and watchdog notifications."),
];

const FILES: &[(&str, &str)] = &[
    ("config/tidings.toml, /etc/tidings/tidings.toml", "The config, when neither --config nor $TIDINGS_CONFIG names one (the first that exists)."),
    ("DATABASE, DATABASE.lock", "The SQLite database (store.database) and the lock that keeps a second run from writing to it."),
    ("CORPUS/NNN_HHHHHHHHHHHHHHHH.txt", "One article per file (store.corpus)."),
    ("warc/tidings-*.warc.gz", "The evidence archive, beside the database unless archive.dir says otherwise."),
];

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    ("1", "A failure that is not the input's (network, disk); for run --once, no feed could be polled; for search, nothing matched; for dedup, some file is a duplicate."),
    ("2", "A usage or config error (every config problem is listed, with its file and line)."),
    ("3", "run --once: some feeds could not be polled, others were."),
    ("130", "Interrupted by Ctrl-C (SIGINT)."),
];

/// roff for a table of terms: `.TP` per entry.
fn terms(title: &str, rows: &[(&str, &str)]) -> String {
    let mut out = format!(".SH {title}\n");
    for (term, text) in rows {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            escape(term),
            escape(text)
        ));
    }
    out
}

/// Escapes what roff would read as its own: backslashes, leading dots and
/// quotes, and hyphens (which it may break or render as dashes).
fn escape(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with(['.', '\'']) {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Keeps the examples' columns: each run of lines indented by two spaces
/// (the help's example blocks) goes between `.nf` and `.fi`, which man
/// would otherwise fill into one paragraph.
fn keep_examples(roff: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in roff.lines() {
        let example = line.starts_with("  ") && !line.trim().is_empty();
        if example && !inside {
            out.push_str(".nf\n");
        } else if !example && inside {
            out.push_str(".fi\n");
        }
        inside = example;
        out.push_str(line);
        out.push('\n');
    }
    if inside {
        out.push_str(".fi\n");
    }
    out
}

pub fn man() -> Result<i32> {
    let mut cli = Cli::command();
    cli.build();
    let page = clap_mangen::Man::new(cli.clone());
    let mut out = Vec::new();
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    page.render_options_section(&mut out)?;
    // Every command is in this page (there are no tidings-run(1) pages to
    // refer to): the list, then a section each.
    let subs: Vec<&clap::Command> = cli
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    let mut commands = String::from(".SH COMMANDS\n");
    for sub in &subs {
        commands.push_str(&format!(
            ".TP\n\\fBtidings {}\\fR\n{}\n",
            sub.get_name(),
            escape(&sub.get_about().map(|a| a.to_string()).unwrap_or_default())
        ));
    }
    out.extend_from_slice(commands.as_bytes());
    for sub in subs {
        let name = sub.get_name().to_string();
        let page = clap_mangen::Man::new(sub.clone());
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        page.render_description_section(&mut part)?;
        page.render_options_section(&mut part)?;
        out.extend_from_slice(format!(".SH \"TIDINGS {}\"\n", name.to_uppercase()).as_bytes());
        out.extend_from_slice(
            String::from_utf8_lossy(&part)
                .replace(".SH ", ".SS ")
                .as_bytes(),
        );
    }
    let mut tail = terms("ENVIRONMENT", ENVIRONMENT);
    tail.push_str(&terms("FILES", FILES));
    tail.push_str(&terms("EXIT STATUS", EXIT_STATUS));
    tail.push_str(".SH SEE ALSO\nREADME.md in the source tree; deploy/README.md for running tidings under systemd.\n");
    out.extend_from_slice(tail.as_bytes());
    page.render_version_section(&mut out)?;
    use std::io::Write;
    std::io::stdout().write_all(keep_examples(&String::from_utf8_lossy(&out)).as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_blocks_keep_their_lines() {
        let roff =
            ".PP\nExamples:\n  tidings run \\-\\-once     poll\n  tidings status\n.SH NEXT\n";
        assert_eq!(
            keep_examples(roff),
            ".PP\nExamples:\n.nf\n  tidings run \\-\\-once     poll\n  tidings status\n.fi\n.SH NEXT\n"
        );
    }
}
