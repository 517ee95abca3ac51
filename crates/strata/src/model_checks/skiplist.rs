//! The memtable skiplist with one writer and concurrent readers, through the real
//! [`MemTable`] (`add`, `get`, its cursor). Built for both checkers: under shuttle it
//! explores interleavings (every arena word access is a scheduling point); under loom
//! (`loom_skiplist.rs`) also the values each `Relaxed`/`Acquire` load may return.
//!
//! Checked against the model (the list of inserted entries):
//! - a reader sees each entry either not at all or complete: every key it finds, with its
//!   seq and value, is exactly an inserted entry (no torn key, value or trailer);
//! - `get` returns the newest inserted version or an older inserted one, never another
//!   value;
//! - a scan yields internal keys strictly ascending, and a later scan by the same reader
//!   sees every entry an earlier one saw (entries are never lost once published).

use std::cmp::Ordering as Cmp;
use std::collections::BTreeSet;
use std::sync::Arc;

#[cfg(loom)]
use loom::thread;
#[cfg(all(shuttle, not(loom)))]
use shuttle::thread;

use crate::iter::InternalIterator;
use crate::key::{MAX_SEQUENCE, TRAILER_LEN, ValueKind, compare_internal_keys};
use crate::memtable::MemTable;

/// `(user key, seq, value)` in insertion order: keys of several words, a key that is a
/// prefix of another, two versions of one key, an empty value.
pub(super) const ENTRIES: [(&[u8], u64, &[u8]); 4] = [
    (b"middle-key-of-three-words", 1, b"value-one-spans-words"),
    (b"a", 2, b"value-two"),
    (b"middle-key", 3, b""),
    (b"middle-key-of-three-words", 4, b"newer"),
];

fn inserted(key: &[u8], seq: u64, value: &[u8]) -> bool {
    ENTRIES.contains(&(key, seq, value))
}

/// Reads every key with `get` at several snapshot seqs: each answer is one of that key's
/// inserted versions with a seq at or below the snapshot (the writer inserts in seq order,
/// so no answer at all is right too while the version is not inserted yet). Then seeks a
/// cursor to each key at each seq: it lands at or after the target.
fn read_by_get(mem: &Arc<MemTable>) {
    for snapshot in [1, 3, MAX_SEQUENCE] {
        for (key, _, _) in ENTRIES {
            match mem.get(key, snapshot) {
                None => {}
                Some((ValueKind::Put, v)) => assert!(
                    ENTRIES
                        .iter()
                        .any(|&(k, seq, val)| k == key && val == &v[..] && seq <= snapshot),
                    "get({key:?}) at seq {snapshot} = {v:?}: not a version at or below it"
                ),
                Some((kind, _)) => panic!("get({key:?}) found a {kind:?}"),
            }
            let target = crate::key::seek_key(key, snapshot);
            let mut it = mem.iter();
            #[allow(clippy::unwrap_used, reason = "a memtable cursor never fails")]
            it.seek(&target).unwrap();
            if it.valid() {
                assert_ne!(
                    compare_internal_keys(it.key(), &target),
                    Cmp::Less,
                    "seek({key:?} at {snapshot}) landed before its target"
                );
            }
        }
    }
}

/// One full scan: `(user key, seq)` of every entry seen, checked complete and ascending.
fn scan(mem: &Arc<MemTable>) -> BTreeSet<(Vec<u8>, u64)> {
    let mut seen = BTreeSet::new();
    let mut it = mem.iter();
    let mut prev: Option<Vec<u8>> = None;
    #[allow(clippy::unwrap_used, reason = "a memtable cursor never fails")]
    it.seek_to_first().unwrap();
    while it.valid() {
        let ikey = it.key().to_vec();
        assert!(ikey.len() >= TRAILER_LEN, "a torn internal key {ikey:?}");
        let (user, trailer) = ikey.split_at(ikey.len() - TRAILER_LEN);
        let mut t = [0u8; TRAILER_LEN];
        t.copy_from_slice(trailer);
        let seq = u64::from_le_bytes(t) >> 8;
        assert!(
            inserted(user, seq, it.value()),
            "entry ({user:?}, {seq}, {:?}) was never inserted",
            it.value()
        );
        if let Some(p) = &prev {
            assert_eq!(
                compare_internal_keys(p, &ikey),
                Cmp::Less,
                "scan out of order"
            );
        }
        seen.insert((user.to_vec(), seq));
        prev = Some(ikey);
        #[allow(clippy::unwrap_used, reason = "a memtable cursor never fails")]
        it.next().unwrap();
    }
    seen
}

/// One writer inserts `entries` (a prefix of [`ENTRIES`]); `scanners` readers scan twice and
/// one more reads by `get` when `getter`.
pub(super) fn writer_and_readers(entries: usize, scanners: usize, getter: bool) {
    #[allow(clippy::unwrap_used, reason = "a small in-memory arena")]
    let mem = Arc::new(MemTable::with_size_hint(1, 0).unwrap());
    let writer = {
        let mem = Arc::clone(&mem);
        thread::spawn(move || {
            for &(key, seq, value) in ENTRIES.iter().take(entries) {
                #[allow(clippy::unwrap_used, reason = "a small in-memory arena")]
                mem.add(seq, ValueKind::Put, key, value).unwrap();
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..scanners {
        let mem = Arc::clone(&mem);
        readers.push(thread::spawn(move || {
            let first = scan(&mem);
            let second = scan(&mem);
            assert!(
                first.is_subset(&second),
                "a later scan lost {first:?} - {second:?}"
            );
        }));
    }
    if getter {
        let mem = Arc::clone(&mem);
        readers.push(thread::spawn(move || read_by_get(&mem)));
    }
    #[allow(clippy::unwrap_used, reason = "a thread's panic fails the check")]
    {
        writer.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
    }
    // Everything is visible once the writer is done.
    let all = scan(&mem);
    assert_eq!(all.len(), entries);
}

#[cfg(shuttle)]
#[test]
fn shuttle_skiplist_one_writer_many_readers() {
    super::explore("skiplist", 1000, 1000, || {
        writer_and_readers(ENTRIES.len(), 1, true)
    });
}
