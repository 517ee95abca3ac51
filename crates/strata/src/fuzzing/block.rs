//! Block decoding and iteration under fuzzing: raw payloads, stored blocks (checksum made
//! valid, so decompression is reached), and blocks built from sorted entries (round trip).

use std::path::Path;

use bytes::Bytes;

use crate::error::Result;
use crate::key::{KIND_SEEK, MAX_SEQUENCE, ValueKind, make_internal_key, pack_trailer};
use crate::options::Compression;
use crate::sstable::block::{Block, BlockBuilder, BlockIter, KeyOrder, Point, seek_point};
use crate::sstable::compress::BlockCompressor;
use crate::sstable::format::{BlockHandle, block_error, read_block};

use super::{Input, MemFile, expect_corruption};

/// Entries as (key, value) pairs.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

const PATH: &str = "fuzz.block";

fn order_of(internal: bool) -> KeyOrder {
    if internal {
        KeyOrder::Internal
    } else {
        KeyOrder::Bytewise
    }
}

fn scan_forward(block: Block, order: KeyOrder) -> Result<Entries> {
    let err = |e| block_error(Path::new(PATH), 0, e);
    let mut it = BlockIter::new(block, order);
    let mut out = Vec::new();
    it.seek_to_first().map_err(err)?;
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next().map_err(err)?;
    }
    Ok(out)
}

fn scan_backward(block: Block, order: KeyOrder) -> Result<Entries> {
    let err = |e| block_error(Path::new(PATH), 0, e);
    let mut it = BlockIter::new(block, order);
    let mut out = Vec::new();
    it.seek_to_last().map_err(err)?;
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev().map_err(err)?;
    }
    out.reverse();
    Ok(out)
}

/// Decodes a block payload (entries + restart array, uncompressed) and returns its entries in
/// order; `internal` selects internal-key order (data and index blocks) over bytewise.
///
/// # Errors
/// `Corruption` for any malformed payload.
pub fn decode_block(payload: &[u8], internal: bool) -> Result<Entries> {
    let block = Block::new(Bytes::copy_from_slice(payload))
        .map_err(|e| block_error(Path::new(PATH), 0, e))?;
    scan_forward(block, order_of(internal))
}

/// Reads `stored` = `payload | compression tag` as a block on disk, appending the CRC32C the
/// reader checks (so that decompression and the restart array are what gets tested), and
/// returns its entries.
///
/// # Errors
/// `Corruption` for an unknown tag, a bad compressed payload or a malformed block.
pub fn read_stored_block(stored: &[u8], internal: bool) -> Result<Entries> {
    let Some((&tag, payload)) = stored.split_last() else {
        return decode_block(stored, internal);
    };
    let mut file = payload.to_vec();
    let crc = crc32c::crc32c_append(crc32c::crc32c(payload), &[tag]);
    file.push(tag);
    file.extend_from_slice(&crc.to_le_bytes());
    let handle = BlockHandle {
        offset: 0,
        size: payload.len() as u64,
    };
    let block = read_block(
        MemFile::new(&file, PATH).as_ref(),
        handle,
        file.len() as u64,
    )?;
    scan_forward(block, order_of(internal))
}

/// Checks a decoded block: backward iteration agrees with forward iteration, and seeking to
/// each key is error-free.
fn check_decoded(payload: Bytes, order: KeyOrder, forward: &Entries) {
    let Ok(block) = Block::new(payload) else {
        panic!("a block that decoded failed Block::new the second time");
    };
    match scan_backward(block.clone(), order) {
        Ok(backward) => assert_eq!(&backward, forward, "backward scan differs from forward"),
        Err(e) => panic!("forward scan succeeded but backward failed: {e}"),
    }
    // Seeks binary-search the restart keys: only in a sorted block must they land on the key.
    let sorted = forward
        .windows(2)
        .all(|w| order.compare(&w[0].0, &w[1].0).is_lt());
    if order == KeyOrder::Internal {
        for (key, _) in forward.iter().take(64) {
            let (user_key, trailer) = key.split_at(key.len() - 8);
            let seq = crate::key::trailer(trailer) >> 8;
            check_point(&block, user_key, seq);
            check_point(&block, user_key, MAX_SEQUENCE);
            check_point(&block, user_key, seq.saturating_sub(1));
        }
    }
    let mut it = BlockIter::new(block, order);
    for (key, _) in forward.iter().take(64) {
        if let Err(e) = it.seek(key) {
            panic!("seek to a decoded key failed: {e:?}");
        }
        if sorted {
            assert!(
                it.valid() && it.key() == &key[..],
                "seek missed a key of a sorted block"
            );
        }
        if let Err(e) = it.seek_for_prev(key) {
            panic!("seek_for_prev to a decoded key failed: {e:?}");
        }
    }
}

