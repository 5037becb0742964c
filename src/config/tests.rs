//! The config module's tests: paths, every problem at once and in line
//! order with its line, secrets, durations and sizes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::sections::state_dir;
use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/tidings/t.toml"))
}

#[test]
fn relative_paths_follow_the_config_file() {
    let c = parse("[store]\ndatabase = \"../x.db\"\ncorpus = \"/srv/corpus\"\n").unwrap();
    assert_eq!(c.database, PathBuf::from("/etc/tidings/../x.db"));
    assert_eq!(c.corpus, PathBuf::from("/srv/corpus"));
}

#[test]
fn without_a_store_table_data_goes_to_the_state_directory_or_beside_the_config() {
    assert_eq!(
        state_dir(Path::new("/etc/tidings"), None),
        PathBuf::from("/var/lib/tidings")
    );
    assert_eq!(
        state_dir(Path::new("/home/a/cfg"), None),
        PathBuf::from("/home/a/cfg")
    );
    assert_eq!(
        state_dir(
            Path::new("/etc/tidings"),
            Some(std::ffi::OsStr::new("/var/lib/tidings-x:/var/lib/other"))
        ),
        PathBuf::from("/var/lib/tidings-x")
    );
    let c = Config::parse("", Path::new("/home/a/cfg/t.toml")).unwrap();
    assert_eq!(c.database, PathBuf::from("/home/a/cfg/tidings.db"));
    assert_eq!(c.corpus, PathBuf::from("/home/a/cfg/corpus"));
    assert_eq!(c.archive.dir, PathBuf::from("/home/a/cfg/warc"));
    assert_eq!(c.seeds, None);
}

#[test]
fn default_user_agent_names_no_made_up_address() {
    let ua = FetchConfig::default().user_agent;
    assert!(ua.starts_with("tidings/") && !ua.contains("http"), "{ua}");
}

#[test]
fn archive_sits_beside_the_database_unless_told() {
    let c = parse("[store]\ndatabase = \"../x.db\"\n").unwrap();
    assert_eq!(c.archive.dir, PathBuf::from("/etc/tidings/../warc"));
    assert!(c.archive.enabled && !c.archive.capture_duplicates);
    let c = parse(
        "[archive]\nenabled = false\ndir = \"w\"\nmax_file_size = \"1MiB\"\nmax_record_size = \"2KiB\"\ncapture_duplicates = true\n",
    )
    .unwrap();
    assert_eq!(
        c.archive,
        ArchiveConfig {
            enabled: false,
            dir: PathBuf::from("/etc/tidings/w"),
            max_file_bytes: 1 << 20,
            max_record_bytes: 2048,
            capture_duplicates: true,
        }
    );
    let e = parse("[archive]\nmax_record_size = \"0\"\nmax_file_size = \"big\"\n").unwrap_err();
    assert_eq!(e.problems.len(), 2, "{e}");
}

#[test]
fn unknown_key_names_its_line() {
    let e = parse("[store]\ndatabase = \"a.db\"\ncorpse = \"x\"\n").unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].line, Some(3));
    assert!(e.problems[0].message.contains("corpse"), "{e}");
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let text = "[fetch]\ntimeout = \"soon\"\nmax_page_size = \"lots\"\n\n[topic]\nquery = \"(gay\"\n\n[[feeds]]\nname = \"a\"\nurl = \"ftp://x\"\n";
    let e = parse(text).unwrap_err();
    let lines: Vec<_> = e.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(2), Some(3), Some(6), Some(10)], "{e}");
    assert!(
        e.to_string()
            .starts_with("/etc/tidings/t.toml:2: fetch.timeout"),
        "{e}"
    );
}

#[test]
fn duplicate_feed_names_are_refused() {
    let e = parse("[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\n[[feeds]]\nname = \"a\"\nurl = \"https://b.example/\"\n")
        .unwrap_err();
    assert_eq!(e.problems[0].line, Some(5));
}

#[test]
fn check_lists_syntax_type_and_unknown_key_problems_at_once() {
    let text = "[store]\ndatabase = \"a.db\"\ncorpse = \"x\"\n\n[fetch]\nconcurrency = \"eight\"\ntimeout = \"soon\"\nbroken = \n\n[[feeds]]\nname = \"a\"\n\n[[feeds]]\nname = \"b\"\nurl = \"https://b.example/\"\ninterval = 5\n";
    let e = parse(text).unwrap_err();
    let got: Vec<(Option<usize>, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(got.len(), 6, "{e}");
    assert_eq!(got[0].0, Some(3));
    assert!(got[0].1.starts_with("store.corpse: unknown field"), "{e}");
    assert_eq!(got[1].0, Some(6));
    assert!(
        got[1].1.starts_with("fetch.concurrency: invalid type"),
        "{e}"
    );
    assert_eq!(got[2].0, Some(7));
    assert!(got[2].1.starts_with("fetch.timeout: "), "{e}");
    assert_eq!(got[3].0, Some(8));
    assert!(got[3].1.starts_with("TOML syntax"), "{e}");
    assert_eq!(got[4].0, Some(10));
    assert!(got[4].1.contains("missing field `url`"), "{e}");
    assert_eq!(got[5].0, Some(16));
    assert!(got[5].1.starts_with("feeds.interval: invalid type"), "{e}");
}

#[test]
fn check_keeps_line_numbers_past_a_blanked_line_with_accents() {
    let e = parse("[topic]\nquery = 'é' # é\nwhat = 1\n[fetch]\ntimeout = \"x\"\n").unwrap_err();
    let lines: Vec<_> = e.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(3), Some(5)], "{e}");
}

