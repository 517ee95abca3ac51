//! Point lookups in a block of internal keys without rebuilding its keys.
//!
//! [`seek_point`] finds the first entry at or after the target `user_key ++ trailer` (the
//! entry [`BlockIter::seek`](super::BlockIter::seek) would land on) and says whether it is a
//! version of `user_key`. It binary-searches the restart keys in place, then scans the
//! prefix-compressed entries from the restart point comparing each one against the target
//! where it lies in the block: a key `k` is `previous[..shared] ++ suffix`, so with
//! `m = lcp(previous, user_key)` (compared as byte strings, the trailer bytes included) and
//! the order of the bytes at `m`:
//!
//! - `shared > m`: `k` agrees with `previous` up to and beyond `m`, so `lcp(k, user_key) = m`
//!   and the bytes at `m` compare as before;
//! - `shared <= m`: `k[..shared] == user_key[..shared]`, so `lcp(k, user_key)` is `shared`
//!   plus the common prefix of `suffix` and `user_key[shared..]`.
//!
//! From `lcp(k, user_key)`, `k`'s user-key length and the bytes at the lcp, the user keys
//! compare without touching `k`'s other bytes; only equal user keys compare trailers, read in
//! place from the suffix. When part of that trailer is shared with the previous key (two
//! versions of one user key in a row whose trailers share leading bytes: the kind and low seq
//! bytes, little-endian), those bytes are the previous version's, whose trailer the scan kept.
//! Left unknown is the trailer of a key that shares part of it with a *shorter* previous key
//! (a user key that extends the previous one with bytes equal to that key's kind and low seq
//! bytes, e.g. `a` at seq 256, then `a\x01`): the lookup then answers [`Point::NeedsCursor`]
//! and the caller seeks with a [`BlockIter`](super::BlockIter), which rebuilds keys.
//!
//! Every entry is checked as the cursor checks it (header, shared prefix no longer than the
//! previous key, restart entries share nothing, key and value inside the entries, key at least
//! a trailer long, restart points at entry starts), and failures are the same
//! [`BlockCorruption`](super::BlockCorruption)s, so a damaged block gives a typed error here
//! too. Invariants of the scan (debug-asserted): `m <= user_key.len()` and `m <= prev_len`.

use std::cmp::Ordering;
use std::ops::Range;

use crate::key::TRAILER_LEN;

use super::iter::decode_header;
use super::{Block, BlockResult, corrupt};

/// What [`seek_point`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Point {
    /// The first entry at or after the target is not a version of the user key, or there is
    /// none in the block.
    Absent,
    /// The first entry at or after the target is a version of the user key: its trailer and
    /// the byte range of its value in the block.
    Found {
        /// The entry's trailer (`seq << 8 | kind`; the kind is not checked here).
        trailer: u64,
        /// The value's bytes within [`Block::data`].
        value: Range<usize>,
    },
    /// A version of the user key whose trailer is partly shared with a shorter previous key
    /// could not be read in place: seek with a cursor.
    NeedsCursor,
}

