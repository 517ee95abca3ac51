//! MANIFEST replay under fuzzing: the engine's own `replay` over arbitrary bytes, single edits
//! decoded then re-encoded, and sequences of generated edits written as a MANIFEST and replayed
//! (the result must match applying the same edits in memory).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::fs::SimFs;
use crate::key::{MAX_SEQUENCE, ValueKind, make_internal_key};
use crate::version::manifest::replay;
use crate::version::{FileMeta, Version, VersionEdit};
use crate::wal::LogWriter;

use super::{Input, MemSink, expect_corruption};

/// What the engine's MANIFEST replay recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedManifest {
    /// Edits applied.
    pub edits: usize,
    /// The last `log_number` seen.
    pub log_number: u64,
    /// The last `next_file_number` seen.
    pub next_file_number: u64,
    /// The largest `last_sequence` seen.
    pub last_sequence: u64,
    /// Whether a torn tail was dropped.
    pub torn_tail: bool,
    /// Live files as (level, number): L0 newest first, then each run in key order.
    pub files: Vec<(u32, u64)>,
}

fn files_of(version: &Version) -> Vec<(u32, u64)> {
    version
        .all_files()
        .map(|(level, f)| (level, f.number))
        .collect()
}

/// Replays `bytes` as `MANIFEST-000001` onto an empty version of `max_levels` levels with the
/// engine's recovery code.
///
/// # Errors
/// `Corruption` for a damaged record, an undecodable edit or one that does not apply, or no
/// complete edit; `UnsupportedFormat` for an edit of a newer format.
pub fn replay_manifest(bytes: &[u8], max_levels: usize) -> Result<ReplayedManifest> {
    let fs = SimFs::new();
    let dir = Path::new("/fuzz");
    fs.write_file(crate::filename::manifest_path(dir, 1), bytes);
    let state = replay(&fs, dir, 1, max_levels)?;
    Ok(ReplayedManifest {
        edits: state.edits,
        log_number: state.log_number,
        next_file_number: state.next_file_number,
        last_sequence: state.last_sequence,
        torn_tail: state.torn_tail,
        files: files_of(&state.version),
    })
}

/// Decodes one MANIFEST record as a version edit.
///
/// # Errors
/// `Corruption` if the record is not a valid edit.
pub fn decode_edit(record: &[u8]) -> Result<VersionEdit> {
    VersionEdit::decode(record)
        .ok_or_else(|| Error::corruption("fuzz.edit", 0, "undecodable VersionEdit"))
}

fn encode(edit: &VersionEdit) -> Vec<u8> {
    let mut buf = Vec::new();
    edit.encode(&mut buf);
    buf
}

/// Checks a version that `apply` returned: invariants hold and its snapshot edit rebuilds it.
fn check_version(version: &Version, max_levels: usize) {
    if let Err(e) = version.check_invariants() {
        panic!("apply accepted an edit that breaks an invariant: {e}");
    }
    let snapshot = version.snapshot_edit();
    match Version::new(max_levels).apply(&snapshot) {
        Ok(rebuilt) => assert_eq!(
            rebuilt.snapshot_edit(),
            snapshot,
            "a version's snapshot edit rebuilds another version"
        ),
        Err(e) => panic!("a version's snapshot edit does not apply: {e}"),
    }
}

/// One record as an edit: an edit that decodes re-encodes to bytes decoding to the same edit,
/// and its encoding is a fixed point; applying it is an error or a valid version.
fn single_edit(record: &[u8], max_levels: usize) {
    let Ok(edit) = decode_edit(record) else {
        return;
    };
    let bytes = encode(&edit);
    assert_eq!(
        VersionEdit::decode(&bytes).as_ref(),
        Some(&edit),
        "re-encoded edit differs"
    );
    assert_eq!(encode(&edit), bytes, "encoding is not deterministic");
    if let Ok(version) = Version::new(max_levels).apply(&edit) {
        check_version(&version, max_levels);
    }
}

