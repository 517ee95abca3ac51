//! `strata get|put|del|scan`: results on stdout in plain, hex or JSON form; clear errors and
//! non-zero exits for a missing directory or a locked database.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Output, Stdio};

use common::{stderr, strata};

fn run(args: &[&str], path: &Path) -> Output {
    strata()
        .args(&args[..1])
        .arg("--path")
        .arg(path)
        .args(&args[1..])
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn put_get_del_scan_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    for (key, value) in [("b", "2"), ("a", "1"), ("c", "three"), ("e", "")] {
        let output = run(&["put", key, value], &path);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(output.stdout.is_empty());
    }
    let got = run(&["get", "c"], &path);
    assert_eq!(
        (got.status.code(), text(&got)),
        (Some(0), "three\n".to_string())
    );
    let empty = run(&["get", "e"], &path);
    assert_eq!(
        (empty.status.code(), text(&empty)),
        (Some(0), "\n".to_string())
    );
    let hex = run(&["get", "c", "--hex"], &path);
    assert_eq!(text(&hex), "7468726565\n");
    let json = run(&["get", "c", "--json"], &path);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"key": "c", "found": true, "value": "three"})
    );

    let missing = run(&["get", "zz"], &path);
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty());
    assert!(
        stderr(&missing).contains("not found"),
        "{}",
        stderr(&missing)
    );
    let missing_json = run(&["get", "zz", "--json"], &path);
    assert_eq!(missing_json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&missing_json.stdout).unwrap();
    assert_eq!(value["found"], false);

    let scan = run(&["scan"], &path);
    assert_eq!(
        text(&scan),
        "b\"a\"=b\"1\"\nb\"b\"=b\"2\"\nb\"c\"=b\"three\"\nb\"e\"=b\"\"\n"
    );
    let bounded = run(&["scan", "--from", "b", "--to", "c", "--hex"], &path);
    assert_eq!(text(&bounded), "62 32\n63 7468726565\n");
    let reversed = run(&["scan", "--reverse", "--limit", "2", "--json"], &path);
    let rows: Vec<serde_json::Value> = text(&reversed)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            serde_json::json!({"key": "e", "value": ""}),
            serde_json::json!({"key": "c", "value": "three"})
        ]
    );

    let del = run(&["del", "b"], &path);
    assert_eq!(del.status.code(), Some(0), "{}", stderr(&del));
    let gone = run(&["get", "b"], &path);
    assert_eq!(gone.status.code(), Some(1));
    let prefix = run(&["scan", "--prefix", "b"], &path);
    assert_eq!(text(&prefix), "");
    assert_eq!(prefix.status.code(), Some(0));
}

#[test]
fn readers_refuse_a_missing_directory_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope");
    for command in ["get", "scan"] {
        let args: &[&str] = if command == "get" {
            &["get", "k"]
        } else {
            &["scan"]
        };
        let output = run(args, &path);
        assert_ne!(output.status.code(), Some(0), "{command}");
        assert!(
            output.status.code() != Some(1) || command != "get",
            "get errors exit 2"
        );
        let message = stderr(&output);
        assert!(message.starts_with("error: "), "{message}");
        assert!(message.contains("does not exist"), "{message}");
        assert!(!path.exists(), "{command} created the directory");
    }
}

#[test]
fn a_locked_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let mut holder = strata()
        .arg("shell")
        .arg("--path")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = holder.stdin.take().unwrap();
    input.write_all(b"put k v\n").unwrap();
    input.flush().unwrap();
    // Once the shell answered, it holds the lock.
    let mut answer = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    assert_eq!(answer, "k written\n");

    for args in [&["get", "k"][..], &["put", "k", "w"], &["scan"]] {
        let output = run(args, &path);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains("locked"), "{args:?}: {message}");
    }

    drop(input);
    let status = holder.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let after = run(&["get", "k"], &path);
    assert_eq!(text(&after), "v\n");
}
