//! What a new user meets first: the offline demo, a checkout left clean,
//! `check` that says everything at once, Ctrl-C, and what the commands say.

use std::process::Command;

use crate::env::{stderr, stdout};

fn tidings() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.env_remove("TIDINGS_CONFIG").env_remove("TIDINGS_LOG");
    cmd
}

/// The README's first command, as the user types it.
fn readme_first_command() -> String {
    let readme = include_str!("../../README.md");
    readme
        .lines()
        .find(|l| l.starts_with("    ") && l.contains("cargo "))
        .expect("a command in the README")
        .split('#')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn readme_first_command_is_the_offline_demo_and_it_shows_the_pipeline() {
    assert_eq!(readme_first_command(), "cargo run --release -- demo");
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("demo");
    let out = tidings()
        .args(["demo", "--dir"])
        .arg(&scratch)
        .output()
        .unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{o}\n{e}");
    assert!(
        o.contains("2 articles stored, 1 duplicate, 1 off-topic"),
        "{o}"
    );
    assert!(o.contains("$ tidings search chechnya"), "{o}");
    assert!(o.contains("[Chechnya]: rights groups report"), "{o}");
    // `show` on the article the wire copied lists the copy as a sighting.
    assert!(
        o.contains("sightings: 1") && o.contains("/wire/7001"),
        "{o}"
    );
    assert!(e.contains("skipped as off the topic"), "{e}");
    let corpus: Vec<_> = std::fs::read_dir(scratch.join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(corpus.len(), 2, "{corpus:?}");
    // The scratch directory is the user's to explore afterwards.
    let out = tidings()
        .arg("--config")
        .arg(scratch.join("tidings.toml"))
        .args(["export"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stderr(&out));
}

#[test]
fn demo_refuses_a_directory_that_holds_something() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let out = tidings()
        .args(["demo", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert!(!dir.path().join("tidings.toml").exists());
}

#[test]
fn offtopic_pages_are_logged_at_info_with_their_url_and_headline() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidings()
        .args(["demo", "--dir"])
        .arg(dir.path().join("d"))
        .env("TIDINGS_LOG", "info")
        .output()
        .unwrap();
    let e = stderr(&out);
    let line = e
        .lines()
        .find(|l| l.contains("skipped as off the topic"))
        .unwrap_or_else(|| panic!("{e}"));
    assert!(
        line.contains("/desk/harvest") && line.contains("Grain harvest"),
        "{line}"
    );
}
