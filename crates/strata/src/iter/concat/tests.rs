//! ConcatIterator tests: a run of in-memory tables against the sorted model, lazy opening,
//! errors, and range filtering of tables.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::iter::testing::{
    Entry, VecIter, check_random_walk, collect_both_ways, injected_error, random_entries,
    random_user_key,
};

/// A run of tables cut from `entries` at random points, and an opener that counts opens and
/// fails the `fail_at`-th one (0 = never).
struct Run {
    files: Vec<Arc<FileMeta>>,
    opener: TableOpener,
    opens: Arc<AtomicUsize>,
}

fn make_run(rng: &mut StdRng, entries: &[Entry], fail_at: usize) -> Run {
    let mut tables: HashMap<u64, Vec<Entry>> = HashMap::new();
    let mut files = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let len = rng.random_range(1..=8).min(entries.len() - start);
        let chunk = entries[start..start + len].to_vec();
        let number = files.len() as u64 + 1;
        files.push(Arc::new(FileMeta {
            number,
            size: 0,
            smallest: Bytes::from(chunk[0].0.clone()),
            largest: Bytes::from(chunk[len - 1].0.clone()),
            smallest_seq: 0,
            largest_seq: 0,
            num_entries: len as u64,
            num_deletions: 0,
        }));
        tables.insert(number, chunk);
        start += len;
    }
    let opens = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&opens);
    let opener: TableOpener = Arc::new(move |file: &FileMeta| {
        let n = counter.fetch_add(1, AtomicOrdering::SeqCst) + 1;
        if n == fail_at {
            return Err(injected_error(n));
        }
        Ok(VecIter::boxed(tables[&file.number].clone()))
    });
    Run {
        files,
        opener,
        opens,
    }
}

#[test]
fn walks_the_run_like_the_model() {
    let mut rng = StdRng::seed_from_u64(30);
    for _ in 0..100 {
        let n = rng.random_range(0..120);
        let entries = random_entries(&mut rng, n);
        let run = make_run(&mut rng, &entries, 0);
        let mut it = ConcatIterator::new(run.files.clone(), run.opener);
        assert!(!it.valid());
        assert_eq!(
            run.opens.load(AtomicOrdering::SeqCst),
            0,
            "construction opens nothing"
        );
        assert_eq!(collect_both_ways(&mut it).unwrap(), entries);
        check_random_walk(&mut it, &entries, &mut rng, 500);
    }
}

#[test]
fn opens_only_the_tables_it_reaches() {
    let mut rng = StdRng::seed_from_u64(31);
    let entries = random_entries(&mut rng, 200);
    let run = make_run(&mut rng, &entries, 0);
    let opens = || run.opens.load(AtomicOrdering::SeqCst);
    let files = run.files.clone();
    let mut it = ConcatIterator::new(files.clone(), Arc::clone(&run.opener));
    // Above the run: invalid, nothing opened.
    let above = crate::key::make_internal_key(&[0xFF; 8], 0, 0);
    it.seek(&above).unwrap();
    assert!(!it.valid());
    assert_eq!(opens(), 0);
    // Below the run (seek_for_prev): invalid, nothing opened.
    let below = crate::key::make_internal_key(b"", crate::key::MAX_SEQUENCE, 0xFF);
    it.seek_for_prev(&below).unwrap();
    assert!(!it.valid());
    assert_eq!(opens(), 0);
    // Below the run (seek): the first key, one table opened.
    it.seek(&below).unwrap();
    assert_eq!(it.key(), &entries[0].0[..]);
    assert_eq!((opens(), it.open_table()), (1, Some(0)));
    // A seek into the middle opens exactly the table holding the target.
    let middle = files.len() / 2;
    it.seek(&files[middle].largest).unwrap();
    assert_eq!((opens(), it.open_table()), (2, Some(middle)));
    // Seeking again within the same table reuses it.
    it.seek_for_prev(&files[middle].smallest).unwrap();
    assert_eq!((opens(), it.open_table()), (2, Some(middle)));
    // Stepping off the end of a table opens the next one only.
    it.seek(&files[middle].largest).unwrap();
    assert_eq!((opens(), it.open_table()), (2, Some(middle)));
    it.next().unwrap();
    assert_eq!((opens(), it.open_table()), (3, Some(middle + 1)));
    // A full scan opens each table once more.
    let before = opens();
    it.seek_to_first().unwrap();
    while it.valid() {
        it.next().unwrap();
    }
    assert_eq!(opens() - before, files.len());
    assert_eq!(it.open_table(), None, "an exhausted cursor holds no table");
    // An empty run opens nothing and is invalid everywhere.
    let mut empty = ConcatIterator::new(Vec::new(), run.opener);
    empty.seek_to_first().unwrap();
    empty.seek_to_last().unwrap();
    empty.seek(&below).unwrap();
    empty.seek_for_prev(&above).unwrap();
    assert!(!empty.valid());
}

