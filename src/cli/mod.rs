//! The command line: parses arguments, runs a command, maps errors to exit
//! codes (0 success, 2 usage or config error, 1 anything else, 3 some feeds
//! failed, 130 interrupted by Ctrl-C). Must hold no pipeline logic of its own.

mod demo;
mod docs;
mod feeds;
mod filter;
mod paint;
mod progress;
mod search;
mod stats;
mod status;
mod summary;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, FetchConfig};

mod reextract;
mod show;
mod stats_archive;
use crate::fetch::{Fetcher, Validators};
use paint::Paint;

#[derive(Parser, Debug)]
#[command(
    name = "tidings",
    version,
    about = "Watch news feeds; grow a clean, deduplicated plain-text corpus of the coverage they carry",
    long_about = "Watch news feeds; grow a clean, deduplicated plain-text corpus of the coverage they carry.

tidings polls the feeds of its config, fetches each new article's page, keeps what matches the topic query, and writes every genuinely new article once, as a plain-text file, with its provenance in SQLite.

Getting started:
  tidings demo                         the whole pipeline on a bundled site, offline
  tidings check                        is the config right? (every problem, with its line)
  tidings feeds add https://example.org/    find a site's feed and add it to the config
  tidings run --once                   poll what is due, ingest, print a summary
  tidings status                       how each feed is doing
  tidings search 'chechnya AND gay*'   find articles, best first
  tidings export --stored-since 7d > week.jsonl    what the last week stored, for other tools",
    after_help = "JSON output (--json, export): a list is JSON Lines, one compact object per line; a single document (stats, show, run --once) is one compact object on one line.\nThe config is --config FILE, else $TIDINGS_CONFIG, else config/tidings.toml, else /etc/tidings/tidings.toml.\nExit status: 0 success, 2 usage or config error, 3 some feeds failed, 130 interrupted (Ctrl-C), 1 anything else.\nMore: `tidings man | man -l -`, and README.md."
)]
struct Cli {
    /// The config file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Poll the feeds: forever (until SIGTERM or SIGINT), or once with --once.
    #[command(
        long_about = "Poll the feeds: forever (until SIGTERM or SIGINT), or once with --once.

As a daemon, each feed is polled when it is due; SIGHUP reloads the config. With --once, every feed that is due is polled, everything new is ingested, a summary is printed, and the exit status says how it went (0 all polled, 3 some failed, 1 none could be). On a terminal, --once shows a progress bar on standard error.

Examples:
  tidings run --once            poll what is due now
  tidings run --once --force    poll every feed, due or not
  tidings run --metrics         the daemon, with /metrics on 127.0.0.1:9731"
    )]
    Run {
        /// Poll every feed once, ingest everything new, print a summary, exit.
        #[arg(long)]
        once: bool,
        /// With --once: poll every feed, even those not due yet.
        #[arg(long, requires = "once")]
        force: bool,
        /// Alert on a feed's first poll too (by default a first poll is a
        /// silent backfill, so a new database does not flood the sinks).
        #[arg(long)]
        alert: bool,
        /// Serve /metrics (Prometheus) and /healthz on ADDR [default: 127.0.0.1:9731].
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:9731")]
        metrics: Option<std::net::SocketAddr>,
        /// How long polls in flight may finish after SIGTERM or SIGINT.
        #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_deadline)]
        shutdown_deadline: std::time::Duration,
        /// With --once: print the summary as one JSON object.
        #[arg(long, requires = "once")]
        json: bool,
    },
    /// Run the whole pipeline on a bundled site, offline: ingest, search, show.
    #[command(long_about = "Run the whole pipeline on a bundled site, offline.

Serves two small feeds and their pages on 127.0.0.1, writes a config for them into a scratch directory (printed; --dir to choose it), and runs what a user would: `run --once` (new articles stored, a syndicated copy found as a duplicate, an off-topic page skipped), then `search` and `show`. Needs no network and touches nothing outside the scratch directory.