#[test]
fn check_refuses_two_feeds_at_one_url() {
    let e = parse("[[feeds]]\nname = \"a\"\nurl = \"https://a.example/feed\"\n[[feeds]]\nname = \"b\"\nurl = \"https://a.example/feed\"\n").unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].line, Some(6));
    assert!(e.problems[0].message.contains("feed 'a'"), "{e}");
}

#[test]
fn check_refuses_min_interval_above_interval() {
    let e = parse("[schedule]\ninterval = \"10m\"\nmin_interval = \"20m\"\n").unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].line, Some(3));
    assert!(
        e.problems[0]
            .message
            .contains("20m is longer than schedule.interval (10m)"),
        "{e}"
    );
    assert!(parse("[schedule]\ninterval = \"24h\"\n").is_err());
    assert!(parse("[schedule]\ninterval = \"10m\"\nmin_interval = \"10m\"\n").is_ok());
}

#[test]
fn check_refuses_feed_names_unusable_as_names() {
    for bad in ["rights watch", "-x", "a/b", "tab\\there", ".hidden"] {
        let text = format!("[[feeds]]\nname = \"{bad}\"\nurl = \"https://a.example/\"\n");
        let e = parse(&text).unwrap_err();
        assert!(
            e.problems[0].message.starts_with("feeds.name:"),
            "{bad}: {e}"
        );
    }
    for good in ["rights-watch", "bbc_news", "taz.de", "meduza"] {
        let text = format!("[[feeds]]\nname = \"{good}\"\nurl = \"https://a.example/\"\n");
        assert!(parse(&text).is_ok(), "{good}");
    }
}

#[test]
fn check_refuses_feeds_at_private_addresses_while_those_are_off() {
    let feeds = "[[feeds]]\nname = \"a\"\nurl = \"http://127.0.0.1:8080/feed\"\n[[feeds]]\nname = \"b\"\nurl = \"http://localhost/feed\"\n[[feeds]]\nname = \"c\"\nurl = \"http://192.168.1.2/feed\"\n";
    let e = parse(feeds).unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
    assert!(e.problems[0].message.contains("private address"), "{e}");
    let allowed = format!("[fetch]\nallow_private_networks = true\n{feeds}");
    assert!(parse(&allowed).is_ok());
}

#[test]
fn proxy_passwords_are_not_echoed() {
    assert_eq!(
        hide_password("socks5h://tor:pa:ss@127.0.0.1:9050/x"),
        "socks5h://tor:…@127.0.0.1:9050/x"
    );
    assert_eq!(hide_password("http://proxy:3128"), "http://proxy:3128");
    assert_eq!(hide_password("user@host"), "user@host");
    let e = parse(
        "[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\nproxy = \"gopher://me:pw@p\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("'gopher://me:…@p'"), "{e}");
}

#[test]
fn secrets_come_from_a_variable_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook-secret"), "from-file\n").unwrap();
    std::fs::write(dir.path().join("hook-url"), "https://hooks.example/T0K3N\n").unwrap();
    std::env::set_var("TIDINGS_TEST_SECRET_PW", "from-env");
    let text = "[[alerts]]\nkind = \"webhook\"\nurl_file = \"hook-url\"\nsecret_file = \"hook-secret\"\n\n\
        [[alerts]]\nkind = \"email\"\nserver = \"localhost\"\ntls = \"none\"\nusername = \"u\"\npassword_env = \"TIDINGS_TEST_SECRET_PW\"\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\n";
    let c = Config::parse(text, &dir.path().join("t.toml")).unwrap();
    assert_eq!(
        c.alerts[0].sink,
        crate::alert::Sink::Webhook {
            url: Url::parse("https://hooks.example/T0K3N").unwrap(),
            secret: Some("from-file".into()),
        }
    );
    let crate::alert::Sink::Email(email) = &c.alerts[1].sink else {
        panic!("{:?}", c.alerts[1].sink)
    };
    assert_eq!(email.password.as_deref(), Some("from-env"));
    // Two sources for one secret, a missing file, a bad URL kept out
    // of the file (not quoted: it is the credential).
    std::fs::write(dir.path().join("bad-url"), "hooks.example/T0K3N").unwrap();
    let text =
        "[[alerts]]\nkind = \"webhook\"\nurl = \"https://a.example/\"\nurl_file = \"hook-url\"\n\n\
        [[alerts]]\nkind = \"webhook\"\nurl_file = \"bad-url\"\nsecret_file = \"nope\"\n";
    let e = Config::parse(text, &dir.path().join("t.toml")).unwrap_err();
    let lines: Vec<_> = e
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert_eq!(lines[0].0, Some(4), "{e}");
    assert!(
        lines[0].1.contains("give one of url, url_env and url_file"),
        "{e}"
    );
    // Listed in line order.
    assert_eq!(
        lines[1].1,
        "alerts.url: the value read is not an http or https URL"
    );
    assert!(
        lines[2].1.starts_with("alerts.secret_file: cannot read"),
        "{e}"
    );
    assert!(!e.to_string().contains("T0K3N"), "{e}");
}

