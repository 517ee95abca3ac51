//! Tests of the MANIFEST writer, replay and `CURRENT`, on the real filesystem.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::fs::RealFs;
use crate::version::apply::test_file;

fn fs() -> Arc<dyn FileSystem> {
    Arc::new(RealFs)
}

fn snapshot() -> VersionEdit {
    VersionEdit {
        log_number: Some(3),
        next_file_number: Some(10),
        last_sequence: Some(100),
        deleted_files: Vec::new(),
        new_files: vec![
            (0, test_file(4, b"a", b"z", (50, 100))),
            (1, test_file(5, b"a", b"f", (1, 40))),
            (1, test_file(6, b"g", b"m", (1, 40))),
        ],
        tier_order: None,
    }
}

fn later_edits() -> Vec<VersionEdit> {
    vec![
        VersionEdit {
            log_number: Some(11),
            next_file_number: Some(12),
            last_sequence: Some(150),
            new_files: vec![(0, test_file(11, b"c", b"d", (101, 150)))],
            ..VersionEdit::default()
        },
        VersionEdit {
            next_file_number: Some(14),
            last_sequence: Some(120), // smaller: last_sequence takes the max
            deleted_files: vec![(0, 4), (1, 5)],
            new_files: vec![(2, test_file(13, b"a", b"z", (1, 100)))],
            ..VersionEdit::default()
        },
        VersionEdit::default(),
    ]
}

/// Writes a MANIFEST with the snapshot and the later edits; returns the expected version.
fn write_manifest(dir: &Path, number: u64) -> (ManifestWriter, Version) {
    let mut writer = ManifestWriter::create(fs(), dir, number, &snapshot()).unwrap();
    let mut version = Version::new(3).apply(&snapshot()).unwrap();
    for edit in later_edits() {
        writer.append(&edit).unwrap();
        version = version.apply(&edit).unwrap();
    }
    (writer, version)
}

fn numbers(version: &Version) -> Vec<(u32, u64)> {
    version
        .all_files()
        .map(|(level, f)| (level, f.number))
        .collect()
}

#[test]
fn create_append_replay_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, expected) = write_manifest(dir.path(), 7);
    assert_eq!(writer.number(), 7);
    assert_eq!(
        writer.size(),
        RealFs.file_size(&manifest_path(dir.path(), 7)).unwrap()
    );
    assert_eq!(read_current(&RealFs, dir.path()).unwrap(), Some(7));
    assert!(
        !dir.path().join(CURRENT_TEMP).exists(),
        "the temporary was renamed"
    );
    let state = replay(&RealFs, dir.path(), 7, 3).unwrap();
    assert_eq!(numbers(&state.version), numbers(&expected));
    assert_eq!(numbers(&state.version), vec![(0, 11), (1, 6), (2, 13)]);
    assert_eq!(state.version.levels, expected.levels);
    assert_eq!(
        (
            state.log_number,
            state.next_file_number,
            state.last_sequence,
            state.edits
        ),
        (11, 14, 150, 4)
    );
    assert!(!state.torn_tail);
}

#[test]
fn rotation_switches_current_and_keeps_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let (_, version) = write_manifest(dir.path(), 7);
    let state = replay(&RealFs, dir.path(), 7, 3).unwrap();
    let mut snap = state.version.snapshot_edit();
    snap.log_number = Some(state.log_number);
    snap.next_file_number = Some(state.next_file_number + 1);
    snap.last_sequence = Some(state.last_sequence);
    let mut writer =
        ManifestWriter::create(fs(), dir.path(), state.next_file_number, &snap).unwrap();
    writer
        .append(&VersionEdit {
            last_sequence: Some(151),
            ..VersionEdit::default()
        })
        .unwrap();
    assert_eq!(read_current(&RealFs, dir.path()).unwrap(), Some(14));
    let rotated = replay(&RealFs, dir.path(), 14, 3).unwrap();
    assert_eq!(numbers(&rotated.version), numbers(&version));
    assert_eq!(
        (rotated.log_number, rotated.last_sequence, rotated.edits),
        (11, 151, 2)
    );
}