Examples:
  tidings demo
  tidings demo --dir /tmp/tidings-demo")]
    Demo(demo::DemoArgs),
    /// Alert sinks.
    Alert {
        #[command(subcommand)]
        command: AlertCommand,
    },
    /// Print one page's article in the corpus format.
    #[command(
        long_about = "Print one page's article in the corpus format: the headline, a blank line, one paragraph per line. What `run` would store for that page, so it answers \"why does this article look like that?\". Exit status 1 when the page holds no article.

Examples:
  tidings extract https://example.org/news/story
  tidings extract page.html --base-url https://example.org/news/story
  curl -s https://example.org/a | tidings extract - --base-url https://example.org/a"
    )]
    Extract {
        /// A URL, a file, or - for standard input.
        source: String,
        /// The page's URL, for a file or standard input.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Print what tidings sees in one feed: KEY, PUBLISHED, LINK, TITLE per entry.
    #[command(
        long_about = "Print what tidings sees in one feed: one line per entry, KEY<TAB>PUBLISHED<TAB>LINK<TAB>TITLE (--json: one JSON object per entry and line, every field). Exit status 2 when it is not a feed.

Examples:
  tidings feed https://example.org/feed.xml
  tidings feed saved-feed.xml --json"
    )]
    Feed {
        /// A URL or a file.
        source: String,
        #[arg(long)]
        json: bool,
    },
    /// Say for each text file whether the corpus has it already.
    #[command(
        long_about = "Say for each text file whether the corpus has it already: one line FILE<TAB>VERDICT<TAB>MATCH<TAB>SCORE, VERDICT being duplicate (of MATCH), story (new, same story as MATCH), new, or stored (the file is itself in the corpus). A file inside the --against directory is compared with the others, not itself; of two copies given, the second is the duplicate.

Exit status: 0 every file is new (or a story's new article), 1 some file is a duplicate or stored, 2 a file could not be read (the others are still judged).

Examples:
  tidings dedup draft.txt
  tidings dedup --against other-corpus/ *.txt"
    )]
    Dedup {
        /// Compare against every .txt file in this directory instead of the configured corpus.
        #[arg(long)]
        against: Option<PathBuf>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Stored articles as JSON Lines (or CSV), for other tools.
    #[command(long_about = "Stored articles as JSON Lines (or CSV), for other tools.

One record per article, in corpus order: id, file, url, canonical_url, title, feed, published, fetched_at, language, words, duplicate_of, story, and in JSON access \"paywalled\" when the text is only the public part of a paywalled article. --since and --until filter on the publication time, else the fetch time (a backfill stores old articles: --since 7d leaves them out); --stored-since filters on the time tidings stored them. Seeds and other imported files have neither time, so a date filter leaves them out.

Examples:
  tidings export > corpus.jsonl
  tidings export --stored-since 7d   what the last week's runs stored
  tidings export --format csv --since 2026-11-01 --until 2026-11-30 > november.csv
  tidings export --feed rights-watch --duplicates
  tidings export --story 12          every article and copy of story 12")]
    Export {
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Include duplicate sightings (with duplicate_of set).
        #[arg(long)]
        duplicates: bool,
        #[command(flatten)]
        filter: filter::FilterArgs,
    },
    /// Full-text search over headlines and bodies, best first.
    #[command(
        long_about = "Full-text search over headlines and bodies, best first (bm25; the headline weighs more).

The query is the topic query language: words (all must occur), prefix*, \"a phrase\", AND, OR, NOT (as in 'gay NOT football') and parentheses; case and accents do not matter. Each result shows its date, feed, story and file, the headline and a passage, the matched words marked (bold on a terminal, [between brackets] otherwise). Exit status 1 when nothing matched.

Examples:
  tidings search chechnya
  tidings search '\"sexual orientation\" AND (chechnya OR chechen*)' --since 30d
  tidings search grozny --feed rights-watch --json | jq .file"
    )]
    Search(search::SearchArgs),
    /// One row per feed: health, last success, last error, next poll, entries seen, articles stored.
    #[command(
        long_about = "One row per configured feed: health (ok, failing, offline: the network was down at its last poll, retired, new), last success, last error, next poll, entries seen, articles stored, consecutive failures and the URL polled.

