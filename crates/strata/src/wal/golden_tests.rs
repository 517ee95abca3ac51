//! Golden byte dumps: the worked examples of docs/FORMAT.md, checked byte for byte, so a
//! format change shows up here as a diff.
#![allow(clippy::unwrap_used)]

use super::BLOCK_SIZE;
use super::format::{FragmentType, encode_header};
use super::tests::write_log;
use crate::batch::WriteBatch;

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The worked example of docs/FORMAT.md ("Log framing"), byte for byte.
#[test]
fn golden_bytes_of_the_worked_example() {
    let (bytes, _) = write_log(&[b"hi".to_vec(), Vec::new()], BLOCK_SIZE);
    assert_eq!(
        hex(&bytes),
        "8b 6e ac e0 02 00 01 68 69 05 2b 28 43 00 00 01"
    );
    assert_eq!(
        encode_header(FragmentType::Full, b"hi").to_vec(),
        bytes[..7].to_vec()
    );
}

/// The WAL record example: `put("k", "v")`, `delete("x")` at first seq 5, as one log record.
#[test]
fn golden_bytes_of_a_wal_record() {
    let mut batch = WriteBatch::new();
    batch.put(b"k", b"v");
    batch.delete(b"x");
    let mut payload = Vec::new();
    batch.encode_wal_record(5, &mut payload);
    assert_eq!(
        hex(&payload),
        "01 05 00 00 00 00 00 00 00 02 00 00 00 01 00 01 6b 01 76 00 00 01 78"
    );
    let (bytes, _) = write_log(&[payload], BLOCK_SIZE);
    assert_eq!(hex(&bytes[..7]), "e4 84 46 9b 17 00 01");
}
