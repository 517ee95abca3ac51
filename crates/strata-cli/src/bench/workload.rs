//! The bench workloads (db_bench's names and meanings) and their timed, multi-threaded runner.
//!
//! Each workload runs `--threads` threads under `std::thread::scope`; the `num` operations are
//! split between them (thread `t` takes indices `t·num/T .. (t+1)·num/T`), so the total is `num`
//! whatever the thread count. Every operation is timed on its own into a per-thread histogram
//! (nanoseconds), merged at the end. `readwhilewriting` adds one writer thread that overwrites
//! random keys until the readers finish; only the readers are measured.

use std::ops::{Bound, Range};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use clap::ValueEnum;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::rngs::StdRng;
use strata::Db;

use super::keys::{KeySpace, Values};

/// One benchmark, by db_bench name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// Write `num` keys in ascending order.
    Fillseq,
    /// Write `num` random keys (with repeats).
    Fillrandom,
    /// Overwrite `num` random keys.
    Overwrite,
    /// Read `num` random keys from the written range (found counted).
    Readrandom,
    /// Read `num` random keys that were never written.
    Readmissing,
    /// Seek to `num` random keys and read the entry there.
    Seekrandom,
    /// Iterate the whole database forward.
    Readseq,
    /// Iterate the whole database backward.
    Readreverse,
    /// Delete `num` random keys.
    Deleterandom,
    /// Write `num / 1000` random keys, each followed by `sync`.
    Fillsync,
    /// `readrandom` on every thread while one more thread overwrites random keys.
    Readwhilewriting,
    /// `db.flush()`, timed as one operation.
    Flush,
    /// `db.compact()` (full compaction), timed as one operation.
    Compact,
}

impl Workload {
    /// The db_bench name.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// Whether the workload reads keys and so reports a found count.
    pub fn reads(self) -> bool {
        use Workload::*;
        matches!(
            self,
            Readrandom | Readmissing | Seekrandom | Readseq | Readreverse | Readwhilewriting
        )
    }

    /// How many operations the workload is sized for (scans: the expected entry count).
    pub fn planned_ops(self, num: u64) -> u64 {
        match self {
            Workload::Fillsync => (num / 1000).max(1),
            Workload::Flush | Workload::Compact => 1,
            _ => num,
        }
    }
}

/// What the threads measured, merged.
pub struct Measured {
    /// Operations done (scans: entries read).
    pub ops: u64,
    /// Key and value bytes written or read.
    pub bytes: u64,
    /// Reads that found their key (scans: entries read).
    pub found: u64,
    /// Writes done by the background writer of `readwhilewriting`.
    pub background_writes: Option<u64>,
    /// Wall time of the whole workload.
    pub elapsed: Duration,
    /// Per-operation latency in nanoseconds.
    pub latency_ns: Histogram<u64>,
    /// Operations completed in each `TIMELINE_BUCKET` since the workload started (all
    /// measured threads), for `--plot`.
    pub timeline: Vec<u64>,
}

/// Width of one `Measured::timeline` bucket.
pub const TIMELINE_BUCKET: Duration = Duration::from_millis(10);

/// Everything a workload thread needs.
pub struct Context<'a> {
    /// The open database.
    pub db: &'a Db,
    /// Key encoding and the written / missing ranges.
    pub keys: KeySpace,
    /// Random bytes values are cut from.
    pub value_pool: &'a [u8],
    /// Value length.
    pub value_size: usize,
    /// Measured threads.
    pub threads: usize,
    /// Base seed; each workload and thread derives its own.
    pub seed: u64,
    /// Progress (hidden unless stderr is a terminal).
    pub progress: &'a ProgressBar,
}

/// One thread's tally.
struct Tally {
    ops: u64,
    bytes: u64,
    found: u64,
    latency_ns: Histogram<u64>,
    unreported: u64,
    origin: Instant,
    timeline: Vec<u64>,
}

/// Progress is published in chunks so threads do not contend on the bar.
const PROGRESS_CHUNK: u64 = 1024;

fn histogram() -> Result<Histogram<u64>> {
    // 1 ns .. 1 hour at 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).map_err(|e| anyhow!("histogram: {e}"))
}

impl Tally {
    fn new(origin: Instant) -> Result<Tally> {
        Ok(Tally {
            ops: 0,
            bytes: 0,
            found: 0,
            latency_ns: histogram()?,
            unreported: 0,
            origin,
            timeline: Vec::new(),
        })
    }

