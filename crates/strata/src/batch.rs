//! [`WriteBatch`]: records applied atomically, and its encoding (the WAL record payload).
//!
//! Layout of a batch's records (`rep`), repeated `count` times:
//!
//! ```text
//! kind: u8 (0 = Delete, 1 = Put) | keyspace: varint (0) | key_len: varint | key
//!   | (Put only) value_len: varint | value
//! ```
//!
//! A WAL record is `version: u8 (1) | first_seq: u64 LE | count: u32 LE | rep` (see
//! docs/FORMAT.md). Limits are checked as records are added: the first violation is kept and
//! `Db::write` rejects the whole batch with `InvalidArgument` before anything is applied.

use crate::coding::{Decoder, put_length_prefixed, put_u32, put_u64, put_varint};
use crate::error::{Error, Result};
use crate::key::{SeqNum, ValueKind};

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 65_535;
/// Longest value accepted, in bytes (64 MiB).
pub const MAX_VALUE_LEN: usize = 64 << 20;
/// Largest encoded batch accepted, in bytes (256 MiB).
pub const MAX_BATCH_BYTES: usize = 256 << 20;

/// Bytes of the WAL record header before the records.
pub const WAL_RECORD_HEADER: usize = 1 + 8 + 4;
/// Version byte of the WAL record payload.
pub const WAL_RECORD_VERSION: u8 = 1;

// A single record of maximal key and value must fit in a batch.
const _: () = assert!(MAX_KEY_LEN + MAX_VALUE_LEN + 32 + WAL_RECORD_HEADER <= MAX_BATCH_BYTES);
const _: () = assert!(MAX_BATCH_BYTES <= u32::MAX as usize);

/// Records to apply atomically, in order (a later record for the same key wins).
///
/// # Examples
/// ```
/// # fn main() -> strata::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// let db = strata::Db::open(dir.path(), strata::Options::default())?;
/// let mut batch = strata::WriteBatch::new();
/// batch.put(b"a", b"1");
/// batch.delete(b"b");
/// db.write(batch)?;
/// assert_eq!(db.get(b"a")?.as_deref(), Some(&b"1"[..]));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    rep: Vec<u8>,
    count: u32,
    invalid: Option<String>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }

    /// Adds a put. Limits are checked by `Db::write`.
    pub fn put(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (key, value) = (key.as_ref(), value.as_ref());
        if self.check(key, Some(value)) {
            // Kind, seq placeholder and two length varints: one allocation per put.
            self.rep.reserve(1 + 1 + 2 * 5 + key.len() + value.len());
            self.rep.push(ValueKind::Put as u8);
            put_varint(&mut self.rep, 0);
            put_length_prefixed(&mut self.rep, key);
            put_length_prefixed(&mut self.rep, value);
            self.count += 1;
        }
    }

    /// Adds a delete (of a key that may not exist).
    pub fn delete(&mut self, key: impl AsRef<[u8]>) {
        let key = key.as_ref();
        if self.check(key, None) {
            self.rep.reserve(1 + 1 + 5 + key.len());
            self.rep.push(ValueKind::Delete as u8);
            put_varint(&mut self.rep, 0);
            put_length_prefixed(&mut self.rep, key);
            self.count += 1;
        }
    }

    fn check(&mut self, key: &[u8], value: Option<&[u8]>) -> bool {
        if self.invalid.is_some() {
            return false;
        }
        let problem = if key.len() > MAX_KEY_LEN {
            Some(format!(
                "key of {} bytes exceeds MAX_KEY_LEN ({MAX_KEY_LEN})",
                key.len()
            ))
        } else if let Some(v) = value.filter(|v| v.len() > MAX_VALUE_LEN) {
            Some(format!(
                "value of {} bytes exceeds MAX_VALUE_LEN ({MAX_VALUE_LEN})",
                v.len()
            ))
        } else if self.rep.len() + key.len() + value.map_or(0, <[u8]>::len) + 32
            > MAX_BATCH_BYTES - WAL_RECORD_HEADER
        {
            Some(format!("batch exceeds MAX_BATCH_BYTES ({MAX_BATCH_BYTES})"))
        } else if self.count == u32::MAX {
            Some("batch holds too many records".to_string())
        } else {
            None
        };
        self.invalid = problem;
        self.invalid.is_none()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the batch has no records.
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.invalid.is_none()
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.rep.clear();
        self.count = 0;
        self.invalid = None;
    }

    /// Encoded size of the records.
    pub fn approximate_size(&self) -> usize {
        self.rep.len()
    }

    /// `Err(InvalidArgument)` if any record broke a limit.
    pub(crate) fn validate(&self) -> Result<()> {
        match &self.invalid {
            Some(reason) => Err(Error::InvalidArgument(reason.clone())),
            None => Ok(()),
        }
    }

    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// The records, decoded (always succeeds on a batch built through the API).
    pub(crate) fn records(&self) -> RecordIter<'_> {
        RecordIter {
            dec: Decoder::new(&self.rep),
            left: self.count,
        }
    }

    /// Appends the WAL payload for this batch starting at `first_seq` to `buf`.
    pub(crate) fn encode_wal_record(&self, first_seq: SeqNum, buf: &mut Vec<u8>) {
        buf.push(WAL_RECORD_VERSION);
        put_u64(buf, first_seq);
        put_u32(buf, self.count);
        buf.extend_from_slice(&self.rep);
    }
}

