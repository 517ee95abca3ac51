//! Tests of the `VersionEdit` codec: round trips, truncation, flips, compatibility rules.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::coding::put_varint;
use crate::version::apply::test_file;

fn rich_edit() -> VersionEdit {
    VersionEdit {
        log_number: Some(7),
        next_file_number: Some(u64::MAX),
        last_sequence: Some(MAX_SEQUENCE),
        deleted_files: vec![(0, 3), (u32::MAX, 4)],
        new_files: vec![
            (0, test_file(12, b"apple", b"pear", (5, 9))),
            (
                6,
                test_file(u64::MAX - 1, b"", b"\xff\xff", (0, MAX_SEQUENCE)),
            ),
        ],
        tier_order: Some(vec![u64::MAX, 0, 6, 12]),
    }
}

fn encoded(edit: &VersionEdit) -> Vec<u8> {
    let mut buf = Vec::new();
    edit.encode(&mut buf);
    buf
}

#[test]
fn round_trips() {
    for edit in [VersionEdit::default(), rich_edit()] {
        assert_eq!(VersionEdit::decode(&encoded(&edit)), Some(edit));
    }
    let only_seq = VersionEdit {
        last_sequence: Some(0),
        ..VersionEdit::default()
    };
    assert_eq!(VersionEdit::decode(&encoded(&only_seq)), Some(only_seq));
}

#[test]
fn encode_appends() {
    let mut buf = b"prefix".to_vec();
    rich_edit().encode(&mut buf);
    assert_eq!(VersionEdit::decode(&buf[6..]), Some(rich_edit()));
}

