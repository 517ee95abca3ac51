//! The memtable skiplist under loom: the writer's `Relaxed` node stores published by a
//! `Release` link store, the readers' `Acquire` link loads (see `memtable/skiplist.rs`).
//! loom enumerates interleavings up to a preemption bound and, for every load, each value
//! the C++ memory model allows, so a node reached through a link but not ordered after its
//! contents would show up as a torn or foreign entry in the checks of `skiplist.rs`.

use super::skiplist::writer_and_readers;

/// Runs `f` under loom with a preemption bound (3, or 4 with `STRATA_LONG=1`) and prints
/// the number of executions explored.
fn model(name: &str, f: fn()) {
    let mut builder = loom::model::Builder::new();
    let bound = if super::long() { 4 } else { 3 };
    builder.preemption_bound = Some(bound);
    // Every atomic access is a branch point, and a reader makes a few thousand.
    builder.max_branches = 100_000;
    let start = std::time::Instant::now();
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&runs);
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    eprintln!(
        "loom {name}: {} executions (preemption bound {bound}), 0 failures, {:.1} s",
        runs.load(std::sync::atomic::Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn loom_skiplist_two_inserts_one_scanner() {
    model("skiplist 2 inserts, 1 scanner", || {
        writer_and_readers(2, 1, false)
    });
}

#[test]
fn loom_skiplist_two_inserts_one_getter() {
    model("skiplist 2 inserts, 1 getter", || {
        writer_and_readers(2, 0, true)
    });
}
