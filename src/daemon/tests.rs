//! The schedule loop in-process: `serve_with`, the loop the binary runs,
//! over a real store in a temporary directory, in tokio's paused time (it
//! moves on whenever every task waits, so an hour of schedule passes in
//! milliseconds and each time is exact). The polls are scripted: they take
//! the time a test says and record the next poll it says, instead of
//! fetching, since paused time would fire every HTTP timeout at once.

use std::path::Path;

use chrono::TimeZone;
use tokio::net::UnixDatagram;

use super::*;
use crate::store::PollResult;

/// What a scripted poll does.
#[derive(Debug, Clone, Copy)]
struct Script {
    /// How long it runs.
    takes: Duration,
    /// When the feed is due again, counted from the poll's end; `None`
    /// records nothing (as when the store refuses the write).
    next_in: Option<Duration>,
    /// Panics at the end instead.
    panics: bool,
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Takes `takes`, then due again `next_in` later.
fn takes(takes: u64, next_in: u64) -> Script {
    Script {
        takes: secs(takes),
        next_in: Some(secs(next_in)),
        panics: false,
    }
}

/// A poll the test saw: the feed, and when it started and ended, in
/// paused time since the daemon started.
#[derive(Debug, Clone)]
struct Seen {
    feed: String,
    start: Duration,
    end: Option<Duration>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().unwrap().clone()
}

/// When `feed`'s polls started.
fn starts(log: &Log, feed: &str) -> Vec<Duration> {
    seen(log)
        .into_iter()
        .filter(|s| s.feed == feed)
        .map(|s| s.start)
        .collect()
}

/// Each time at or at most half a second after the expected second (the
/// store keeps whole seconds, the loop naps at least `MIN_NAP`).
#[track_caller]
fn assert_at(got: &[Duration], want: &[u64]) {
    let ok = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| *g >= secs(*w) && *g <= secs(*w) + Duration::from_millis(500));
    assert!(ok, "polls started at {got:?}, expected at {want:?} s");
}

/// A clock on tokio's paused time, its wall time at a whole second (the
/// store keeps whole seconds).
fn paused_clock() -> Clock {
    Clock {
        start: Instant::now(),
        wall: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
    }
}

fn write_config(dir: &Path, feeds: &[&str]) {
    let mut t = String::from("[store]\ndatabase = \"t.db\"\ncorpus = \"corpus\"\n");
    for f in feeds {
        // Never fetched: the polls are scripted.
        t.push_str(&format!(
            "\n[[feeds]]\nname = \"{f}\"\nurl = \"https://news.example/{f}.xml\"\n"
        ));
    }
    std::fs::write(dir.join("tidings.toml"), t).unwrap();
}

/// A pipeline over a new store in `dir`, watching `feeds`.
async fn open(dir: &Path, feeds: &[&str]) -> Pipeline {
    write_config(dir, feeds);
    let config = Config::load(&dir.join("tidings.toml")).unwrap();
    Pipeline::open(config, false).await.unwrap().0
}

fn options(deadline: Duration) -> Options {
    Options {
        shutdown_deadline: deadline,
        metrics: None,
        notifier: Arc::new(Notifier::disabled()),
        watchdog: None,
    }
}

/// Polls that follow `script(feed, nth poll of that feed)` and log
/// themselves into `log`.
fn scripted(
    clock: Clock,
    log: &Log,
    script: impl Fn(&str, usize) -> Script + Send + Sync + 'static,
) -> PollFn {
    let (log, script) = (log.clone(), Arc::new(script));
    Arc::new(move |p: Pipeline, f: FeedConfig| {
        let (log, script) = (log.clone(), script.clone());
        Box::pin(async move {
            let at = {
                let mut log = log.lock().unwrap();
                let nth = log.iter().filter(|s| s.feed == f.name).count();
                log.push(Seen {
                    feed: f.name.clone(),
                    start: clock.start.elapsed(),
                    end: None,
                });
                (log.len() - 1, script(&f.name, nth))
            };
            let (i, s) = at;
            tokio::time::sleep(s.takes).await;
            if s.panics {
                panic!("a bug in {}'s poll", f.name);
            }
            if let Some(after) = s.next_in {
                let now = clock.now();
                let next = now + chrono::Duration::from_std(after).unwrap();
                let name = f.name.clone();
                let ok = PollResult::Success {
                    etag: None,
                    last_modified: None,
                    entries: 0,
                    full: false,
                };
                p.with_ingest(move |i| Ok(i.store.record_poll(&name, &ok, now, next)?))
                    .await
                    .unwrap();
            }
            log.lock().unwrap()[i].end = Some(clock.start.elapsed());
            FeedOutcome {
                feed: f.name.clone(),
                ..Default::default()
            }
        })
    })
}

