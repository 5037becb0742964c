//! `tidings demo`: the whole pipeline on a bundled site, offline.
//!
//! Serves two small feeds and their article pages (in `examples/demo/`,
//! built into the binary) on 127.0.0.1, writes a config for them into a
//! scratch directory, then runs the very commands a user would: `run
//! --once`, `search` and `show`. A command of its own rather than a
//! shipped `examples/demo.toml`, because a config cannot start the site it
//! polls, and a fixed port could be taken: here the site lives exactly as
//! long as the run and its port is whatever the system gives.
//!
//! The site is served by a few lines over `std::net`, answering one GET per
//! connection: it only ever talks to this process's own fetcher. Writes
//! only into the scratch directory (through the commands it runs).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::exit::UsageError;
use super::open::open_store;
use super::run::{cmd_run, RunOptions, ALERT_FLUSH};
use crate::config::Config;

/// The bundled site: path, content type, body (with `{{BASE}}` standing
/// for the site's address).
const SITE: &[(&str, &str, &str)] = &[
    (
        "/desk/feed.xml",
        "application/rss+xml",
        include_str!("../../examples/demo/rights-desk.xml"),
    ),
    (
        "/wire/feed.xml",
        "application/atom+xml",
        include_str!("../../examples/demo/wire.xml"),
    ),
    (
        "/desk/detentions",
        "text/html; charset=utf-8",
        include_str!("../../examples/demo/detentions.html"),
    ),
    (
        "/desk/shelter",
        "text/html; charset=utf-8",
        include_str!("../../examples/demo/shelter.html"),
    ),
    (
        "/desk/harvest",
        "text/html; charset=utf-8",
        include_str!("../../examples/demo/harvest.html"),
    ),
    (
        "/wire/7001",
        "text/html; charset=utf-8",
        include_str!("../../examples/demo/wire-7001.html"),
    ),
];

/// The shipped config's topic, so that the demo skips what a real run would.
const TOPIC: &str = r#"(chechnya OR chechen* OR grozny OR kadyrov) AND (gay OR lgbt* OR lesbian* OR bisexual* OR transgender OR queer OR homosexual* OR "sexual orientation" OR "gender identity" OR purge)"#;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where to put the demo's config, database, corpus and archive (new or
    /// empty) [default: a new directory under $TMPDIR].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> Result<i32> {
    let dir = scratch_dir(args.dir.as_deref())?;
    let listener = TcpListener::bind("127.0.0.1:0").context("demo: binding 127.0.0.1")?;
    let base = format!("http://{}", listener.local_addr()?);
    let site_base = base.clone();
    // Detached: the site lives until the process ends.
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = answer(conn, &site_base);
        }
    });
    let config_path = dir.join("tidings.toml");
    std::fs::write(&config_path, config_text(&base))
        .with_context(|| format!("writing {}", config_path.display()))?;
    let config = Config::load(&config_path)?;

    println!("tidings demo: a bundled site at {base}: two feeds (rights-desk, wire), four pages");
    println!("tidings demo: working in {}", dir.display());
    println!();
    println!("$ tidings run --once");
    let code = cmd_run(
        &config,
        RunOptions {
            once: true,
            force: true,
            alert: false,
            metrics: None,
            shutdown_deadline: ALERT_FLUSH,
            json: false,
        },
    )?;
    if code != 0 {
        return Ok(code);
    }
    let store = open_store(&config)?;
    let records = store.export_filtered(&Default::default(), true)?;
    // The article a copy was found of: its provenance lists the sighting.
    let copied = records
        .iter()
        .find_map(|r| r.duplicate_of)
        .or_else(|| records.first().and_then(|r| r.id));
    drop(store);

    println!();
    println!("$ tidings search chechnya");
    std::io::stdout().flush()?;
    super::search::run(
        &config,
        &super::search::SearchArgs {
            query: vec!["chechnya".into()],
            filter: Default::default(),
            limit: 20,
            json: false,
        },
    )?;
    if let Some(id) = copied {
        println!();
        println!("$ tidings show {id}");
        std::io::stdout().flush()?;
        super::show::cmd_show(&config, id, false)?;
    }
    println!();
    println!(
        "Look around: tidings --config {} stats (or status, export, search …).",
        config_path.display()
    );
    println!("The corpus files are in {}.", config.corpus.display());
    Ok(0)
}

/// A new or empty directory for the demo: running it twice into one
/// database would find nothing new and show nothing.
fn scratch_dir(asked: Option<&Path>) -> Result<PathBuf> {
    let dir = match asked {
        Some(d) => d.to_path_buf(),
        None => {
            let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
            std::env::temp_dir().join(format!("tidings-demo-{stamp}-{}", std::process::id()))
        }
    };
    let non_empty = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty {
        return Err(UsageError(format!(
            "{}: not empty; the demo needs a new or empty directory",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn config_text(base: &str) -> String {
    format!(
        "# Written by `tidings demo` for a bundled site that lived only while it ran.

[store]
database = \"tidings.db\"
corpus = \"corpus\"

[fetch]
# The demo site is on 127.0.0.1.
allow_private_networks = true
per_host_gap = \"0s\"
per_host_connections = 4
# One feed at a time, so the run reads the same every time: the outlet's
# article is stored and the wire's copy of it is the duplicate.
concurrency = 1

[topic]
query = '{TOPIC}'

[[feeds]]
name = \"rights-desk\"
url = \"{base}/desk/feed.xml\"

[[feeds]]
name = \"wire\"
url = \"{base}/wire/feed.xml\"
"
    )
}

/// One GET, one answer, then the connection closes.
fn answer(mut conn: TcpStream, base: &str) -> std::io::Result<()> {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    let (status, content_type, body) = match SITE.iter().find(|(p, _, _)| *p == path) {
        Some((_, ct, body)) => ("200 OK", *ct, body.replace("{{BASE}}", base)),
        None => ("404 Not Found", "text/plain", "not found\n".to_string()),
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}
