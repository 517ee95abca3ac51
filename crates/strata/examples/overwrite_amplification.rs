//! Write and space amplification of a compaction strategy under random overwrites (the
//! compaction issue's benchmark): `WRITES` puts of random keys among `KEYS` (16-byte keys,
//! 100-byte incompressible values), then the background work settles, then:
//!
//! - write amplification = (flush + compaction bytes written) / user bytes written;
//! - space amplification = bytes of SSTs on disk / bytes after a full compaction (the live
//!   data alone).
//!
//! `cargo run --release -p strata --example overwrite_amplification -- STRATEGY [KEYS]
//! [WRITES] [MEMTABLE_MB] [DIR]` with STRATEGY one of `leveled` (production picker),
//! `leveled-course`, `simple`, `tiered` (8 tiers). SST outputs are cut at the memtable size,
//! so every strategy sees files of one size. Compression is off (values are random).

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{
    CompactionOptions, Compression, Db, LeveledOptions, LeveledPicker, Options, SimpleOptions,
    TieredOptions,
};

fn key(i: u64) -> [u8; 16] {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0xA5A5_5A5A_DEAD_BEEF;
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&x.to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn options(strategy: &str, memtable_mb: usize) -> Options {
    let (compaction, picker) = match strategy {
        "leveled" => (
            CompactionOptions::Leveled(LeveledOptions::default()),
            LeveledPicker::Production,
        ),
        "leveled-course" => (
            CompactionOptions::Leveled(LeveledOptions::default()),
            LeveledPicker::Course,
        ),
        "simple" => (
            CompactionOptions::Simple(SimpleOptions::default()),
            LeveledPicker::Production,
        ),
        // Sizes are file counts under tiered: 8 tiers before any merge (the course
        // simulator's default) instead of the engine default's 3.
        "tiered" => (
            CompactionOptions::Tiered(TieredOptions {
                num_tiers: 8,
                ..TieredOptions::default()
            }),
            LeveledPicker::Production,
        ),
        other => {
            eprintln!("unknown strategy {other}: leveled, leveled-course, simple or tiered");
            std::process::exit(2);
        }
    };
    Options {
        memtable_size: memtable_mb << 20,
        // Outputs the size of a flush, so file counts (simple, tiered) track bytes.
        target_sst_size: memtable_mb << 20,
        compaction,
        leveled_picker: picker,
        compression: Compression::None,
        ..Options::default()
    }
}

fn sst_bytes(dir: &str) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "sst"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Waits until no compaction has finished for a second.
fn settle(db: &Db) {
    let mut last = db.stats();
    let mut quiet = 0;
    while quiet < 10 {
        std::thread::sleep(Duration::from_millis(100));
        let now = db.stats();
        if now.compactions == last.compactions && now.trivial_moves == last.trivial_moves {
            quiet += 1;
        } else {
            quiet = 0;
        }
        last = now;
    }
}

fn main() -> strata::Result<()> {
    let mut args = std::env::args().skip(1);
    let strategy = args.next().unwrap_or_else(|| "leveled".to_string());
    let keys: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let writes: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let memtable_mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let dir = args
        .next()
        .unwrap_or_else(|| format!("overwrite_amplification_{strategy}.db"));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(&dir, options(&strategy, memtable_mb))?;
    let mut rng = StdRng::seed_from_u64(11);
    let mut value = [0u8; 100];
    let start = Instant::now();
    for _ in 0..writes {
        rng.fill(&mut value[..]);
        db.put(key(rng.random_range(0..keys)), value)?;
    }
    db.flush()?;
    let secs = start.elapsed().as_secs_f64();
    settle(&db);
    let stats = db.stats();
    let on_disk = sst_bytes(&dir);
    db.compact()?;
    // Obsolete inputs go once no reader holds them; give the background purge a moment.
    let mut live = sst_bytes(&dir);
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(100));
        live = live.min(sst_bytes(&dir));
    }
    println!(
        "{strategy}: {writes} writes of {keys} keys in {secs:.1}s ({:.0}/s), memtable {memtable_mb} \
         MiB: write amplification {:.2}x, space amplification {:.2}x ({on_disk} / {live} bytes), \
         {} compactions, {} trivial moves, {} stalls",
        writes as f64 / secs,
        stats.write_amplification(),
        on_disk as f64 / live.max(1) as f64,
        stats.compactions,
        stats.trivial_moves,
        stats.stalls + stats.slowdowns,
    );
    println!("{stats}");
    db.close()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