/// One record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Put or Delete.
    pub kind: ValueKind,
    /// The key.
    pub key: &'a [u8],
    /// The value (empty for deletes).
    pub value: &'a [u8],
}

/// Decodes the records of a batch or WAL payload; yields `None` at the end or on malformed
/// input (check [`RecordIter::finished_cleanly`]).
pub struct RecordIter<'a> {
    dec: Decoder<'a>,
    left: u32,
}

impl RecordIter<'_> {
    /// True when every announced record was decoded and no bytes are left over.
    pub fn finished_cleanly(&self) -> bool {
        self.left == 0 && self.dec.is_empty()
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Record<'a>;
    fn next(&mut self) -> Option<Record<'a>> {
        if self.left == 0 {
            return None;
        }
        let kind = ValueKind::from_u8(self.dec.u8()?)?;
        let _keyspace = self.dec.varint()?;
        let key = self.dec.length_prefixed()?;
        if key.len() > MAX_KEY_LEN {
            return None;
        }
        let value = match kind {
            ValueKind::Put => self.dec.length_prefixed()?,
            ValueKind::Delete => &[],
        };
        if value.len() > MAX_VALUE_LEN {
            return None;
        }
        self.left -= 1;
        Some(Record { kind, key, value })
    }
}

/// A decoded WAL record: its first seq and its records.
pub(crate) struct WalRecord<'a> {
    pub first_seq: SeqNum,
    pub count: u32,
    pub records: RecordIter<'a>,
}

/// Decodes a WAL payload's header; `None` if malformed (the caller reports `Corruption`).
pub(crate) fn decode_wal_record(payload: &[u8]) -> Option<WalRecord<'_>> {
    let mut dec = Decoder::new(payload);
    if dec.u8()? != WAL_RECORD_VERSION {
        return None;
    }
    let first_seq = dec.u64()?;
    let count = dec.u32()?;
    let rest = dec.bytes(dec.remaining())?;
    Some(WalRecord {
        first_seq,
        count,
        records: RecordIter {
            dec: Decoder::new(rest),
            left: count,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn batch_round_trips_through_wal_encoding() {
        let mut b = WriteBatch::new();
        b.put(b"k1", b"v1");
        b.delete(b"k2");
        b.put(b"", b"");
        let mut buf = Vec::new();
        b.encode_wal_record(42, &mut buf);
        let rec = decode_wal_record(&buf).unwrap();
        assert_eq!((rec.first_seq, rec.count), (42, 3));
        let mut it = rec.records;
        let got: Vec<_> = it.by_ref().collect();
        assert!(it.finished_cleanly());
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[1],
            Record {
                kind: ValueKind::Delete,
                key: b"k2",
                value: b""
            }
        );
        assert_eq!(got[2].key, b"");
    }

    #[test]
    fn oversized_records_poison_the_batch() {
        let mut b = WriteBatch::new();
        b.put(b"ok", b"v");
        b.put(vec![0u8; MAX_KEY_LEN + 1], b"v");
        b.put(b"later", b"v");
        assert!(matches!(b.validate(), Err(Error::InvalidArgument(_))));
        let mut b = WriteBatch::new();
        b.put(vec![0u8; MAX_KEY_LEN], vec![0u8; 10]);
        assert!(b.validate().is_ok());
    }

    #[test]
    fn truncated_payloads_decode_to_none_not_panic() {
        let mut b = WriteBatch::new();
        b.put(b"key", b"value");
        let mut buf = Vec::new();
        b.encode_wal_record(1, &mut buf);
        for cut in 0..buf.len() {
            if let Some(rec) = decode_wal_record(&buf[..cut]) {
                let mut it = rec.records;
                while it.next().is_some() {}
                assert!(!it.finished_cleanly());
            }
        }
    }
}
