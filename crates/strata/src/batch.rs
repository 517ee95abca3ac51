//! [`WriteBatch`]: records applied atomically, and its encoding (the WAL record payload).
//!
//! Layout of a batch's records (`rep`), repeated `count` times: the records of a WAL record
//! payload version 2, so the WAL writer appends `rep` after a short header and the memtable
//! insert path decodes `rep` directly:
//!
//! ```text
//! tag: u8 (bit 7 = keyspace follows; bits 0-6 = kind, 0 Delete, 1 Put)
//!   | (bit 7 set) keyspace: varint | key_len: varint | key | (Put only) value_len: varint | value
//! ```
//!
//! A WAL record is `version: u8 (2) | first_seq: varint | count: varint | rep`; version 1
//! (`version: u8 (1) | first_seq: u64 LE | count: u32 LE`, then records of `kind: u8 |
//! keyspace: varint | key_len ...`) is still decoded (see docs/FORMAT.md, Part II §2). Limits
//! are checked as records are added: the first violation is kept and `Db::write` rejects the
//! whole batch with `InvalidArgument` before anything is applied.
//!
//! Invariants: `rep` holds exactly `count` records in the v2 layout, never with the keyspace
//! bit (every record is in the default keyspace); decoding never panics on any input and
//! yields `None` for anything malformed (unknown tag bits or kind, a keyspace other than the
//! default, overruns, a `first_seq`/`count` outside the limits).

use crate::coding::{Decoder, encode_varint, put_length_prefixed};
use crate::error::{Error, Result};
use crate::key::{MAX_SEQUENCE, SeqNum, ValueKind};

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 65_535;
/// Longest value accepted, in bytes (64 MiB).
pub const MAX_VALUE_LEN: usize = 64 << 20;
/// Largest encoded batch accepted, in bytes (256 MiB).
pub const MAX_BATCH_BYTES: usize = 256 << 20;

/// Most bytes of a WAL record header before the records (version 2: version byte, a varint
/// `first_seq` of at most 10 bytes and a varint `count` of at most 5).
pub const WAL_RECORD_HEADER: usize = 1 + 10 + 5;
/// Version byte of the WAL record payload written by this binary.
pub const WAL_RECORD_VERSION: u8 = 2;
/// Version byte of the legacy WAL record payload (still read).
pub const WAL_RECORD_VERSION_V1: u8 = 1;
/// Bit of a v2 record's tag byte: a keyspace varint follows the tag (absent: keyspace 0).
pub const TAG_KEYSPACE_FOLLOWS: u8 = 0x80;
/// The only keyspace this binary knows (the default one); reserved for column families.
pub const DEFAULT_KEYSPACE: u64 = 0;

// A single record of maximal key and value must fit in a batch.
const _: () = assert!(MAX_KEY_LEN + MAX_VALUE_LEN + 32 + WAL_RECORD_HEADER <= MAX_BATCH_BYTES);
const _: () = assert!(MAX_BATCH_BYTES <= u32::MAX as usize);
// Kind numbers (reserved ones included) stay clear of the keyspace bit.
const _: () = assert!(ValueKind::Put as u8 & TAG_KEYSPACE_FOLLOWS == 0);

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
            // Tag and two length varints: at most one allocation per put.
            self.rep.reserve(1 + 2 * 5 + key.len() + value.len());
            self.rep.push(ValueKind::Put as u8);
            put_length_prefixed(&mut self.rep, key);
            put_length_prefixed(&mut self.rep, value);
            self.count += 1;
        }
    }

    /// Adds a delete (of a key that may not exist).
    pub fn delete(&mut self, key: impl AsRef<[u8]>) {
        let key = key.as_ref();
        if self.check(key, None) {
            self.rep.reserve(1 + 5 + key.len());
            self.rep.push(ValueKind::Delete as u8);
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
            legacy: false,
        }
    }

    /// Appends the WAL payload (version 2) for this batch starting at `first_seq` to `buf`.
    pub(crate) fn encode_wal_record(&self, first_seq: SeqNum, buf: &mut Vec<u8>) {
        debug_assert!(first_seq <= MAX_SEQUENCE);
        // The header is built on the stack; the records are copied once, as they are.
        let mut header = [0u8; WAL_RECORD_HEADER];
        header[0] = WAL_RECORD_VERSION;
        let seq_len = encode_varint(first_seq, &mut header[1..]);
        let count_len = encode_varint(u64::from(self.count), &mut header[1 + seq_len..]);
        debug_assert!(
            seq_len > 0 && count_len > 0,
            "both varints fit the header array"
        );
        let len = 1 + seq_len + count_len;
        buf.reserve(len + self.rep.len());
        buf.extend_from_slice(&header[..len]);
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
    /// Records in the version 1 layout (`kind: u8 | keyspace: varint | ...`).
    legacy: bool,
}