/// Runs the daemon while `drive` sends it signals; returns how it stopped
/// and when `serve_with` returned. The sender outlives `drive`: a closed
/// channel would count as a second stop.
async fn run<F>(
    pipeline: Pipeline,
    opts: Options,
    clock: Clock,
    poll: PollFn,
    drive: impl FnOnce(mpsc::UnboundedSender<Signal>) -> F,
) -> (Stopped, Duration)
where
    F: Future<Output = ()>,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let daemon = async {
        let stopped = serve_with(pipeline, opts, rx, clock, poll).await;
        (stopped.expect("the daemon runs"), clock.start.elapsed())
    };
    let (out, ()) = tokio::join!(daemon, drive(tx.clone()));
    drop(tx);
    out
}

/// What a notifier sent to a socket in a test's directory. A task reads
/// it as the datagrams come: the sender blocks once a few (10 by
/// default on Linux) wait unread.
struct Told {
    sock: Arc<UnixDatagram>,
    got: Arc<Mutex<Vec<String>>>,
}

impl Told {
    /// The notifications sent since the last call.
    fn take(&self) -> Vec<String> {
        let mut got = self.got.lock().unwrap();
        let mut buf = [0u8; 1024];
        while let Ok(n) = self.sock.try_recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        std::mem::take(&mut *got)
    }
}

/// A notifier sending to a socket in `dir`, and what it sent.
fn notify_socket(dir: &Path) -> (Arc<Notifier>, Told) {
    let path = dir.join("notify.sock");
    let sock = Arc::new(UnixDatagram::bind(&path).unwrap());
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let (s, g) = (sock.clone(), got.clone());
    tokio::spawn(async move {
        let mut buf = [0u8; 1024];
        while let Ok(n) = s.recv(&mut buf).await {
            let message = String::from_utf8_lossy(&buf[..n]).into_owned();
            g.lock().unwrap().push(message);
        }
    });
    let notifier = Notifier::to(path.as_os_str()).unwrap();
    (Arc::new(notifier), Told { sock, got })
}

async fn at(clock: Clock, when: u64) {
    tokio::time::sleep_until(clock.start + secs(when)).await;
}

fn send(tx: &mpsc::UnboundedSender<Signal>, s: Signal) {
    tx.send(s).expect("the daemon listens");
}

#[tokio::test(start_paused = true)]
async fn a_due_feed_is_polled_and_again_after_its_interval_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = open(dir.path(), &["a", "b"]).await;
    let (clock, log) = (paused_clock(), Log::default());
    let poll = scripted(clock, &log, |feed, _| match feed {
        "a" => takes(1, 60),
        _ => takes(1, 90),
    });
    let (stopped, _) = run(pipeline, options(secs(30)), clock, poll, |tx| async move {
        at(clock, 200).await;
        send(&tx, Signal::Stop(Stopped::Term));
    })
    .await;
    assert_eq!(stopped, Stopped::Term);
    // Each poll takes a second and is due again its interval after it ends.
    assert_at(&starts(&log, "a"), &[0, 61, 122, 183]);
    assert_at(&starts(&log, "b"), &[0, 91, 182]);
}

/// Regression (issue 20): a poll that ended did not wake the loop, which
/// napped on (up to 30 s) past the next poll the ended one had recorded,
/// and its status kept naming the feed as being polled.
#[tokio::test(start_paused = true)]
async fn a_poll_ending_wakes_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = open(dir.path(), &["a"]).await;
    let (clock, log) = (paused_clock(), Log::default());
    let (notifier, told) = notify_socket(dir.path());
    let mut opts = options(secs(30));
    opts.notifier = notifier;
    let poll = scripted(clock, &log, |_, _| takes(2, 5));
    run(pipeline, opts, clock, poll, |tx| async move {
        at(clock, 20).await;
        send(&tx, Signal::Stop(Stopped::Term));
    })
    .await;
    assert_at(&starts(&log, "a"), &[0, 7, 14]);
    let told = told.take();
    // The count of articles is the process's, shared with other tests.
    let said: Vec<&str> = told
        .iter()
        .map(|m| m.rsplit_once("; ").map_or(m.as_str(), |(s, _)| s))
        .collect();
    // Paused time is exact: each poll ends 5 s before the next is due.
    let (polling, idle) = (
        "STATUS=1 feeds; polling a",
        "STATUS=1 feeds; idle, next look in 5s",
    );
    assert_eq!(
        said,
        [
            "READY=1\nSTATUS=watching 1 feeds",
            polling,
            idle,
            polling,
            idle,
            polling,
            idle,
            "STOPPING=1\nSTATUS=stopping: 0 polls finishing (at most 30s)",
        ],
        "{told:?}"
    );
}

