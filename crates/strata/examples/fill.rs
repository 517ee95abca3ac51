//! The write path alone: N single-key puts (16-byte keys, 100-byte values by default, WAL on, no fsync)
//! in sequential or random key order, then the database's counters (stalls, flushes,
//! compactions). For profiling a put: `cargo run --release -p strata --example fill --
//! [seq|random] [N] [DIR] [VALUE_LEN]` under `perf stat -e instructions:u` or callgrind.

use std::time::Instant;

use strata::{Db, Options};

/// A scrambled but reproducible 16-byte key per index (random order), or the index itself
/// big-endian (sequential order).
fn key(i: u64, random: bool) -> [u8; 16] {
    let mut k = [0u8; 16];
    if random {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0xA5A5_5A5A_DEAD_BEEF;
        k[..8].copy_from_slice(&x.to_be_bytes());
    }
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn main() -> strata::Result<()> {
    let mut args = std::env::args().skip(1);
    let random = args.next().is_none_or(|a| a != "seq");
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = args.next().unwrap_or_else(|| "fill.db".to_string());
    let value_len: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(&dir, Options::default())?;
    let mut value = vec![0u8; value_len];
    let mut state = 0x2545_F491_4F6C_DD1Du64;

    let start = Instant::now();
    for i in 0..n {
        // xorshift: incompressible values without a dependency.
        for chunk in value.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bytes = state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        db.put(key(i, random), &value)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let name = if random { "fillrandom" } else { "fillseq" };
    println!(
        "{name}: {n} puts in {secs:.3}s = {:.0} ops/s",
        n as f64 / secs
    );
    println!("{}", db.stats());
    db.close()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
