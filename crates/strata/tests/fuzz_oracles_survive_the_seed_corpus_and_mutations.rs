//! The fuzz targets' oracles (`strata::fuzzing`) run over the committed seed corpus
//! (`fuzz/seeds/<target>/`) and a few thousand inputs mutated from it with a seeded RNG: a
//! cheap, deterministic stand-in for libFuzzer in `cargo test`, so the fuzz entry points keep
//! compiling and stay panic-free. An oracle panics when a decoder panics, returns an error that
//! is not a typed corruption error, or fails a round trip.
//!
//! `STRATA_FUZZ_SMOKE_INPUTS=N` runs N mutated inputs per target instead of the default.

use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::Result;

/// The committed seeds of one target.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// One libFuzzer-style mutation: flip a bit, overwrite or insert or delete bytes, truncate,
/// or splice in a chunk of another seed.
fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] = rng.random();
            }
            2 => {
                let at = rng.random_range(0..=len);
                let n = rng.random_range(1..=8);
                out.splice(at..at, (0..n).map(|_| rng.random::<u8>()));
            }
            3 if len > 1 => {
                let at = rng.random_range(0..len);
                let end = (at + rng.random_range(1..=16)).min(len);
                out.drain(at..end);
            }
            4 if len > 1 => out.truncate(rng.random_range(1..len)),
            5 if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                let end = (from + rng.random_range(1..=64)).min(other.len());
                let at = rng.random_range(0..=len);
                out.splice(at..at, other[from..end].iter().copied());
            }
            _ if len > 0 => out[0] = rng.random(), // another mode
            _ => out.push(rng.random()),
        }
    }
    out
}

fn inputs_per_target() -> usize {
    std::env::var("STRATA_FUZZ_SMOKE_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// Runs `oracle` on one input; on a panic, prints the input (hex) to reproduce it with.
fn run(target: &str, oracle: fn(&[u8]), input: &[u8]) {
    if let Err(panic) = std::panic::catch_unwind(|| oracle(input)) {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("{target} oracle failed on input (hex): {hex}");
        std::panic::resume_unwind(panic);
    }
}

/// Runs `oracle` over the seeds of `target`, then over mutations of them and pure noise.
fn exercise(target: &str, seed: u64, oracle: fn(&[u8])) -> Result<()> {
    let corpus = seeds(target);
    assert!(!corpus.is_empty(), "no seeds for {target}");
    for input in &corpus {
        run(target, oracle, input);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for i in 0..inputs_per_target() {
        let input = if i % 10 == 9 {
            let len = rng.random_range(0..512);
            (0..len).map(|_| rng.random()).collect()
        } else {
            let base = &corpus[rng.random_range(0..corpus.len())];
            let other = &corpus[rng.random_range(0..corpus.len())];
            mutate(&mut rng, base, other)
        };
        run(target, oracle, &input);
    }
    Ok(())
}

#[test]
fn block_oracle() -> Result<()> {
    exercise("block", 1, strata::fuzzing::block)
}

#[test]
fn sst_oracle() -> Result<()> {
    exercise("sst", 2, strata::fuzzing::table)
}

#[test]
fn wal_oracle() -> Result<()> {
    exercise("wal", 3, strata::fuzzing::wal)
}

#[test]
fn manifest_oracle() -> Result<()> {
    exercise("manifest", 4, strata::fuzzing::manifest)
}
