//! `begin` / `commit` / `rollback` in the shell: data commands use the transaction in between.
#![allow(clippy::unwrap_used)]

mod common;

use common::{error_lines, shell, stderr, stdout_lines};

#[test]
fn rollback_discards_and_read_only_commit_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(
        dir.path(),
        &[],
        "put a 1\nbegin\nput a 2\nput b 3\ndel a\nget a\nget b\nfill 7 8\nget 8\nrollback\n\
         get a\nget b\nget 8\nbegin\nget a\ncommit\n",
    );
    assert_eq!(
        stdout_lines(&output),
        [
            "a written",
            "transaction started",
            "a written",
            "b written",
            "a deleted",
            "a not exist",
            "b=b\"3\"",
            "2 values filled with epoch 7",
            "8=b\"value8@7\"",
            "rolled back",
            "a=b\"1\"",
            "b not exist",
            "8 not exist",
            "transaction started",
            "a=b\"1\"",
            "committed",
        ]
    );
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn misuse_is_an_error_and_an_open_transaction_is_rolled_back_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(dir.path(), &[], "commit\nrollback\nbegin\nbegin\nput k v\n");
    assert_eq!(stdout_lines(&output), ["transaction started", "k written"]);
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("no open transaction"));
    assert!(errors[1].contains("no open transaction"));
    assert!(errors[2].contains("already open"));
    assert!(stderr(&output).contains("rolled back"));
    assert_eq!(output.status.code(), Some(1));
    let after = shell(dir.path(), &[], "get k\n");
    assert_eq!(stdout_lines(&after), ["k not exist"]);
}

#[test]
fn commit_makes_the_writes_visible() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(dir.path(), &[], "begin\nput a 1\ncommit\nget a\n");
    assert_eq!(
        stdout_lines(&output),
        ["transaction started", "a written", "committed", "a=b\"1\""]
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn scan_inside_a_transaction_merges_its_writes_over_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let output = shell(
        dir.path(),
        &[],
        "put a 1\nput c 3\nbegin\nput b 2\ndel c\nscan\nscan a b\ncommit\nscan\n",
    );
    assert_eq!(
        stdout_lines(&output),
        [
            "a written",
            "c written",
            "transaction started",
            "b written",
            "c deleted",
            "b\"a\"=b\"1\"",
            "b\"b\"=b\"2\"",
            "",
            "2 keys scanned",
            "b\"a\"=b\"1\"",
            "b\"b\"=b\"2\"",
            "",
            "2 keys scanned",
            "committed",
            "b\"a\"=b\"1\"",
            "b\"b\"=b\"2\"",
            "",
            "2 keys scanned",
        ]
    );
    assert_eq!(output.status.code(), Some(0));
}
