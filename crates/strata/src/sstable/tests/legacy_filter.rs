//! Filter kinds at the table level: format version 1 tables with the legacy filter are still
//! read (answers checked against the model), and damaged blocked filters are `Corruption` at
//! the filter block's offset, never a panic.

use super::{model_get, random_entries};
use crate::error::Error;
use crate::options::Compression;
use crate::sstable::test_util::{build, build_with, open, small_opts};
use crate::sstable::{FILTER_BLOCK_NAME, FORMAT_VERSION, LEGACY_FILTER_BLOCK_NAME, TableBuilder};

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_version_1_table_with_the_legacy_filter_is_read_by_the_old_rules() {
    let entries = random_entries(5, 400, 30);
    let (bytes, _) = build_with(
        &entries,
        small_opts(Compression::Lz4),
        TableBuilder::legacy_v1,
    );
    assert!(contains(&bytes, LEGACY_FILTER_BLOCK_NAME));
    assert!(!contains(&bytes, FILTER_BLOCK_NAME));
    let table = open(bytes, None).unwrap();
    assert_eq!(table.layout().format_version, 1);
    // Every present key at every seq answers as the model says (no false negatives).
    for (key, seq, _, _) in &entries {
        for s in [*seq, seq + 1, u64::MAX >> 8] {
            let got = table.get(key, s).unwrap().map(|(k, v)| (k, v.to_vec()));
            assert_eq!(got, model_get(&entries, key, s), "key {key:?} @{s}");
        }
    }
    // Absent keys: the legacy filter (7 probes, 10 bits/key) rejects nearly all of them.
    let absent = (0..2000).filter(|i| !table.may_contain(format!("zz{i}").as_bytes()));
    assert!(absent.count() > 1900);
    for i in 0..200 {
        assert_eq!(
            table
                .get(format!("zz{i}").as_bytes(), u64::MAX >> 8)
                .unwrap(),
            None
        );
    }
}

#[test]
fn new_tables_are_version_2_with_the_blocked_filter() {
    let entries = random_entries(6, 400, 30);
    let (bytes, _) = build(&entries, small_opts(Compression::None));
    assert!(contains(&bytes, FILTER_BLOCK_NAME));
    assert!(!contains(&bytes, LEGACY_FILTER_BLOCK_NAME));
    let table = open(bytes, None).unwrap();
    assert_eq!((table.layout().format_version, FORMAT_VERSION), (2, 2));
    let absent = (0..2000).filter(|i| !table.may_contain(format!("zz{i}").as_bytes()));
    assert!(absent.count() > 1900);
}

#[test]
fn a_blocked_filter_of_the_wrong_size_or_k_is_corruption_at_its_offset() {
    let entries = random_entries(7, 100, 30);
    let (good, _) = build(&entries, small_opts(Compression::None));
    let filter_at = open(good, None).unwrap().layout().data_end;
    let bad_payloads: [(Vec<u8>, &str); 5] = [
        (vec![6], "whole number"),
        (vec![6; 64], "whole number"),
        (vec![6; 66], "whole number"),
        (vec![0; 65], "probe count"),
        (vec![31; 129], "probe count"),
    ];
    for (payload, why) in bad_payloads {
        let len = payload.len();
        let (bytes, _) = build_with(&entries, small_opts(Compression::None), |b| {
            b.with_filter_payload(payload)
        });
        match open(bytes, None) {
            Err(Error::Corruption {
                file,
                offset,
                reason,
            }) => {
                assert_eq!(
                    (file.to_str(), offset),
                    (Some("mem.sst"), filter_at),
                    "{len}"
                );
                assert!(reason.contains(why), "{len}-byte payload: {reason}");
            }
            other => panic!("{len}-byte payload: {:?}", other.map(|_| ())),
        }
    }
}
