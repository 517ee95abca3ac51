//! `VersionEdit`: one change to the set of live files, and its MANIFEST encoding.
//!
//! Pure data and codec; no I/O, no threads. Layout (docs/FORMAT.md, "VersionEdit"):
//!
//! ```text
//! format_version: u8 (= 1)
//! field*:  tag: varint | length: varint | payload[length]
//! end:     tag 0 (no length), the last byte of the record
//!
//! tag 1 LogNumber       payload = varint
//! tag 2 NextFileNumber  payload = varint
//! tag 3 LastSequence    payload = varint (<= MAX_SEQUENCE)
//! tag 4 DeletedFile     payload = keyspace varint | level varint | number varint | sub-field*
//! tag 5 NewFile         payload = keyspace varint | level varint | number varint | size varint
//!                                 | smallest: varint len + bytes | largest: varint len + bytes
//!                                 | smallest_seq varint | largest_seq varint
//!                                 | num_entries varint | num_deletions varint | sub-field*
//! tag 6 TierOrder       payload = count varint | run id varint * count   (required)
//!                       the ids of every sorted run after the edit, newest first; at most
//!                       once per edit; ids distinct
//! sub-field = tag: varint | length: varint | payload[length]   (none defined yet)
//! ```
//!
//! Compatibility rule, for fields and sub-fields alike: a tag with bit [`SAFE_TO_IGNORE`]
//! (0x40) set may be skipped by a reader that does not know it; an unknown tag without that bit
//! makes the edit undecodable (`decode` → `None`), because ignoring it would change the tree.
//! Scalars appear at most once; the keyspace id is 0 (the default keyspace) until keyspaces
//! exist, and a reader that does not know keyspaces rejects any other value. The final end tag
//! makes every truncation undecodable.

#![allow(
    dead_code,
    unused_imports,
    reason = "used by the db layer, merged separately; remove at merge"
)]

use bytes::Bytes;

use crate::coding::{Decoder, put_length_prefixed, put_varint};
use crate::key::{MAX_SEQUENCE, TRAILER_LEN, compare_internal_keys};
use crate::version::FileMeta;

/// The version byte opening every encoded edit.
pub const EDIT_FORMAT_VERSION: u8 = 1;

/// A tag with this bit set may be ignored by readers that do not know it.
pub const SAFE_TO_IGNORE: u64 = 0x40;

/// The keyspace id of the default (and, for now, only) keyspace.
pub const DEFAULT_KEYSPACE: u64 = 0;

/// Field tags. On disk: never renumber; retired numbers stay reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    /// Ends the edit.
    End = 0,
    /// `log_number`.
    LogNumber = 1,
    /// `next_file_number`.
    NextFileNumber = 2,
    /// `last_sequence`.
    LastSequence = 3,
    /// One entry of `deleted_files`.
    DeletedFile = 4,
    /// One entry of `new_files`.
    NewFile = 5,
    /// `tier_order`: required (no SAFE_TO_IGNORE bit), since ignoring it reorders runs.
    TierOrder = 6,
}

impl Tag {
    fn from_u64(tag: u64) -> Option<Tag> {
        Some(match tag {
            0 => Tag::End,
            1 => Tag::LogNumber,
            2 => Tag::NextFileNumber,
            3 => Tag::LastSequence,
            4 => Tag::DeletedFile,
            5 => Tag::NewFile,
            6 => Tag::TierOrder,
            _ => return None,
        })
    }
}

/// A change to the version, logged to the MANIFEST.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// WALs numbered below this are obsolete (flushed).
    pub log_number: Option<u64>,
    /// The next unused file number.
    pub next_file_number: Option<u64>,
    /// The last sequence number issued.
    pub last_sequence: Option<u64>,
    /// Files removed: (level, number). Level 0 is L0.
    pub deleted_files: Vec<(u32, u64)>,
    /// Files added: (level, file).
    pub new_files: Vec<(u32, FileMeta)>,
    /// Tiered: the ids of every sorted run after the edit, newest first (tag 6). `None`: runs
    /// stay sorted by id (levels).
    pub tier_order: Option<Vec<u64>>,
}

