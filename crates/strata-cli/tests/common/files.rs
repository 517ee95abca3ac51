//! Helpers for the file-level tests: build a small database with the shell, find its files,
//! run `strata dump`/`inspect`/`verify` on a path.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use super::{shell, stderr, strata};

/// `put k1 v1`, `put k2 v2`, `del k1`, `flush`, `put k3 v3` with compaction off: one SST holding
/// `k1` (tombstone) and `k2`, the WAL holding `k3`, and a MANIFEST naming the SST.
pub fn small_db(dir: &Path) {
    let out = shell(
        dir,
        &["--compaction", "none"],
        "put k1 v1\nput k2 v2\ndel k1\nflush\nput k3 v3\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The files of `dir` whose name satisfies `pick`, sorted.
pub fn files(dir: &Path, pick: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| pick(p.file_name().unwrap().to_str().unwrap()))
        .collect();
    v.sort();
    v
}

/// The only file of `dir` satisfying `pick`.
pub fn only(dir: &Path, pick: impl Fn(&str) -> bool) -> PathBuf {
    let v = files(dir, pick);
    assert_eq!(v.len(), 1, "{v:?}");
    v[0].clone()
}

/// `strata ARGS… PATH`.
pub fn run(args: &[&str], path: &Path) -> Output {
    strata().args(args).arg(path).output().unwrap()
}

/// Stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The line of `text` that contains `needle` (panics with the text otherwise).
pub fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}