On a terminal: an aligned table, health in colour (unless NO_COLOR is set). In a pipe: tab-separated, one header line. --json: JSON Lines, one object per feed with every stored field."
    )]
    Status {
        /// JSON Lines: one object per feed and line.
        #[arg(long)]
        json: bool,
    },
    /// What the corpus holds: totals, articles per day, per feed and per story.
    #[command(
        long_about = "What the corpus holds: totals (articles, stories, duplicates, off-topic pages), articles per day (by publication, else fetch date), per feed (articles, duplicates, off-topic) and the stories carried most widely.

Examples:
  tidings stats
  tidings stats --days 7 --top 5
  tidings stats --json | jq .totals"
    )]
    Stats(stats::StatsArgs),
    /// Manage the feed list: add a site's feed, import or export OPML.
    Feeds {
        #[command(subcommand)]
        command: feeds::FeedsCommand,
    },
    /// Validate the config and say what is wrong, with line numbers.
    #[command(
        long_about = "Validate the config and say what is wrong: every problem at once, each with its file and line. Exit status 2 when there is any."
    )]
    Check,
    /// One article's provenance: URLs, feeds, sightings, capture, archive location, story.
    Show {
        /// The article's number (the NNN of its file).
        id: u64,
        /// One JSON object: the export record with method, capture,
        /// story_members, sightings and rewritten_at.
        #[arg(long)]
        json: bool,
    },
    /// Re-run the current extractor over the archived pages; report the texts that change.
    Reextract {
        /// Only pages captured since WHEN: a day (2026-11-01), a time (RFC 3339) or an age (7d).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Rewrite the changed corpus files (the text first stored is kept in the database).
        #[arg(long)]
        write: bool,
    },
    /// Print a shell completion script.
    #[command(long_about = "Print a shell completion script.

Examples:
  tidings completions bash > ~/.local/share/bash-completion/completions/tidings
  tidings completions zsh > ~/.zfunc/_tidings
  tidings completions fish > ~/.config/fish/completions/tidings.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(long_about = "Print the man page (roff), every command included.

Examples:
  tidings man | man -l -
  tidings man > /usr/local/share/man/man1/tidings.1")]
    Man,
}

#[derive(Subcommand, Debug)]
enum AlertCommand {
    /// Send a sample alert to a sink and say what it answered.
    #[command(
        long_about = "Send a sample alert to a sink and say what it answered, to check a webhook, chat, email or command sink before real articles arrive.

Example:
  tidings alert test newsroom-slack"
    )]
    Test {
        /// The sink's name (its `name`, or its kind when unnamed).
        sink: String,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Format {
    Jsonl,
    Csv,
}

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
pub(crate) struct UsageError(String);

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

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let verbose = matches!(cli.command, Command::Run { .. } | Command::Demo(_));
    if !matches!(
        cli.command,
        Command::Run { .. } | Command::Demo(_) | Command::Alert { .. }
    ) {
        end_quietly_on_broken_pipe();
    }
    // run --once names each failed feed in its summary (`tidings: feed
    // NAME: error`): the pipeline's own line for it would say it twice.
    let once = matches!(cli.command, Command::Run { once: true, .. });
    let quiet: &[&str] = if once {
        &[crate::pipeline::POLL_FAILURES]
    } else {
        &[]
    };
    if once && progress::wanted() {
        progress::install();
        crate::service::log::init_to(verbose, quiet, progress::LogWriter);
    } else {
        crate::service::log::init(verbose, quiet);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            progress::finish();
            let usage = e.downcast_ref::<ConfigError>().is_some()
                || e.downcast_ref::<UsageError>().is_some();
            if let Some(c) = e.downcast_ref::<ConfigError>() {
                for line in c.to_string().lines() {
                    eprintln!("tidings: {line}");
                }
            } else {
                eprintln!("tidings: {}", one_line(&e));
            }
            if usage {
                EXIT_USAGE
            } else {
                1
            }
        }
    }
}

