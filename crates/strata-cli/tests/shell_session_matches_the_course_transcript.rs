//! A scripted shell session prints exactly the course's lines, and a second session on the same
//! directory reads the data back.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_transcript, error_lines, line_matches, shell, stdout_lines};

/// `{key:?}={value:?}` rows for decimal keys `range` at `epoch`.
fn rows(range: std::ops::RangeInclusive<u64>, epoch: impl Fn(u64) -> u64) -> Vec<String> {
    range
        .map(|i| format!("b\"{i}\"=b\"value{i}@{}\"", epoch(i)))
        .collect()
}

fn lines(text: &[&str]) -> Vec<String> {
    text.iter().map(|s| s.to_string()).collect()
}

const SESSION_ONE: &str = r#"fill 1000 1999
get 1001
GET 1500 extra tokens
get 2000
del 1001
get 1001
# a comment: skipped, no epoch

fill 1000 1002
scan 1000 1003
put empty ""
get empty
put spaced "a b\t\"c\""
get spaced
scan 1998 2
fill 5 1
frobnicate 1 2
fill 3000 3001
flush
dump
get 1500
del 3000
full_compaction
get 1002
get 3000
scan 9 1
scan 2 99
scan
Quit
get 1000
"#;

fn session_one_transcript() -> Vec<String> {
    let mut expected = lines(&[
        "1000 values filled with epoch 0",
        "1001=b\"value1001@0\"",
        "1500=b\"value1500@0\"",
        "2000 not exist",
        "1001 deleted",
        "1001 not exist",
        "3 values filled with epoch 6",
    ]);
    expected.extend(rows(1000..=1003, |i| if i <= 1002 { 6 } else { 0 }));
    expected.extend(lines(&[
        "",
        "4 keys scanned",
        "empty written",
        "empty=b\"\"",
        "spaced written",
        "spaced=b\"a b\\t\\\"c\\\"\"",
    ]));
    expected.extend(rows(1998..=1999, |_| 0));
    expected.extend(lines(&[
        "",
        "2 keys scanned",
        // `fill 5 1` and `frobnicate` fail: no output, no epoch.
        "2 values filled with epoch 13",
        "flush success",
        "L0 (1): [{ids}]",
        "L1 (0): []",
        "L2 (0): []",
        "L3 (0): []",
        "L4 (0): []",
        "dump success",
        "1500=b\"value1500@0\"",
        "3000 deleted",
        "full compaction success",
        "1002=b\"value1002@6\"",
        "3000 not exist",
        "",
        "0 keys scanned",
        "b\"3001\"=b\"value3001@13\"",
        "",
        "1 keys scanned",
    ]));
    expected.extend(rows(1000..=1999, |i| if i <= 1002 { 6 } else { 0 }));
    expected.extend(lines(&[
        "b\"3001\"=b\"value3001@13\"",
        "b\"empty\"=b\"\"",
        "b\"spaced\"=b\"a b\\t\\\"c\\\"\"",
        "",
        "1003 keys scanned",
    ]));
    expected
}

#[test]
fn scripted_session_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lsm.db");

    let first = shell(&path, &[], SESSION_ONE);
    assert_transcript(&first, &session_one_transcript());
    let errors = error_lines(&first);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("fill"), "{errors:?}");
    assert!(errors[1].contains("frobnicate"), "{errors:?}");
    // `quit` exits 0 (SPEC §9.1 table) and nothing after it runs.
    assert_eq!(first.status.code(), Some(0));

    let second = shell(
        &path,
        &[],
        "get 1001\nget empty\nget 3000\nscan 3000 3001\nfill 1 1\nget 1\n",
    );
    let expected = lines(&[
        "1001=b\"value1001@6\"",
        "empty=b\"\"",
        "3000 not exist",
        "b\"3001\"=b\"value3001@13\"",
        "",
        "1 keys scanned",
        "1 values filled with epoch 4",
        "1=b\"value1@4\"",
    ]);
    assert_transcript(&second, &expected);
    assert!(second.stderr.is_empty(), "{}", common::stderr(&second));
    // End of input with no failure: exit 0.
    assert_eq!(second.status.code(), Some(0));
}

#[test]
fn dump_after_full_compaction_has_no_l0_and_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(
        dir.path(),
        &[],
        "fill 1 500\nflush\nfull_compaction\ndump\n",
    );
    let out = stdout_lines(&output);
    assert_eq!(
        out[..3],
        [
            "500 values filled with epoch 0",
            "flush success",
            "full compaction success"
        ]
    );
    let dump = &out[3..];
    assert_eq!(dump.last().map(String::as_str), Some("dump success"));
    let levels = &dump[..dump.len() - 1];
    assert_eq!(levels.len(), 4, "{dump:?}");
    for (index, line) in levels.iter().enumerate() {
        let level = index + 1;
        assert!(
            line_matches(&format!("L{level} (0): []"), line)
                || (1..10).any(|n| line_matches(&format!("L{level} ({n}): [{{ids}}]"), line)),
            "{line:?}"
        );
    }
    assert!(levels.iter().any(|l| !l.ends_with("(0): []")), "{dump:?}");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn every_strategy_runs_the_course_commands() {
    for strategy in ["simple", "leveled", "tiered", "none"] {
        let dir = tempfile::tempdir().unwrap();
        let output = shell(
            dir.path(),
            &["--compaction", strategy],
            "fill 1 100\nflush\nfill 50 150\nflush\nfull_compaction\nget 1\nget 120\ndump\n",
        );
        let out = stdout_lines(&output);
        assert!(
            output.stderr.is_empty(),
            "{strategy}: {}",
            common::stderr(&output)
        );
        assert_eq!(
            out[..7],
            [
                "100 values filled with epoch 0",
                "flush success",
                "101 values filled with epoch 2",
                "flush success",
                "full compaction success",
                "1=b\"value1@0\"",
                "120=b\"value120@2\"",
            ],
            "{strategy}"
        );
        assert_eq!(
            out.last().map(String::as_str),
            Some("dump success"),
            "{strategy}"
        );
        assert_eq!(output.status.code(), Some(0), "{strategy}");
    }
}

#[test]
fn wal_flags_and_serializable_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for flags in [&["--enable-wal"][..], &["--no-wal"], &["--serializable"]] {
        let output = shell(dir.path(), flags, "put a 1\nget a\n");
        assert_eq!(
            stdout_lines(&output),
            ["a written", "a=b\"1\""],
            "{flags:?}"
        );
        assert_eq!(output.status.code(), Some(0));
    }
    let conflicting = shell(dir.path(), &["--enable-wal", "--no-wal"], "");
    assert_ne!(conflicting.status.code(), Some(0));
}

#[test]
fn transcript_placeholders() {
    assert!(line_matches("L0 (1): [{ids}]", "L0 (1): [7]"));
    assert!(line_matches("L0 (2): [{ids}]", "L0 (2): [12, 3]"));
    assert!(!line_matches("L0 (2): [{ids}]", "L0 (2): []"));
    assert!(!line_matches("L0 (2): [{ids}]", "L0 (2): [a]"));
    assert!(!line_matches("L1 (2): [{ids}]", "L0 (2): [1]"));
}
