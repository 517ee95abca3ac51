//! The simulated machine's state: files (inodes) with page-cache and on-disk contents, the
//! visible and the durable namespace, and the rewrite a crash performs.
//!
//! Threading: one `State` lives behind the [`super::SimFs`] mutex; every method here runs
//! with that lock held.
//!
//! Model (what a Linux filesystem guarantees, and no more):
//! - An inode has `data` (the page cache: what reads see) and `disk` (what survives a power
//!   loss). Every change to `data` is also queued in `pending`, oldest first; a successful
//!   fsync applies the whole queue to `disk`. A crash applies all, none or a random prefix of
//!   the queue, per [`CrashMode`].
//! - A failed fsync empties the queue without applying it (Linux marks the dirty pages clean
//!   after a writeback error): the data stays readable until the next crash, but no later
//!   fsync writes it, so a power loss leaves zeros (or the older bytes) there.
//! - `names` is the visible namespace; `disk_names` the durable one. Creations, renames and
//!   removals go to `names` at once and to `journal`; `sync_dir(d)` applies the journal's
//!   entries in `d` to `disk_names`. A crash applies all, none or a prefix of the rest.
//! - Directories are durable when created (the engine syncs only its own directory).
//! - Invariant: applying `pending` to `disk` gives `data`, unless an fsync failed since the
//!   last successful one (then the failed writes are missing from the queue).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::fault::Faults;

/// What survives a simulated crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// The process dies but the machine stays up: everything that reached the OS survives
    /// (unsynced data and unsynced directory changes included); only user-space buffers
    /// (bytes appended but not flushed) are lost.
    ProcessCrash,
    /// Power loss: only synced file contents and synced directory entries survive.
    DropUnsynced,
    /// Power loss: each file keeps a random prefix of its unsynced writes (possibly cutting
    /// one write in the middle); the directory keeps a random prefix of its unsynced
    /// creations, renames and removals.
    KeepRandomPrefix {
        /// Seed of the random choices.
        seed: u64,
    },
    /// Power loss: every unsynced change reaches the disk except each file's last write,
    /// which is torn: a random strict prefix of it survives. With `zero_fill`, the rest of
    /// that write reads as zeros (the file size reached the disk, the data did not, as XFS
    /// or ext4 `data=writeback` can leave it); without, the file ends after the prefix.
    TearLastWrite {
        /// Seed of the random choices.
        seed: u64,
        /// Whether the lost part of the last write reads as zeros.
        zero_fill: bool,
    },
}

/// A change to a file's contents not yet on disk.
#[derive(Debug, Clone)]
pub(super) enum Pending {
    /// `bytes` written at `offset`.
    Write { offset: usize, bytes: Vec<u8> },
    /// The file cut (or extended with zeros) to this length.
    SetLen(usize),
}

impl Pending {
    /// Applies the first `keep` bytes of this change to `to` (`keep` is ignored by `SetLen`).
    fn apply_prefix(&self, to: &mut Vec<u8>, keep: usize) {
        match self {
            Pending::Write { offset, bytes } => {
                let part = bytes.get(..keep.min(bytes.len())).unwrap_or_default();
                write_at(to, *offset, part);
            }
            Pending::SetLen(len) => to.resize(*len, 0),
        }
    }

    fn apply(&self, to: &mut Vec<u8>) {
        self.apply_prefix(to, usize::MAX);
    }
}

/// Writes `bytes` at `offset`, zero-filling any gap.
pub(super) fn write_at(to: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
    let end = offset + bytes.len();
    if to.len() < end {
        to.resize(end, 0);
    }
    if let Some(dst) = to.get_mut(offset..end) {
        dst.copy_from_slice(bytes);
    }
}

/// One file.
#[derive(Debug, Clone, Default)]
pub(super) struct Inode {
    /// The page cache: what reads see.
    pub data: Vec<u8>,
    /// What the disk holds.
    pub disk: Vec<u8>,
    /// Changes to `data` not yet on disk, oldest first.
    pub pending: Vec<Pending>,
    /// Open handles of the current epoch (keep an unlinked inode alive).
    pub handles: usize,
}