/// A poll that records no next poll leaves its feed due; the loop, woken
/// by its end, does not start it again before `UNRECORDED_RETRY`. And a
/// poll that panics frees its feed too.
#[tokio::test(start_paused = true)]
async fn a_poll_that_records_nothing_is_retried_after_a_while() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = open(dir.path(), &["a"]).await;
    let (clock, log) = (paused_clock(), Log::default());
    let poll = scripted(clock, &log, |_, nth| Script {
        takes: secs(1),
        next_in: None,
        panics: nth == 0,
    });
    run(pipeline, options(secs(30)), clock, poll, |tx| async move {
        at(clock, 100).await;
        send(&tx, Signal::Stop(Stopped::Term));
    })
    .await;
    assert_eq!(UNRECORDED_RETRY, secs(30));
    assert_at(&starts(&log, "a"), &[0, 30, 60, 90]);
}

/// SIGHUP: feeds added are polled at once, a config that does not load
/// keeps the running one, feeds removed are polled no more.
#[tokio::test(start_paused = true)]
async fn a_reload_adds_and_removes_feeds_and_a_broken_config_keeps_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let pipeline = open(&path, &["a"]).await;
    let (clock, log) = (paused_clock(), Log::default());
    let poll = scripted(clock, &log, |_, _| takes(1, 60));
    let (stopped, _) = run(pipeline, options(secs(30)), clock, poll, |tx| async move {
        at(clock, 10).await;
        write_config(&path, &["a", "b", "c"]);
        send(&tx, Signal::Reload);
        at(clock, 20).await;
        std::fs::write(path.join("tidings.toml"), "[store\nthis is not toml").unwrap();
        send(&tx, Signal::Reload);
        at(clock, 30).await;
        write_config(&path, &["a"]);
        send(&tx, Signal::Reload);
        at(clock, 130).await;
        send(&tx, Signal::Stop(Stopped::Interrupt));
    })
    .await;
    assert_eq!(stopped, Stopped::Interrupt);
    assert_at(&starts(&log, "a"), &[0, 61, 122]);
    // Added at 10 s, due again at 71 s but removed at 30 s.
    assert_at(&starts(&log, "b"), &[10]);
    assert_at(&starts(&log, "c"), &[10]);
}

/// A stop lets the polls in flight finish, but no longer than the
/// deadline.
#[tokio::test(start_paused = true)]
async fn a_stop_waits_for_polls_in_flight_up_to_the_deadline() {
    // (deadline, how long the poll takes, when `serve` returns, whether
    // the poll ended): the stop comes at 1 s.
    for (deadline, poll_takes, returns, ended) in [(30, 10, 10, true), (5, 60, 6, false)] {
        let dir = tempfile::tempdir().unwrap();
        let pipeline = open(dir.path(), &["a"]).await;
        let (clock, log) = (paused_clock(), Log::default());
        let poll = scripted(clock, &log, move |_, _| takes(poll_takes, 60));
        let (stopped, at_end) = run(
            pipeline,
            options(secs(deadline)),
            clock,
            poll,
            |tx| async move {
                at(clock, 1).await;
                send(&tx, Signal::Stop(Stopped::Term));
            },
        )
        .await;
        let context = format!("deadline {deadline} s, a poll of {poll_takes} s");
        assert_eq!(stopped, Stopped::Term, "{context}");
        assert_at(&[at_end], &[returns]);
        let polls = seen(&log);
        assert_eq!(polls.len(), 1, "{context}: {polls:?}");
        assert_eq!(polls[0].end.is_some(), ended, "{context}: {polls:?}");
    }
}