/// Lets a printing command end as Unix tools do when its reader goes away
/// (`tidings export | head`): killed by SIGPIPE. Rust ignores the signal,
/// so every print into the closed pipe panicked instead. Not for `run` and
/// `alert`, which write into command sinks' standard input: a sink that
/// exits without reading must be an error of that sink, not the end of
/// tidings. (Sockets are unaffected either way: the standard library sends
/// with MSG_NOSIGNAL.)
fn end_quietly_on_broken_pipe() {
    // SAFETY: restores the default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The error and its causes on one line, without repeating a cause that
/// an outer message already quotes.
fn one_line(e: &anyhow::Error) -> String {
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

fn load_config(path: Option<&Path>) -> Result<Config> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let p = crate::config::default_path();
            if !p.exists() && std::env::var_os("TIDINGS_CONFIG").is_none_or(|v| v.is_empty()) {
                return Err(UsageError(NO_CONFIG.into()).into());
            }
            p
        }
    };
    Ok(Config::load(&path)?)
}

/// What a user is told when no config is found: where tidings looked,
/// and how to get one.
const NO_CONFIG: &str = "no config found: looked for --config FILE (not given), $TIDINGS_CONFIG (not set), config/tidings.toml (in the current directory) and /etc/tidings/tidings.toml. To start one: `tidings demo` shows a working setup and leaves its config behind; the source tree's config/tidings.toml is a commented example; or write a file with [[feeds]] tables (name, url) and run `tidings --config FILE check`";

/// `tidings check`: the config's problems and the logging variables',
/// all at once; a config that configures nothing is a warning.
fn cmd_check(config: Option<&Path>) -> Result<i32> {
    let mut env_problems = Vec::new();
    if let Ok(v) = std::env::var("TIDINGS_LOG") {
        if let Err(e) = crate::service::log::filter_directives(Some(&v), "info", &[]) {
            env_problems.push(e);
        }
    }
    if let Ok(v) = std::env::var("TIDINGS_LOG_FORMAT") {
        if let Err(e) = crate::service::log::check_format(&v) {
            env_problems.push(e);
        }
    }
    // Logging's start has said what is wrong with them (service::log).
    let c = load_config(config)?;
    if !env_problems.is_empty() {
        return Ok(EXIT_USAGE);
    }
    if c.feeds.is_empty() {
        eprintln!(
            "tidings: warning: {}: no feeds are configured, so nothing would be polled; add one with `tidings feeds add URL` or a [[feeds]] table",
            c.path.display()
        );
    }
    let feeds = if c.feeds.len() == 1 { "feed" } else { "feeds" };
    println!(
        "{}: ok ({} {feeds}; database {}, corpus {})",
        c.path.display(),
        c.feeds.len(),
        c.database.display(),
        c.corpus.display()
    );
    Ok(0)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn dispatch(cli: Cli) -> Result<i32> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Run {
            once,
            force,
            alert,
            metrics,
            shutdown_deadline,
            json,
        } => cmd_run(
            &load_config(config)?,
            RunOptions {
                once,
                force,
                alert,
                metrics,
                shutdown_deadline,
                json,
            },
        ),
        Command::Demo(args) => demo::run(&args),
        Command::Alert {
            command: AlertCommand::Test { sink },
        } => cmd_alert_test(&load_config(config)?, &sink),
        Command::Extract { source, base_url } => cmd_extract(config, &source, base_url.as_deref()),
        Command::Feed { source, json } => cmd_feed(config, &source, json),
        Command::Dedup { against, files } => cmd_dedup(config, against.as_deref(), &files),
        Command::Export {
            format,
            duplicates,
            filter,
        } => cmd_export(&load_config(config)?, format, duplicates, &filter),
        Command::Search(args) => search::run(&load_config(config)?, &args),
        Command::Status { json } => status::run(&load_config(config)?, json),
        Command::Stats(args) => stats::run(&load_config(config)?, &args),
        Command::Feeds { command } => feeds::run(&load_config(config)?, &command),
        Command::Show { id, json } => show::cmd_show(&load_config(config)?, id, json),
        Command::Reextract { since, write } => {
            reextract::cmd_reextract(&load_config(config)?, since.as_deref(), write)
        }
        Command::Check => cmd_check(config),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    }
}