/// A directory operation not yet durable.
#[derive(Debug, Clone)]
pub(super) enum DirOp {
    Create {
        path: PathBuf,
        inode: u64,
    },
    Rename {
        from: PathBuf,
        to: PathBuf,
        inode: u64,
    },
    Remove {
        path: PathBuf,
    },
}

impl DirOp {
    fn touches(&self, dir: &Path) -> bool {
        let in_dir = |p: &Path| p.parent() == Some(dir);
        match self {
            DirOp::Create { path, .. } | DirOp::Remove { path } => in_dir(path),
            DirOp::Rename { from, to, .. } => in_dir(from) || in_dir(to),
        }
    }

    fn apply(&self, names: &mut BTreeMap<PathBuf, u64>) {
        match self {
            DirOp::Create { path, inode } => {
                names.insert(path.clone(), *inode);
            }
            DirOp::Rename { from, to, inode } => {
                names.remove(from);
                names.insert(to.clone(), *inode);
            }
            DirOp::Remove { path } => {
                names.remove(path);
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) for crash choices.
#[derive(Debug, Clone)]
pub(super) struct SplitMix(u64);

impl SplitMix {
    pub(super) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=max`.
    pub(super) fn up_to(&mut self, max: usize) -> usize {
        (self.next_u64() % (max as u64 + 1)) as usize
    }
}

/// The whole simulated machine.
#[derive(Debug, Clone, Default)]
pub(super) struct State {
    /// Bumped by every crash; handles and views of an older epoch are dead.
    pub epoch: u64,
    pub next_inode: u64,
    pub inodes: HashMap<u64, Inode>,
    /// The visible namespace.
    pub names: BTreeMap<PathBuf, u64>,
    /// The durable namespace.
    pub disk_names: BTreeMap<PathBuf, u64>,
    /// Directory operations not yet durable, oldest first.
    pub journal: Vec<DirOp>,
    pub dirs: BTreeSet<PathBuf>,
    /// Held locks: path → token of the holder.
    pub locks: HashMap<PathBuf, u64>,
    pub next_token: u64,
    pub faults: Faults,
    /// Crashes so far.
    pub crashes: u64,
}

impl State {
    pub(super) fn is_dir(&self, path: &Path) -> bool {
        path.parent().is_none() || self.dirs.contains(path)
    }

    /// Creates `path` (or truncates the file already there); returns its inode.
    pub(super) fn create(&mut self, path: &Path) -> u64 {
        if let Some(&id) = self.names.get(path) {
            if let Some(inode) = self.inodes.get_mut(&id) {
                inode.data.clear();
                inode.pending.push(Pending::SetLen(0));
            }
            return id;
        }
        let id = self.next_inode;
        self.next_inode += 1;
        self.inodes.insert(id, Inode::default());
        self.names.insert(path.to_path_buf(), id);
        self.journal.push(DirOp::Create {
            path: path.to_path_buf(),
            inode: id,
        });
        id
    }

    /// Appends `bytes` to the page cache of `id`.
    pub(super) fn append(&mut self, id: u64, bytes: &[u8]) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            let offset = inode.data.len();
            inode.data.extend_from_slice(bytes);
            inode.pending.push(Pending::Write {
                offset,
                bytes: bytes.to_vec(),
            });
        }
    }

    pub(super) fn set_len(&mut self, id: u64, len: usize) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            inode.data.resize(len, 0);
            inode.pending.push(Pending::SetLen(len));
        }
    }

    /// A successful fsync: every queued change reaches the disk.
    pub(super) fn sync_file(&mut self, id: u64) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            for p in inode.pending.drain(..) {
                p.apply(&mut inode.disk);
            }
        }
    }

    /// A failed fsync, Linux style: the queued changes are dropped from the way to disk.
    pub(super) fn fail_sync(&mut self, id: u64) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            inode.pending.clear();
        }
    }

    pub(super) fn rename(&mut self, from: &Path, to: &Path) -> bool {
        let Some(id) = self.names.remove(from) else {
            return false;
        };
        self.names.insert(to.to_path_buf(), id);
        self.journal.push(DirOp::Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
            inode: id,
        });
        self.gc();
        true
    }

    pub(super) fn remove(&mut self, path: &Path) -> bool {
        if self.names.remove(path).is_none() {
            return false;
        }
        self.journal.push(DirOp::Remove {
            path: path.to_path_buf(),
        });
        self.gc();
        true
    }

    /// Makes the directory operations in `dir` durable, in order.
    pub(super) fn sync_dir(&mut self, dir: &Path) {
        let mut rest = Vec::with_capacity(self.journal.len());
        for op in self.journal.drain(..) {
            if op.touches(dir) {
                op.apply(&mut self.disk_names);
            } else {
                rest.push(op);
            }
        }
        self.journal = rest;
        self.gc();
    }

    /// Drops inodes nothing can reach any more.
    pub(super) fn gc(&mut self) {
        let names = &self.names;
        let disk_names = &self.disk_names;
        let journal = &self.journal;
        self.inodes.retain(|id, inode| {
            inode.handles > 0
                || names.values().any(|v| v == id)
                || disk_names.values().any(|v| v == id)
                || journal.iter().any(|op| match op {
                    DirOp::Create { inode, .. } | DirOp::Rename { inode, .. } => inode == id,
                    DirOp::Remove { .. } => false,
                })
        });
    }

    /// Rewrites the state to what the disk holds after a crash of kind `mode`, then starts
    /// a new epoch (every older handle and view is dead, every lock released).
    pub(super) fn crash(&mut self, mode: CrashMode) {
        let (seed, power_loss) = match mode {
            CrashMode::ProcessCrash => (0, false),
            CrashMode::DropUnsynced => (0, true),
            CrashMode::KeepRandomPrefix { seed } | CrashMode::TearLastWrite { seed, .. } => {
                (seed, true)
            }
        };
        let mut rng = SplitMix::new(seed);
        // Directory entries first: the durable namespace decides which files exist.
        let keep_ops = match mode {
            CrashMode::DropUnsynced => 0,
            CrashMode::KeepRandomPrefix { .. } => rng.up_to(self.journal.len()),
            CrashMode::ProcessCrash | CrashMode::TearLastWrite { .. } => self.journal.len(),
        };
        for op in self.journal.drain(..).take(keep_ops) {
            op.apply(&mut self.disk_names);
        }
        self.names = self.disk_names.clone();
        // Then contents, file by file in inode order (deterministic for a seed).
        let mut ids: Vec<u64> = self.inodes.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let Some(inode) = self.inodes.get_mut(&id) else {
                continue;
            };
            inode.handles = 0;
            if !power_loss {
                inode.disk = inode.data.clone();
                inode.pending.clear();
                continue;
            }
            let pending = std::mem::take(&mut inode.pending);
            match mode {
                CrashMode::KeepRandomPrefix { .. } => {
                    let cut = rng.up_to(pending.len());
                    for p in pending.iter().take(cut) {
                        p.apply(&mut inode.disk);
                    }
                    if let Some(p @ Pending::Write { bytes, .. }) = pending.get(cut) {
                        let keep = rng.up_to(bytes.len());
                        p.apply_prefix(&mut inode.disk, keep);
                    }
                }
                CrashMode::TearLastWrite { zero_fill, .. } => {
                    if let Some((last, before)) = pending.split_last() {
                        for p in before {
                            p.apply(&mut inode.disk);
                        }
                        if let Pending::Write { offset, bytes } = last {
                            let keep = rng.up_to(bytes.len().saturating_sub(1));
                            last.apply_prefix(&mut inode.disk, keep);
                            if zero_fill {
                                let zeros = vec![0; bytes.len() - keep];
                                write_at(&mut inode.disk, offset + keep, &zeros);
                            }
                        }
                    }
                }
                CrashMode::DropUnsynced | CrashMode::ProcessCrash => {}
            }
            inode.data = inode.disk.clone();
        }
        self.locks.clear();
        self.faults.disarm_crash();
        self.epoch += 1;
        self.crashes += 1;
        self.gc();
    }
}