#[test]
fn truncation_at_every_offset_replays_a_prefix_of_edits() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), 1);
    let path = manifest_path(dir.path(), 1);
    let full = std::fs::read(&path).unwrap();
    let mut ends = Vec::new();
    let mut reader = LogReader::open(&RealFs, &path).unwrap();
    while reader.read_record().unwrap().is_some() {
        ends.push(reader.valid_len());
    }
    let all: Vec<VersionEdit> = std::iter::once(snapshot()).chain(later_edits()).collect();
    for cut in 0..=full.len() {
        std::fs::write(&path, &full[..cut]).unwrap();
        let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
        match replay(&RealFs, dir.path(), 1, 3) {
            Ok(state) => {
                assert_eq!(state.edits, complete, "cut {cut}");
                assert_eq!(
                    state.torn_tail,
                    cut as u64 > ends[complete - 1],
                    "cut {cut}"
                );
                let mut expected = Version::new(3);
                for edit in &all[..complete] {
                    expected = expected.apply(edit).unwrap();
                }
                assert_eq!(numbers(&state.version), numbers(&expected), "cut {cut}");
            }
            Err(Error::Corruption { offset: 0, .. }) => assert_eq!(complete, 0, "cut {cut}"),
            Err(e) => panic!("cut {cut}: {e}"),
        }
    }
}

#[test]
fn every_byte_flipped_is_corruption_or_a_torn_prefix() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), 1);
    let path = manifest_path(dir.path(), 1);
    let full = std::fs::read(&path).unwrap();
    for pos in 0..full.len() {
        let mut bad = full.clone();
        bad[pos] ^= 0x04;
        std::fs::write(&path, &bad).unwrap();
        match replay(&RealFs, dir.path(), 1, 3) {
            Ok(state) => assert!(state.torn_tail && state.edits < 4, "flip {pos} unnoticed"),
            Err(Error::Corruption { file, offset, .. }) => {
                assert_eq!(file, path);
                assert!(offset <= pos as u64, "flip {pos}: offset {offset}");
            }
            Err(e) => panic!("flip {pos}: {e}"),
        }
    }
}

/// Writes raw records (framed correctly) as MANIFEST-1.
fn write_records(dir: &Path, records: &[Vec<u8>]) -> Vec<u64> {
    let path = manifest_path(dir, 1);
    let mut log = LogWriter::new(RealFs.create(&path).unwrap(), path);
    let mut starts = Vec::new();
    for r in records {
        starts.push(log.size());
        log.add_record(r).unwrap();
    }
    log.sync().unwrap();
    starts
}

fn encode(edit: &VersionEdit) -> Vec<u8> {
    let mut buf = Vec::new();
    edit.encode(&mut buf);
    buf
}