/// Fetch settings for a one-off fetch: the config's when there is one,
/// else the defaults.
fn fetch_config(config: Option<&Path>) -> Result<FetchConfig> {
    let path = config
        .map(Path::to_path_buf)
        .unwrap_or_else(crate::config::default_path);
    if config.is_none() && !path.exists() {
        return Ok(FetchConfig::default());
    }
    Ok(Config::load(&path)?.fetch)
}

/// What a command was pointed at: its bytes, Content-Type and URL.
struct Source {
    body: Vec<u8>,
    content_type: Option<String>,
    url: url::Url,
}

fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

fn read_source(
    config: Option<&Path>,
    source: &str,
    base_url: Option<&str>,
    max: fn(&FetchConfig) -> u64,
) -> Result<Source> {
    if is_url(source) {
        let url = url::Url::parse(source).map_err(|e| UsageError(format!("{source}: {e}")))?;
        let cfg = fetch_config(config)?;
        let fetcher = Fetcher::new(&cfg, &[])?;
        let fetched =
            runtime()?.block_on(fetcher.get(&url, &Validators::default(), max(&cfg), None))?;
        return Ok(Source {
            body: fetched.body,
            content_type: fetched.content_type,
            url: fetched.url,
        });
    }
    let body = if source == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        buf
    } else {
        std::fs::read(source).map_err(|e| UsageError(format!("{source}: {e}")))?
    };
    // An empty --base-url (a script's template with no URL to fill in)
    // means "no base", as if the flag were not given.
    let url = match base_url.filter(|b| !b.trim().is_empty()) {
        Some(b) => url::Url::parse(b).map_err(|e| UsageError(format!("--base-url {b}: {e}")))?,
        None => {
            let abs = std::path::absolute(source).unwrap_or_else(|_| PathBuf::from("/stdin"));
            url::Url::from_file_path(&abs)
                .unwrap_or_else(|_| url::Url::parse("file:///stdin").expect("static URL"))
        }
    };
    Ok(Source {
        body,
        content_type: None,
        url,
    })
}

fn cmd_extract(config: Option<&Path>, source: &str, base_url: Option<&str>) -> Result<i32> {
    let src = read_source(config, source, base_url, |c| c.max_page_bytes)?;
    // A file or standard input needs no config, but a config's page size
    // limit holds for it as it does for a fetched page.
    let cfg = match config {
        Some(p) if !is_url(source) && !p.exists() => FetchConfig::default(),
        _ => fetch_config(config)?,
    };
    let opts = crate::extract::ExtractOptions::for_page_limit(cfg.max_page_bytes);
    match crate::extract::extract_with(&src.body, src.content_type.as_deref(), &src.url, &opts) {
        Ok(a) => {
            print!("{}", crate::normalize::corpus_text(&a.title, &a.paragraphs));
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {source}: {e}");
            Ok(1)
        }
    }
}

fn cmd_feed(config: Option<&Path>, source: &str, json: bool) -> Result<i32> {
    let src = read_source(config, source, None, |c| c.max_feed_bytes)?;
    let charset = src
        .content_type
        .as_deref()
        .and_then(crate::fetch::charset_of);
    match crate::feed::parse(&src.body, charset, &src.url) {
        Ok(feed) => {
            let out = if json {
                // JSON Lines, as every list tidings prints.
                let mut s = String::new();
                for e in &feed.entries {
                    s.push_str(&serde_json::to_string(e)?);
                    s.push('\n');
                }
                s
            } else {
                crate::feed::format_tsv(&feed)
            };
            print!("{out}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {source}: {e}");
            Ok(EXIT_USAGE)
        }
    }
}

/// Exit status of `dedup` when some file is a copy of one already there.
const EXIT_DUPLICATE: i32 = 1;

