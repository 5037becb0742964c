//! The command line: parses arguments, runs a command, maps errors to exit
//! codes (0 success, 2 usage or config error, 1 anything else, 3 some feeds
//! failed). Must hold no pipeline logic of its own.

mod docs;
mod feeds;
mod filter;
mod paint;
mod progress;
mod search;
mod stats;
mod status;

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
  tidings check                        is the config right? (every problem, with its line)
  tidings feeds add https://example.org/    find a site's feed and add it to the config
  tidings run --once                   poll what is due, ingest, print a summary
  tidings status                       how each feed is doing
  tidings search 'chechnya AND gay*'   find articles, best first
  tidings export --since 7d > week.jsonl    the records, for other tools",
    after_help = "The config is --config FILE, else $TIDINGS_CONFIG, else config/tidings.toml, else /etc/tidings/tidings.toml.\nExit status: 0 success, 2 usage or config error, 3 some feeds failed, 1 anything else.\nMore: `tidings man | man -l -`, and README.md."
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
  tidings run --metrics         the daemon, with /metrics on 127.0.0.1:9100"
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
        /// Serve /metrics (Prometheus) and /healthz on ADDR [default: 127.0.0.1:9100].
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:9100")]
        metrics: Option<std::net::SocketAddr>,
        /// How long polls in flight may finish after SIGTERM or SIGINT.
        #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_deadline)]
        shutdown_deadline: std::time::Duration,
    },
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
        long_about = "Print what tidings sees in one feed: one line per entry, KEY<TAB>PUBLISHED<TAB>LINK<TAB>TITLE (--json for every field). Exit status 2 when it is not a feed.

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
        long_about = "Say for each text file whether the corpus has it already: one line FILE<TAB>VERDICT<TAB>MATCH<TAB>SCORE, VERDICT being duplicate (of MATCH), story (new, same story as MATCH) or new.

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

One record per article, in corpus order: id, file, url, canonical_url, title, feed, published, fetched_at, language, words, duplicate_of, story, and in JSON access \"paywalled\" when the text is only the public part of a paywalled article. Dates filter on the publication time, else the fetch time; seeds and other imported files have neither, so a date filter leaves them out.

Examples:
  tidings export > corpus.jsonl
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
        long_about = "One row per configured feed: health (ok, failing, retired, new), last success, last error, next poll, entries seen, articles stored, consecutive failures and the URL polled.

On a terminal: an aligned table, health in colour (unless NO_COLOR is set). In a pipe: tab-separated, one header line. --json: an array of objects with every stored field."
    )]
    Status {
        /// An array of JSON objects, one per feed.
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
    let verbose = matches!(cli.command, Command::Run { .. });
    if matches!(cli.command, Command::Run { once: true, .. }) && progress::wanted() {
        progress::install();
        crate::service::log::init_to(verbose, progress::LogWriter);
    } else {
        init_logging(verbose);
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

fn init_logging(verbose: bool) {
    crate::service::log::init(verbose);
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let path = path
        .map(Path::to_path_buf)
        .unwrap_or_else(crate::config::default_path);
    Ok(Config::load(&path)?)
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
        } => cmd_run(
            &load_config(config)?,
            RunOptions {
                once,
                force,
                alert,
                metrics,
                shutdown_deadline,
            },
        ),
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
        Command::Show { id } => show::cmd_show(&load_config(config)?, id),
        Command::Reextract { since, write } => {
            reextract::cmd_reextract(&load_config(config)?, since.as_deref(), write)
        }
        Command::Check => {
            let c = load_config(config)?;
            println!("{}: ok ({} feeds)", c.path.display(), c.feeds.len());
            Ok(0)
        }
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
                serde_json::to_string_pretty(&feed.entries)? + "\n"
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

fn cmd_dedup(config: Option<&Path>, against: Option<&Path>, files: &[PathBuf]) -> Result<i32> {
    use crate::dedup::{Decision, DocMeta, Index};
    // The corpus the files are compared with: a directory's .txt files, or
    // the configured corpus through the store's fingerprints.
    let (index, names): (Index, std::collections::HashMap<u64, String>) = match against {
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
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                index.insert(i as u64, &text, &DocMeta::default());
                names.insert(i as u64, p.display().to_string());
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
                .map(|n| (n.seq, corpus.path_of(&n).display().to_string()))
                .collect();
            (index, names)
        }
    };
    let name = |id: u64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let mut out = String::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).map_err(|e| UsageError(format!("{}: {e}", f.display())))?;
        let line = match index.check(&text, &DocMeta::default()) {
            Decision::Duplicate { of, score } => format!("duplicate\t{}\t{score:.3}", name(of)),
            Decision::Story { of, score } => format!("story\t{}\t{score:.3}", name(of)),
            Decision::New => "new\t-\t0.000".to_string(),
        };
        out.push_str(&format!("{}\t{line}\n", f.display()));
    }
    print!("{out}");
    Ok(0)
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
}

