//! Helpers shared by the CLI's integration tests: run the built `strata` binary, feed it a
//! script on stdin, compare output with an expected transcript.
#![allow(dead_code, clippy::unwrap_used)]

pub mod files;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A `strata` command.
pub fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

/// Runs `strata shell --path DIR [extra…]` with `script` on stdin (a pipe, so no prompt).
pub fn shell(dir: &Path, extra: &[&str], script: &str) -> Output {
    let mut child = strata()
        .arg("shell")
        .arg("--path")
        .arg(dir)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Feed stdin from another thread so a large output cannot block the script, and ignore a
    // broken pipe: a shell that failed to open exits without reading its input.
    let mut stdin = child.stdin.take().unwrap();
    let script = script.as_bytes().to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&script);
    });
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    output
}

/// Stdout as lines.
pub fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Does `actual` match `expected`, where `{ids}` in `expected` stands for a non-empty list of
/// file numbers like `1, 12` (engine-chosen, so not fixed by the spec)?
pub fn line_matches(expected: &str, actual: &str) -> bool {
    match expected.split_once("{ids}") {
        None => expected == actual,
        Some((before, after)) => {
            actual.len() >= before.len() + after.len()
                && actual.starts_with(before)
                && actual.ends_with(after)
                && {
                    let middle = &actual[before.len()..actual.len() - after.len()];
                    !middle.is_empty()
                        && middle
                            .split(", ")
                            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                }
        }
    }
}

/// Asserts that stdout is exactly `expected`, line by line, with a readable diff on failure.
pub fn assert_transcript(output: &Output, expected: &[String]) {
    let actual = stdout_lines(output);
    for (number, (want, got)) in expected.iter().zip(&actual).enumerate() {
        assert!(
            line_matches(want, got),
            "line {} differs:\n  expected: {want:?}\n  actual:   {got:?}\nstderr:\n{}",
            number + 1,
            stderr(output)
        );
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "line count differs (expected {}, got {}); extra/missing lines: {:?}\nstderr:\n{}",
        expected.len(),
        actual.len(),
        if actual.len() > expected.len() {
            &actual[expected.len()..]
        } else {
            &expected[actual.len()..]
        },
        stderr(output)
    );
}

/// The error lines of stderr (`error: …`).
pub fn error_lines(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(str::to_string)
        .collect()
}
