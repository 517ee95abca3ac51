//! Fills N random 16-byte keys with 100-byte values, reads them back in random order, then
//! scans everything: `cargo run --release -p strata --example fill_read -- [N] [DIR] [mem]`.
//! With `mem` the reads are served by the memtable (no flush; N must fit the 64 MiB memtable,
//! about 300 000 records or fewer).

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Db, Options};

fn key(i: u64) -> [u8; 16] {
    // A scrambled but reproducible key per index.
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0xA5A5_5A5A_DEAD_BEEF;
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&x.to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn main() -> strata::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = args.next().unwrap_or_else(|| "fill_read.db".to_string());
    let flush = args.next().is_none_or(|a| a != "mem");
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(&dir, Options::default())?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut value = [0u8; 100];

    let start = Instant::now();
    for i in 0..n {
        rng.fill(&mut value[..]);
        db.put(key(i), value)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fillrandom: {n} puts in {secs:.2}s = {:.0} ops/s",
        n as f64 / secs
    );

    if flush {
        db.flush()?;
    }
    let start = Instant::now();
    let mut found = 0u64;
    for _ in 0..n {
        let i = rng.random_range(0..n);
        if db.get(key(i))?.is_some() {
            found += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "readrandom: {n} gets ({found} found) in {secs:.2}s = {:.0} ops/s",
        n as f64 / secs
    );

    let start = Instant::now();
    let mut count = 0u64;
    for item in db.iter()? {
        item?;
        count += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "readseq: {count} entries in {secs:.2}s = {:.0} entries/s",
        count as f64 / secs
    );
    println!("{}", db.stats());
    db.close()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
