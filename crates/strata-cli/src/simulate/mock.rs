//! The simulator's file-less LSM tree: a real [`Version`] of mock [`FileMeta`]s (fake sizes,
//! 8-byte big-endian user keys), plus the bookkeeping the course's `MockStorage` prints.
//!
//! Ids come from 1. L0 is kept engine-style (newest first) and printed course-style (oldest
//! first). A file's label is its id if flushed, else the id of the input it replaced.
//! Single-threaded; owned by one simulation run.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use strata::policy::{FileMeta, SortedRun, Version};

/// The mock tree and its counters.
pub(crate) struct Mock {
    /// The live files, in the engine's layout.
    pub version: Version,
    next_id: u64,
    /// Live file id → label (the flushed id, or the input a compaction output replaced).
    labels: HashMap<u64, u64>,
    /// Files flushed (F).
    pub flushes: u64,
    /// Files written: flushes + compaction outputs (W).
    pub writes: u64,
    /// Peak number of live files (M).
    pub max_space: usize,
    /// Size of every mock file, in bytes.
    file_size: u64,
}

/// A mock file `id` of `size` bytes over user keys `lo..=hi`.
pub(crate) fn mock_file(id: u64, size: u64, lo: u64, hi: u64) -> Arc<FileMeta> {
    Arc::new(FileMeta {
        number: id,
        size,
        smallest: strata::key::make_internal_key(&lo.to_be_bytes(), 0, 1).into(),
        largest: strata::key::make_internal_key(&hi.to_be_bytes(), 0, 1).into(),
        smallest_seq: 0,
        largest_seq: 0,
        num_entries: 1,
        num_deletions: 0,
    })
}

/// The first and last user keys of a mock file, as u64.
pub(crate) fn key_range(f: &FileMeta) -> Result<(u64, u64)> {
    let decode = |k: &[u8]| -> Result<u64> {
        let bytes: [u8; 8] = k.try_into().context("mock keys are 8 bytes")?;
        Ok(u64::from_be_bytes(bytes))
    };
    Ok((
        decode(f.smallest_user_key())?,
        decode(f.largest_user_key())?,
    ))
}

impl Mock {
    /// An empty tree with levels L1..=`levels` (0 for tiered: tiers appear with flushes).
    pub(crate) fn new(levels: usize, file_size: u64) -> Mock {
        let runs = (1..=levels as u64)
            .map(|id| SortedRun {
                id,
                files: Vec::new(),
            })
            .collect();
        Mock {
            version: Version {
                l0: Vec::new(),
                levels: runs,
            },
            next_id: 1,
            labels: HashMap::new(),
            flushes: 0,
            writes: 0,
            max_space: 0,
            file_size,
        }
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Allocates the id the next flush will get (leveled draws its keys after it).
    pub(crate) fn flush_id(&mut self) -> u64 {
        let id = self.new_id();
        self.labels.insert(id, id);
        self.flushes += 1;
        self.writes += 1;
        id
    }

    /// Flushes file `id` (from [`Mock::flush_id`]) over `lo..=hi` into L0 (newest first).
    pub(crate) fn flush_to_l0(&mut self, id: u64, lo: u64, hi: u64) {
        let f = mock_file(id, self.file_size, lo, hi);
        self.version.l0.insert(0, f);
    }

    /// Flushes file `id` as a new tier in front.
    pub(crate) fn flush_to_tier(&mut self, id: u64, lo: u64, hi: u64) {
        let f = mock_file(id, self.file_size, lo, hi);
        self.version
            .levels
            .insert(0, SortedRun { id, files: vec![f] });
    }

    /// A compaction output replacing `input`, over `lo..=hi`.
    pub(crate) fn output(&mut self, input: u64, lo: u64, hi: u64) -> Arc<FileMeta> {
        let id = self.new_id();
        self.labels.insert(id, input);
        self.writes += 1;
        mock_file(id, self.file_size, lo, hi)
    }

    /// Counts the live files towards the peak.
    pub(crate) fn note_space(&mut self) {
        self.max_space = self.max_space.max(self.labels.len());
    }

    /// Forgets files a compaction removed.
    pub(crate) fn remove(&mut self, removed: &[u64]) -> Result<()> {
        for id in removed {
            if self.labels.remove(id).is_none() {
                bail!("failed to remove file {id}");
            }
        }
        Ok(())
    }

    /// |L0| + the number of non-empty levels or tiers.
    pub(crate) fn read_amplification(&self) -> usize {
        self.version.l0.len()
            + self
                .version
                .levels
                .iter()
                .filter(|r| !r.files.is_empty())
                .count()
    }

    /// L0 ids, oldest first (the course's order).
    pub(crate) fn l0_oldest_first(&self) -> Vec<u64> {
        self.version.l0.iter().rev().map(|f| f.number).collect()
    }

    /// Prints the tree: `L0 (n): [ids]` (if non-empty or `show_l0`), then
    /// `L{id} (n): [labels or ids]` per level or tier.
    pub(crate) fn dump(&self, out: &mut dyn Write, show_l0: bool, real_ids: bool) -> Result<()> {
        if show_l0 || !self.version.l0.is_empty() {
            writeln!(
                out,
                "L0 ({}): {:?}",
                self.version.l0.len(),
                self.l0_oldest_first()
            )?;
        }
        for run in &self.version.levels {
            let ids: Vec<u64> = if real_ids {
                run.files.iter().map(|f| f.number).collect()
            } else {
                run.files
                    .iter()
                    .map(|f| self.labels.get(&f.number).copied().unwrap_or(f.number))
                    .collect()
            };
            writeln!(out, "L{} ({}): {:?}", run.id, run.files.len(), ids)?;
        }
        Ok(())
    }

    /// Prints `Levels: |L0| |L1| …`.
    pub(crate) fn dump_size_only(&self, out: &mut dyn Write) -> Result<()> {
        write!(out, "Levels: {}", self.version.l0.len())?;
        for run in &self.version.levels {
            write!(out, " {}", run.files.len())?;
        }
        writeln!(out)?;
        Ok(())
    }

    /// Fails if a level is unsorted or two neighbours overlap (leveled only).
    pub(crate) fn check_keys(&self) -> Result<()> {
        for run in &self.version.levels {
            for pair in run.files.windows(2) {
                let [this, next] = pair else { continue };
                let (a_lo, a_hi) = key_range(this)?;
                let (b_lo, b_hi) = key_range(next)?;
                if a_hi >= b_lo {
                    bail!(
                        "invalid file arrangement in L{}: id={}, range={:x}..={:x}; id={}, range={:x}..={:x}",
                        run.id,
                        this.number,
                        a_lo,
                        a_hi,
                        next.number,
                        b_lo,
                        b_hi
                    );
                }
            }
        }
        Ok(())
    }
}