/// Length of the common prefix of `a` and `b` (8 bytes at a time, then byte by byte).
#[inline]
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    // Inside a restart interval the suffix usually differs from the target at once.
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => return 0,
        (None, _) | (_, None) => return 0,
        _ => {}
    }
    let mut i = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let x = <[u8; 8]>::try_from(x).map_or(0, u64::from_le_bytes);
        let y = <[u8; 8]>::try_from(y).map_or(0, u64::from_le_bytes);
        let d = x ^ y;
        if d != 0 {
            // Little-endian: the first differing byte is the lowest set byte.
            return i + (d.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let (a, b) = (
        a.get(i..).unwrap_or_default(),
        b.get(i..).unwrap_or_default(),
    );
    i + a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Orders the internal key `k` (at least [`TRAILER_LEN`] bytes) against the target
/// `user_key ++ trailer` (user key ascending, trailer descending).
#[inline]
fn compare_whole(k: &[u8], user_key: &[u8], trailer: u64) -> Ordering {
    let (ku, kt) = k.split_at(k.len().saturating_sub(TRAILER_LEN));
    match ku.cmp(user_key) {
        Ordering::Equal => {
            let kt = <[u8; 8]>::try_from(kt).map_or(0, u64::from_le_bytes);
            trailer.cmp(&kt)
        }
        other => other,
    }
}

/// The trailer bytes of a key whose user key is `ku` bytes long and whose bytes from `shared`
/// on are `suffix`: read from the suffix, or, when the key shares part of its trailer with
/// the previous key, completed from `prev_trailer`, the trailer of a previous key of the same
/// length (`None` if that is not known).
#[inline]
fn entry_trailer(
    suffix: &[u8],
    shared: usize,
    ku: usize,
    prev_trailer: Option<[u8; 8]>,
) -> Option<[u8; 8]> {
    match ku.checked_sub(shared) {
        Some(from) => suffix
            .get(from..)
            .and_then(|kt| <[u8; 8]>::try_from(kt).ok()),
        None => {
            // `shared - ku` leading trailer bytes come from the previous key.
            let mut kt = prev_trailer?;
            let own = kt.get_mut(shared - ku..)?;
            if own.len() != suffix.len() {
                return None;
            }
            own.copy_from_slice(suffix);
            Some(kt)
        }
    }
}

/// Finds the first entry of `block` (internal keys) at or after `user_key ++ trailer` and
/// reports whether it is a version of `user_key` (see the module documentation).
///
/// # Errors
/// A [`BlockCorruption`](super::BlockCorruption) for a malformed entry met on the way.
pub(crate) fn seek_point(block: &Block, user_key: &[u8], trailer: u64) -> BlockResult<Point> {
    let n = block.num_restarts();
    if n == 0 {
        return Ok(Point::Absent);
    }
    // Last restart point whose key is below the target (or restart 0).
    let (mut left, mut right) = (0, n - 1);
    while left < right {
        let mid = left + (right - left).div_ceil(2);
        let key = block.restart_key(mid, TRAILER_LEN)?;
        if compare_whole(key, user_key, trailer) == Ordering::Less {
            left = mid;
        } else {
            right = mid - 1;
        }
    }
    let data: &[u8] = block.data();
    let end = block.restarts_offset();
    let t = user_key.len();
    let mut restart_index = left;
    let mut at = block.restart(left);
    let mut next_restart = if left + 1 < n {
        block.restart(left + 1)
    } else {
        end
    };
    let mut at_restart = true;
    // The previous key's length, `m = lcp(previous key, user_key)` and the order of the
    // previous key's byte at `m` against `user_key[m]` (meaningful while both exist).
    let (mut prev_len, mut m, mut diff) = (0usize, 0usize, Ordering::Equal);
    // The previous key's trailer bytes when it was a version of `user_key` (else `None`).
    let mut prev_trailer: Option<[u8; 8]> = None;
    loop {
        if at >= end {
            // Ran off the block. Every restart point is an entry start; one never reached
            // lies inside the last entry.
            if next_restart < end {
                return corrupt(at, "restart point inside the last entry");
            }
            return Ok(Point::Absent);
        }
        if at == next_restart {
            restart_index += 1;
            next_restart = if restart_index + 1 < n {
                block.restart(restart_index + 1)
            } else {
                end
            };
            at_restart = true;
        } else if at > next_restart {
            return corrupt(at, "entry overlaps a restart point");
        }
        let Some((shared, unshared, value_len, header)) = decode_header(data, at, end) else {
            return corrupt(at, "malformed entry header");
        };
        if at_restart && shared != 0 {
            return corrupt(at, "restart entry shares a prefix");
        }
        if shared > prev_len {
            return corrupt(at, "shared prefix longer than previous key");
        }
        let key_start = at + header; // at + header <= end: the decoder read within bounds
        let Some(value_start) = key_start.checked_add(unshared).filter(|&v| v <= end) else {
            return corrupt(at, "key runs past the entries");
        };
        let Some(value_end) = value_start.checked_add(value_len).filter(|&v| v <= end) else {
            return corrupt(at, "value runs past the entries");
        };
        let len = shared + unshared; // both <= end
        if len < TRAILER_LEN {
            return corrupt(at, "key shorter than an internal key");
        }
        let suffix = data.get(key_start..value_start).unwrap_or_default();
        if shared <= m {
            let rest = user_key.get(shared..).unwrap_or_default();
            let j = common_prefix_len(suffix, rest);
            m = shared + j;
            diff = match (suffix.get(j), rest.get(j)) {
                (Some(a), Some(b)) => a.cmp(b),
                _ => Ordering::Equal,
            };
        }
        debug_assert!(m <= t && m <= len);
        let ku = len - TRAILER_LEN;
        let ordering = if m < ku && m < t {
            prev_trailer = None;
            diff
        } else if ku != t {
            // One user key is a prefix of the other.
            prev_trailer = None;
            ku.cmp(&t)
        } else {
            // Equal user keys: the trailers decide.
            let Some(kt) =
                entry_trailer(suffix, shared, ku, prev_trailer.filter(|_| len == prev_len))
            else {
                return Ok(Point::NeedsCursor);
            };
            prev_trailer = Some(kt);
            let kt = u64::from_le_bytes(kt);
            match trailer.cmp(&kt) {
                Ordering::Less => Ordering::Less,
                _ => {
                    return Ok(Point::Found {
                        trailer: kt,
                        value: value_start..value_end,
                    });
                }
            }
        };
        if ordering != Ordering::Less {
            return Ok(Point::Absent);
        }
        prev_len = len;
        at = value_end;
        at_restart = false;
    }
}

#[cfg(test)]
#[path = "point_tests.rs"]
mod tests;