/// A point lookup of `user_key` as of `seq` (`seek_point`, which compares entries in place)
/// agrees with the cursor's seek on any block: the same error, or the same entry when it is a
/// version of `user_key` (`NeedsCursor` hands the lookup to the cursor).
fn check_point(block: &Block, user_key: &[u8], seq: u64) {
    let target = make_internal_key(user_key, seq, KIND_SEEK);
    let mut it = BlockIter::new(block.clone(), KeyOrder::Internal);
    let cursor = it.seek(&target);
    let same_user_key = it.valid() && it.key().get(..it.key().len() - 8) == Some(user_key);
    match (
        seek_point(block, user_key, pack_trailer(seq, KIND_SEEK)),
        cursor,
    ) {
        (Err(a), Err(b)) => assert_eq!(a, b, "seek_point and the cursor fail differently"),
        (Ok(Point::NeedsCursor), _) => {}
        (Ok(Point::Absent), Ok(())) => assert!(!same_user_key, "seek_point missed an entry"),
        (Ok(Point::Found { trailer, value }), Ok(())) => {
            assert!(same_user_key, "seek_point found another key");
            assert_eq!(
                trailer,
                crate::key::trailer(it.key()),
                "seek_point: other version"
            );
            assert_eq!(
                block.data().get(value),
                Some(it.value()),
                "seek_point: other value"
            );
        }
        (a, b) => panic!("seek_point gave {a:?}, the cursor {b:?}"),
    }
}

/// Point lookups of user keys taken from a raw payload agree with the cursor.
fn check_points_raw(payload: &[u8]) {
    let Ok(block) = Block::new(Bytes::copy_from_slice(payload)) else {
        return;
    };
    for len in 0..8.min(payload.len()) {
        let probe = &payload[..len];
        check_point(&block, probe, 0);
        check_point(&block, probe, MAX_SEQUENCE);
    }
}

/// Raw payload: decoding is either a typed error or a self-consistent block.
fn raw(payload: &[u8], internal: bool) {
    if internal {
        check_points_raw(payload);
    }
    match decode_block(payload, internal) {
        Ok(entries) => check_decoded(
            Bytes::copy_from_slice(payload),
            order_of(internal),
            &entries,
        ),
        Err(e) => expect_corruption(&e, "decode_block"),
    }
}

/// Stored payload + tag: decompression errors are typed; a block that decodes is consistent.
fn stored(stored: &[u8], internal: bool) {
    if let Err(e) = read_stored_block(stored, internal) {
        expect_corruption(&e, "read_stored_block");
    }
}

/// Entries from the input, sorted and deduplicated in `order` (internal keys get a trailer).
fn sorted_entries(input: &mut Input<'_>, order: KeyOrder) -> Entries {
    let mut entries = Vec::new();
    while !input.is_empty() && entries.len() < 512 {
        let key = input.bytes(24).to_vec();
        let key = match order {
            KeyOrder::Internal => {
                let seq = u64::from(input.u16());
                let kind = if input.byte() & 1 == 0 {
                    ValueKind::Put
                } else {
                    ValueKind::Delete
                };
                make_internal_key(&key, seq, kind as u8)
            }
            KeyOrder::Bytewise => key,
        };
        entries.push((key, input.bytes(40).to_vec()));
    }
    entries.sort_by(|a, b| order.compare(&a.0, &b.0));
    entries.dedup_by(|a, b| order.compare(&a.0, &b.0).is_eq());
    entries
}

/// Build → (compress) → read back: the same entries, and consistent seeks.
fn round_trip(input: &mut Input<'_>) {
    let order = order_of(input.byte() & 1 == 0);
    let restart_interval = usize::from(input.byte() % 16) + 1;
    let compression = match input.byte() % 3 {
        0 => Compression::None,
        1 => Compression::Lz4,
        _ => Compression::Zstd,
    };
    let entries = sorted_entries(input, order);
    if entries.is_empty() {
        return;
    }
    let mut builder = BlockBuilder::new(restart_interval, order);
    for (k, v) in &entries {
        builder.add(k, v);
    }
    let payload = builder.finish().to_vec();
    let internal = order == KeyOrder::Internal;
    match decode_block(&payload, internal) {
        Ok(decoded) => assert_eq!(decoded, entries, "built block decodes to other entries"),
        Err(e) => panic!("built block does not decode: {e}"),
    }
    check_decoded(Bytes::from(payload.clone()), order, &entries);
    let mut compressor = BlockCompressor::new(compression);
    let (bytes, tag) = compressor.compress(&payload);
    let mut on_disk = bytes.to_vec();
    on_disk.push(tag as u8);
    match read_stored_block(&on_disk, internal) {
        Ok(decoded) => assert_eq!(decoded, entries, "compressed block reads back differently"),
        Err(e) => panic!("compressed block ({tag:?}) does not read back: {e}"),
    }
    // Lookups in a sorted block find exactly the model's entries.
    let block = Block::new(Bytes::from(payload)).unwrap_or_else(|_| Block::empty());
    let mut it = BlockIter::new(block, order);
    for (i, (key, value)) in entries.iter().enumerate() {
        assert!(
            it.seek(key).is_ok() && it.valid(),
            "seek to entry {i} failed"
        );
        assert_eq!(
            (it.key(), it.value()),
            (&key[..], &value[..]),
            "seek landed elsewhere"
        );
        if i > 0 {
            assert!(
                it.prev().is_ok() && it.valid(),
                "prev from entry {i} failed"
            );
            assert_eq!(it.key(), &entries[i - 1].0[..], "prev landed elsewhere");
        }
    }
}

/// Fuzz oracle for blocks. First byte: mode (raw / stored / round trip) and key order.
pub fn block(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let internal = mode & 0x10 == 0;
    match mode % 3 {
        0 => raw(input.rest(), internal),
        1 => stored(input.rest(), internal),
        _ => round_trip(&mut input),
    }
}