    /// Records one operation that started at `start`.
    fn record(&mut self, start: Instant, bytes: usize, found: bool, progress: &ProgressBar) {
        let now = Instant::now();
        let nanos = u64::try_from((now - start).as_nanos()).unwrap_or(u64::MAX);
        let bucket = ((now - self.origin).as_nanos() / TIMELINE_BUCKET.as_nanos()) as usize;
        if bucket >= self.timeline.len() {
            self.timeline.resize(bucket + 1, 0);
        }
        self.timeline[bucket] += 1;
        self.latency_ns.saturating_record(nanos.max(1));
        self.ops += 1;
        self.bytes += bytes as u64;
        self.found += u64::from(found);
        self.unreported += 1;
        if self.unreported == PROGRESS_CHUNK {
            progress.inc(PROGRESS_CHUNK);
            self.unreported = 0;
        }
    }
}

/// Thread `thread`'s share of `0..total`.
fn share(total: u64, thread: usize, threads: usize) -> Range<u64> {
    let part = |t: usize| (u128::from(total) * t as u128 / threads as u128) as u64;
    part(thread)..part(thread + 1)
}

impl Context<'_> {
    fn rng(&self, workload: Workload, thread: usize) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ ((workload as u64) << 32) ^ thread as u64)
    }

    fn values(&self, thread: usize) -> Values<'_> {
        Values::new(
            self.value_pool,
            self.value_size,
            thread.wrapping_mul(7919 * 64),
        )
    }

    /// Runs `workload` and returns what it measured.
    ///
    /// # Errors
    /// The first engine error any thread met.
    pub fn run(&self, workload: Workload) -> Result<Measured> {
        let stop_writer = AtomicBool::new(false);
        let background = AtomicU64::new(0);
        let start = Instant::now();
        let tallies = std::thread::scope(|scope| -> Result<Vec<Tally>> {
            let writer = (workload == Workload::Readwhilewriting)
                .then(|| scope.spawn(|| self.background_writer(&stop_writer, &background)));
            let workers: Vec<_> = (0..self.threads)
                .map(|thread| scope.spawn(move || self.thread(workload, thread, start)))
                .collect();
            let results: Vec<Result<Tally>> = workers
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(anyhow!("a thread panicked")))
                })
                .collect();
            stop_writer.store(true, Ordering::Relaxed);
            if let Some(writer) = writer {
                writer
                    .join()
                    .unwrap_or_else(|_| Err(anyhow!("the writer panicked")))?;
            }
            results.into_iter().collect()
        })?;
        let elapsed = start.elapsed();
        let mut measured = Measured {
            ops: 0,
            bytes: 0,
            found: 0,
            background_writes: (workload == Workload::Readwhilewriting)
                .then(|| background.load(Ordering::Relaxed)),
            elapsed,
            latency_ns: histogram()?,
            timeline: Vec::new(),
        };
        for tally in tallies {
            if tally.timeline.len() > measured.timeline.len() {
                measured.timeline.resize(tally.timeline.len(), 0);
            }
            for (sum, n) in measured.timeline.iter_mut().zip(&tally.timeline) {
                *sum += n;
            }
            measured.ops += tally.ops;
            measured.bytes += tally.bytes;
            measured.found += tally.found;
            measured
                .latency_ns
                .add(&tally.latency_ns)
                .map_err(|e| anyhow!("histogram: {e}"))?;
        }
        Ok(measured)
    }

    /// One measured thread.
    fn thread(&self, workload: Workload, thread: usize, origin: Instant) -> Result<Tally> {
        let mut tally = Tally::new(origin)?;
        let ops = share(workload.planned_ops(self.keys.num()), thread, self.threads);
        let result = match workload {
            Workload::Fillseq => self.fill(ops, None, false, &mut tally),
            Workload::Fillrandom | Workload::Overwrite => {
                self.fill(ops, Some(self.rng(workload, thread)), false, &mut tally)
            }
            Workload::Fillsync => {
                self.fill(ops, Some(self.rng(workload, thread)), true, &mut tally)
            }
            Workload::Deleterandom => self.delete(ops, self.rng(workload, thread), &mut tally),
            Workload::Readrandom | Workload::Readwhilewriting => {
                self.read(ops, self.rng(workload, thread), false, &mut tally)
            }
            Workload::Readmissing => self.read(ops, self.rng(workload, thread), true, &mut tally),
            Workload::Seekrandom => self.seek(ops, self.rng(workload, thread), &mut tally),
            Workload::Readseq => self.scan(thread, false, &mut tally),
            Workload::Readreverse => self.scan(thread, true, &mut tally),
            Workload::Flush | Workload::Compact if thread > 0 => Ok(()),
            Workload::Flush => self.once(|db| db.flush(), &mut tally),
            Workload::Compact => self.once(|db| db.compact(), &mut tally),
        };
        result.with_context(|| format!("{} (thread {thread})", workload.name()))?;
        self.progress.inc(tally.unreported);
        Ok(tally)
    }

    /// Puts keys `ops` in order (`rng: None`) or as many random keys; `sync` after each.
    fn fill(
        &self,
        ops: Range<u64>,
        mut rng: Option<StdRng>,
        sync: bool,
        t: &mut Tally,
    ) -> strata::Result<()> {
        let mut key = self.keys.buffer();
        let mut values = self.values(ops.start as usize);
        for index in ops {
            let index = rng.as_mut().map_or(index, |rng| self.keys.existing(rng));
            self.keys.encode(index, &mut key);
            let value = values.next_value();
            let start = Instant::now();
            self.db.put(&key, value)?;
            if sync {
                self.db.sync()?;
            }
            t.record(start, key.len() + value.len(), false, self.progress);
        }
        Ok(())
    }

    fn delete(&self, ops: Range<u64>, mut rng: StdRng, t: &mut Tally) -> strata::Result<()> {
        let mut key = self.keys.buffer();
        for _ in ops {
            self.keys.encode(self.keys.existing(&mut rng), &mut key);
            let start = Instant::now();
            self.db.delete(&key)?;
            t.record(start, key.len(), false, self.progress);
        }
        Ok(())
    }

    fn read(
        &self,
        ops: Range<u64>,
        mut rng: StdRng,
        missing: bool,
        t: &mut Tally,
    ) -> strata::Result<()> {
        let mut key = self.keys.buffer();
        for _ in ops {
            let index = if missing {
                self.keys.missing(&mut rng)
            } else {
                self.keys.existing(&mut rng)
            };
            self.keys.encode(index, &mut key);
            let start = Instant::now();
            let value = self.db.get(&key)?;
            let bytes = value.as_ref().map_or(0, |v| key.len() + v.len());
            t.record(start, bytes, value.is_some(), self.progress);
        }
        Ok(())
    }

    /// Seeks to a random written key; found when the first entry at or after it is that key.
    fn seek(&self, ops: Range<u64>, mut rng: StdRng, t: &mut Tally) -> strata::Result<()> {
        let mut key = self.keys.buffer();
        for _ in ops {
            self.keys.encode(self.keys.existing(&mut rng), &mut key);
            let start = Instant::now();
            let first = self.db.range(key.as_slice()..)?.next().transpose()?;
            let (bytes, found) = match &first {
                Some((k, v)) => (k.len() + v.len(), k.as_ref() == key.as_slice()),
                None => (0, false),
            };
            t.record(start, bytes, found, self.progress);
        }
        Ok(())
    }

    /// Reads this thread's slice of the key space in order (or reverse), timing each entry.
    fn scan(&self, thread: usize, reverse: bool, t: &mut Tally) -> strata::Result<()> {
        let part = share(self.keys.num(), thread, self.threads);
        let bound = |index: u64, edge: bool| {
            if edge {
                Bound::Unbounded
            } else {
                let mut key = self.keys.buffer();
                self.keys.encode(index, &mut key);
                Bound::Included(key)
            }
        };
        let lower = bound(part.start, thread == 0);
        let upper = match bound(part.end, thread + 1 == self.threads) {
            Bound::Included(key) => Bound::Excluded(key),
            other => other,
        };
        let iter = self.db.range((lower, upper))?;
        let mut iter: Box<dyn Iterator<Item = strata::Result<_>>> = if reverse {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        };
        loop {
            let start = Instant::now();
            let Some(pair) = iter.next() else { break };
            let (key, value) = pair?;
            t.record(start, key.len() + value.len(), true, self.progress);
        }
        Ok(())
    }

    fn once(
        &self,
        op: impl FnOnce(&Db) -> strata::Result<()>,
        t: &mut Tally,
    ) -> strata::Result<()> {
        let start = Instant::now();
        op(self.db)?;
        t.record(start, 0, false, self.progress);
        Ok(())
    }

    /// `readwhilewriting`'s writer: overwrites random keys until told to stop.
    fn background_writer(&self, stop: &AtomicBool, writes: &AtomicU64) -> Result<()> {
        let mut rng = self.rng(Workload::Overwrite, usize::MAX);
        let mut values = self.values(usize::MAX / 2);
        let mut key = self.keys.buffer();
        while !stop.load(Ordering::Relaxed) {
            self.keys.encode(self.keys.existing(&mut rng), &mut key);
            self.db
                .put(&key, values.next_value())
                .context("readwhilewriting (writer)")?;
            writes.fetch_add(1, Ordering::Relaxed);
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
            for threads in 1..=5 {
                let parts: Vec<_> = (0..threads).map(|t| share(total, t, threads)).collect();
                assert_eq!(parts[0].start, 0);
                assert_eq!(parts[threads - 1].end, total);
                for pair in parts.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
            }
        }
    }

    #[test]
    fn names_are_db_bench_names() {
        assert_eq!(Workload::Fillseq.name(), "fillseq");
        assert_eq!(Workload::Readwhilewriting.name(), "readwhilewriting");
        assert_eq!(Workload::Fillsync.planned_ops(2000), 2);
        assert_eq!(Workload::Fillsync.planned_ops(10), 1);
        assert!(Workload::Readmissing.reads());
        assert!(!Workload::Deleterandom.reads());
    }
}
