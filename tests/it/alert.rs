//! Alerts through real receivers on 127.0.0.1: an HTTP server that records
//! (and fails on command) and an SMTP server.

use std::collections::BTreeMap;

use crate::env::{stderr, stdout, Env};
use crate::pipeline::{serve_site, FEEDS, TOPIC};
use crate::smtp::SmtpServer;

/// The four fixture feeds, one at a time, with the topic and the given
/// alert sinks.
fn site_with(alerts: &str) -> Env {
    let env = Env::new();
    serve_site(&env);
    env.write_config(FEEDS, &format!("{TOPIC}\n{alerts}"));
    let text = std::fs::read_to_string(env.config_path()).unwrap().replace(
        "timeout = \"10s\"\n",
        "timeout = \"10s\"\nconcurrency = 1\n",
    );
    std::fs::write(env.config_path(), text).unwrap();
    env
}

fn webhook(env: &Env, extra: &str) -> String {
    format!(
        "[[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n{extra}\n",
        env.server.base
    )
}

/// Builds the config after the env exists (the sink URL needs its port).
fn env_with(alerts: impl Fn(&Env) -> String) -> Env {
    let env = site_with("");
    let a = alerts(&env);
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    // Sinks go before the feeds so their keys do not land in a [[feeds]] table.
    let text = text.replacen("\n[[feeds]]", &format!("\n{a}\n[[feeds]]"), 1);
    std::fs::write(env.config_path(), text).unwrap();
    env
}