/// `tidings run`: takes the database's single-writer lock, opens the store
/// and the corpus (repairing what a crash left), then polls once or runs
/// the daemon.
fn cmd_run(config: &Config, run: RunOptions) -> Result<i32> {
    // Before anything is opened: a second writer must not even repair.
    let _lock = crate::service::lock::InstanceLock::acquire(&config.database)?;
    let mut opts = crate::daemon::Options::from_env();
    opts.metrics = run.metrics;
    opts.shutdown_deadline = run.shutdown_deadline;
    let _ = opts
        .notifier
        .status("opening the database and indexing the corpus");
    let rt = runtime()?;
    rt.block_on(async {
        // From here SIGHUP no longer kills (its default action): a reload
        // asked for while the corpus is being indexed is simply not needed.
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
        // systemd's watchdog runs from the start, and indexing a large
        // corpus can outlast it: opening is progress, so it is pinged.
        // (A hung open is caught by TimeoutStartSec instead.)
        let opening = tokio_util::sync::CancellationToken::new();
        if let Some(period) = opts.watchdog {
            let (n, done) = (opts.notifier.clone(), opening.clone());
            tokio::spawn(async move {
                while tokio::time::timeout(period / 4, done.cancelled())
                    .await
                    .is_err()
                {
                    let _ = n.watchdog();
                }
            });
        }
        let opened = crate::pipeline::Pipeline::open(config.clone(), run.alert).await;
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
            let summary = once_until_signal(&pipeline, run.force, run.shutdown_deadline).await;
            progress::finish();
            let summary = summary?;
            let code = summary.map_or(0, |s| print_summary(&s));
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
            crate::daemon::serve(pipeline, opts).await?;
            Ok(0)
        }
    })
}

/// How long `run --once` keeps delivering alerts after ingesting; what is
/// not delivered by then stays queued for the next run.
const ALERT_FLUSH: std::time::Duration = std::time::Duration::from_secs(30);

/// `run --once`, stopped by SIGTERM or SIGINT: the polls in flight get the
/// deadline to finish, then the run is dropped (what it had not stored is
/// fetched again next time) and `None` says it was cut short.
async fn once_until_signal(
    pipeline: &crate::pipeline::Pipeline,
    force: bool,
    deadline: std::time::Duration,
) -> Result<Option<crate::pipeline::Summary>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing signal handlers")?;
    let mut int = signal(SignalKind::interrupt()).context("installing signal handlers")?;
    let run = crate::pipeline::run_once(pipeline, force, &progress::report);
    tokio::pin!(run);
    tokio::select! {
        s = &mut run => return Ok(Some(s)),
        _ = term.recv() => tracing::info!("SIGTERM: finishing the polls in flight"),
        _ = int.recv() => tracing::info!("SIGINT: finishing the polls in flight"),
    }
    match tokio::time::timeout(deadline, run).await {
        Ok(s) => Ok(Some(s)),
        Err(_) => {
            tracing::warn!(
                "polls still running after {deadline:?}; stopping anyway (they are retried on the next run)"
            );
            Ok(None)
        }
    }
}

/// Prints the `--once` summary and returns the exit status.
fn print_summary(s: &crate::pipeline::Summary) -> i32 {
    for f in s.feeds.iter().filter(|f| f.error.is_some()) {
        eprintln!(
            "tidings: feed {}: {}",
            f.feed,
            f.error.as_ref().map_or("", |e| e.message.as_str())
        );
    }
    println!(
        "polled {} feeds ({} failed): {} entries, {} new articles, {} duplicates, {} off-topic, {} without article, {} failed",
        s.feeds.len(),
        s.failed(),
        s.total(|f| f.entries),
        s.total(|f| f.stored),
        s.total(|f| f.duplicates),
        s.total(|f| f.offtopic),
        s.total(|f| f.no_article),
        s.total(|f| f.failed)
    );
    if !s.not_due.is_empty() {
        println!(
            "{} feeds not due yet (--force polls them): {}",
            s.not_due.len(),
            s.not_due.join(", ")
        );
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