#[test]
fn durations_and_sizes_read_like_people_write_them() {
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert!(parse_duration("m5").is_err());
    assert!(parse_duration("5x").is_err());
    assert!(parse_duration("15").is_err());
    assert_eq!(parse_size("10MiB"), Ok(10 << 20));
    assert_eq!(parse_size("5MB"), Ok(5_000_000));
    assert!(parse_size("5 parsecs").is_err());
}

#[test]
fn a_postgres_url_selects_the_shared_database_with_the_password_kept_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
    let text = "[store]\ndatabase = \"postgres://tidings@db.example/news\"\npassword_file = \"pw\"\nworker = \"a1\"\nlease = \"30s\"\n";
    let c = Config::parse(text, &dir.path().join("tidings.toml")).unwrap();
    let pg = c.postgres.clone().expect("postgres");
    assert_eq!(pg.url, "postgres://tidings@db.example/news");
    assert_eq!(pg.password.as_deref(), Some("s3cret"));
    assert_eq!(pg.worker.as_deref(), Some("a1"));
    assert_eq!(pg.lease, Duration::from_secs(30));
    assert!(
        !format!("{c:?}").contains("s3cret"),
        "the password reached Debug"
    );
    // The worker's own files stay local.
    assert_eq!(c.database, dir.path().join("tidings.db"));
    assert!(parse("[store]\ndatabase = \"x.db\"\n")
        .unwrap()
        .postgres
        .is_none());
}

#[test]
fn postgres_problems_are_named_each_on_its_line() {
    let text = "[store]\ndatabase = \"postgres://u:pw@db.example/news\"\npassword_env = \"TIDINGS_TEST_NO_SUCH_VAR\"\nlease = \"0s\"\n";
    let e = parse(text).unwrap_err();
    let lines: Vec<(Option<usize>, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0]
            .1
            .starts_with("store.database: a password in the URL"),
        "{lines:?}"
    );
    assert_eq!(
        lines[1].1,
        "store.password_env: $TIDINGS_TEST_NO_SUCH_VAR is not set"
    );
    assert_eq!(lines[2].1, "store.lease: must be more than zero");
    let e = parse("[store]\ndatabase = \"x.db\"\nworker = \"a\"\n").unwrap_err();
    assert_eq!(
        e.problems[0].message,
        "store.worker: only for a postgres:// database"
    );
}

#[test]
fn ca_file_is_read_beside_the_config_and_only_for_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::fs::write(dir.path().join("pg-ca.pem"), pem).unwrap();
    let config = dir.path().join("tidings.toml");
    let text = "[store]\ndatabase = \"postgres://tidings@db.example/news?sslmode=verify-full\"\nca_file = \"pg-ca.pem\"\n";
    let pg = Config::parse(text, &config).unwrap().postgres.unwrap();
    let ca = pg.ca_file.expect("ca_file");
    assert_eq!(ca.path, dir.path().join("pg-ca.pem"));
    assert_eq!(ca.pem, pem);
    // Not given: the system's roots.
    let text = "[store]\ndatabase = \"postgres://tidings@db.example/news\"\n";
    assert!(Config::parse(text, &config)
        .unwrap()
        .postgres
        .unwrap()
        .ca_file
        .is_none());
    // A missing file is named, on its line.
    let text =
        "[store]\ndatabase = \"postgres://tidings@db.example/news\"\n\nca_file = \"nope.pem\"\n";
    let e = Config::parse(text, &config).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{:?}", e.problems);
    assert_eq!(e.problems[0].line, Some(4));
    let msg = &e.problems[0].message;
    assert!(msg.starts_with("store.ca_file: cannot read "), "{msg}");
    assert!(
        msg.contains(&dir.path().join("nope.pem").display().to_string()),
        "{msg}"
    );
    // SQLite has no use for it.
    let e = parse("[store]\ndatabase = \"x.db\"\nca_file = \"pg-ca.pem\"\n").unwrap_err();
    assert_eq!(
        e.problems[0].message,
        "store.ca_file: only for a postgres:// database"
    );
}
