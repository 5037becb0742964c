//! `tidings search`: full-text search over the corpus, best first, with the
//! matched words marked. Reads the query in the topic query language.
//! A reader: it never writes the search index (the writer keeps it: every
//! commit indexes its articles, and opening the writer indexes what is
//! missing); articles not indexed yet are counted on standard error and
//! left out. On PostgreSQL, its full-text search (`store::pg`'s `search`
//! says how it differs). Holds no SQL.

use std::io::Write;

use anyhow::Result;

use super::exit::UsageError;
use super::filter::FilterArgs;
use super::open::open_reader;
use super::paint::Paint;
use crate::config::Config;
use crate::store::SearchOptions;
use crate::topic::Query;

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// What to find: words (all must occur), prefix*, "a phrase", AND, OR,
    /// NOT, parentheses, as in the topic query.
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show at most N results (1 or more).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 20, value_parser = at_least_one)]
    pub limit: usize,
    /// One JSON object per result (the export record with `score`,
    /// `title_marked` and `snippet`; matches between [ and ]).
    #[arg(long)]
    pub json: bool,
}

/// `--limit 0` would print nothing and exit 1, as if nothing matched.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be 1 or more".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

pub fn run(config: &Config, args: &SearchArgs) -> Result<i32> {
    let text = args.query.join(" ");
    let query = Query::parse(&text).map_err(|e| {
        UsageError(format!(
            "search: {}",
            e.to_string().replace("topic query: ", "")
        ))
    })?;
    let mut store = open_reader(config)?;
    let filter = args
        .filter
        .resolve(config, &mut store, chrono::Utc::now())?;
    match store.unindexed_count()? {
        0 => {}
        n => eprintln!(
            "tidings: search: {n} article{} not indexed yet, not searched (the next `tidings run` or `run --once` indexes {})",
            if n == 1 { " is" } else { "s are" },
            if n == 1 { "it" } else { "them" },
        ),
    }
    let paint = Paint::stdout();
    let marks = if args.json || !paint.on() {
        ("[", "]")
    } else {
        ("\x1b[1;33m", "\x1b[0m")
    };
    let hits = store.search(
        &query,
        &SearchOptions {
            filter,
            limit: args.limit,
            marks,
        },
    )?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    for (i, h) in hits.iter().enumerate() {
        if args.json {
            serde_json::to_writer(&mut w, h)?;
            writeln!(w)?;
            continue;
        }
        if i > 0 {
            writeln!(w)?;
        }
        let r = &h.record;
        let day = r
            .published
            .as_deref()
            .or(r.fetched_at.as_deref())
            .map_or("undated", |d| d.get(..10).unwrap_or(d));
        let file = r
            .file
            .as_deref()
            .map(|f| config.corpus.join(f).display().to_string())
            .unwrap_or_default();
        let meta = format!(
            "{day}  {}  story {}  {file}",
            r.feed.as_deref().unwrap_or("(imported)"),
            r.story
        );
        writeln!(w, "{}", paint.dim(&meta))?;
        writeln!(w, "{}", h.title_marked)?;
        if !h.snippet.is_empty() {
            writeln!(w, "    {}", h.snippet)?;
        }
    }
    w.flush()?;
    // As grep: 1 when nothing matched. A person at a terminal is told so;
    // a pipe gets nothing, as grep's does.
    if hits.is_empty() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        eprintln!("tidings: search: nothing matches {text}");
    }
    Ok(if hits.is_empty() { 1 } else { 0 })
}
