//! Shared helpers for the reliability tests: run sizes from the environment, a panic
//! counter, a model of acknowledged history, and a random workload.
//!
//! Sizes: the default (`cargo test`) is the CI smoke size; `STRATA_LONG=1` selects the long
//! run; `STRATA_SEEDS=N` overrides the number of seeds; `STRATA_SEED=S` replays one seed.

#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod model;
pub mod workload;

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Panics seen in any thread of this test binary (background threads included).
static PANICS: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

/// Installs (once) a panic hook that counts panics, then defers to the default hook.
pub fn count_panics() {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

/// Panics counted so far.
pub fn panics() -> usize {
    PANICS.load(Ordering::SeqCst)
}

/// Whether the long run was asked for (`STRATA_LONG=1`).
pub fn long_run() -> bool {
    std::env::var("STRATA_LONG").is_ok_and(|v| v != "0" && !v.is_empty())
}

/// The seeds to run: `STRATA_SEED=S` alone, else `STRATA_SEEDS=N` (or `smoke`/`long`)
/// seeds starting at `base`.
pub fn seeds(base: u64, smoke: u64, long: u64) -> Vec<u64> {
    if let Some(s) = std::env::var("STRATA_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return vec![s];
    }
    let n = std::env::var("STRATA_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if long_run() { long } else { smoke });
    (base..base + n).collect()
}

/// Prints a result line the long run collects into docs/TESTING.md.
pub fn report(test: &str, figures: &str) {
    println!("RESULT {test}: {figures}");
    eprintln!("RESULT {test}: {figures}");
}
