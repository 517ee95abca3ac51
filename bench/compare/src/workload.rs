//! The workloads (db_bench names and meanings) and their timed, multi-threaded runner.
//!
//! A workload's `ops` are split between its threads (thread `t` takes `t·ops/T .. (t+1)·ops/T`).
//! Every operation is timed on its own into a per-thread histogram (nanoseconds), merged at the
//! end; scans time each entry (the gap between consecutive entries). `readwhilewriting` adds
//! one writer thread overwriting random keys until the readers finish; only readers are timed.
//!
//! Threading: `Context::run` spawns scoped threads that share `&dyn Engine`; nothing here
//! outlives the call.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::engine::{BoxError, Engine, Result};
use crate::keys::{KeySpace, Rng, Values};

/// One benchmark, by db_bench name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Fresh database; write `num` keys in ascending order.
    Fillseq,
    /// Fresh database; write `num` random keys (with repeats).
    Fillrandom,
    /// Overwrite `num` random keys of the current database.
    Overwrite,
    /// Read `num` random existing keys (database loaded with all keys and fully compacted).
    Readrandom,
    /// Read `num` random keys that were never written (loaded, compacted).
    Readmissing,
    /// Seek to `num` random keys, then 10 nexts (loaded, compacted).
    Seekrandom,
    /// Iterate the whole database forward (loaded, compacted).
    Readseq,
    /// Iterate the whole database backward (loaded, compacted).
    Readreverse,
    /// Fresh database opened with sync; `--sync-num` random writes, one thread.
    Fillsync,
    /// As `fillsync` with 8 threads (group commit where the engine has it).
    Fillsync8,
    /// `--threads` readers of random keys while one writer overwrites random keys.
    Readwhilewriting,
    /// Delete `num` random keys of the current database (not in the default list).
    Deleterandom,
}

/// Entries read after each seek of `seekrandom` (the seek itself plus 10 nexts).
pub const SEEK_ENTRIES: usize = 11;

impl Workload {
    /// The db_bench name.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// Starts on a new, empty database.
    pub fn fresh(self) -> bool {
        matches!(
            self,
            Workload::Fillseq | Workload::Fillrandom | Workload::Fillsync | Workload::Fillsync8
        )
    }

    /// Opens its fresh database with sync on.
    pub fn sync(self) -> bool {
        matches!(self, Workload::Fillsync | Workload::Fillsync8)
    }

    /// Needs every key `0..num` present and the tree fully compacted first (untimed).
    pub fn needs_loaded(self) -> bool {
        use Workload::*;
        matches!(
            self,
            Readrandom | Readmissing | Seekrandom | Readseq | Readreverse | Readwhilewriting
        )
    }

    /// Writes user data (so write amplification is reported).
    pub fn writes(self) -> bool {
        !self.needs_loaded() || self == Workload::Readwhilewriting
    }
}

/// What the threads measured, merged.
pub struct Measured {
    /// Operations done (scans: entries read).
    pub ops: u64,
    /// Key and value bytes written or read by the timed threads.
    pub bytes: u64,
    /// Reads that found their key.
    pub found: u64,
    /// Writes of `readwhilewriting`'s background writer.
    pub background_writes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Per-operation latency in nanoseconds.
    pub latency_ns: Histogram<u64>,
}

/// Everything the workload threads share.
pub struct Context<'a> {
    /// The open engine.
    pub engine: &'a dyn Engine,
    /// Key encoding.
    pub keys: KeySpace,
    /// Random bytes values are cut from.
    pub value_pool: &'a [u8],
    /// Value length.
    pub value_size: usize,
    /// Reader threads of `readwhilewriting` (other workloads: 1 thread, `fillsync8`: 8).
    pub threads: usize,
    /// Operations of `fillsync` / `fillsync8`.
    pub sync_num: u64,
    /// Writes per second of `readwhilewriting`'s writer (0: unthrottled).
    pub write_rate: u64,
    /// Base seed; each workload, run and thread derives its own.
    pub seed: u64,
}

