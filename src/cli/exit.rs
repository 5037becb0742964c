//! Exit codes (0 success, 2 usage or config error, 1 anything else, 3
//! some feeds failed, 130 interrupted) and the errors that choose them:
//! `UsageError`, the wording of an unknown name, an error on one line.
//! Must not run anything; see ARCHITECTURE.md, "Codemap" (`cli`).

/// Exit status for a failure that is the user's input (usage, config).
pub const EXIT_USAGE: i32 = 2;
/// Exit status of `run --once` when some feeds failed and others did not.
pub const EXIT_PARTIAL: i32 = 3;
/// Exit status after Ctrl-C (SIGINT), as shells report an interrupted
/// command: 128 + 2.
pub const EXIT_INTERRUPTED: i32 = 130;

/// A failure that is the user's input: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(super) String);

/// "no feed is named 'x' (known: a, b)": the one wording for a name that
/// matches nothing, listing what would have matched.
pub(crate) fn unknown_name<S: AsRef<str>>(what: &str, name: &str, known: &[S]) -> String {
    let known: Vec<&str> = known.iter().map(AsRef::as_ref).collect();
    let list = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    format!("no {what} is named '{name}' (known: {list})")
}

/// The error and its causes on one line, without repeating a cause that
/// an outer message already quotes.
pub(super) fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}
