//! `strata verify|inspect|dump`: a sound database verifies (exit 0); a flipped byte, a
//! truncated or a missing SST is reported with file and offset (exit 1); inspect and dump print
//! the expected rows for a tiny database.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{stderr, stdout_lines, strata};

fn run(args: &[&str], path: &Path) -> Output {
    strata().args(args).arg(path).output().unwrap()
}

/// A tiny database: `a` written then deleted, `b` and `c` live (`c` only in the WAL).
fn tiny_db(path: &Path) {
    for args in [
        &["put", "a", "1"][..],
        &["put", "b", "2"],
        &["del", "a"],
        &["put", "c", "3"],
    ] {
        let output = strata()
            .arg(args[0])
            .arg("--path")
            .arg(path)
            .args(&args[1..])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
}

fn files_with(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

fn problems(output: &Output) -> Vec<String> {
    stdout_lines(output)
        .into_iter()
        .filter(|l| l.starts_with("problem: "))
        .collect()
}

#[test]
fn a_clean_database_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let output = run(&["verify"], &path);
    let lines = stdout_lines(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{lines:?} {}",
        stderr(&output)
    );
    assert!(problems(&output).is_empty(), "{lines:?}");
    assert_eq!(lines.last().unwrap(), &format!("{}: sound", path.display()));
    let ssts = files_with(&path, "sst");
    assert!(!ssts.is_empty());
    for sst in &ssts {
        let ok = format!("ok {}:", sst.display());
        assert!(
            lines.iter().any(|l| l.starts_with(&ok)),
            "{ok} in {lines:?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains(".wal: 1 records, 1 entries")),
        "{lines:?}"
    );
}

#[test]
fn a_flipped_byte_in_any_sst_is_named_with_an_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let ssts = files_with(&path, "sst");
    let len = std::fs::metadata(&ssts[0]).unwrap().len() as usize;
    // A data block, the index region and the footer.
    for at in [3, len / 2, len - 10] {
        let victim = &ssts[0];
        let good = std::fs::read(victim).unwrap();
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        std::fs::write(victim, &bad).unwrap();
        let output = run(&["verify"], &path);
        let found = problems(&output);
        assert_eq!(output.status.code(), Some(1), "byte {at}: {found:?}");
        assert_eq!(found.len(), 1, "byte {at}: {found:?}");
        let name = victim.display().to_string();
        assert!(found[0].contains(&name), "{found:?} names {name}");
        assert!(found[0].contains(" at offset "), "{found:?}");
        assert!(
            stdout_lines(&output)
                .last()
                .unwrap()
                .ends_with("1 problem(s) found")
        );
        std::fs::write(victim, &good).unwrap();
    }
    assert_eq!(run(&["verify"], &path).status.code(), Some(0));
}

#[test]
fn a_truncated_or_missing_sst_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let ssts = files_with(&path, "sst");
    let bytes = std::fs::read(&ssts[0]).unwrap();
    std::fs::write(&ssts[0], &bytes[..bytes.len() - 1]).unwrap();
    let output = run(&["verify"], &path);
    let found = problems(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(found[0].contains(&ssts[0].display().to_string()) && found[0].contains("bytes"));
    std::fs::remove_file(&ssts[1]).unwrap();
    let output = run(&["verify"], &path);
    let found = problems(&output);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|p| p.contains(&ssts[1].display().to_string()))
    );
}

#[test]
fn verify_of_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["verify"], &dir.path().join("nope"));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: "));
    assert!(!dir.path().join("nope").exists());
}

