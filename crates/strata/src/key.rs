//! Internal keys: a user key plus an 8-byte trailer `(seq << 8) | kind`, little-endian.
//!
//! Order: user key ascending (unsigned bytes, a prefix first), then trailer **descending**, so
//! the newest version of a key comes first. A seek target for "key k as of seq S" is
//! `k ++ trailer(S, KIND_SEEK)`: it sorts before every version of k with seq <= S.
//!
//! Invariants: an encoded internal key is at least [`TRAILER_LEN`] bytes; seqs are <=
//! [`MAX_SEQUENCE`] (56 bits). Keys decoded from disk are checked with [`parse_internal_key`];
//! keys built in memory use the unchecked helpers, which `debug_assert!` the length.

use std::cmp::Ordering;

/// A sequence number: the commit order of every record. 56 bits.
pub type SeqNum = u64;

/// The largest sequence number (2^56 - 1). Reaching it is an error, never a wrap.
pub const MAX_SEQUENCE: SeqNum = (1 << 56) - 1;

/// Bytes of the trailer appended to every user key.
pub const TRAILER_LEN: usize = 8;

/// The kind of a record. On disk: never renumber; retired numbers stay reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ValueKind {
    /// A tombstone: the key is deleted as of this version.
    Delete = 0,
    /// A value.
    Put = 1,
    // 2: reserved for Merge operands.
    // 3: reserved for range tombstones.
    // 4: reserved for value pointers (key-value separation).
}

impl ValueKind {
    /// Decodes a kind byte; `None` for unknown or reserved numbers.
    pub fn from_u8(byte: u8) -> Option<ValueKind> {
        match byte {
            0 => Some(ValueKind::Delete),
            1 => Some(ValueKind::Put),
            _ => None,
        }
    }
}

/// The kind byte used in seek targets: larger than any real kind, so for the same seq the
/// target sorts before (trailer descending) every real entry.
pub const KIND_SEEK: u8 = 0xFF;

/// Packs a seq and kind byte into a trailer.
#[inline]
pub fn pack_trailer(seq: SeqNum, kind: u8) -> u64 {
    debug_assert!(seq <= MAX_SEQUENCE);
    (seq << 8) | u64::from(kind)
}

/// Appends `user_key ++ trailer(seq, kind)` to `buf`.
#[inline]
pub fn append_internal_key(buf: &mut Vec<u8>, user_key: &[u8], seq: SeqNum, kind: u8) {
    buf.extend_from_slice(user_key);
    buf.extend_from_slice(&pack_trailer(seq, kind).to_le_bytes());
}

/// Builds an encoded internal key.
#[inline]
pub fn make_internal_key(user_key: &[u8], seq: SeqNum, kind: u8) -> Vec<u8> {
    let mut buf = Vec::with_capacity(user_key.len() + TRAILER_LEN);
    append_internal_key(&mut buf, user_key, seq, kind);
    buf
}

/// A seek target: the first entry at or after it is the newest version of `user_key` with
/// seq <= `seq`, or a later key.
#[inline]
pub fn seek_key(user_key: &[u8], seq: SeqNum) -> Vec<u8> {
    make_internal_key(user_key, seq, KIND_SEEK)
}

/// The user-key part of an encoded internal key (built in memory or already validated).
#[inline]
pub fn user_key(ikey: &[u8]) -> &[u8] {
    debug_assert!(ikey.len() >= TRAILER_LEN);
    &ikey[..ikey.len().saturating_sub(TRAILER_LEN)]
}

/// The trailer of an encoded internal key (built in memory or already validated).
#[inline]
pub fn trailer(ikey: &[u8]) -> u64 {
    debug_assert!(ikey.len() >= TRAILER_LEN);
    let start = ikey.len().saturating_sub(TRAILER_LEN);
    let mut b = [0u8; 8];
    if let Some(t) = ikey.get(start..)
        && t.len() == TRAILER_LEN
    {
        b.copy_from_slice(t);
    }
    u64::from_le_bytes(b)
}

/// The seq of an encoded internal key.
#[inline]
pub fn seq_of(ikey: &[u8]) -> SeqNum {
    trailer(ikey) >> 8
}

/// The kind byte of an encoded internal key (may be [`KIND_SEEK`] for seek targets).
#[inline]
pub fn kind_byte(ikey: &[u8]) -> u8 {
    (trailer(ikey) & 0xFF) as u8
}

/// A decoded internal key borrowed from a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    /// The user key.
    pub user_key: &'a [u8],
    /// The sequence number.
    pub seq: SeqNum,
    /// The record kind.
    pub kind: ValueKind,
}

/// Decodes an internal key read from disk; `None` if it is too short or its kind is unknown
/// (callers turn that into `Error::Corruption` with their file and offset).
pub fn parse_internal_key(ikey: &[u8]) -> Option<ParsedKey<'_>> {
    if ikey.len() < TRAILER_LEN {
        return None;
    }
    let t = trailer(ikey);
    let kind = ValueKind::from_u8((t & 0xFF) as u8)?;
    Some(ParsedKey {
        user_key: user_key(ikey),
        seq: t >> 8,
        kind,
    })
}

/// Compares two encoded internal keys: user key ascending, then trailer descending.
#[inline]
pub fn compare_internal_keys(a: &[u8], b: &[u8]) -> Ordering {
    match user_key(a).cmp(user_key(b)) {
        Ordering::Equal => trailer(b).cmp(&trailer(a)),
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn newer_versions_sort_first_and_prefix_sorts_first() {
        let a1 = make_internal_key(b"a", 1, 1);
        let a5 = make_internal_key(b"a", 5, 1);
        let ab = make_internal_key(b"ab", 9, 1);
        assert_eq!(compare_internal_keys(&a5, &a1), Ordering::Less);
        assert_eq!(compare_internal_keys(&a1, &ab), Ordering::Less);
        let seek = seek_key(b"a", 5);
        assert_eq!(compare_internal_keys(&seek, &a5), Ordering::Less);
        assert_eq!(
            compare_internal_keys(&seek, &make_internal_key(b"a", 6, 0)),
            Ordering::Greater
        );
    }

    #[test]
    fn parse_rejects_short_and_unknown_kinds() {
        assert!(parse_internal_key(b"abc").is_none());
        assert!(parse_internal_key(&make_internal_key(b"k", 3, 7)).is_none());
        let k = make_internal_key(b"k", 3, 0);
        let p = parse_internal_key(&k).unwrap();
        assert_eq!(
            (p.user_key, p.seq, p.kind),
            (&b"k"[..], 3, ValueKind::Delete)
        );
    }
}
