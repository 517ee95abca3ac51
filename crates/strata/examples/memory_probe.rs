//! Resident memory of a database at each stage of a load: after the fill, after flush +
//! full compaction, after random reads. Prints VmRSS/VmHWM from /proc/self/status (Linux).
//!
//! `cargo run --release -p strata --example memory_probe -- [KEYS]`
use std::time::Instant;

use strata::{Db, Options};

fn status(label: &str) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let pick = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .map(|l| l[k.len()..].trim().to_string())
            .unwrap_or_default()
    };
    println!(
        "{label:<28} RSS {:>12}  HWM {:>12}",
        pick("VmRSS:"),
        pick("VmHWM:")
    );
}

fn key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn main() -> strata::Result<()> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = Options {
        block_cache_size: 8 << 20,
        ..Options::default()
    };
    status("start");
    let db = Db::open(dir.path(), opts)?;
    let t = Instant::now();
    let mut v = [0u8; 100];
    for i in 0..n {
        v[..8].copy_from_slice(&i.to_le_bytes());
        db.put(key(i), v)?;
    }
    println!("fill {:?}", t.elapsed());
    status("after fill");
    db.flush()?;
    status("after flush");
    db.compact()?;
    status("after compact");
    for i in 0..n {
        let _ = db.get(key((i * 7919) % n))?;
    }
    status("after reads");
    println!("{}", db.stats());
    db.close()?;
    status("after close");
    Ok(())
}
