//! The shell's result lines, exactly as the course prints them (SPEC §9.1).
//!
//! Pure functions from results to text, so every line is unit-tested without a database. Byte
//! strings print with `bytes::Bytes`'s `Debug` (`b"…"`, `\n \r \t \0 \\ \"` escaped, 0x20..=0x7E
//! literal, other bytes `\xNN`).

use strata::{Bytes, TreeShape};

use super::command::COMMANDS;

/// `{n} values filled with epoch {epoch}` (`n` = `end - begin + 1`, computed without overflow).
pub fn filled(begin: u64, end: u64, epoch: u64) -> String {
    let count = u128::from(end) - u128::from(begin) + 1;
    format!("{count} values filled with epoch {epoch}")
}

/// `{key} deleted`.
pub fn deleted(key: &str) -> String {
    format!("{key} deleted")
}

/// `{key} written` (the `put` extra).
pub fn written(key: &str) -> String {
    format!("{key} written")
}

/// `{key}={value:?}` or `{key} not exist`.
pub fn got(key: &str, value: Option<&Bytes>) -> String {
    match value {
        Some(value) => format!("{key}={value:?}"),
        None => format!("{key} not exist"),
    }
}

/// One scanned pair: `{key:?}={value:?}`.
pub fn scan_row(key: &Bytes, value: &Bytes) -> String {
    format!("{key:?}={value:?}")
}

/// The lines after the scanned pairs: an empty line, then `{n} keys scanned`.
pub fn scan_footer(count: u64) -> [String; 2] {
    [String::new(), format!("{count} keys scanned")]
}

/// The tree, as the course's `dump_structure` prints it, then `dump success`: `L0 ({n}): [ids]`
/// only when L0 is non-empty, then `L{id} ({n}): [ids]` for every level or tier, even empty.
pub fn dump(shape: &TreeShape) -> Vec<String> {
    let mut lines = Vec::with_capacity(shape.levels.len() + 2);
    if !shape.l0.is_empty() {
        lines.push(format!("L0 ({}): {:?}", shape.l0.len(), shape.l0));
    }
    for (level, files) in &shape.levels {
        lines.push(format!("L{level} ({}): {files:?}", files.len()));
    }
    lines.push("dump success".to_string());
    lines
}

/// `flush success`.
pub const FLUSHED: &str = "flush success";
/// `full compaction success`.
pub const COMPACTED: &str = "full compaction success";
/// `sync success` (an extra; the course has no `sync`).
pub const SYNCED: &str = "sync success";

/// After `begin`.
pub const BEGUN: &str = "transaction started";
/// After a successful `commit` (SPEC §9.1).
pub const COMMITTED: &str = "committed";
/// After `rollback`.
pub const ROLLED_BACK: &str = "rolled back";

/// The `help` text: one line per command.
pub fn help() -> Vec<String> {
    let width = COMMANDS
        .iter()
        .map(|(synopsis, _)| synopsis.len())
        .max()
        .unwrap_or(0);
    COMMANDS
        .iter()
        .map(|(synopsis, description)| format!("  {synopsis:<width$}  {description}"))
        .collect()
}

/// The banner shown when stdin is a terminal.
pub fn banner(path: &std::path::Path) -> String {
    format!(
        "strata {} shell on {} — type `help` for commands, `quit` or Ctrl-D to leave",
        env!("CARGO_PKG_VERSION"),
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_lines() {
        assert_eq!(filled(1000, 3000, 0), "2001 values filled with epoch 0");
        assert_eq!(filled(5, 5, 7), "1 values filled with epoch 7");
        assert_eq!(
            filled(0, u64::MAX, 1),
            "18446744073709551616 values filled with epoch 1"
        );
        assert_eq!(deleted("1001"), "1001 deleted");
        assert_eq!(written("k"), "k written");
        let value = Bytes::from_static(b"value1001@0");
        assert_eq!(got("1001", Some(&value)), "1001=b\"value1001@0\"");
        assert_eq!(got("1001", None), "1001 not exist");
        assert_eq!(got("k", Some(&Bytes::new())), "k=b\"\"");
        assert_eq!(
            scan_row(&Bytes::from_static(b"1000"), &value),
            "b\"1000\"=b\"value1001@0\""
        );
        assert_eq!(
            scan_footer(3),
            [String::new(), "3 keys scanned".to_string()]
        );
        assert_eq!(FLUSHED, "flush success");
        assert_eq!(COMPACTED, "full compaction success");
    }

    #[test]
    fn bytes_debug_escapes_like_the_spec() {
        let all = Bytes::from_static(b"\n\r\t\0\\\"a ~\x7f\x1f\xff");
        assert_eq!(
            scan_row(&all, &Bytes::new()),
            r#"b"\n\r\t\0\\\"a ~\x7f\x1f\xff"=b"""#
        );
    }

    #[test]
    fn dump_prints_l0_only_when_non_empty_and_every_level() {
        let shape = TreeShape {
            l0: vec![7, 5],
            levels: vec![(1, vec![1, 2]), (2, vec![]), (3, vec![3]), (4, vec![])],
        };
        assert_eq!(
            dump(&shape),
            [
                "L0 (2): [7, 5]",
                "L1 (2): [1, 2]",
                "L2 (0): []",
                "L3 (1): [3]",
                "L4 (0): []",
                "dump success"
            ]
        );
        let empty = TreeShape {
            l0: vec![],
            levels: vec![(1, vec![])],
        };
        assert_eq!(dump(&empty), ["L1 (0): []", "dump success"]);
        let tiered = TreeShape {
            l0: vec![],
            levels: vec![(12, vec![12]), (9, vec![4, 9])],
        };
        assert_eq!(
            dump(&tiered),
            ["L12 (1): [12]", "L9 (2): [4, 9]", "dump success"]
        );
    }

    #[test]
    fn help_has_a_line_per_command() {
        assert_eq!(help().len(), COMMANDS.len());
        assert!(help().iter().all(|line| line.starts_with("  ")));
    }
}
