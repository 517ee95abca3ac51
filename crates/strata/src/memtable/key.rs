//! The memtable's skiplist key, and borrowed lookup keys that search it without allocating.
//!
//! [`MemKey`] owns an encoded internal key (`user_key ++ trailer`, see [`crate::key`]) and
//! orders by [`crate::key::compare_internal_keys`]: user key ascending, trailer descending.
//!
//! Lookups (`get`, `seek(target)`) must not build a `MemKey` (that would allocate a `Bytes`), so
//! the skiplist is also searchable through `dyn KeyView`: `MemKey: Borrow<dyn KeyView>`, and
//! [`LookupKey`] is a `KeyView` made of a borrowed user key and a trailer. `Ord` on
//! `dyn KeyView` is the same order as `Ord` on `MemKey` (crossbeam-skiplist requires the
//! borrowed order to agree with the owned one); a test checks it.
//!
//! Threading: plain immutable values, `Send + Sync`.

use std::borrow::Borrow;
use std::cmp::Ordering;

use bytes::Bytes;

use crate::key;

/// An encoded internal key stored in the memtable.
#[derive(Debug, Clone)]
pub(crate) struct MemKey(pub(crate) Bytes);

impl MemKey {
    /// The encoded internal key.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for MemKey {
    #[inline]
    fn eq(&self, other: &MemKey) -> bool {
        // Encodings are canonical: equal internal keys have equal bytes.
        self.0 == other.0
    }
}

impl Eq for MemKey {}

impl PartialOrd for MemKey {
    #[inline]
    fn partial_cmp(&self, other: &MemKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MemKey {
    #[inline]
    fn cmp(&self, other: &MemKey) -> Ordering {
        key::compare_internal_keys(&self.0, &other.0)
    }
}

/// An internal key seen as its two parts; the skiplist can be searched by any of them.
pub(crate) trait KeyView {
    /// The user key.
    fn user_key(&self) -> &[u8];
    /// The trailer `(seq << 8) | kind`.
    fn trailer(&self) -> u64;
}

impl KeyView for MemKey {
    #[inline]
    fn user_key(&self) -> &[u8] {
        key::user_key(&self.0)
    }
    #[inline]
    fn trailer(&self) -> u64 {
        key::trailer(&self.0)
    }
}

/// A lookup key borrowing its user key: searching with it allocates nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LookupKey<'a> {
    user_key: &'a [u8],
    trailer: u64,
}

impl<'a> LookupKey<'a> {
    /// The key `user_key ++ trailer`.
    #[inline]
    pub(crate) fn new(user_key: &'a [u8], trailer: u64) -> LookupKey<'a> {
        LookupKey { user_key, trailer }
    }

    /// Splits an encoded internal key (built in memory, at least the trailer's length).
    #[inline]
    pub(crate) fn from_encoded(ikey: &'a [u8]) -> LookupKey<'a> {
        LookupKey {
            user_key: key::user_key(ikey),
            trailer: key::trailer(ikey),
        }
    }
}

impl KeyView for LookupKey<'_> {
    #[inline]
    fn user_key(&self) -> &[u8] {
        self.user_key
    }
    #[inline]
    fn trailer(&self) -> u64 {
        self.trailer
    }
}

impl PartialEq for dyn KeyView + '_ {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.trailer() == other.trailer() && self.user_key() == other.user_key()
    }
}

impl Eq for dyn KeyView + '_ {}

impl PartialOrd for dyn KeyView + '_ {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn KeyView + '_ {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match self.user_key().cmp(other.user_key()) {
            Ordering::Equal => other.trailer().cmp(&self.trailer()),
            unequal => unequal,
        }
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for MemKey {
    #[inline]
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::key::make_internal_key;

    #[test]
    fn borrowed_order_agrees_with_owned_order() {
        let keys: Vec<MemKey> = [
            (&b""[..], 0u64, 0u8),
            (b"", 7, 1),
            (b"a", 3, 1),
            (b"a", 3, 0),
            (b"a", 9, 0),
            (b"ab", 1, 1),
            (b"b\xff", 1 << 40, 1),
            (b"b", 2, 0xFF),
        ]
        .iter()
        .map(|&(k, s, t)| MemKey(Bytes::from(make_internal_key(k, s, t))))
        .collect();
        for a in &keys {
            for b in &keys {
                let owned = a.cmp(b);
                let va: &dyn KeyView = a;
                let vb = LookupKey::from_encoded(b.as_bytes());
                let vb: &dyn KeyView = &vb;
                assert_eq!(va.cmp(vb), owned);
                assert_eq!(va == vb, owned == Ordering::Equal);
            }
        }
    }
}