impl RecordIter<'_> {
    /// True when every announced record was decoded and no bytes are left over.
    pub fn finished_cleanly(&self) -> bool {
        self.left == 0 && self.dec.is_empty()
    }

    /// The kind of a record whose keyspace varint follows its tag byte: always in version 1
    /// (the value was never checked), and in version 2 when the tag's bit 7 is set (the value
    /// must be the default keyspace).
    #[cold]
    #[inline(never)]
    fn kind_with_keyspace(&mut self, tag: u8) -> Option<ValueKind> {
        let keyspace = self.dec.varint()?;
        if self.legacy {
            return ValueKind::from_u8(tag);
        }
        if keyspace != DEFAULT_KEYSPACE {
            return None;
        }
        ValueKind::from_u8(tag & !TAG_KEYSPACE_FOLLOWS)
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Record<'a>;
    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        if self.left == 0 {
            return None;
        }
        let tag = self.dec.u8()?;
        // The common case (a v2 tag without the keyspace bit) stays inline in the memtable
        // insert loop; the rest is out of line.
        let kind = if !self.legacy && tag & TAG_KEYSPACE_FOLLOWS == 0 {
            ValueKind::from_u8(tag)?
        } else {
            self.kind_with_keyspace(tag)?
        };
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
    /// At least 1.
    pub count: u32,
    /// `first_seq + count - 1`, at most `MAX_SEQUENCE`.
    pub last_seq: SeqNum,
    pub records: RecordIter<'a>,
}

