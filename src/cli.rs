//! The command line: parses arguments, runs a command, maps errors to exit
//! codes (0 success, 2 usage or config error, 1 anything else, 3 some feeds
//! failed). Must hold no pipeline logic of its own.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "tidings",
    version,
    about = "Watch news feeds; grow a clean, deduplicated plain-text corpus"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print one page's article in the corpus format.
    Extract {
        /// A URL, a file, or - for standard input.
        source: String,
        /// The page's URL, for a file or standard input.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Print what tidings sees in one feed.
    Feed {
        /// A URL or a file.
        source: String,
        #[arg(long)]
        json: bool,
    },
    /// Say for each text file whether the corpus has it already.
    Dedup {
        /// Compare against every .txt file in this directory.
        #[arg(long)]
        against: Option<PathBuf>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Exit status for a failure that is the user's input (usage, config).
pub const EXIT_USAGE: i32 = 2;

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tidings: {e:#}");
            1
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Extract { source, base_url } => cmd_extract(&source, base_url.as_deref()),
        Command::Feed { source, json } => cmd_feed(&source, json),
        Command::Dedup { against, files } => cmd_dedup(against.as_deref(), &files),
    }
}

fn read_source(source: &str) -> Result<Vec<u8>> {
    if source == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        Ok(buf)
    } else {
        std::fs::read(source).with_context(|| format!("reading {source}"))
    }
}

fn cmd_extract(source: &str, base_url: Option<&str>) -> Result<i32> {
    let body = read_source(source)?;
    let base = base_url.unwrap_or("file:///page.html");
    let url = url::Url::parse(base).with_context(|| format!("--base-url {base}"))?;
    match crate::extract::extract(&body, None, &url) {
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

fn cmd_feed(source: &str, json: bool) -> Result<i32> {
    let body = read_source(source)?;
    let url = url::Url::parse("file:///feed.xml").expect("static URL");
    match crate::feed::parse(&body, None, &url) {
        Ok(feed) => {
            if json {
                println!("{}", serde_json::to_string(&feed.entries)?);
            } else {
                for e in &feed.entries {
                    println!(
                        "{}\t{}\t{}\t{}",
                        e.key,
                        e.published
                            .map(|d| d.to_rfc3339())
                            .unwrap_or_else(|| "-".into()),
                        e.link.as_deref().unwrap_or("-"),
                        e.title.as_deref().unwrap_or("-")
                    );
                }
            }
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {source}: {e}");
            Ok(EXIT_USAGE)
        }
    }
}

fn cmd_dedup(against: Option<&Path>, files: &[PathBuf]) -> Result<i32> {
    let dir = against.context("--against DIR is required until the config is read")?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "txt") {
            names.push(p);
        }
    }
    names.sort();
    let mut index = crate::dedup::Index::new();
    let meta = crate::dedup::DocMeta::default();
    for (i, p) in names.iter().enumerate() {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        index.insert(i as u64, &text, &meta);
    }
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let line = match index.check(&text, &meta) {
            crate::dedup::Decision::Duplicate { of, score } => {
                format!("duplicate\t{}\t{score:.3}", names[of as usize].display())
            }
            crate::dedup::Decision::Story { of, score } => {
                format!("story\t{}\t{score:.3}", names[of as usize].display())
            }
            crate::dedup::Decision::New => "new\t-\t0.000".to_string(),
        };
        println!("{}\t{line}", f.display());
    }
    Ok(0)
}
