//! Bad lines and engine errors print `error: …` on stderr and the shell goes on; end of input
//! then exits 1. A bad `--path` fails cleanly before reading anything.
#![allow(clippy::unwrap_used)]

mod common;

use common::{error_lines, shell, stderr, stdout_lines, strata};

#[test]
fn unknown_command_keeps_going_and_exit_is_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(dir.path(), &[], "bogus\nput a b\nget\nget a\n");
    assert_eq!(stdout_lines(&output), ["a written", "a=b\"b\""]);
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 2, "{}", stderr(&output));
    assert!(
        errors[0].contains("unknown command \"bogus\""),
        "{errors:?}"
    );
    assert!(errors[1].contains("usage: get"), "{errors:?}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn fill_with_begin_after_end_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(dir.path(), &[], "fill 5 1\nfill 1 1\n");
    // The failed fill takes no epoch: the next one is still epoch 0.
    assert_eq!(stdout_lines(&output), ["1 values filled with epoch 0"]);
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("fill"), "{errors:?}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn bad_quoted_value_and_crlf_lines() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(dir.path(), &[], "put k \"open\r\nput k v\r\nget k\r\n");
    assert_eq!(stdout_lines(&output), ["k written", "k=b\"v\""]);
    assert!(error_lines(&output)[0].contains("unterminated"));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn empty_input_closes_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(dir.path(), &[], "");
    assert!(output.stdout.is_empty());
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    assert_eq!(output.status.code(), Some(0));
    // The lock is released: a second session opens at once.
    let again = shell(dir.path(), &[], "close\n");
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

#[test]
fn a_file_as_path_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"hello").unwrap();
    let output = shell(&file, &[], "put a b\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let text = stderr(&output);
    assert!(text.starts_with("error: "), "{text}");
    assert!(text.contains("not a directory"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(std::fs::read(&file).unwrap(), b"hello");
}

#[test]
fn help_on_every_subcommand() {
    for sub in ["shell", "get", "put", "del", "scan", "bench"] {
        let output = strata().args([sub, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{sub}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("Usage: strata"), "{sub}: {text}");
    }
    let output = strata().arg("--help").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    for sub in ["shell", "get", "put", "del", "scan", "bench"] {
        assert!(text.contains(sub), "{text}");
    }
}