#[test]
fn bad_records_are_corruption_at_their_offset() {
    let dir = tempfile::tempdir().unwrap();
    let good = encode(&snapshot());
    // Undecodable payload.
    let starts = write_records(dir.path(), &[good.clone(), vec![1, 0xFF]]);
    let err = replay(&RealFs, dir.path(), 1, 3).unwrap_err();
    assert!(
        matches!(err, Error::Corruption { offset, .. } if offset == starts[1]),
        "{err}"
    );
    // An edit that does not apply (deleting an absent file).
    let bad = encode(&VersionEdit {
        deleted_files: vec![(2, 99)],
        ..VersionEdit::default()
    });
    let starts = write_records(dir.path(), &[good.clone(), bad]);
    let err = replay(&RealFs, dir.path(), 1, 3).unwrap_err();
    assert!(
        matches!(err, Error::Corruption { offset, ref reason, .. }
        if offset == starts[1] && reason.contains("99")),
        "{err}"
    );
    // A newer format.
    let mut newer = encode(&VersionEdit::default());
    newer[0] = EDIT_FORMAT_VERSION + 1;
    write_records(dir.path(), &[good, newer]);
    let err = replay(&RealFs, dir.path(), 1, 3).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnsupportedFormat {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    // No record at all.
    write_records(dir.path(), &[]);
    assert!(
        replay(&RealFs, dir.path(), 1, 3)
            .unwrap_err()
            .is_corruption()
    );
    // A missing MANIFEST is an I/O error.
    assert!(matches!(
        replay(&RealFs, dir.path(), 2, 3),
        Err(Error::Io { .. })
    ));
}

#[test]
fn current_missing_empty_garbled_or_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join(CURRENT);
    assert_eq!(read_current(&RealFs, dir.path()).unwrap(), None);
    let corrupt = |content: &[u8]| {
        std::fs::write(&current, content).unwrap();
        match read_current(&RealFs, dir.path()) {
            Err(Error::Corruption { file, .. }) => assert_eq!(file, current),
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(content)),
        }
    };
    corrupt(b"");
    corrupt(b"MANIFEST-000001");
    corrupt(b"MANIFEST-000001\n");
    corrupt(b"garbage\ncrc32c=00000000\n");
    corrupt(&[0xFF, 0xFE, b'\n']);
    corrupt(&vec![b'x'; 4096]);
    let good = current_contents(12);
    assert_eq!(&good[..16], "MANIFEST-000012\n");
    for cut in 0..good.len() {
        corrupt(&good.as_bytes()[..cut]);
    }
    for pos in 0..good.len() {
        let mut bad = good.clone().into_bytes();
        bad[pos] ^= 0x01;
        corrupt(&bad);
    }
    corrupt(format!("{good}\n").as_bytes());
    // A non-canonical name with a valid checksum is still rejected.
    let line = "MANIFEST-12\n";
    corrupt(format!("{line}crc32c={:08x}\n", crc32c::crc32c(line.as_bytes())).as_bytes());
    std::fs::write(&current, &good).unwrap();
    assert_eq!(read_current(&RealFs, dir.path()).unwrap(), Some(12));
    set_current(&RealFs, dir.path(), 1_234_567).unwrap();
    assert_eq!(read_current(&RealFs, dir.path()).unwrap(), Some(1_234_567));
}

/// The CURRENT and MANIFEST examples of docs/FORMAT.md, byte for byte.
#[test]
fn golden_current_and_manifest_framing() {
    assert_eq!(current_contents(12), "MANIFEST-000012\ncrc32c=415381e7\n");
    let dir = tempfile::tempdir().unwrap();
    let edit = VersionEdit {
        log_number: Some(4),
        next_file_number: Some(6),
        last_sequence: Some(300),
        deleted_files: vec![(0, 2)],
        new_files: vec![(
            1,
            crate::version::FileMeta {
                number: 5,
                size: 2048,
                smallest: crate::key::make_internal_key(b"a", 7, 1).into(),
                largest: crate::key::make_internal_key(b"b", 3, 0).into(),
                smallest_seq: 3,
                largest_seq: 7,
                num_entries: 2,
                num_deletions: 1,
            },
        )],
        tier_order: None,
    };
    ManifestWriter::create(fs(), dir.path(), 12, &edit).unwrap();
    let bytes = std::fs::read(manifest_path(dir.path(), 12)).unwrap();
    // The v2 file header, the fragment header, the 48-byte edit, the end byte.
    assert_eq!(bytes.len(), 12 + 11 + 48 + 1);
    assert_eq!(&bytes[..4], b"SLOG");
    assert_eq!(
        &bytes[12..23],
        &[
            0x05, 0x05, 0xff, 0x25, 0x30, 0x00, 0x01, 0x56, 0x1e, 0x4c, 0x1a
        ]
    );
    assert_eq!(bytes[71], 0xa5);
    let current = std::fs::read(dir.path().join(CURRENT)).unwrap();
    assert_eq!(current, current_contents(12).into_bytes());
}
