//! The command line's grammar: every command, its arguments and its help
//! text (clap derive), which `docs` also turns into the man page and the
//! completions. Must not run anything; see ARCHITECTURE.md, "Codemap"
//! (`cli`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::{corpus, demo, feeds, filter, search, stats};

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
pub(super) struct Cli {
    /// The config file.
    #[arg(long, global = true, value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
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
    /// The corpus files: write them from the PostgreSQL database (`sync DIR`).
    Corpus {
        #[command(subcommand)]
        command: corpus::CorpusCommand,
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
    /// Copy this store into an empty PostgreSQL database and check the counts.
    #[command(
        long_about = "Copy this store (feeds, entries, articles with their corpus texts, sightings, captures, the outbox) into an empty PostgreSQL database, in one transaction, and check that every table's count matches. The password, if the server needs one, is read from PGPASSWORD; the CA that signed the server's certificate (for TLS, sslmode in the URL), from the PEM file PGSSLROOTCERT names.

Example:
  PGPASSWORD=… tidings migrate --to postgres://tidings@127.0.0.1/tidings"
    )]
    Migrate {
        /// The PostgreSQL database: postgres://USER@HOST[:PORT]/DATABASE.
        #[arg(long, value_name = "URL")]
        to: String,
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
pub(super) enum AlertCommand {
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
pub(super) enum Format {
    Jsonl,
    Csv,
}

fn parse_deadline(s: &str) -> std::result::Result<std::time::Duration, String> {
    crate::config::parse_duration(s)
}
