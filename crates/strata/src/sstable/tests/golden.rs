//! The worked example of `docs/FORMAT.md (Part I)`, byte for byte: a change to the format shows up
//! here as a diff.

use crate::key::ValueKind;
use crate::options::Compression;
use crate::sstable::test_util::{build_with, open};
use crate::sstable::{TableBuilder, TableBuilderOptions};

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the worked example (with `setup` applied to the builder) and checks each section's
/// bytes against `expected`, then reads both entries back.
fn check_worked_example(
    setup: impl FnOnce(TableBuilder) -> TableBuilder,
    expected: &[(&str, &str)],
) {
    let entries = vec![
        (b"a".to_vec(), 2, ValueKind::Put, b"x".to_vec()),
        (b"b".to_vec(), 1, ValueKind::Delete, Vec::new()),
    ];
    let opts = TableBuilderOptions {
        block_size: 4096,
        restart_interval: 16,
        bloom_bits_per_key: 10,
        compression: Compression::None,
    };
    let (bytes, info) = build_with(&entries, opts, setup);
    let table = open(bytes.clone(), None).unwrap();
    let l = *table.layout();
    let sections = [
        ("data block", 0, l.data_end),
        ("filter", l.data_end, l.properties.offset),
        ("properties", l.properties.offset, l.index.offset),
        ("index", l.index.offset, l.meta_index.offset),
        ("meta-index", l.meta_index.offset, l.footer_offset),
        ("footer", l.footer_offset, info.size),
    ];
    assert_eq!(sections.len(), expected.len());
    let got: Vec<(&str, String)> = sections
        .iter()
        .map(|&(name, start, end)| {
            let got = hex(&bytes[start as usize..end as usize]);
            println!("{name} @{start}..{end}: {got}");
            (name, got)
        })
        .collect();
    for ((name, got), (want_name, want)) in got.iter().zip(expected) {
        assert_eq!((*name, got.as_str()), (*want_name, *want));
    }
    assert_eq!(
        table.get(b"a", 2).unwrap().map(|(k, v)| (k, v.to_vec())),
        Some((ValueKind::Put, b"x".to_vec()))
    );
    assert_eq!(
        table.get(b"b", 5).unwrap().map(|(k, _)| k),
        Some(ValueKind::Delete)
    );
}

/// The version 2 worked example of docs/FORMAT.md (blocked filter).
#[test]
fn worked_example_is_byte_stable() {
    check_worked_example(|b| b, EXPECTED_V2);
}

/// The legacy writer still produces the version 1 worked example (legacy filter) byte for
/// byte, so the legacy read path is tested on the exact bytes older binaries wrote.
#[test]
fn legacy_version_1_worked_example_is_byte_stable() {
    check_worked_example(TableBuilder::legacy_v1, EXPECTED_V1);
}

