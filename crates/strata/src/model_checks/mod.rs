//! Model checks of the hand-rolled synchronization (run only under `--cfg shuttle` or
//! `--cfg loom`; commands in docs/TESTING.md).
//!
//! Which tool checks what, and why:
//! - **shuttle** (`commit`, `watermark`, `versions`, `skiplist`): the commit queue, the read
//!   points and the obsolete-file purge are mutex/condvar protocols, whose bugs are bad
//!   interleavings (a lost wakeup, a check and an act in different critical sections), not
//!   weak-memory effects. shuttle runs the real code with its own `Mutex`/`Condvar`/atomics
//!   (through `crate::sync`), picks the thread to run at every lock, wait, notify and atomic
//!   access, and reports a schedule where every thread waits as a deadlock. It samples
//!   schedules (a random scheduler and PCT, which finds bugs of small depth with a known
//!   probability) rather than enumerating them, so it scales to whole protocols. It is
//!   sequentially consistent: it cannot see a `Relaxed` load return a stale value.
//! - **loom** (`loom_skiplist`): the memtable skiplist is lock-free; its correctness rests on
//!   `Release`/`Acquire` publication of arena nodes, which only a checker of the C++ memory
//!   model sees. loom enumerates interleavings (bounded preemptions) and the values every
//!   weakly ordered load may return. The arena's words are `crate::sync::atomic::AtomicU64`, so
//!   loom checks the production skiplist unchanged (only its first chunk is small).
//!
//! Each check compares what the threads observe with an independent model (expected values,
//! seq ranges, the set of live files), never with the implementation's own output.
//!
//! Sizes: smoke by default (well under a minute in all); `STRATA_LONG=1` runs the long sizes.

#[cfg(shuttle)]
mod commit;
#[cfg(loom)]
mod loom_skiplist;
mod skiplist;
#[cfg(shuttle)]
mod versions;
#[cfg(shuttle)]
mod watermark;

/// Whether the long sizes were asked for.
fn long() -> bool {
    std::env::var_os("STRATA_LONG").is_some_and(|v| v != "0")
}

/// Runs `check` under shuttle's random scheduler and then its PCT scheduler (depth 3), with
/// fixed seeds, `random` and `pct` schedules (smoke) or 20× that (`STRATA_LONG=1`), and
/// prints what was explored.
#[cfg(shuttle)]
fn explore(name: &str, random: usize, pct: usize, check: fn()) {
    use shuttle::scheduler::{PctScheduler, RandomScheduler};
    use shuttle::{Config, MaxSteps, Runner};

    let scale = if long() { 20 } else { 1 };
    let (random, pct) = (random * scale, pct * scale);
    let mut config = Config::new();
    config.silence_warnings = true;
    config.max_steps = MaxSteps::FailAfter(200_000);
    let start = std::time::Instant::now();
    let ran_random = Runner::new(
        RandomScheduler::new_from_seed(0x5eed, random),
        config.clone(),
    )
    .run(check);
    let ran_pct = Runner::new(PctScheduler::new_from_seed(0x5eed, 3, pct), config).run(check);
    assert_eq!((ran_random, ran_pct), (random, pct), "every schedule ran");
    eprintln!(
        "shuttle {name}: {ran_random} random + {ran_pct} PCT schedules, 0 failures, {:.1} s",
        start.elapsed().as_secs_f64()
    );
}
