//! Every flipped byte and every truncation of a small database's files: the dumpers never
//! panic, and since every byte of an SST is under a checksum, every SST flip is a problem.

use std::path::Path;

use strata::{CompactionOptions, Db, Options};

use super::annotate::Listing;
use super::{manifest, sst, wal};

type Dumper = fn(&mut Listing, &[u8]);

fn problems(dump: Dumper, bytes: &[u8]) -> usize {
    let mut l = Listing::new(true);
    dump(&mut l, bytes);
    l.lines().1.len()
}

fn files(dir: &Path) -> Vec<(Dumper, Vec<u8>)> {
    let mut out: Vec<(Dumper, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dumper: Dumper = if name.ends_with(".sst") {
            sst::dump
        } else if name.ends_with(".wal") {
            wal::dump
        } else if name.starts_with("MANIFEST-") {
            manifest::dump
        } else {
            continue;
        };
        out.push((dumper, std::fs::read(entry.path()).unwrap_or_default()));
    }
    out
}

#[test]
fn damaged_bytes_never_panic_and_sst_flips_are_always_found()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let options = Options {
        compaction: CompactionOptions::None,
        ..Options::default()
    };
    let db = Db::open(dir.path(), options)?;
    db.put("alpha", "1")?;
    db.put("beta", "two")?;
    db.delete("alpha")?;
    db.flush()?;
    db.put("gamma", "3")?;
    db.close()?;
    let files = files(dir.path());
    assert_eq!(files.len(), 3);
    for (dump, good) in &files {
        assert_eq!(problems(*dump, good), 0);
        let is_sst = *dump as usize == sst::dump as Dumper as usize;
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            let found = problems(*dump, &bad);
            assert!(!is_sst || found > 0, "SST flip at {at} not found");
            problems(*dump, &good[..at]);
        }
    }
    Ok(())
}

#[test]
fn current_matches_the_format_documents_example() {
    // docs/FORMAT.md Part II §4: MANIFEST 12.
    let good = b"MANIFEST-000012\ncrc32c=415381e7\n";
    let mut l = Listing::new(false);
    super::current::dump(&mut l, good);
    let (lines, found, _) = l.lines();
    assert!(found.is_empty(), "{found:?}");
    assert!(
        lines
            .iter()
            .any(|s| s.contains("0x415381e7 stored, 0x415381e7 computed (ok)"))
    );
    for bad in [
        &b"MANIFEST-12\ncrc32c=415381e7\n"[..],
        b"MANIFEST-000012\ncrc32c=415381E7\n",
        b"MANIFEST-000012\ncrc32c=415381e7",
        b"MANIFEST-000012",
        b"",
    ] {
        assert!(problems(super::current::dump, bad) > 0, "{bad:?}");
    }
}

fn listing(dump: Dumper, bytes: &[u8]) -> (Vec<String>, usize) {
    let mut l = Listing::new(true);
    dump(&mut l, bytes);
    let (lines, problems, _) = l.lines();
    (lines, problems.len())
}

fn has(lines: &[String], text: &str) -> bool {
    lines.iter().any(|l| l.contains(text))
}

/// The v2 file header of docs/FORMAT.md Part II §1.
const FILE_HEADER: [u8; 12] = [
    0x53, 0x4c, 0x4f, 0x47, 0xff, 0xff, 0x02, 0x00, 0x77, 0x4d, 0xd8, 0x62,
];

/// docs/FORMAT.md Part II §2: put("k", "v"), delete("x") at first_seq 5 (payload version 2).
const WAL_PAYLOAD: [u8; 11] = [
    0x02, 0x05, 0x02, 0x01, 0x01, 0x6b, 0x01, 0x76, 0x00, 0x01, 0x78,
];

/// The same batch in the legacy payload version 1.
const WAL_PAYLOAD_V1: [u8; 23] = [
    0x01, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0x01, 0x00, 0x01, 0x6b, 0x01, 0x76, 0x00, 0x00,
    0x01, 0x78,
];

fn check_wal_example(lines: &[String]) {
    assert!(has(lines, "computed (ok)"));
    assert!(has(lines, "first_seq: 5"));
    assert!(has(lines, "count: 2"));
    assert!(has(lines, "op 0 (seq 5): kind 1 (Put)"));
    assert!(has(lines, "01 6b") && has(lines, "key: b\"k\""));
    assert!(has(lines, "value: b\"v\""));
    assert!(has(lines, "op 1 (seq 6): kind 0 (Delete)"));
    assert!(has(lines, "key: b\"x\""));
}

#[test]
fn the_format_documents_wal_example_decodes() {
    // One Full fragment in a v2 log: file header, 11-byte fragment header, payload, end byte.
    let mut bytes = FILE_HEADER.to_vec();
    bytes.extend_from_slice(&[
        0xfb, 0x81, 0xd9, 0x82, 0x0b, 0x00, 0x01, 0xde, 0xd7, 0xd9, 0x68,
    ]);
    bytes.extend_from_slice(&WAL_PAYLOAD);
    bytes.push(0xa5);
    let (lines, problems) = listing(wal::dump, &bytes);
    assert_eq!(problems, 0, "{lines:#?}");
    check_wal_example(&lines);
    for text in [
        "file header (log format v2)",
        "magic: \"SLOG\" ff ff",
        "version: 2",
        "crc: 0x62d84d77 stored, 0x62d84d77 computed (ok)",
        "fragment at 12: Full (11-byte payload)",
        "length: 11",
        "header crc: 0x68d9d7de stored, 0x68d9d7de computed (ok)",
        "payload: 11 bytes at 23",
        "version: 2",
        "end byte: 0xa5 (ok)",
        "records: 1",
    ] {
        assert!(has(&lines, text), "{text} in {lines:#?}");
    }
    // A torn write filled with zeros is a note, not a problem; a flipped bit is a problem.
    let mut torn = bytes.clone();
    let n = torn.len();
    torn[n - 5..].fill(0);
    let (lines, problems) = listing(wal::dump, &torn);
    assert_eq!(problems, 0, "{lines:#?}");
    assert!(has(&lines, "torn write filled with zeros"), "{lines:#?}");
    let mut flipped = bytes.clone();
    flipped[16] ^= 0x01; // the length
    let (lines, problems) = listing(wal::dump, &flipped);
    assert!(problems > 0, "{lines:#?}");
    assert!(
        has(&lines, "fragment header checksum mismatch"),
        "{lines:#?}"
    );
}

