//! `tidings feeds`: manage the feed list as feed readers do: `add URL`
//! (discover a site's feed, check it, append it to the config), `import
//! FILE.opml` and `export` (OPML on standard output).
//!
//! The config file is edited in place with its comments and layout kept
//! (`config::edit`), checked as a whole before it is written, and replaced
//! atomically. Fetching goes through `fetch`; discovery and OPML are pure
//! (`feed::discover`, `config::opml`).

use std::path::Path;

use anyhow::{Context, Result};
use url::Url;

use super::exit::UsageError;
use super::open::runtime;
use crate::config::edit::{append_feeds, NewFeed};
use crate::config::opml::{self, OpmlFeed};
use crate::config::Config;
use crate::fetch::{Fetcher, Validators};

#[derive(clap::Subcommand, Debug)]
pub enum FeedsCommand {
    /// Find the feed of a site or article page, check that it parses, and
    /// add it to the config.
    #[command(
        long_about = "Find the feed of a site or article page, check that it parses, and add it to the config.

URL may be a feed itself, or a page that announces its feeds with <link rel=\"alternate\"> (RSS, Atom or JSON Feed); the first feed that parses is added. Without a scheme, https:// is assumed. The new [[feeds]] table goes after the last feed in the config file; the file's comments and layout are kept. A feed whose URL or name is in the config already is refused.

Examples:
  tidings feeds add www.example.org
  tidings feeds add https://example.org/news/story-123 --name example --tag europe"
    )]
    Add {
        /// A site's page, an article's page or a feed.
        url: String,
        /// The feed's name (default: from its title).
        #[arg(long)]
        name: Option<String>,
        /// A tag for alert filters (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Add the feeds of an OPML file (a feed reader's export) to the config.
    #[command(
        long_about = "Add the feeds of an OPML file (a feed reader's export) to the config.

Feeds whose URL is configured already are skipped. Names come from the outlines' titles (made unique); folders and categories become tags. The config file keeps its comments and layout.

Example:
  tidings feeds import subscriptions.opml"
    )]
    Import {
        /// The OPML file (- for standard input).
        file: String,
    },
    /// Print the configured feeds as OPML, for a feed reader.
    Export,
}

pub fn run(config: &Config, command: &FeedsCommand) -> Result<i32> {
    match command {
        FeedsCommand::Add { url, name, tags } => add(config, url, name.as_deref(), tags),
        FeedsCommand::Import { file } => import(config, file),
        FeedsCommand::Export => {
            let feeds: Vec<OpmlFeed> = config
                .feeds
                .iter()
                .map(|f| OpmlFeed {
                    title: Some(f.name.clone()),
                    url: f.url.to_string(),
                    tags: f.tags.clone(),
                })
                .collect();
            print!("{}", opml::render("tidings feeds", &feeds));
            Ok(0)
        }
    }
}

/// A feed name made from a title: lower case, words joined by dashes, so
/// that it is easy to type after `--feed`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(40).collect();
    out.trim_end_matches('-').to_string()
}

/// The name a feed gets when none is given: its title's slug, else its
/// site's host.
fn default_name(title: Option<&str>, url: &Url) -> String {
    let s = title.map(slug).unwrap_or_default();
    if !s.is_empty() {
        return s;
    }
    let host = url.host_str().unwrap_or("feed");
    slug(host.strip_prefix("www.").unwrap_or(host))
}

/// The URL a person typed: `example.org/news` is taken as https.
fn url_of(arg: &str) -> Option<Url> {
    let arg = arg.trim();
    let full = if arg.contains("://") {
        arg.to_string()
    } else {
        format!("https://{arg}")
    };
    Url::parse(&full)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// Whether a configured feed has this URL.
fn configured_url(config: &Config, url: &Url) -> Option<String> {
    config
        .feeds
        .iter()
        .find(|f| &f.url == url)
        .map(|f| f.name.clone())
}

/// Appends feeds to the config file: checked as a whole config before it
/// replaces the file (atomically, keeping its permissions).
fn write_feeds(config: &Config, feeds: &[NewFeed]) -> Result<()> {
    let path = &config.path;
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("{}: cannot read: {e}", path.display())))?;
    let new =
        append_feeds(&text, feeds).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    Config::parse(&new, path)?;
    replace_file(path, &new).with_context(|| format!("writing {}", path.display()))
}

fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{}.tidings-{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&tmp, text)?;
    let kept = std::fs::metadata(path).map(|m| m.permissions());
    let done = kept
        .and_then(|p| std::fs::set_permissions(&tmp, p))
        .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// A feed that was fetched and parsed.
struct Checked {
    url: Url,
    title: Option<String>,
    entries: usize,
}