/// A histogram of 1 ns .. 1 hour at 3 significant digits.
pub fn histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
        .map_err(|e| format!("histogram: {e}").into())
}

/// One thread's tally.
struct Tally {
    ops: u64,
    bytes: u64,
    found: u64,
    latency_ns: Histogram<u64>,
}

impl Tally {
    fn record(&mut self, nanos: u64, bytes: usize, found: bool) {
        self.latency_ns.saturating_record(nanos.max(1));
        self.ops += 1;
        self.bytes += bytes as u64;
        self.found += u64::from(found);
    }

    fn since(&mut self, start: Instant, bytes: usize, found: bool) {
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.record(nanos, bytes, found);
    }
}

/// Thread `thread`'s share of `0..total`.
fn share(total: u64, thread: usize, threads: usize) -> std::ops::Range<u64> {
    let part = |t: usize| (u128::from(total) * t as u128 / threads as u128) as u64;
    part(thread)..part(thread + 1)
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    handle
        .join()
        .unwrap_or_else(|_| Err(BoxError::from("a workload thread panicked")))
}

impl Context<'_> {
    fn rng(&self, workload: Workload, thread: usize) -> Rng {
        Rng::new(self.seed ^ ((workload as u64 + 1) << 40) ^ (thread as u64).wrapping_mul(7919))
    }

    fn thread_count(&self, workload: Workload) -> usize {
        match workload {
            Workload::Fillsync8 => 8,
            Workload::Readwhilewriting => self.threads.max(1),
            _ => 1,
        }
    }

    /// Runs `workload` and returns what it measured.
    pub fn run(&self, workload: Workload) -> Result<Measured> {
        let threads = self.thread_count(workload);
        let ops = if workload.sync() {
            self.sync_num
        } else {
            self.keys.num()
        };
        let stop = AtomicBool::new(false);
        let background = AtomicU64::new(0);
        let start = Instant::now();
        let tallies = std::thread::scope(|scope| -> Result<Vec<Tally>> {
            let writer = (workload == Workload::Readwhilewriting)
                .then(|| scope.spawn(|| self.background_writer(&stop, &background)));
            let workers: Vec<_> = (0..threads)
                .map(|t| scope.spawn(move || self.thread(workload, share(ops, t, threads), t)))
                .collect();
            let results: Vec<Result<Tally>> = workers.into_iter().map(join).collect();
            stop.store(true, Ordering::Relaxed);
            if let Some(writer) = writer {
                join(writer)?;
            }
            results.into_iter().collect()
        })?;
        let elapsed = start.elapsed();
        let mut measured = Measured {
            ops: 0,
            bytes: 0,
            found: 0,
            background_writes: background.load(Ordering::Relaxed),
            elapsed,
            latency_ns: histogram()?,
        };
        for tally in tallies {
            measured.ops += tally.ops;
            measured.bytes += tally.bytes;
            measured.found += tally.found;
            measured
                .latency_ns
                .add(&tally.latency_ns)
                .map_err(|e| format!("histogram: {e}"))?;
        }
        Ok(measured)
    }

    /// One timed thread doing indices `ops`.
    fn thread(
        &self,
        workload: Workload,
        ops: std::ops::Range<u64>,
        thread: usize,
    ) -> Result<Tally> {
        let mut t = Tally {
            ops: 0,
            bytes: 0,
            found: 0,
            latency_ns: histogram()?,
        };
        let mut rng = self.rng(workload, thread);
        let mut values = Values::new(self.value_pool, self.value_size, thread * 7919 * 64);
        let mut key = self.keys.buffer();
        let e = self.engine;
        match workload {
            Workload::Fillseq
            | Workload::Fillrandom
            | Workload::Overwrite
            | Workload::Fillsync
            | Workload::Fillsync8 => {
                for i in ops {
                    let index = if workload == Workload::Fillseq {
                        i
                    } else {
                        self.keys.existing(&mut rng)
                    };
                    self.keys.encode(index, &mut key);
                    let value = values.next_value();
                    let start = Instant::now();
                    e.put(&key, value)?;
                    t.since(start, key.len() + value.len(), false);
                }
            }
            Workload::Readrandom | Workload::Readmissing | Workload::Readwhilewriting => {
                for _ in ops {
                    let index = if workload == Workload::Readmissing {
                        self.keys.missing(&mut rng)
                    } else {
                        self.keys.existing(&mut rng)
                    };
                    self.keys.encode(index, &mut key);
                    let start = Instant::now();
                    let found = e.get(&key)?;
                    t.since(
                        start,
                        found.map_or(0, |len| len + key.len()),
                        found.is_some(),
                    );
                }
            }
            Workload::Deleterandom => {
                for _ in ops {
                    self.keys.encode(self.keys.existing(&mut rng), &mut key);
                    let start = Instant::now();
                    e.delete(&key)?;
                    t.since(start, key.len(), false);
                }
            }
            Workload::Seekrandom => {
                for _ in ops {
                    self.keys.encode(self.keys.existing(&mut rng), &mut key);
                    let start = Instant::now();
                    let (_, bytes, exact) = e.seek(&key, SEEK_ENTRIES)?;
                    t.since(start, bytes, exact);
                }
            }
            Workload::Readseq | Workload::Readreverse => {
                let mut last = Instant::now();
                e.scan(workload == Workload::Readreverse, &mut |k, v| {
                    let now = Instant::now();
                    let nanos = u64::try_from((now - last).as_nanos()).unwrap_or(u64::MAX);
                    t.record(nanos, k.len() + v.len(), true);
                    last = now;
                })?;
            }
        }
        Ok(t)
    }

    /// `readwhilewriting`'s writer: overwrites random keys until told to stop, at most
    /// `write_rate` per second when it is set (paced against the start: it sleeps whenever it
    /// is more than 1 ms ahead, so it writes in bursts of at most 1 ms of writes).
    fn background_writer(&self, stop: &AtomicBool, writes: &AtomicU64) -> Result<()> {
        let mut rng = self.rng(Workload::Overwrite, 1 << 20);
        let mut values = Values::new(self.value_pool, self.value_size, 4099);
        let mut key = self.keys.buffer();
        let start = Instant::now();
        let mut done = 0u64;
        while !stop.load(Ordering::Relaxed) {
            self.keys.encode(self.keys.existing(&mut rng), &mut key);
            self.engine.put(&key, values.next_value())?;
            writes.fetch_add(1, Ordering::Relaxed);
            done += 1;
            if self.write_rate > 0 {
                let due = Duration::from_secs_f64(done as f64 / self.write_rate as f64);
                let ahead = due.saturating_sub(start.elapsed());
                if ahead > Duration::from_millis(1) {
                    std::thread::sleep(ahead);
                }
            }
        }
        Ok(())
    }

    /// Untimed: writes every key `0..num` in ascending order, in batches of 1000.
    pub fn load(&self) -> Result<()> {
        let mut values = Values::new(self.value_pool, self.value_size, 77);
        let mut batch = Vec::with_capacity(1000);
        for i in 0..self.keys.num() {
            let mut key = self.keys.buffer();
            self.keys.encode(i, &mut key);
            batch.push((key, values.next_value().to_vec()));
            if batch.len() == 1000 {
                self.engine.write_batch(&batch)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.engine.write_batch(&batch)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_everything_once() {
        for total in [0u64, 1, 7, 1000, 1_000_003] {
            for threads in 1..=8 {
                let parts: Vec<_> = (0..threads).map(|t| share(total, t, threads)).collect();
                assert_eq!(parts[0].start, 0);
                assert_eq!(parts[threads - 1].end, total);
                for pair in parts.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
            }
        }
    }
}