impl VersionEdit {
    /// Appends the encoding of this edit to `buf` (layout in the module doc).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.push(EDIT_FORMAT_VERSION);
        let mut payload = Vec::new();
        let scalars = [
            (Tag::LogNumber, self.log_number),
            (Tag::NextFileNumber, self.next_file_number),
            (Tag::LastSequence, self.last_sequence),
        ];
        for (tag, value) in scalars {
            if let Some(value) = value {
                payload.clear();
                put_varint(&mut payload, value);
                put_field(buf, tag, &payload);
            }
        }
        debug_assert!(self.last_sequence.is_none_or(|s| s <= MAX_SEQUENCE));
        for &(level, number) in &self.deleted_files {
            payload.clear();
            put_varint(&mut payload, DEFAULT_KEYSPACE);
            put_varint(&mut payload, u64::from(level));
            put_varint(&mut payload, number);
            put_field(buf, Tag::DeletedFile, &payload);
        }
        for (level, file) in &self.new_files {
            debug_assert!(valid_file(file), "encoding an invalid file: {file:?}");
            payload.clear();
            put_varint(&mut payload, DEFAULT_KEYSPACE);
            put_varint(&mut payload, u64::from(*level));
            put_varint(&mut payload, file.number);
            put_varint(&mut payload, file.size);
            put_length_prefixed(&mut payload, &file.smallest);
            put_length_prefixed(&mut payload, &file.largest);
            put_varint(&mut payload, file.smallest_seq);
            put_varint(&mut payload, file.largest_seq);
            put_varint(&mut payload, file.num_entries);
            put_varint(&mut payload, file.num_deletions);
            put_field(buf, Tag::NewFile, &payload);
        }
        if let Some(order) = &self.tier_order {
            payload.clear();
            put_varint(&mut payload, order.len() as u64);
            for &id in order {
                put_varint(&mut payload, id);
            }
            put_field(buf, Tag::TierOrder, &payload);
        }
        put_varint(buf, Tag::End as u64);
    }

    /// Decodes an edit; `None` if `data` is malformed, truncated, has trailing bytes, uses
    /// another format version, an unknown required tag or a keyspace other than the default.
    pub fn decode(data: &[u8]) -> Option<VersionEdit> {
        let mut dec = Decoder::new(data);
        if dec.u8()? != EDIT_FORMAT_VERSION {
            return None;
        }
        let mut edit = VersionEdit::default();
        loop {
            let tag = dec.varint()?;
            if tag == Tag::End as u64 {
                return dec.is_empty().then_some(edit);
            }
            let payload = dec.length_prefixed()?;
            match Tag::from_u64(tag) {
                Some(Tag::LogNumber) => set_once(&mut edit.log_number, decode_scalar(payload)?)?,
                Some(Tag::NextFileNumber) => {
                    set_once(&mut edit.next_file_number, decode_scalar(payload)?)?;
                }
                Some(Tag::LastSequence) => {
                    let seq = decode_scalar(payload).filter(|&s| s <= MAX_SEQUENCE)?;
                    set_once(&mut edit.last_sequence, seq)?;
                }
                Some(Tag::DeletedFile) => edit.deleted_files.push(decode_deleted_file(payload)?),
                Some(Tag::NewFile) => edit.new_files.push(decode_new_file(payload)?),
                Some(Tag::TierOrder) => {
                    if edit.tier_order.is_some() {
                        return None;
                    }
                    edit.tier_order = Some(decode_tier_order(payload)?);
                }
                Some(Tag::End) => return None, // handled above
                None if tag & SAFE_TO_IGNORE != 0 => {}
                None => return None,
            }
        }
    }
}

fn put_field(buf: &mut Vec<u8>, tag: Tag, payload: &[u8]) {
    put_varint(buf, tag as u64);
    put_length_prefixed(buf, payload);
}

fn set_once(slot: &mut Option<u64>, value: u64) -> Option<()> {
    if slot.is_some() {
        return None; // a scalar field twice: not something the encoder writes
    }
    *slot = Some(value);
    Some(())
}

fn decode_scalar(payload: &[u8]) -> Option<u64> {
    let mut dec = Decoder::new(payload);
    let value = dec.varint()?;
    dec.is_empty().then_some(value)
}

/// Reads the keyspace (must be the default) and the level.
fn decode_keyspace_and_level(dec: &mut Decoder<'_>) -> Option<u32> {
    if dec.varint()? != DEFAULT_KEYSPACE {
        return None;
    }
    u32::try_from(dec.varint()?).ok()
}

/// Skips the trailing sub-fields of a file entry; `None` on an unknown required one.
fn skip_sub_fields(dec: &mut Decoder<'_>) -> Option<()> {
    while !dec.is_empty() {
        let tag = dec.varint()?;
        dec.length_prefixed()?;
        if tag & SAFE_TO_IGNORE == 0 {
            return None; // no required sub-field is defined yet
        }
    }
    Some(())
}

/// Count, then that many distinct ids, and nothing after.
fn decode_tier_order(payload: &[u8]) -> Option<Vec<u64>> {
    let mut dec = Decoder::new(payload);
    let count = dec.varint()?;
    // Each id takes at least one byte: a larger count cannot be honest.
    if count > payload.len() as u64 {
        return None;
    }
    let mut ids = Vec::with_capacity(count as usize);
    let mut seen = std::collections::HashSet::with_capacity(count as usize);
    for _ in 0..count {
        let id = dec.varint()?;
        if !seen.insert(id) {
            return None;
        }
        ids.push(id);
    }
    dec.is_empty().then_some(ids)
}

fn decode_deleted_file(payload: &[u8]) -> Option<(u32, u64)> {
    let mut dec = Decoder::new(payload);
    let level = decode_keyspace_and_level(&mut dec)?;
    let number = dec.varint()?;
    skip_sub_fields(&mut dec)?;
    Some((level, number))
}

fn decode_new_file(payload: &[u8]) -> Option<(u32, FileMeta)> {
    let mut dec = Decoder::new(payload);
    let level = decode_keyspace_and_level(&mut dec)?;
    let number = dec.varint()?;
    let size = dec.varint()?;
    let smallest = Bytes::copy_from_slice(dec.length_prefixed()?);
    let largest = Bytes::copy_from_slice(dec.length_prefixed()?);
    let smallest_seq = dec.varint()?;
    let largest_seq = dec.varint()?;
    let num_entries = dec.varint()?;
    let num_deletions = dec.varint()?;
    skip_sub_fields(&mut dec)?;
    let file = FileMeta {
        number,
        size,
        smallest,
        largest,
        smallest_seq,
        largest_seq,
        num_entries,
        num_deletions,
    };
    valid_file(&file).then_some((level, file))
}

/// What every file entry must satisfy, on both sides of the disk.
pub(super) fn valid_file(file: &FileMeta) -> bool {
    file.smallest.len() >= TRAILER_LEN
        && file.largest.len() >= TRAILER_LEN
        && compare_internal_keys(&file.smallest, &file.largest).is_le()
        && file.smallest_seq <= file.largest_seq
        && file.largest_seq <= MAX_SEQUENCE
        && file.num_deletions <= file.num_entries
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