/// A well-formed file entry from the input (keys ordered, counts consistent).
fn file(input: &mut Input<'_>) -> (u32, FileMeta) {
    let level = u32::from(input.byte() % 5);
    let number = u64::from(input.byte() % 32) + 1;
    let (mut a, mut b) = (input.bytes(6).to_vec(), input.bytes(6).to_vec());
    if a > b {
        std::mem::swap(&mut a, &mut b);
    }
    let (lo, hi) = (u64::from(input.u16()), u64::from(input.u16()));
    let (smallest_seq, largest_seq) = (lo.min(hi), lo.max(hi));
    let entries = u64::from(input.byte());
    let meta = FileMeta {
        number,
        size: u64::from(input.u16()),
        smallest: Bytes::from(make_internal_key(&a, largest_seq, ValueKind::Put as u8)),
        largest: Bytes::from(make_internal_key(&b, smallest_seq, ValueKind::Put as u8)),
        smallest_seq,
        largest_seq,
        num_entries: entries,
        num_deletions: entries / 2,
    };
    (level, meta)
}

/// A generated edit (decodable by construction).
fn edit(input: &mut Input<'_>) -> VersionEdit {
    let flags = input.byte();
    let scalar = |input: &mut Input<'_>, bit: u8| (flags & bit != 0).then(|| input.u64());
    VersionEdit {
        log_number: scalar(input, 1),
        next_file_number: scalar(input, 2),
        last_sequence: scalar(input, 4).map(|s| s & MAX_SEQUENCE),
        deleted_files: (0..input.byte() % 3)
            .map(|_| {
                (
                    u32::from(input.byte() % 5),
                    u64::from(input.byte() % 32) + 1,
                )
            })
            .collect(),
        new_files: (0..input.byte() % 4).map(|_| file(input)).collect(),
        tier_order: None,
    }
}

/// Generated edits: exact encode/decode round trip; replaying them as a MANIFEST gives what
/// applying them in memory gives.
fn sequence(input: &mut Input<'_>, max_levels: usize) {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let mut writer = LogWriter::new(Box::new(MemSink(Arc::clone(&sink))), PathBuf::from("m"));
    let mut model: std::result::Result<(Version, ReplayedManifest), ()> = Ok((
        Version::new(max_levels),
        ReplayedManifest {
            edits: 0,
            log_number: 0,
            next_file_number: 0,
            last_sequence: 0,
            torn_tail: false,
            files: Vec::new(),
        },
    ));
    while !input.is_empty() {
        let edit = edit(input);
        let bytes = encode(&edit);
        assert_eq!(
            VersionEdit::decode(&bytes).as_ref(),
            Some(&edit),
            "edit round trip"
        );
        if let Err(e) = writer.add_record(&bytes) {
            panic!("writing to memory failed: {e}");
        }
        if let Ok((version, state)) = &mut model {
            match version.apply(&edit) {
                Ok(next) => {
                    check_version(&next, max_levels);
                    *version = next;
                    state.edits += 1;
                    state.log_number = edit.log_number.unwrap_or(state.log_number);
                    state.next_file_number =
                        edit.next_file_number.unwrap_or(state.next_file_number);
                    state.last_sequence = state.last_sequence.max(edit.last_sequence.unwrap_or(0));
                    state.files = files_of(version);
                }
                Err(_) => model = Err(()),
            }
        }
    }
    let bytes = sink.lock().clone();
    match (replay_manifest(&bytes, max_levels), model) {
        (Ok(got), Ok((_, want))) => assert_eq!(got, want, "replay differs from the edits"),
        (Err(e), Ok((_, want))) if want.edits == 0 => expect_corruption(&e, "empty MANIFEST"),
        (Err(e), Ok(_)) => panic!("a MANIFEST of valid edits does not replay: {e}"),
        (Ok(got), Err(())) => panic!("replay accepted an edit that does not apply: {got:?}"),
        (Err(e), Err(())) => expect_corruption(&e, "replay_manifest"),
    }
}

/// Fuzz oracle for the MANIFEST. First byte: mode and the number of levels.
pub fn manifest(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let max_levels = usize::from(mode >> 4) % 8 + 1;
    match mode % 3 {
        0 => {
            if let Err(e) = replay_manifest(input.rest(), max_levels) {
                expect_corruption(&e, "replay_manifest");
            }
        }
        1 => single_edit(input.rest(), max_levels),
        _ => sequence(&mut input, max_levels),
    }
}
