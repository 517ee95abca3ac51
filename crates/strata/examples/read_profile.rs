//! The comparison harness's `readrandom` in miniature, for profiling the read path: N keys
//! (`i` in decimal, zero-padded to 16 bytes) with 100 random bytes each, flushed and compacted,
//! then N gets in random order with a small block cache (so most gets read a block), then N
//! seeks of 10 entries each.
//!
//! `cargo run --release -p strata --example read_profile -- N DIR [CACHE_MIB] [reuse] [GETS]
//! [missing]`: with `reuse` an existing database in DIR is read as is (fill it once, then read it
//! with several builds); with `missing` every get asks for an absent key inside the table's key
//! range (a present key followed by `.`), as the harness's `readmissing` does. The number of
//! seeks is `GETS / 4` unless the environment variable `READ_PROFILE_SEEKS` sets it (0 to
//! count the allocations of the gets alone, e.g. under `valgrind --tool=dhat`).

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Compression, Db, Options};

fn key(i: u64) -> [u8; 16] {
    let mut k = [b'0'; 16];
    let s = i.to_string();
    k[16 - s.len()..].copy_from_slice(s.as_bytes());
    k
}

/// The calling thread's time on a CPU so far in nanoseconds (Linux `schedstat`; 0 elsewhere).
/// Unlike the wall clock, it leaves out the time the thread waited for a CPU on a busy machine.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() -> strata::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = args.next().unwrap_or_else(|| "read_profile.db".to_string());
    let cache_mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let reuse = args.next().as_deref() == Some("reuse");
    let gets: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(n);
    let missing = args.next().as_deref() == Some("missing");
    let options = Options {
        block_cache_size: cache_mib << 20,
        compression: Compression::Lz4,
        ..Options::default()
    };
    let mut rng = StdRng::seed_from_u64(7);
    if !reuse {
        let _ = std::fs::remove_dir_all(&dir);
        let db = Db::open(&dir, options.clone())?;
        let mut value = [0u8; 100];
        for i in 0..n {
            rng.fill(&mut value[..]);
            db.put(key(i), value)?;
        }
        db.flush()?;
        db.compact()?;
        db.close()?;
    }
    let db = Db::open(&dir, options)?;
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let mut found = 0u64;
    for _ in 0..gets {
        let k = key(rng.random_range(0..n));
        let got = if missing {
            let mut absent = k.to_vec();
            absent.push(b'.');
            db.get(absent)?
        } else {
            db.get(k)?
        };
        if got.is_some() {
            found += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu_ns = thread_cpu_ns().saturating_sub(cpu_start);
    println!(
        "readrandom: {gets} gets ({found} found) in {secs:.3}s = {:.0} ops/s, {:.0} ns CPU per get",
        gets as f64 / secs,
        cpu_ns as f64 / gets as f64
    );
    let stats = db.stats();
    println!(
        "block cache: {} hits, {} misses",
        stats.block_cache_hits, stats.block_cache_misses
    );
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let seeks = std::env::var("READ_PROFILE_SEEKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(gets / 4);
    let mut entries = 0u64;
    for _ in 0..seeks {
        for pair in db.range(key(rng.random_range(0..n))..)?.take(10) {
            pair?;
            entries += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu_ns = thread_cpu_ns().saturating_sub(cpu_start);
    println!(
        "seekrandom: {seeks} seeks ({entries} entries) in {secs:.3}s = {:.0} ops/s, {:.0} ns CPU per seek",
        seeks as f64 / secs,
        cpu_ns as f64 / seeks.max(1) as f64
    );
    db.close()?;
    Ok(())
}