fn ids(seen: &[crate::env::Seen]) -> Vec<u64> {
    let mut v: Vec<u64> = seen
        .iter()
        .map(|s| s.json()["article"]["id"].as_u64().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn webhook_hears_once_of_each_new_article_signed() {
    let env = env_with(|e| webhook(e, "secret = \"s3cret\""));
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("alerts: 5 sent, 0 pending"),
        "{}",
        stdout(&out)
    );
    let got = env.server.delivered("/hook");
    // Five new articles; the duplicate and the off-topic page alert nobody.
    assert_eq!(ids(&got), vec![5, 6, 7, 8, 9]);
    for p in &got {
        let body = p.json();
        assert_eq!(body["event"], "new_article");
        assert_eq!(p.header("Content-Type"), Some("application/json"));
        assert_eq!(
            p.header("Idempotency-Key").unwrap(),
            body["article"]["id"].to_string()
        );
        let sig = tidings::alert::signature("s3cret", &p.body);
        assert_eq!(p.header("X-Tidings-Signature"), Some(sig.as_str()));
        assert!(body["article"]["duplicate_of"].is_null());
    }
    let exported = env.export(&[]);
    let first = got
        .iter()
        .find(|p| p.json()["article"]["id"] == 5)
        .unwrap()
        .json();
    assert_eq!(
        first["article"], exported[5],
        "the payload carries the export record"
    );
    let out = env.tidings(&["run", "--once", "--force", "--alert"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env.server.delivered("/hook").len(), 5, "nothing twice");
}

#[test]
fn first_backfill_is_silent_later_articles_alert() {
    let env = env_with(|e| webhook(e, ""));
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("alerts: 0 sent, 0 pending"),
        "{}",
        stdout(&out)
    );
    assert!(env.server.posts.lock().unwrap().is_empty());
    // A new entry appears in the RDF feed.
    let rdf = crate::env::read_fixture("site/rdf.xml").replace("{{BASE}}", &env.server.base).replace(
        "</rdf:RDF>",
        &format!(
            "<item rdf:about=\"{b}/news/chechnya-detentions\"><title>x</title><link>{b}/2026/11/eu-sanctions-live</link></item></rdf:RDF>",
            b = env.server.base
        ),
    );
    env.server
        .route("/rdf.xml", 200, "application/rdf+xml", rdf);
    // A new article of its own (a light edit of a stored one would be a
    // duplicate, and rightly alert nobody).
    let page = "<html><head><title>Moscow court jails Chechen activist</title></head><body><article>\
        <h1>Moscow court jails Chechen activist</h1>\
        <p>A court in Moscow sentenced a Chechen LGBT activist to four years in prison on Tuesday, in a case rights groups call retaliation for his work evacuating gay men from the region.</p>\
        <p>The activist had helped more than sixty people leave Chechnya since 2017, according to the Russian LGBT Network, which said the charges of fraud were fabricated.</p>\
        <p>Diplomats from several European embassies attended the hearing. The defence said it would appeal.</p>\
        </article></body></html>";
    env.server
        .route("/2026/11/eu-sanctions-live", 200, "text/html", page);
    let out = env.tidings(&["run", "--once", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = env.server.delivered("/hook");
    assert_eq!(got.len(), 1, "{}", stdout(&out));
    assert_eq!(got[0].json()["article"]["feed"], "open-media");
}

/// Runs `run --once --alert` against the receiver's failure script and
/// checks that the receiver took each of the five new articles exactly
/// once, after at least five failures.
fn every_article_arrives_once(env: &Env) {
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("alerts: 5 sent, 0 pending"),
        "{}",
        stdout(&out)
    );
    let posts = env.server.posts.lock().unwrap().clone();
    assert!(
        posts.iter().filter(|p| p.status == 500).count() >= 5,
        "the failures happened"
    );
    let mut per_key: BTreeMap<String, usize> = BTreeMap::new();
    for p in posts.iter().filter(|p| p.status == 200) {
        *per_key
            .entry(p.header("Idempotency-Key").unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(
        per_key.keys().cloned().collect::<Vec<_>>(),
        ["5", "6", "7", "8", "9"]
    );
    assert!(per_key.values().all(|&n| n == 1), "{per_key:?}");
}

#[test]
fn flaky_receiver_gets_every_article_exactly_once() {
    let env = env_with(|e| webhook(e, "retry = \"1s\""));
    // Half the requests fail for a while.
    env.server.fail_posts(&[
        true, false, true, false, true, false, true, true, false, true,
    ]);
    every_article_arrives_once(&env);
}

/// run --once delivers for 30 s: with a first retry of 30 s doubling per
/// failure, 2 of the 5 articles were still pending when it stopped.
#[test]
fn a_receiver_failing_two_times_in_three_hears_of_everything_with_default_retries() {
    let env = env_with(|e| webhook(e, ""));
    let script: Vec<bool> = (0..30).map(|i| i % 3 != 2).collect();
    env.server.fail_posts(&script);
    every_article_arrives_once(&env);
}

#[test]
fn pending_alerts_are_delivered_after_a_restart() {
    let env = env_with(|e| webhook(e, "retry = \"1h\""));
    env.server.fail_posts(&[true; 5]);
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "ingestion does not wait for a sink"
    );
    assert!(
        stdout(&out).contains("alerts: 0 sent, 5 pending"),
        "{}",
        stdout(&out)
    );
    assert!(env.server.delivered("/hook").is_empty());
    let out = env.tidings(&["run", "--once"]);
    assert!(
        stdout(&out).contains("alerts: 5 sent, 0 pending"),
        "{}",
        stdout(&out)
    );
    assert_eq!(ids(&env.server.delivered("/hook")), vec![5, 6, 7, 8, 9]);
}

#[test]
fn email_sink_sends_one_message_per_article_or_a_digest() {
    let smtp = SmtpServer::start();
    let env = env_with(|_| {
        format!(
            "[[alerts]]\nname = \"desk\"\nkind = \"email\"\nserver = \"127.0.0.1\"\nport = {p}\ntls = \"none\"\nfrom = \"tidings@example.org\"\nto = [\"desk@example.org\"]\n\n[[alerts]]\nname = \"daily\"\nkind = \"email\"\nserver = \"127.0.0.1\"\nport = {p}\ntls = \"none\"\nfrom = \"tidings@example.org\"\nto = [\"digest@example.org\"]\ndigest = \"1s\"\n",
            p = smtp.port
        )
    });
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mails = smtp.mails.lock().unwrap().clone();
    let single: Vec<_> = mails
        .iter()
        .filter(|m| m.to == ["<desk@example.org>"])
        .collect();
    let digest: Vec<_> = mails
        .iter()
        .filter(|m| m.to == ["<digest@example.org>"])
        .collect();
    assert_eq!(single.len(), 5, "{mails:#?}");
    assert!(
        single.iter().any(|m| m
            .data
            .contains("Subject: New: Chechnya: new wave of detentions of gay men reported")),
        "{mails:#?}"
    );
    assert_eq!(digest.len(), 1, "{mails:#?}");
    assert!(
        digest[0].data.contains("Subject: 5 new from tidings"),
        "{}",
        digest[0].data
    );
    assert_eq!(
        digest[0].data.matches("/2026/11/").count(),
        2,
        "both Pink News links: {}",
        digest[0].data
    );
}

#[test]
fn command_sink_gets_json_on_stdin_and_env_without_a_shell() {
    let env = Env::new();
    let script = env.path("hook.sh");
    let out_dir = env.path("calls");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(&script, format!("#!/bin/sh\ncat > \"{d}/$TIDINGS_ID.json\"\nprintf '%s' \"$TIDINGS_TITLE\" > \"{d}/$TIDINGS_ID.title\"\necho queued\n", d = out_dir.display())).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    serve_site(&env);
    env.write_config(
        &[("open-media", "/rdf.xml")],
        &format!(
            "[[alerts]]\nkind = \"command\"\ncommand = [\"{}\"]\n",
            script.display()
        ),
    );
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert!(
        stdout(&out).contains("alerts: 1 sent"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("5.json")).unwrap()).unwrap();
    assert_eq!(
        json["article"]["title"],
        "Why the world still fails Chechnya’s LGBT people"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("5.title")).unwrap(),
        "Why the world still fails Chechnya’s LGBT people"
    );
}

#[test]
fn chat_sinks_get_their_own_formats() {
    let env = env_with(|e| {
        let b = &e.server.base;
        format!("[[alerts]]\nkind = \"slack\"\nurl = \"{b}/slack\"\n[[alerts]]\nkind = \"discord\"\nurl = \"{b}/discord\"\n[[alerts]]\nkind = \"ntfy\"\nurl = \"{b}/chechnya-watch\"\nfeeds = [\"open-media\"]\n")
    });
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert!(
        stdout(&out).contains("alerts: 11 sent"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
    let slack = env.server.delivered("/slack");
    assert_eq!(slack.len(), 5);
    assert!(slack
        .iter()
        .all(|p| p.json()["text"].as_str().unwrap().starts_with("*<http")));
    let discord = env.server.delivered("/discord");
    assert_eq!(discord.len(), 5);
    assert!(discord.iter().all(|p| p.json()["embeds"][0]["url"]
        .as_str()
        .unwrap()
        .starts_with("http")));
    // ntfy: JSON publishing to the server root, only the feed it filters on.
    let ntfy = env.server.delivered("/");
    // Once seen with two POSTs under heavy load; the log says why if again.
    let bodies: Vec<String> = ntfy
        .iter()
        .map(|p| String::from_utf8_lossy(&p.body).into_owned())
        .collect();
    assert_eq!(ntfy.len(), 1, "{bodies:?}\n{}", stderr(&out));
    let n = ntfy[0].json();
    assert_eq!(n["topic"], "chechnya-watch");
    assert_eq!(
        n["title"],
        "New: Why the world still fails Chechnya’s LGBT people"
    );
}

#[test]
fn alert_test_sends_a_sample_and_says_what_the_sink_answered() {
    let env = env_with(|e| webhook(e, "name = \"ops\""));
    let out = env.tidings(&["alert", "test", "ops"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ops: delivered: HTTP 200: ok");
    // Not 0, the id of a real first article: a receiver that drops
    // repeats by this key would drop that article after a test.
    let sent = &env.server.delivered("/hook")[0];
    let key = sent.header("Idempotency-Key").unwrap();
    assert!(key.starts_with("test-20"), "{key}");
    assert!(sent.json()["article"]["id"].is_null(), "{:?}", sent.json());
    let out = env.tidings(&["alert", "test", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no alert sink is named 'nope' (known: ops)"),
        "{}",
        stderr(&out)
    );
    env.server.fail_posts(&[true]);
    let out = env.tidings(&["alert", "test", "ops"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("sink ops:") && stderr(&out).contains("HTTP 500"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn misconfigured_sinks_are_config_errors_at_start() {
    let env = env_with(|_| {
        "[[alerts]]\nkind = \"email\"\nserver = \"127.0.0.1\"\nfrom = \"not an address\"\nto = [\"desk@example.org\"]\n\n[[alerts]]\nkind = \"command\"\ncommand = [\"relative/script\"]\n\n[[alerts]]\nkind = \"pager\"\n\n[[alerts]]\nkind = \"webhook\"\nurl = \"https://example.org/x\"\nfeeds = [\"nosuchfeed\"]\n".to_string()
    });
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for want in [
        "alerts.from: 'not an address'",
        "alerts.command: 'relative/script'",
        "alerts.kind: 'pager'",
        "alerts.feeds: no feed is named 'nosuchfeed'",
    ] {
        assert!(err.contains(want), "missing {want}: {err}");
    }
    assert!(
        env.server.hits.lock().unwrap().is_empty(),
        "nothing was fetched"
    );
}

#[test]
fn feed_health_alerts_when_failing_long_and_on_recovery() {
    let env = Env::new();
    serve_site(&env);
    env.server.route("/rdf.xml", 503, "text/plain", "down");
    env.write_config(
        &[("open-media", "/rdf.xml")],
        &format!(
            "[[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\nfeed_health = \"1s\"\n",
            env.server.base
        ),
    );
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(1));
    assert!(
        env.server.delivered("/hook").is_empty(),
        "not failing long yet"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        env.tidings(&["run", "--once", "--force"]).status.code(),
        Some(1)
    );
    assert_eq!(
        env.tidings(&["run", "--once", "--force"]).status.code(),
        Some(1)
    );
    let got = env.server.delivered("/hook");
    assert_eq!(got.len(), 1, "one alert per failing period");
    assert_eq!(got[0].json()["event"], "feed_failing");
    assert_eq!(got[0].json()["feed"]["name"], "open-media");
    env.server
        .fixture("/rdf.xml", "application/rdf+xml", "site/rdf.xml");
    assert_eq!(
        env.tidings(&["run", "--once", "--force"]).status.code(),
        Some(0)
    );
    let got = env.server.delivered("/hook");
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["event"], "feed_recovered");
}

#[test]
fn story_pickup_follow_up_is_sent_once() {
    // The wire copy of article 1 is served under another host name, so the
    // story is carried by two outlets.
    let env = env_with(|e| webhook(e, "pickup = 2"));
    let atom = crate::env::read_fixture("site/atom.xml").replace(
        "href=\"/wire/detentions-copy\"",
        &format!(
            "href=\"{}/wire/detentions-copy\"",
            env.server.base.replace("127.0.0.1", "localhost")
        ),
    );
    env.server.route(
        "/atom.xml",
        200,
        "application/atom+xml",
        atom.replace("{{BASE}}", &env.server.base),
    );
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = env.server.delivered("/hook");
    let pickups: Vec<_> = got
        .iter()
        .filter(|p| p.json()["event"] == "story_pickup")
        .collect();
    assert_eq!(
        pickups.len(),
        1,
        "{:#?}",
        got.iter().map(|p| p.json()).collect::<Vec<_>>()
    );
    assert_eq!(pickups[0].json()["outlets"], 2);
    assert_eq!(pickups[0].json()["article"]["id"], 5);
    env.tidings(&["run", "--once", "--force", "--alert"]);
    assert_eq!(
        env.server
            .delivered("/hook")
            .iter()
            .filter(|p| p.json()["event"] == "story_pickup")
            .count(),
        1
    );
}

/// A webhook sink named `ops` at `url`, and nothing else configured to
/// alert.
fn sink_at(url: &str) -> Env {
    let url = url.to_string();
    env_with(move |_| format!("[[alerts]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{url}\"\n"))
}

#[test]
fn an_endless_sink_answer_is_read_only_to_a_cap() {
    use crate::faults::{Body, FaultServer, Reply};
    let sink = FaultServer::start();
    let mut endless = Reply::ok("text/plain", "");
    endless.body = Body::Endless {
        chunk: 1 << 20,
        pause: std::time::Duration::ZERO,
    };
    sink.route("/hook", vec![endless]);
    let env = sink_at(&format!("{}/hook", sink.base("127.0.0.1")));
    let (out, peak_kib) = env.tidings_with_peak_rss(&["alert", "test", "ops"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The answer's start, as far as a line of it is shown.
    assert!(
        stdout(&out).starts_with(&format!("ops: delivered: HTTP 200: {}", "a".repeat(190))),
        "{}",
        stdout(&out)
    );
    // Without the cap the answer was read until the time-out: gigabytes.
    assert!(peak_kib < 150 * 1024, "peak RSS {peak_kib} KiB");
}

#[test]
fn a_redirecting_sink_does_not_get_the_signed_alert_resent_elsewhere() {
    use crate::faults::{FaultServer, Reply};
    let sink = FaultServer::start();
    let env = Env::new();
    sink.route(
        "/hook",
        vec![Reply::redirect(307, &format!("{}/stolen", env.server.base))],
    );
    let url = format!("{}/hook", sink.base("127.0.0.1"));
    env.write_config(
        &[],
        &format!("[[alerts]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret = \"s3cret\"\n"),
    );
    let out = env.tidings(&["alert", "test", "ops"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("HTTP 307: the sink redirects elsewhere"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sink.hits_of("/hook").len(), 1);
    assert!(
        env.server.posts.lock().unwrap().is_empty(),
        "the alert was re-posted to the redirect's target"
    );
}

#[test]
fn sink_urls_stay_out_of_logs_errors_and_the_outbox() {
    let secret = "T0K3N-B0DY-8f3a";
    let env = env_with(|e| {
        format!(
            "[[alerts]]\nname = \"ops\"\nkind = \"slack\"\nurl = \"{}/services/{secret}\"\nretry = \"1h\"\n",
            e.server.base
        )
    });
    env.server.fail_posts(&[true; 40]);
    let out = env.tidings(&["alert", "test", "ops"]);
    assert_eq!(out.status.code(), Some(1));
    let test_err = stderr(&out);
    assert!(test_err.contains("HTTP 500"), "{test_err}");
    let out = env.tidings(&["run", "--once", "--alert"]);
    let run_err = stderr(&out);
    assert!(run_err.contains("alert not delivered"), "{run_err}");
    let db = rusqlite::Connection::open(env.path("tidings.db")).unwrap();
    let errors: Vec<String> = db
        .prepare("SELECT last_error FROM outbox")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!errors.is_empty());
    for text in [test_err.as_str(), run_err.as_str()]
        .into_iter()
        .chain(errors.iter().map(String::as_str))
    {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(errors[0].contains("127.0.0.1"), "{}", errors[0]);
}

#[test]
fn secrets_kept_out_of_the_config_reach_their_sink_and_no_command() {
    let env = Env::new();
    let creds = env.path("credentials");
    std::fs::create_dir_all(&creds).unwrap();
    std::fs::write(creds.join("hook-secret"), "s3cret-from-file\n").unwrap();
    let dump = env.path("env.txt");
    env.write_config(
        &[],
        &format!(
            "[[alerts]]\nname = \"hook\"\nkind = \"webhook\"\nurl_env = \"TIDINGS_TEST_HOOK_URL\"\nsecret_file = \"$CREDENTIALS_DIRECTORY/hook-secret\"\n\n\
             [[alerts]]\nname = \"mail\"\nkind = \"email\"\nserver = \"localhost\"\ntls = \"none\"\nusername = \"desk\"\npassword_env = \"TIDINGS_TEST_SMTP_PW\"\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\n\n\
             [[alerts]]\nname = \"cmd\"\nkind = \"command\"\ncommand = [\"/bin/sh\", \"-c\", \"/usr/bin/env > '{}'\"]\n",
            dump.display()
        ),
    );
    let hook = format!("{}/hook/T0K3N", env.server.base);
    let vars = [
        ("TIDINGS_TEST_HOOK_URL", hook.as_str()),
        ("TIDINGS_TEST_SMTP_PW", "smtp-pw-9f2c"),
        ("CREDENTIALS_DIRECTORY", creds.to_str().unwrap()),
    ];
    let out = env.tidings_with_env(&["alert", "test", "hook"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = env.server.delivered("/hook/T0K3N");
    assert_eq!(got.len(), 1);
    let sig = tidings::alert::signature("s3cret-from-file", &got[0].body);
    assert_eq!(got[0].header("X-Tidings-Signature"), Some(sig.as_str()));
    let out = env.tidings_with_env(&["alert", "test", "cmd"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = std::fs::read_to_string(&dump).unwrap();
    for line in seen.lines() {
        let name = line.split('=').next().unwrap();
        assert!(
            tidings::deliver::COMMAND_ENV.contains(&name)
                || name.starts_with("TIDINGS_")
                    && !name.starts_with("TIDINGS_TEST")
                    && name != "TIDINGS_LOG"
                || ["PWD", "SHLVL", "_", "OLDPWD"].contains(&name),
            "the command was given {line}"
        );
    }
    assert!(seen.contains("TIDINGS_EVENT=new_article"), "{seen}");
    assert!(
        !seen.contains("smtp-pw-9f2c") && !seen.contains("T0K3N"),
        "{seen}"
    );
}

/// An outbox row whose payload cannot be read is kept and given up on
/// with its error; the other alerts of the run still go. (Before, the
/// delivery loop skipped such a payload and then marked the whole batch
/// sent: the alert vanished without a trace.)
#[test]
fn an_unreadable_payload_is_kept_failed_and_the_rest_are_delivered() {
    let env = env_with(|e| webhook(e, "retry = \"1h\""));
    env.server.fail_posts(&[true; 5]);
    let out = env.tidings(&["run", "--once", "--alert"]);
    assert!(
        stdout(&out).contains("alerts: 0 sent, 5 pending"),
        "{}",
        stdout(&out)
    );
    let db = rusqlite::Connection::open(env.path("tidings.db")).unwrap();
    let bad: i64 = db
        .query_row("SELECT MIN(id) FROM outbox", [], |r| r.get(0))
        .unwrap();
    db.execute(
        "UPDATE outbox SET payload = '{\"event\": \"new_article\", \"artic' WHERE id = ?1",
        [bad],
    )
    .unwrap();
    drop(db);
    let out = env.tidings(&["run", "--once"]);
    assert!(
        stdout(&out).contains("alerts: 4 sent, 0 pending, 1 expired"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("unreadable payload"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ids(&env.server.delivered("/hook")).len(), 4);
    let db = rusqlite::Connection::open(env.path("tidings.db")).unwrap();
    let (state, error): (String, Option<String>) = db
        .query_row(
            "SELECT state, last_error FROM outbox WHERE id = ?1",
            [bad],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(state, "expired");
    let error = error.unwrap_or_default();
    assert!(error.contains("unreadable payload"), "{error}");
    let sent: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE state = 'sent'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sent, 4);
}