/// Decodes a WAL payload's header (version 2, or legacy version 1) and checks its seqs: `None`
/// if malformed, if `count` is 0 or if `first_seq + count - 1` exceeds `MAX_SEQUENCE` (the
/// caller reports `Corruption`). The records are decoded by the returned iterator.
pub(crate) fn decode_wal_record(payload: &[u8]) -> Option<WalRecord<'_>> {
    let mut dec = Decoder::new(payload);
    let (first_seq, count, legacy) = match dec.u8()? {
        WAL_RECORD_VERSION => {
            let first_seq = dec.varint()?;
            let count = u32::try_from(dec.varint()?).ok()?;
            (first_seq, count, false)
        }
        WAL_RECORD_VERSION_V1 => (dec.u64()?, dec.u32()?, true),
        _ => return None,
    };
    let last_seq = first_seq
        .checked_add(u64::from(count))?
        .checked_sub(1)
        .filter(|&s| s <= MAX_SEQUENCE && count > 0)?;
    let rest = dec.bytes(dec.remaining())?;
    Some(WalRecord {
        first_seq,
        count,
        last_seq,
        records: RecordIter {
            dec: Decoder::new(rest),
            left: count,
            legacy,
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

    /// A record as the test's model knows it: (kind, key, value).
    type Op = (ValueKind, Vec<u8>, Vec<u8>);

    fn put_var(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(low);
                return;
            }
            out.push(low | 0x80);
        }
    }

    /// A version 1 payload, written from docs/FORMAT.md Part II §2 ("legacy, read only"): what
    /// binaries before payload version 2 wrote.
    fn encode_v1(first_seq: u64, ops: &[Op]) -> Vec<u8> {
        let mut out = vec![1];
        out.extend_from_slice(&first_seq.to_le_bytes());
        out.extend_from_slice(&(ops.len() as u32).to_le_bytes());
        for op in ops {
            out.push(op.0 as u8);
            out.push(0); // keyspace 0
            put_key_value(&mut out, op);
        }
        out
    }

    /// A record's key and (for a put) value, each after its varint length: the same in both
    /// payload versions.
    fn put_key_value(out: &mut Vec<u8>, (kind, key, value): &Op) {
        put_var(out, key.len() as u64);
        out.extend_from_slice(key);
        if *kind == ValueKind::Put {
            put_var(out, value.len() as u64);
            out.extend_from_slice(value);
        }
    }

    /// A version 2 payload, written from docs/FORMAT.md Part II §2; `keyspace` adds the
    /// keyspace bit and varint to every record.
    fn encode_v2(first_seq: u64, count: u64, ops: &[Op], keyspace: Option<u64>) -> Vec<u8> {
        let mut out = vec![2];
        put_var(&mut out, first_seq);
        put_var(&mut out, count);
        for op in ops {
            match keyspace {
                Some(ks) => {
                    out.push(op.0 as u8 | 0x80);
                    put_var(&mut out, ks);
                }
                None => out.push(op.0 as u8),
            }
            put_key_value(&mut out, op);
        }
        out
    }

    /// The decoded (first_seq, count, records), or `None` if rejected.
    fn decode(payload: &[u8]) -> Option<(u64, u32, Vec<Op>)> {
        let rec = decode_wal_record(payload)?;
        assert_eq!(rec.last_seq, rec.first_seq + u64::from(rec.count) - 1);
        let mut it = rec.records;
        let ops: Vec<Op> = it
            .by_ref()
            .map(|r| (r.kind, r.key.to_vec(), r.value.to_vec()))
            .collect();
        it.finished_cleanly()
            .then_some((rec.first_seq, rec.count, ops))
    }

    fn sample_ops() -> Vec<Op> {
        vec![
            (ValueKind::Put, b"key".to_vec(), b"value".to_vec()),
            (ValueKind::Delete, b"gone".to_vec(), Vec::new()),
            (ValueKind::Put, vec![7; 200], vec![9; 300]),
            (ValueKind::Put, Vec::new(), Vec::new()),
        ]
    }

    fn batch_of(ops: &[Op]) -> WriteBatch {
        let mut b = WriteBatch::new();
        for (kind, key, value) in ops {
            match kind {
                ValueKind::Put => b.put(key, value),
                ValueKind::Delete => b.delete(key),
            }
        }
        b
    }

    #[test]
    fn the_writer_emits_version_2_as_the_format_document_describes() {
        let ops = sample_ops();
        for seq in [1, 127, 128, (1 << 28) - 4, 1 << 40, MAX_SEQUENCE - 3] {
            let mut buf = vec![0xee]; // appends after what the buffer holds
            batch_of(&ops).encode_wal_record(seq, &mut buf);
            assert_eq!(buf[1..], encode_v2(seq, 4, &ops, None), "seq {seq}");
            assert_eq!(decode(&buf[1..]), Some((seq, 4, ops.clone())));
        }
    }

    #[test]
    fn a_single_put_of_16_and_100_bytes_is_at_least_8_bytes_shorter_than_in_version_1() {
        let op = (ValueKind::Put, vec![1; 16], vec![2; 100]);
        for seq in [1, 1 << 20, (1 << 28) - 1] {
            let mut v2 = Vec::new();
            batch_of(std::slice::from_ref(&op)).encode_wal_record(seq, &mut v2);
            let v1 = encode_v1(seq, std::slice::from_ref(&op));
            assert_eq!(v1.len(), 13 + 4 + 116);
            assert!(v2.len() <= 1 + 4 + 1 + 4 + 116, "{} bytes", v2.len());
            assert!(
                v2.len() + 8 <= v1.len(),
                "seq {seq}: {} vs {}",
                v2.len(),
                v1.len()
            );
        }
    }

    #[test]
    fn legacy_version_1_payloads_still_decode() {
        let ops = sample_ops();
        for seq in [0, 5, 1 << 40, MAX_SEQUENCE - 3] {
            assert_eq!(decode(&encode_v1(seq, &ops)), Some((seq, 4, ops.clone())));
        }
        // Limits are checked as in version 2.
        assert_eq!(decode(&encode_v1(MAX_SEQUENCE - 2, &ops)), None);
        assert!(decode_wal_record(&encode_v1(5, &[])).is_none(), "count 0");
    }

    #[test]
    fn the_keyspace_bit_reads_the_default_keyspace_and_rejects_others() {
        let ops = sample_ops();
        let with_default = encode_v2(9, 4, &ops, Some(0));
        assert_eq!(decode(&with_default), Some((9, 4, ops.clone())));
        assert_eq!(decode(&encode_v2(9, 4, &ops, Some(1))), None);
        assert_eq!(decode(&encode_v2(9, 4, &ops, Some(1 << 35))), None);
    }

    #[test]
    fn bad_headers_and_tags_are_rejected() {
        let put = vec![(ValueKind::Put, b"k".to_vec(), b"v".to_vec())];
        let good = encode_v2(5, 1, &put, None);
        assert_eq!(good, [2, 5, 1, 1, 1, b'k', 1, b'v']);
        assert!(decode(&good).is_some());
        // Unknown versions.
        for version in [0u8, 3, 0x81, 0xff] {
            let mut p = good.clone();
            p[0] = version;
            assert!(decode_wal_record(&p).is_none(), "version {version}");
        }
        // Every tag but 0, 1, 0x80 and 0x81 (with a keyspace varint after the last two).
        for tag in 0..=255u8 {
            let mut p = good.clone();
            p[3] = tag;
            let want = match tag {
                1 => Some((5, 1, put.clone())),
                _ => None, // 0 is a Delete: the value is then left over
            };
            assert_eq!(decode(&p), want, "tag {tag:#x}");
        }
        // count 0, a count beyond u32, the last seq beyond MAX_SEQUENCE.
        assert!(decode_wal_record(&encode_v2(5, 0, &[], None)).is_none());
        assert!(decode_wal_record(&encode_v2(5, 1 << 32, &put, None)).is_none());
        assert!(decode(&encode_v2(MAX_SEQUENCE, 1, &put, None)).is_some());
        assert!(decode_wal_record(&encode_v2(MAX_SEQUENCE, 2, &put, None)).is_none());
        assert!(decode_wal_record(&encode_v2(u64::MAX, 1, &put, None)).is_none());
        // A count that does not match the records.
        assert!(decode(&encode_v2(5, 2, &put, None)).is_none());
        // Varints of 11 bytes, or of 10 bytes that overflow u64.
        let mut long = vec![2];
        long.extend_from_slice(&[0x80; 10]);
        long.extend_from_slice(&[0, 1, 1, 1, b'k', 1, b'v']);
        assert!(decode_wal_record(&long).is_none());
        let mut over = vec![2];
        over.extend_from_slice(&[0xff; 9]);
        over.extend_from_slice(&[0x02, 1, 1, 1, b'k', 1, b'v']);
        assert!(decode_wal_record(&over).is_none());
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