fn add(config: &Config, url: &str, name: Option<&str>, tags: &[String]) -> Result<i32> {
    let start = url_of(url)
        .ok_or_else(|| UsageError(format!("feeds add: '{url}' is not an http(s) URL")))?;
    if let Some(n) = configured_url(config, &start) {
        return Err(UsageError(format!(
            "feeds add: {start} is in the config already, as '{n}'"
        ))
        .into());
    }
    let fetcher = Fetcher::new(&config.fetch, &[])?;
    let rt = runtime()?;
    let fetch = |u: &Url, max: u64| rt.block_on(fetcher.get(u, &Validators::default(), max, None));
    let page = fetch(&start, config.fetch.max_page_bytes)?;
    let mut tried = Vec::new();
    // The URL may be the feed itself.
    let found = match crate::feed::parse(&page.body, page.charset(), &page.url) {
        Ok(feed) => Checked {
            url: page.url.clone(),
            title: feed.title,
            entries: feed.entries.len(),
        },
        Err(_) => {
            let (html, _, _) =
                crate::extract::charset::decode(&page.body, page.content_type.as_deref());
            let candidates = crate::feed::discover::discover(&html, &page.url);
            if candidates.is_empty() {
                return Err(UsageError(format!(
                    "feeds add: {} is not a feed and announces none (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed)",
                    page.url
                ))
                .into());
            }
            let mut checked = None;
            for c in &candidates {
                match fetch(&c.url, config.fetch.max_feed_bytes) {
                    Ok(f) => match crate::feed::parse(&f.body, f.charset(), &f.url) {
                        Ok(feed) => {
                            checked = Some(Checked {
                                url: f.url.clone(),
                                title: feed.title.or_else(|| c.title.clone()),
                                entries: feed.entries.len(),
                            });
                            break;
                        }
                        Err(e) => tried.push(format!("{}: {e}", c.url)),
                    },
                    Err(e) => tried.push(format!("{}: {e}", c.url)),
                }
            }
            checked.ok_or_else(|| {
                UsageError(format!(
                    "feeds add: none of the feeds {} announces could be read ({})",
                    page.url,
                    tried.join("; ")
                ))
            })?
        }
    };
    if let Some(n) = configured_url(config, &found.url) {
        return Err(UsageError(format!(
            "feeds add: {} is in the config already, as '{n}'",
            found.url
        ))
        .into());
    }
    let name = match name {
        Some(n) => n.trim().to_string(),
        None => default_name(found.title.as_deref(), &found.url),
    };
    if config.feeds.iter().any(|f| f.name == name) {
        return Err(UsageError(format!(
            "feeds add: a feed is already named '{name}' (choose another with --name)"
        ))
        .into());
    }
    write_feeds(
        config,
        &[NewFeed {
            name: name.clone(),
            url: found.url.to_string(),
            tags: tags.to_vec(),
        }],
    )?;
    println!(
        "added feed '{name}': {} ({} entries{}) to {}",
        found.url,
        found.entries,
        found
            .title
            .as_deref()
            .map(|t| format!(", \"{t}\""))
            .unwrap_or_default(),
        config.path.display()
    );
    println!("a running `tidings run` picks it up on SIGHUP (systemctl reload tidings)");
    Ok(0)
}

fn import(config: &Config, file: &str) -> Result<i32> {
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| UsageError(format!("{file}: cannot read: {e}")))?
    };
    let listed = opml::parse(&text).map_err(|e| UsageError(format!("{file}: {e}")))?;
    let mut names: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
    let mut urls: Vec<Url> = config.feeds.iter().map(|f| f.url.clone()).collect();
    let (mut new, mut skipped, mut bad) = (Vec::new(), 0, Vec::new());
    for f in listed {
        let Some(url) = Url::parse(&f.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            bad.push(f.url);
            continue;
        };
        if urls.contains(&url) {
            skipped += 1;
            continue;
        }
        let base = default_name(f.title.as_deref(), &url);
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    base.clone()
                } else {
                    format!("{base}-{i}")
                }
            })
            .find(|n| !names.contains(n))
            .unwrap_or(base);
        names.push(name.clone());
        urls.push(url.clone());
        new.push(NewFeed {
            name,
            url: url.to_string(),
            tags: f.tags,
        });
    }
    for b in &bad {
        eprintln!("tidings: {file}: skipped '{b}': not an http(s) URL");
    }
    if !new.is_empty() {
        write_feeds(config, &new)?;
    }
    println!(
        "added {} feeds to {} ({skipped} configured already{})",
        new.len(),
        config.path.display(),
        if bad.is_empty() {
            String::new()
        } else {
            format!(", {} not http(s)", bad.len())
        }
    );
    for f in &new {
        println!("  {}\t{}", f.name, f.url);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_is_https() {
        let u = |s| url_of(s).map(|u| u.to_string());
        assert_eq!(u("example.org"), Some("https://example.org/".into()));
        assert_eq!(
            u("example.org/news?a=1"),
            Some("https://example.org/news?a=1".into())
        );
        assert_eq!(
            u("http://example.org/x"),
            Some("http://example.org/x".into())
        );
        assert_eq!(u("ftp://example.org/"), None);
        assert_eq!(u("not a url"), None);
    }

    #[test]
    fn names_are_easy_to_type() {
        assert_eq!(slug("BBC News - World"), "bbc-news-world");
        assert_eq!(slug("  Новая газета: Европа "), "новая-газета-европа");
        assert_eq!(slug("!!!"), "");
        let u = Url::parse("https://www.example.org/feed").unwrap();
        assert_eq!(default_name(None, &u), "example-org");
        assert_eq!(default_name(Some("…"), &u), "example-org");
        assert_eq!(default_name(Some("Rights Watch"), &u), "rights-watch");
    }
}