const EXPECTED_V2: &[(&str, &str)] = &[
    (
        "data block",
        concat!(
            "00 09 01 61 01 02 00 00 00 00 00 00 78 00 09 00 62 00 01 00 00 00 00 00 ",
            "00 00 00 00 00 01 00 00 00 00 fe c2 8c 3c",
        ),
    ),
    (
        "filter",
        concat!(
            "20 00 00 00 01 00 00 20 40 00 00 00 20 00 00 00 00 02 00 00 00 00 00 00 ",
            "20 00 00 00 00 00 00 00 00 00 00 88 00 00 00 00 00 00 00 00 00 00 00 00 ",
            "00 01 80 00 04 00 00 00 00 00 00 00 00 00 00 00 06 00 47 fc 26 7c",
        ),
    ),
    (
        "properties",
        concat!(
            "00 11 02 73 74 72 61 74 61 2e 62 6c 6f 63 6b 5f 73 69 7a 65 80 20 00 19 ",
            "01 73 74 72 61 74 61 2e 62 6c 6f 6f 6d 5f 62 69 74 73 5f 70 65 72 5f 6b ",
            "65 79 0a 00 12 01 73 74 72 61 74 61 2e 63 6f 6d 70 72 65 73 73 69 6f 6e ",
            "00 00 12 01 73 74 72 61 74 61 2e 64 61 74 61 5f 62 6c 6f 63 6b 73 01 00 ",
            "11 01 73 74 72 61 74 61 2e 64 61 74 61 5f 62 79 74 65 73 26 00 10 01 73 ",
            "74 72 61 74 61 2e 64 65 6c 65 74 69 6f 6e 73 01 00 14 01 73 74 72 61 74 ",
            "61 2e 64 69 73 74 69 6e 63 74 5f 6b 65 79 73 02 00 0e 01 73 74 72 61 74 ",
            "61 2e 65 6e 74 72 69 65 73 02 00 15 01 73 74 72 61 74 61 2e 66 6f 72 6d ",
            "61 74 5f 76 65 72 73 69 6f 6e 02 00 12 09 73 74 72 61 74 61 2e 6c 61 72 ",
            "67 65 73 74 5f 6b 65 79 62 00 01 00 00 00 00 00 00 00 12 01 73 74 72 61 ",
            "74 61 2e 6c 61 72 67 65 73 74 5f 73 65 71 02 00 15 01 73 74 72 61 74 61 ",
            "2e 72 61 77 5f 64 61 74 61 5f 62 79 74 65 73 21 00 14 01 73 74 72 61 74 ",
            "61 2e 72 61 77 5f 6b 65 79 5f 62 79 74 65 73 12 00 16 01 73 74 72 61 74 ",
            "61 2e 72 61 77 5f 76 61 6c 75 65 5f 62 79 74 65 73 01 00 17 01 73 74 72 ",
            "61 74 61 2e 72 65 73 74 61 72 74 5f 69 6e 74 65 72 76 61 6c 10 00 13 09 ",
            "73 74 72 61 74 61 2e 73 6d 61 6c 6c 65 73 74 5f 6b 65 79 61 01 02 00 00 ",
            "00 00 00 00 00 13 01 73 74 72 61 74 61 2e 73 6d 61 6c 6c 65 73 74 5f 73 ",
            "65 71 01 00 00 00 00 16 00 00 00 33 00 00 00 49 00 00 00 5f 00 00 00 74 ",
            "00 00 00 88 00 00 00 a0 00 00 00 b2 00 00 00 cb 00 00 00 e9 00 00 00 ff ",
            "00 00 00 18 01 00 00 30 01 00 00 4a 01 00 00 65 01 00 00 84 01 00 00 11 ",
            "00 00 00 00 3a 7c 03 46",
        ),
    ),
    (
        "index",
        concat!(
            "00 09 02 62 00 01 00 00 00 00 00 00 00 21 00 00 00 00 01 00 00 00 00 23 ",
            "23 8f 7f",
        ),
    ),
    (
        "meta-index",
        concat!(
            "00 13 02 66 69 6c 74 65 72 2e 62 6c 6f 6f 6d 36 34 2e 78 78 68 33 26 41 ",
            "00 0a 03 70 72 6f 70 65 72 74 69 65 73 6c e3 03 00 00 00 00 18 00 00 00 ",
            "02 00 00 00 00 22 c4 63 7c",
        ),
    ),
    (
        "footer",
        concat!(
            "6f 02 00 00 00 00 00 00 34 00 00 00 00 00 00 00 54 02 00 00 00 00 00 00 ",
            "16 00 00 00 00 00 00 00 ab cc 39 32 02 00 00 00 53 54 52 41 54 53 53 54",
        ),
    ),
];

