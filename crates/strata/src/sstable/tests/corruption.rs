//! Truncation at every length and every single-byte flip of small tables.

use super::{model_get, random_entries};
use crate::error::Error;
use crate::iter::InternalIterator;
use crate::key::make_internal_key;
use crate::options::Compression;
use crate::sstable::footer::FOOTER_LEN;
use crate::sstable::test_util::{Entry, build, open, small_opts};
use crate::sstable::{FORMAT_VERSION, Table};

fn small_table(compression: Compression) -> (Vec<Entry>, Vec<u8>) {
    let entries = random_entries(21, 40, 40);
    let (bytes, _) = build(&entries, small_opts(compression));
    (entries, bytes)
}

#[test]
fn truncation_at_every_length_fails_to_open_with_corruption() {
    for compression in [Compression::None, Compression::Lz4] {
        let (_, bytes) = small_table(compression);
        assert!(open(bytes.clone(), None).is_ok());
        for len in 0..bytes.len() {
            match open(bytes[..len].to_vec(), None) {
                Err(Error::Corruption { .. }) => {}
                Err(e) => panic!("truncated to {len}: unexpected error {e}"),
                Ok(_) => panic!("truncated to {len}: opened"),
            }
        }
    }
}

/// Every get and every scanned entry is either an error or the model's answer.
fn never_wrong(table: &std::sync::Arc<Table>, entries: &[Entry]) {
    for e in entries {
        for seq in [e.1, u64::MAX] {
            if let Ok(got) = table.get(&e.0, seq) {
                assert_eq!(
                    got.map(|(k, v)| (k, v.to_vec())),
                    model_get(entries, &e.0, seq)
                );
            }
        }
    }
    let mut it = table.iter();
    let mut at = 0;
    let mut step = it.seek_to_first();
    while step.is_ok() && it.valid() {
        let e = &entries[at];
        assert_eq!(it.key(), &make_internal_key(&e.0, e.1, e.2 as u8)[..]);
        assert_eq!(it.value(), &e.3[..]);
        at += 1;
        step = it.next();
    }
    if step.is_ok() {
        assert_eq!(at, entries.len(), "a scan ended early without an error");
    } else {
        assert!(!it.valid());
    }
    let mut step = it.seek_to_last();
    let mut at = entries.len();
    while step.is_ok() && it.valid() {
        at -= 1;
        let e = &entries[at];
        assert_eq!(it.key(), &make_internal_key(&e.0, e.1, e.2 as u8)[..]);
        step = it.prev();
    }
    assert!(step.is_err() || at == 0);
}

#[test]
fn every_flipped_byte_is_caught_and_never_yields_a_wrong_answer() {
    for compression in [Compression::None, Compression::Zstd] {
        let (entries, bytes) = small_table(compression);
        assert!(
            open(bytes.clone(), None)
                .unwrap()
                .properties()
                .num_data_blocks
                > 3
        );
        for at in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                let table = match open(bad, None) {
                    Err(e) => {
                        assert!(matches!(e, Error::Corruption { .. }), "byte {at}: {e}");
                        continue;
                    }
                    Ok(t) => t,
                };
                match table.verify() {
                    Err(Error::Corruption { .. }) => {}
                    other => panic!("byte {at} ^ {mask:#x}: verify gave {other:?}"),
                }
                never_wrong(&table, &entries);
            }
        }
    }
}

#[test]
fn newer_format_version_is_unsupported() {
    let (_, mut bytes) = small_table(Compression::None);
    let footer = bytes.len() - FOOTER_LEN;
    bytes[footer + 36..footer + 40].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let f = &bytes[footer..];
    let crc = crc32c::crc32c_append(crc32c::crc32c(&f[..32]), &f[36..]);
    bytes[footer + 32..footer + 36].copy_from_slice(&crc.to_le_bytes());
    assert!(
        matches!(open(bytes, None), Err(Error::UnsupportedFormat { found, .. }) if found == FORMAT_VERSION + 1)
    );
}

#[test]
fn wrong_magic_is_corruption() {
    let (_, mut bytes) = small_table(Compression::None);
    let n = bytes.len();
    bytes[n - 8..].copy_from_slice(b"NOTASST!");
    assert!(matches!(open(bytes, None), Err(Error::Corruption { .. })));
}