/// `tidings dedup`: each file's verdict against the corpus or `--against
/// DIR`. A file that is itself in DIR is judged against the others only
/// (it used to be "a duplicate of itself"), and once judged joins the
/// comparison for the files after it, so of two copies the second is the
/// duplicate. Exit 0 when every file is new, 1 when some is a duplicate,
/// 2 when a file cannot be read (the others are still judged).
fn cmd_dedup(config: Option<&Path>, against: Option<&Path>, files: &[PathBuf]) -> Result<i32> {
    use crate::dedup::{Decision, DocMeta, Index};
    let same_file = |a: &Path| std::fs::canonicalize(a).ok();
    let checked: std::collections::HashSet<PathBuf> =
        files.iter().filter_map(|f| same_file(f)).collect();
    // The corpus the files are compared with: a directory's .txt files, or
    // the configured corpus through the store's fingerprints.
    let (mut index, mut names): (Index, std::collections::HashMap<u64, PathBuf>) = match against {
        Some(dir) => {
            let mut paths = Vec::new();
            for entry in
                std::fs::read_dir(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?
            {
                let p = entry?.path();
                if p.extension().is_some_and(|e| e == "txt") {
                    paths.push(p);
                }
            }
            paths.sort();
            let mut index = Index::new();
            let mut names = std::collections::HashMap::new();
            for (i, p) in paths.iter().enumerate() {
                if same_file(p).is_some_and(|c| checked.contains(&c)) {
                    continue;
                }
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                index.insert(i as u64, &text, &DocMeta::default());
                names.insert(i as u64, p.clone());
            }
            (index, names)
        }
        None => {
            let cfg = load_config(config)?;
            let corpus = crate::corpus::Corpus::open(&cfg.corpus)?;
            let store = open_store(&cfg)?;
            let listed = corpus.list()?;
            let (index, _) = crate::pipeline::build_index(&store, &corpus, &listed)?;
            let names = listed
                .into_iter()
                .map(|n| (n.seq, corpus.path_of(&n)))
                .collect();
            (index, names)
        }
    };
    let mut next_id = names.keys().max().map_or(0, |m| m + 1) + (1 << 40);
    let (mut out, mut code) = (String::new(), 0);
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("tidings: {}: {e}", f.display());
                code = EXIT_USAGE;
                continue;
            }
        };
        let me = same_file(f);
        let name = |id: u64| {
            names
                .get(&id)
                .map_or(id.to_string(), |p| p.display().to_string())
        };
        let line = match index.check(&text, &DocMeta::default()) {
            // The configured corpus holds this very file: it is stored.
            Decision::Duplicate { of, .. }
                if me.is_some() && names.get(&of).and_then(|p| same_file(p)) == me =>
            {
                code = code.max(EXIT_DUPLICATE);
                format!("stored\t{}\t1.000", name(of))
            }
            Decision::Duplicate { of, score } => {
                code = code.max(EXIT_DUPLICATE);
                format!("duplicate\t{}\t{score:.3}", name(of))
            }
            Decision::Story { of, score } => format!("story\t{}\t{score:.3}", name(of)),
            Decision::New => "new\t-\t0.000".to_string(),
        };
        out.push_str(&format!("{}\t{line}\n", f.display()));
        let in_dir = me.as_ref().is_some_and(|c| {
            c.extension().is_some_and(|e| e == "txt")
                && against
                    .and_then(|d| std::fs::canonicalize(d).ok())
                    .is_some_and(|d| c.parent() == Some(d.as_path()))
        });
        if in_dir {
            index.insert(next_id, &text, &DocMeta::default());
            names.insert(next_id, f.clone());
            next_id += 1;
        }
    }
    print!("{out}");
    Ok(code)
}

fn cmd_alert_test(config: &Config, name: &str) -> Result<i32> {
    let Some(sink) = config.alerts.iter().find(|a| a.name == name) else {
        let names: Vec<&str> = config.alerts.iter().map(|a| a.name.as_str()).collect();
        return Err(UsageError(unknown_name("alert sink", name, &names)).into());
    };
    let poster = crate::fetch::Poster::new(&config.fetch)?;
    let event = crate::alert::sample(chrono::Utc::now());
    match runtime()?.block_on(crate::deliver::send(&poster, sink, &event)) {
        Ok(answer) => {
            println!("{name}: delivered: {answer}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {e}");
            Ok(1)
        }
    }
}

fn parse_deadline(s: &str) -> std::result::Result<std::time::Duration, String> {
    crate::config::parse_duration(s)
}

/// What `tidings run` was asked.
struct RunOptions {
    once: bool,
    force: bool,
    alert: bool,
    metrics: Option<std::net::SocketAddr>,
    shutdown_deadline: std::time::Duration,
    /// The `--once` summary as JSON.
    json: bool,
}