#[test]
fn a_legacy_v1_wal_still_decodes() {
    // The same record as written before log format v2: a 7-byte header, no file header.
    let mut bytes = vec![0xe4, 0x84, 0x46, 0x9b, 0x17, 0x00, 0x01];
    bytes.extend_from_slice(&WAL_PAYLOAD_V1);
    let (lines, problems) = listing(wal::dump, &bytes);
    assert_eq!(problems, 0, "{lines:#?}");
    assert!(has(&lines, "e4 84 46 9b"));
    assert!(has(&lines, "length: 23"));
    assert!(has(&lines, "version: 1"));
    assert!(has(&lines, "keyspace: 0"));
    assert!(has(&lines, "legacy v1 log"), "{lines:#?}");
    check_wal_example(&lines);
}

#[test]
fn the_format_documents_manifest_example_decodes() {
    // docs/FORMAT.md Part II §3: the 48-byte edit behind its header, in a v2 log.
    let mut bytes = FILE_HEADER.to_vec();
    bytes.extend_from_slice(&[
        0x05, 0x05, 0xff, 0x25, 0x30, 0x00, 0x01, 0x56, 0x1e, 0x4c, 0x1a,
    ]);
    bytes.extend_from_slice(&[
        0x01, 0x01, 0x01, 0x04, 0x02, 0x01, 0x06, 0x03, 0x02, 0xac, 0x02, 0x04, 0x03, 0x00, 0x00,
        0x02, 0x05, 0x1d, 0x00, 0x01, 0x05, 0x80, 0x10, 0x09, 0x61, 0x01, 0x07, 0, 0, 0, 0, 0, 0,
        0x09, 0x62, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0x03, 0x07, 0x02, 0x01, 0x00,
    ]);
    bytes.push(0xa5);
    let (lines, problems) = listing(manifest::dump, &bytes);
    assert_eq!(problems, 0, "{lines:#?}");
    for text in [
        "length: 48",
        "LogNumber: 4",
        "NextFileNumber: 6",
        "LastSequence: 300",
        "keyspace 0, level 0, file 000002.sst",
        "keyspace 0, level 1, file 000005.sst, size 2048",
        "smallest: b\"a\" @7 Put",
        "largest: b\"b\" @3 Delete",
        "seqs 3..=7, entries 2, deletions 1",
        "End",
    ] {
        assert!(has(&lines, text), "{text} in {lines:#?}");
    }
}

#[test]
fn the_format_documents_sst_example_blocks_and_footer_decode() {
    // docs/FORMAT.md Part I, worked example: the data block [0, 38) and the footer [622, 670).
    let mut file = vec![0u8; 670];
    let data = [
        0x00, 0x09, 0x01, 0x61, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x78, 0x00, 0x09, 0x00, 0x62, 0x00,
        0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0xfe, 0xc2, 0x8c, 0x3c,
    ];
    file[..38].copy_from_slice(&data);
    let footer = [
        0x37, 0x02, 0, 0, 0, 0, 0, 0, 0x32, 0, 0, 0, 0, 0, 0, 0, 0x1c, 0x02, 0, 0, 0, 0, 0, 0,
        0x16, 0, 0, 0, 0, 0, 0, 0, 0x2b, 0x61, 0x55, 0xac, 0x01, 0, 0, 0, 0x53, 0x54, 0x52, 0x41,
        0x54, 0x53, 0x53, 0x54,
    ];
    file[622..].copy_from_slice(&footer);

    let mut l = Listing::new(false);
    let entries =
        super::block::dump_block(&mut l, &file, (0, 33), "data block 0", |l, raw, base| {
            super::block::entries(l, raw, base, 0, "data block 0", &mut |l, e, at, d| {
                l.field(
                    at,
                    d,
                    1,
                    format!("key: {}", super::sst::internal_key(&e.key)),
                );
            })
        });
    let (lines, found, _) = l.lines();
    assert!(found.is_empty(), "{found:?}");
    let entries = entries.unwrap_or_default();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].value, b"x");
    assert!(has(&lines, "key: b\"a\" @2 Put"), "{lines:#?}");
    assert!(has(&lines, "key: b\"b\" @1 Delete"));
    assert!(has(
        &lines,
        "crc: 0x3c8cc2fe stored, 0x3c8cc2fe computed (ok)"
    ));

    // The rest of the file is zeros here, so the meta-index fails: the footer still decodes.
    let (lines, problems) = listing(sst::dump, &file);
    assert!(problems > 0);
    for text in [
        "meta-index offset: 567",
        "meta-index size: 50",
        "index offset: 540",
        "index size: 22",
        "crc: 0xac55612b stored, 0xac55612b computed (ok)",
        "format version: 1",
        "magic: \"STRATSST\"",
    ] {
        assert!(has(&lines, text), "{text} in {lines:#?}");
    }
}