#[test]
fn every_truncation_and_trailing_bytes_decode_to_none() {
    for edit in [VersionEdit::default(), rich_edit()] {
        let buf = encoded(&edit);
        for cut in 0..buf.len() {
            assert_eq!(VersionEdit::decode(&buf[..cut]), None, "cut {cut}");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert_eq!(VersionEdit::decode(&longer), None);
    }
}

#[test]
fn every_byte_flip_decodes_to_none_or_a_valid_edit_without_panicking() {
    let buf = encoded(&rich_edit());
    for pos in 0..buf.len() {
        for mask in [0x01, 0x40, 0x80, 0xFF] {
            let mut bad = buf.clone();
            bad[pos] ^= mask;
            if let Some(edit) = VersionEdit::decode(&bad) {
                // Whatever decodes must itself be well formed and re-encodable.
                assert!(edit.new_files.iter().all(|(_, f)| valid_file(f)));
                assert_eq!(VersionEdit::decode(&encoded(&edit)), Some(edit));
            }
        }
    }
}

fn with_extra_field(tag: u64, payload: &[u8]) -> Vec<u8> {
    let mut buf = encoded(&rich_edit());
    buf.pop(); // the end tag
    put_varint(&mut buf, tag);
    put_length_prefixed(&mut buf, payload);
    buf.push(0);
    buf
}

#[test]
fn unknown_tags_follow_the_safe_to_ignore_rule() {
    assert_eq!(
        VersionEdit::decode(&with_extra_field(SAFE_TO_IGNORE | 1, b"xyz")),
        Some(rich_edit())
    );
    assert_eq!(
        VersionEdit::decode(&with_extra_field(300 | SAFE_TO_IGNORE, b"")),
        Some(rich_edit())
    );
    assert_eq!(
        VersionEdit::decode(&with_extra_field(6, b"")),
        None,
        "a tier order without its count"
    );
    assert_eq!(VersionEdit::decode(&with_extra_field(63, b"1")), None);
    // A repeated scalar is rejected.
    let mut payload = Vec::new();
    put_varint(&mut payload, 8);
    assert_eq!(VersionEdit::decode(&with_extra_field(1, &payload)), None);
}

/// The payload of a `NewFile` field for `test_file(1, b"a", b"b", (1, 1))` at `level`, with
/// `keyspace` and `extra` sub-field bytes.
fn new_file_payload(keyspace: u64, extra: &[u8]) -> Vec<u8> {
    let f = test_file(1, b"a", b"b", (1, 1));
    let mut p = Vec::new();
    put_varint(&mut p, keyspace);
    put_varint(&mut p, 1);
    put_varint(&mut p, f.number);
    put_varint(&mut p, f.size);
    put_length_prefixed(&mut p, &f.smallest);
    put_length_prefixed(&mut p, &f.largest);
    for v in [
        f.smallest_seq,
        f.largest_seq,
        f.num_entries,
        f.num_deletions,
    ] {
        put_varint(&mut p, v);
    }
    p.extend_from_slice(extra);
    p
}

fn edit_with_field(tag: u64, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![EDIT_FORMAT_VERSION];
    put_varint(&mut buf, tag);
    put_length_prefixed(&mut buf, payload);
    buf.push(0);
    buf
}

#[test]
fn file_sub_fields_and_keyspaces() {
    let expected = VersionEdit {
        new_files: vec![(1, test_file(1, b"a", b"b", (1, 1)))],
        ..VersionEdit::default()
    };
    let plain = edit_with_field(5, &new_file_payload(0, &[]));
    assert_eq!(VersionEdit::decode(&plain), Some(expected.clone()));
    assert_eq!(plain, encoded(&expected), "the encoder writes exactly this");
    let ignorable = new_file_payload(0, &[SAFE_TO_IGNORE as u8 | 2, 2, 9, 9]);
    assert_eq!(
        VersionEdit::decode(&edit_with_field(5, &ignorable)),
        Some(expected)
    );
    let required = new_file_payload(0, &[2, 1, 9]);
    assert_eq!(VersionEdit::decode(&edit_with_field(5, &required)), None);
    let broken = new_file_payload(0, &[SAFE_TO_IGNORE as u8, 5, 9]);
    assert_eq!(VersionEdit::decode(&edit_with_field(5, &broken)), None);
    assert_eq!(
        VersionEdit::decode(&edit_with_field(5, &new_file_payload(1, &[]))),
        None
    );
    let mut deleted = Vec::new();
    put_varint(&mut deleted, 2); // keyspace 2
    put_varint(&mut deleted, 1);
    put_varint(&mut deleted, 9);
    assert_eq!(VersionEdit::decode(&edit_with_field(4, &deleted)), None);
}

#[test]
fn rejects_other_versions_and_invalid_values() {
    let mut buf = encoded(&rich_edit());
    buf[0] = EDIT_FORMAT_VERSION + 1;
    assert_eq!(VersionEdit::decode(&buf), None);
    let mut seq = Vec::new();
    put_varint(&mut seq, MAX_SEQUENCE + 1);
    assert_eq!(VersionEdit::decode(&edit_with_field(3, &seq)), None);
    seq.push(0); // trailing byte inside a scalar
    assert_eq!(VersionEdit::decode(&edit_with_field(3, &seq)), None);
    let mut level = Vec::new();
    put_varint(&mut level, 0);
    put_varint(&mut level, u64::from(u32::MAX) + 1);
    put_varint(&mut level, 9);
    assert_eq!(VersionEdit::decode(&edit_with_field(4, &level)), None);
    assert_eq!(VersionEdit::decode(&[]), None);
}

/// The worked example of docs/FORMAT.md ("VersionEdit"), byte for byte.
#[test]
fn golden_bytes_of_the_worked_example() {
    let edit = VersionEdit {
        log_number: Some(4),
        next_file_number: Some(6),
        last_sequence: Some(300),
        deleted_files: vec![(0, 2)],
        new_files: vec![(
            1,
            FileMeta {
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
    let hex: Vec<String> = encoded(&edit).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex.join(" "),
        "01 01 01 04 02 01 06 03 02 ac 02 04 03 00 00 02 05 1d 00 01 05 80 10 09 61 01 07 00 00 00 \
         00 00 00 09 62 00 03 00 00 00 00 00 00 03 07 02 01 00"
    );
}

/// Tag 6 (docs/FORMAT.md, "TierOrder"), byte for byte, and its malformed forms.
#[test]
fn tier_order_bytes_and_rejections() {
    let edit = VersionEdit {
        tier_order: Some(vec![7, 300]),
        ..VersionEdit::default()
    };
    let hex: Vec<String> = encoded(&edit).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex.join(" "), "01 06 04 02 07 ac 02 00");
    assert_eq!(VersionEdit::decode(&encoded(&edit)), Some(edit));
    let empty = VersionEdit {
        tier_order: Some(Vec::new()),
        ..VersionEdit::default()
    };
    assert_eq!(VersionEdit::decode(&encoded(&empty)), Some(empty));
    // A duplicate id, a count larger than the ids, trailing bytes, a second tag 6.
    for bad in [
        &[0x01u8, 0x06, 0x03, 0x02, 0x07, 0x07, 0x00][..],
        &[0x01, 0x06, 0x02, 0x02, 0x07, 0x00],
        &[0x01, 0x06, 0x03, 0x01, 0x07, 0x08, 0x00],
        &[0x01, 0x06, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00],
        &[0x01, 0x06, 0x01, 0xff, 0x00],
    ] {
        assert_eq!(VersionEdit::decode(bad), None, "{bad:02x?}");
    }
}