/// `tidings run`: takes the database's single-writer lock, opens the store
/// and the corpus (repairing what a crash left), then polls once or runs
/// the daemon.
fn cmd_run(config: &Config, run: RunOptions) -> Result<i32> {
    // Before anything is opened: a second writer must not even repair.
    let _lock =
        crate::service::lock::InstanceLock::acquire(&config.database, Some(&config.corpus))?;
    let mut opts = crate::daemon::Options::from_env();
    opts.metrics = run.metrics;
    opts.shutdown_deadline = run.shutdown_deadline;
    let _ = opts
        .notifier
        .status("opening the database and indexing the corpus");
    let rt = runtime()?;
    let result = rt.block_on(async {
        let mut signals = crate::daemon::signals()?;
        // systemd's watchdog runs from the start, and indexing a large
        // corpus can outlast it: opening is progress, so it is pinged.
        // (A hung open is caught by TimeoutStartSec instead.)
        let opening = tokio_util::sync::CancellationToken::new();
        if let Some(period) = opts.watchdog {
            let starting = || crate::service::health::Liveness::Starting;
            crate::daemon::spawn_watchdog(opts.notifier.clone(), period, starting, opening.clone());
        }
        let opened = tokio::select! {
            opened = crate::pipeline::Pipeline::open(config.clone(), run.alert) => opened,
            // A stop while the corpus is indexed: nothing is stored yet.
            s = crate::daemon::next_stop(&mut signals) => return Ok(stop_code(s)),
        };
        opening.cancel();
        let (pipeline, report) = opened?;
        tracing::info!(
            corpus = report.corpus_files,
            imported = report.imported,
            repaired = report.repaired_pending,
            dropped = report.dropped_pending,
            "corpus indexed"
        );
        crate::service::metrics::global().set_corpus_files(report.corpus_files);
        if run.once {
            let outcome =
                once_until_signal(&pipeline, run.force, run.shutdown_deadline, &mut signals).await;
            progress::finish();
            let (summary, interrupted) = outcome?;
            let code = summary.map_or(0, |s| print_summary(&s, run.json));
            if interrupted {
                // Ctrl-C: the run is cut short, whatever it stored.
                return Ok(EXIT_INTERRUPTED);
            }
            if !config.alerts.is_empty() {
                let poster = crate::fetch::Poster::new(&config.fetch)?;
                let pass = crate::deliver::flush(&pipeline, &poster, ALERT_FLUSH).await?;
                let (pending, _, _) = pipeline
                    .with_ingest(|i| Ok(i.store.outbox_counts()?))
                    .await?;
                println!(
                    "alerts: {} sent, {} pending, {} expired",
                    pass.sent, pending, pass.expired
                );
            }
            Ok(code)
        } else {
            let stopped = crate::daemon::serve(pipeline, opts, signals).await?;
            Ok(stop_code(stopped))
        }
    });
    // Work on blocking threads (a commit waiting for a slow disk, an
    // extraction) is not waited for beyond a grace: the deadline bounds
    // the exit, and what is cut short is safe to drop (the commit order).
    rt.shutdown_timeout(EXIT_GRACE);
    result
}

/// How long the exit waits for blocking work left after the deadline.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// The exit status after a stop signal: 0 after SIGTERM, 130 after SIGINT
/// (as an interrupted command).
fn stop_code(s: crate::daemon::Stopped) -> i32 {
    match s {
        crate::daemon::Stopped::Interrupt => EXIT_INTERRUPTED,
        crate::daemon::Stopped::Term => 0,
    }
}

/// How long `run --once` keeps delivering alerts after ingesting; what is
/// not delivered by then stays queued for the next run.
const ALERT_FLUSH: std::time::Duration = std::time::Duration::from_secs(30);