/// A second stop while the polls finish ends the wait at once; the first
/// stop's kind is the one reported (Ctrl-C exits 130).
#[tokio::test(start_paused = true)]
async fn a_second_interrupt_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = open(dir.path(), &["a"]).await;
    let (clock, log) = (paused_clock(), Log::default());
    let poll = scripted(clock, &log, |_, _| takes(3600, 60));
    let (stopped, at_end) = run(pipeline, options(secs(60)), clock, poll, |tx| async move {
        at(clock, 1).await;
        send(&tx, Signal::Stop(Stopped::Interrupt));
        at(clock, 3).await;
        send(&tx, Signal::Stop(Stopped::Interrupt));
    })
    .await;
    assert_eq!(stopped, Stopped::Interrupt);
    assert_at(&[at_end], &[3]);
    assert_eq!(seen(&log)[0].end, None);
}

/// The watchdog hears from a loop that completes its rounds, and no
/// longer from one that is stuck (here its read of the schedule waits
/// behind a writer that holds the store), until it moves again.
#[tokio::test(start_paused = true)]
async fn a_stalled_loop_stops_the_watchdog_pings() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = open(dir.path(), &["a"]).await;
    let writer = pipeline.clone();
    let (clock, log) = (paused_clock(), Log::default());
    let (notifier, told) = notify_socket(dir.path());
    // Pings every second; stalled after 2 s without a round.
    let mut opts = options(secs(30));
    opts.notifier = notifier;
    opts.watchdog = Some(secs(4));
    let poll = scripted(clock, &log, |_, _| takes(0, 3600));
    let pings = |l: &Told| l.take().iter().filter(|m| *m == "WATCHDOG=1").count();
    let told = &told;
    run(pipeline, opts, clock, poll, |tx| async move {
        at(clock, 10).await;
        let healthy = pings(told);
        let (held, holding) = tokio::sync::oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let stuck = tokio::spawn(async move {
            writer
                .with_ingest(move |_| {
                    let _ = held.send(());
                    let _ = released.recv();
                    Ok(())
                })
                .await
        });
        holding.await.unwrap();
        // Blocking work keeps paused time from moving by itself.
        for _ in 0..10 {
            tokio::time::advance(secs(1)).await;
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
        let stalled = pings(told);
        release.send(()).unwrap();
        stuck.await.unwrap().unwrap();
        let resumed_at = clock.start.elapsed().as_secs();
        at(clock, resumed_at + 10).await;
        let resumed = pings(told);
        assert!(healthy >= 9, "{healthy} pings in the first 10 s");
        assert!(stalled <= 4, "{stalled} pings in 10 s of a stuck loop");
        assert!(resumed >= 9, "{resumed} pings in the 10 s after");
        send(&tx, Signal::Stop(Stopped::Term));
    })
    .await;
}

/// Regression: the feed was taken out of the in-flight set after its
/// poll returned, in the same task, so a poll that panicked left it
/// there and the loop never polled that feed again.
#[tokio::test]
async fn a_feed_whose_poll_panics_is_polled_again() {
    let (tracker, slots) = (TaskTracker::new(), Arc::new(Semaphore::new(1)));
    let in_flight = InFlight::default();
    let claim = in_flight.claim("f").expect("first claim");
    assert!(in_flight.claim("f").is_none(), "one poll per feed");
    let poll = async { panic!("a bug in a poll") };
    spawn_poll(&tracker, slots.clone(), Clock::system(), claim, poll);
    tracker.close();
    tracker.wait().await;
    assert_eq!(in_flight.len(), 0);
    let again = in_flight
        .claim("f")
        .expect("the feed is free to poll again");
    // And the slot came back: the next poll runs.
    let tracker = TaskTracker::new();
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ran.clone();
    spawn_poll(&tracker, slots, Clock::system(), again, async move {
        r.store(true, std::sync::atomic::Ordering::SeqCst);
        FeedOutcome::default()
    });
    tracker.close();
    tracker.wait().await;
    assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(in_flight.len(), 0);
}

#[test]
fn status_says_what_is_happening() {
    let names = |n: usize| (0..n).map(|i| format!("f{i}")).collect::<Vec<_>>();
    let s = status_line(3, &names(2), 5, Duration::from_secs(9));
    assert_eq!(s, "3 feeds; polling f0, f1; 5 new articles since start");
    let s = status_line(9, &names(5), 5, Duration::from_secs(9));
    assert_eq!(
        s,
        "9 feeds; polling f0, f1, f2 and 2 more; 5 new articles since start"
    );
    let s = status_line(3, &[], 0, Duration::from_secs(9));
    assert_eq!(
        s,
        "3 feeds; idle, next look in 9s; 0 new articles since start"
    );
}