#[test]
fn open_errors_surface_and_leave_the_cursor_invalid() {
    let mut rng = StdRng::seed_from_u64(32);
    let entries = random_entries(&mut rng, 100);
    for fail_at in 1..12 {
        let run = make_run(&mut StdRng::seed_from_u64(33), &entries, fail_at);
        let mut it = ConcatIterator::new(run.files.clone(), run.opener);
        let mut seen = Vec::new();
        let mut result = it.seek_to_first();
        while result.is_ok() && it.valid() {
            seen.push(it.key().to_vec());
            result = it.next();
        }
        if run.files.len() < fail_at {
            assert!(result.is_ok());
            continue;
        }
        assert!(result.is_err(), "open #{fail_at} must fail");
        assert!(!it.valid());
        assert!(
            seen.iter().zip(&entries).all(|(a, (b, _))| a == b),
            "a prefix before the error"
        );
        // The next positioning call succeeds again (only merges stay failed).
        it.seek_to_first().unwrap();
        assert_eq!(it.key(), &entries[0].0[..]);
    }
}

#[test]
fn range_filter_matches_linear_filter() {
    let mut rng = StdRng::seed_from_u64(34);
    for _ in 0..200 {
        let n = rng.random_range(0..60);
        let entries = random_entries(&mut rng, n);
        let run = make_run(&mut rng, &entries, 0);
        let bound = |rng: &mut StdRng| match rng.random_range(0..3) {
            0 => Bound::Included(random_user_key(rng)),
            1 => Bound::Excluded(random_user_key(rng)),
            _ => Bound::Unbounded,
        };
        let (lower, upper) = (bound(&mut rng), bound(&mut rng));
        let (lower, upper) = (
            lower.as_ref().map(Vec::as_slice),
            upper.as_ref().map(Vec::as_slice),
        );
        let linear: Vec<u64> = run
            .files
            .iter()
            .filter(|f| file_in_range(f, lower, upper))
            .map(|f| f.number)
            .collect();
        let binary: Vec<u64> = run_files_in_range(&run.files, lower, upper)
            .iter()
            .map(|f| f.number)
            .collect();
        assert_eq!(binary, linear);
        // A kept table holds a key in range or straddles it; a dropped one holds none.
        for f in &run.files {
            let (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
            let key_in = |k: &[u8]| std::ops::RangeBounds::<[u8]>::contains(&(lower, upper), k);
            if key_in(lo) || key_in(hi) {
                assert!(linear.contains(&f.number));
            }
        }
    }
    let file = FileMeta {
        number: 1,
        size: 0,
        smallest: Bytes::from(crate::key::make_internal_key(b"b", 1, 1)),
        largest: Bytes::from(crate::key::make_internal_key(b"d", 1, 1)),
        smallest_seq: 1,
        largest_seq: 1,
        num_entries: 2,
        num_deletions: 0,
    };
    let (b, d): (&[u8], &[u8]) = (b"b", b"d");
    assert!(!file_in_range(&file, Bound::Excluded(d), Bound::Unbounded));
    assert!(file_in_range(&file, Bound::Included(d), Bound::Unbounded));
    assert!(!file_in_range(&file, Bound::Unbounded, Bound::Excluded(b)));
    assert!(file_in_range(&file, Bound::Unbounded, Bound::Included(b)));
}