/// `run --once`, stopped by SIGTERM or SIGINT: the polls in flight get the
/// deadline to finish, and a second signal stops at once; then the run is
/// dropped (what it had not stored is fetched again next time) and the
/// summary is `None`. Also says whether SIGINT (Ctrl-C) came.
async fn once_until_signal(
    pipeline: &crate::pipeline::Pipeline,
    force: bool,
    deadline: std::time::Duration,
    signals: &mut crate::daemon::Signals,
) -> Result<(Option<crate::pipeline::Summary>, bool)> {
    use crate::daemon::{next_stop, Stopped};
    let run = crate::pipeline::run_once(pipeline, force, &progress::report);
    tokio::pin!(run);
    let interrupted = tokio::select! {
        s = &mut run => return Ok((Some(s), false)),
        s = next_stop(signals) => s == Stopped::Interrupt,
    };
    let name = if interrupted { "SIGINT" } else { "SIGTERM" };
    tracing::info!(
        "{name}: finishing what is in flight (at most {deadline:?}); signal again to stop now"
    );
    let again = "stopping now (what was not stored is fetched again on the next run)";
    tokio::select! {
        r = tokio::time::timeout(deadline, run) => match r {
            Ok(s) => Ok((Some(s), interrupted)),
            Err(_) => {
                tracing::warn!(
                    "polls still running after {deadline:?}; stopping anyway (they are retried on the next run)"
                );
                Ok((None, interrupted))
            }
        },
        s = next_stop(signals) => {
            let name = if s == Stopped::Interrupt { "SIGINT" } else { "SIGTERM" };
            tracing::warn!("{name} again: {again}");
            Ok((None, interrupted || s == Stopped::Interrupt))
        }
    }
}

/// Prints the `--once` summary and returns the exit status.
fn print_summary(s: &crate::pipeline::Summary, json: bool) -> i32 {
    for f in s.feeds.iter() {
        if let Some(e) = &f.error {
            eprintln!("tidings: feed {}: {}", f.feed, e.message);
        }
    }
    if json {
        println!("{}", summary::json(s));
    } else {
        print!("{}", summary::text(s));
    }
    for r in &s.retired {
        eprintln!("tidings: feed {r}: retired after 410 Gone; change its url in the config to poll it again");
    }
    match (s.failed(), s.feeds.len()) {
        (0, _) => 0,
        (f, n) if f == n => 1,
        _ => EXIT_PARTIAL,
    }
}

fn open_store(config: &Config) -> Result<crate::store::Store> {
    if !config.database.exists() {
        return Err(UsageError(format!(
            "{}: no database yet (run `tidings run --once` first)",
            config.database.display()
        ))
        .into());
    }
    Ok(crate::store::Store::open(&config.database)?)
}

fn cmd_export(
    config: &Config,
    format: Format,
    duplicates: bool,
    filter: &filter::FilterArgs,
) -> Result<i32> {
    let store = open_store(config)?;
    let filter = filter.resolve(config, &store, chrono::Utc::now())?;
    let records = store.export_filtered(&filter, duplicates)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    use std::io::Write;
    match format {
        Format::Jsonl => {
            for r in &records {
                serde_json::to_writer(&mut w, r)?;
                w.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            writeln!(w, "id,file,url,canonical_url,title,feed,published,fetched_at,language,words,duplicate_of,story")?;
            for r in &records {
                let opt_n = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
                let fields = [
                    opt_n(r.id),
                    r.file.clone().unwrap_or_default(),
                    r.url.clone().unwrap_or_default(),
                    r.canonical_url.clone().unwrap_or_default(),
                    r.title.clone(),
                    r.feed.clone().unwrap_or_default(),
                    r.published.clone().unwrap_or_default(),
                    r.fetched_at.clone().unwrap_or_default(),
                    r.language.clone().unwrap_or_default(),
                    r.words.to_string(),
                    opt_n(r.duplicate_of),
                    r.story.to_string(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(w, "{}", line.join(","))?;
            }
        }
    }
    w.flush()?;
    Ok(0)
}

/// RFC 4180 quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_default_port_is_not_node_exporters() {
        let cli = Cli::try_parse_from(["tidings", "run", "--metrics"]).unwrap();
        let Command::Run { metrics, .. } = cli.command else {
            panic!("run")
        };
        let addr = metrics.unwrap();
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 9100, "node_exporter's port");
        assert_eq!(addr.port(), 9731);
    }
}