const EXPECTED_V1: &[(&str, &str)] = &[
    (
        "data block",
        concat!(
            "00 09 01 61 01 02 00 00 00 00 00 00 78 00 09 00 62 00 01 00 00 00 00 00 ",
            "00 00 00 00 00 01 00 00 00 00 fe c2 8c 3c",
        ),
    ),
    ("filter", "02 08 28 88 88 a0 80 80 07 00 58 a9 78 96"),
    (
        "properties",
        concat!(
            "00 11 02 73 74 72 61 74 61 2e 62 6c 6f 63 6b 5f 73 69 7a 65 80 20 00 19 ",
            "01 73 74 72 61 74 61 2e 62 6c 6f 6f 6d 5f 62 69 74 73 5f 70 65 72 5f 6b ",
            "65 79 0a 00 12 01 73 74 72 61 74 61 2e 63 6f 6d 70 72 65 73 73 69 6f 6e ",
            "00 00 12 01 73 74 72 61 74 61 2e 64 61 74 61 5f 62 6c 6f 63 6b 73 01 00 ",
            "11 01 73 74 72 61 74 61 2e 64 61 74 61 5f 62 79 74 65 73 26 00 10 01 73 ",
            "74 72 61 74 61 2e 64 65 6c 65 74 69 6f 6e 73 01 00 14 01 73 74 72 61 74 ",
            "61 2e 64 69 73 74 69 6e 63 74 5f 6b 65 79 73 02 00 0e 01 73 74 72 61 74 ",
            "61 2e 65 6e 74 72 69 65 73 02 00 15 01 73 74 72 61 74 61 2e 66 6f 72 6d ",
            "61 74 5f 76 65 72 73 69 6f 6e 01 00 12 09 73 74 72 61 74 61 2e 6c 61 72 ",
            "67 65 73 74 5f 6b 65 79 62 00 01 00 00 00 00 00 00 00 12 01 73 74 72 61 ",
            "74 61 2e 6c 61 72 67 65 73 74 5f 73 65 71 02 00 15 01 73 74 72 61 74 61 ",
            "2e 72 61 77 5f 64 61 74 61 5f 62 79 74 65 73 21 00 14 01 73 74 72 61 74 ",
            "61 2e 72 61 77 5f 6b 65 79 5f 62 79 74 65 73 12 00 16 01 73 74 72 61 74 ",
            "61 2e 72 61 77 5f 76 61 6c 75 65 5f 62 79 74 65 73 01 00 17 01 73 74 72 ",
            "61 74 61 2e 72 65 73 74 61 72 74 5f 69 6e 74 65 72 76 61 6c 10 00 13 09 ",
            "73 74 72 61 74 61 2e 73 6d 61 6c 6c 65 73 74 5f 6b 65 79 61 01 02 00 00 ",
            "00 00 00 00 00 13 01 73 74 72 61 74 61 2e 73 6d 61 6c 6c 65 73 74 5f 73 ",
            "65 71 01 00 00 00 00 16 00 00 00 33 00 00 00 49 00 00 00 5f 00 00 00 74 ",
            "00 00 00 88 00 00 00 a0 00 00 00 b2 00 00 00 cb 00 00 00 e9 00 00 00 ff ",
            "00 00 00 18 01 00 00 30 01 00 00 4a 01 00 00 65 01 00 00 84 01 00 00 11 ",
            "00 00 00 00 ae ba 4b 0f",
        ),
    ),
    (
        "index",
        concat!(
            "00 09 02 62 00 01 00 00 00 00 00 00 00 21 00 00 00 00 01 00 00 00 00 23 ",
            "23 8f 7f",
        ),
    ),
    (
        "meta-index",
        concat!(
            "00 11 02 66 69 6c 74 65 72 2e 62 6c 6f 6f 6d 2e 78 78 68 33 26 09 00 0a ",
            "03 70 72 6f 70 65 72 74 69 65 73 34 e3 03 00 00 00 00 16 00 00 00 02 00 ",
            "00 00 00 fc 43 4e 16",
        ),
    ),
    (
        "footer",
        concat!(
            "37 02 00 00 00 00 00 00 32 00 00 00 00 00 00 00 1c 02 00 00 00 00 00 00 ",
            "16 00 00 00 00 00 00 00 2b 61 55 ac 01 00 00 00 53 54 52 41 54 53 53 54",
        ),
    ),
];