#[test]
fn inspect_lists_levels_files_and_wals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let output = run(&["inspect"], &path);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert!(lines[0].starts_with("manifest: MANIFEST-"), "{lines:?}");
    // Each one-shot command flushed its memtable on close: three L0 files, newest first.
    let rows: Vec<&str> = lines[2..5]
        .iter()
        .map(|l| l.split_once(" size=").unwrap().1)
        .map(|l| l.split_once(' ').unwrap().1)
        .collect();
    assert!(lines[1].starts_with("L0: 3 files, "), "{lines:?}");
    assert_eq!(
        rows,
        [
            r#"keys=b"a"..b"a" entries=1 tombstones=1 seqs=3..3"#,
            r#"keys=b"b"..b"b" entries=1 tombstones=0 seqs=2..2"#,
            r#"keys=b"a"..b"a" entries=1 tombstones=0 seqs=1..1"#,
        ]
    );
    // Then the WAL, then the MANIFEST's history (opened by a snapshot; one flush since).
    assert_eq!(lines[6], "history: 2 edits", "{lines:?}");
    assert!(lines[8].contains(" flush: +L0 "), "{lines:?}");
    assert!(lines[5].starts_with("wal "), "{lines:?}");
    assert!(
        lines[5].ends_with("records=1 entries=1 tombstones=0 seqs=4..4"),
        "{lines:?}"
    );
}

#[test]
fn inspect_of_one_sst_shows_footer_index_and_properties() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let sst = files_with(&path, "sst")[0].clone();
    let size = std::fs::metadata(&sst).unwrap().len();
    let output = run(&["inspect"], &sst);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    for expected in [
        format!("size: {size}"),
        format!("footer: offset={} format_version=2", size - 48),
        "entries: 1".to_string(),
        "tombstones: 0".to_string(),
        r#"keys: b"a"..b"a""#.to_string(),
        "seqs: 1..1".to_string(),
        "data blocks: 1".to_string(),
    ] {
        assert!(lines.contains(&expected), "{expected} in {lines:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("index: offset=") && l.ends_with(" entries=1"))
    );
    // A damaged footer is an error naming the file.
    let mut bytes = std::fs::read(&sst).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&sst, &bytes).unwrap();
    let output = run(&["inspect"], &sst);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(&sst.display().to_string()));
}

#[test]
fn dump_prints_live_pairs_and_raw_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let output = run(&["dump"], &path);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout_lines(&output), [r#"b"b"=b"2""#, r#"b"c"=b"3""#]);
    let output = strata()
        .args(["dump", "--from", "a", "--to", "b"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(stdout_lines(&output), [r#"b"b"=b"2""#]);

    let output = run(&["dump", "--raw"], &path);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    let headers = lines.iter().filter(|l| l.starts_with("# L0 ")).count();
    let mut rows: Vec<&str> = lines
        .iter()
        .filter(|l| !l.starts_with('#'))
        .map(String::as_str)
        .collect();
    rows.sort_unstable();
    assert_eq!(
        rows,
        [
            r#"b"a" @1 put=b"1""#,
            r#"b"a" @3 del"#,
            r#"b"b" @2 put=b"2""#,
            r#"b"c" @4 put=b"3""#,
        ]
    );
    assert_eq!(headers, 4, "{lines:?}");
    let output = strata()
        .args(["dump", "--raw", "--from", "a", "--to", "a"])
        .arg(&path)
        .output()
        .unwrap();
    let rows: Vec<String> = stdout_lines(&output)
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(rows, [r#"b"a" @3 del"#, r#"b"a" @1 put=b"1""#]);
}

#[test]
fn a_damaged_wal_or_current_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    tiny_db(&path);
    let wal = files_with(&path, "wal")[0].clone();
    let good = std::fs::read(&wal).unwrap();
    let mut bad = good.clone();
    // The first payload byte of the first fragment (a 12-byte file header, then an 11-byte
    // fragment header).
    bad[23] ^= 1;
    std::fs::write(&wal, &bad).unwrap();
    let output = run(&["verify"], &path);
    let found = problems(&output);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(&format!("{} at offset 12", wal.display())),
        "{found:?}"
    );
    std::fs::write(&wal, &good).unwrap();

    let current = path.join("CURRENT");
    let mut bytes = std::fs::read(&current).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&current, &bytes).unwrap();
    let output = run(&["verify"], &path);
    let found = problems(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        found[0].contains(&current.display().to_string()),
        "{found:?}"
    );
}
