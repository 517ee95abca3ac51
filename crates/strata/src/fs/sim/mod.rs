//! [`SimFs`]: an in-memory filesystem for tests that can lose power and fail on purpose.
//!
//! A testing tool, not a storage backend: everything lives in memory behind one mutex. It
//! implements [`FileSystem`] completely and keeps what a real disk keeps apart:
//!
//! - **synced and unsynced data**: bytes appended to a [`WritableFile`] stay in a user-space
//!   buffer until `flush` (lost even by a process crash), then sit in the "page cache" until
//!   `sync` puts them on "disk";
//! - **directory entries**: a creation, rename or removal is durable only after `sync_dir`
//!   on its directory; a power loss forgets the rest;
//! - **crashes** ([`SimFs::crash`], [`SimFs::power_loss`], or armed at the Nth mutating call
//!   with [`SimFs::crash_after`]) rewrite the state to what the disk would hold, per
//!   [`CrashMode`]: drop unsynced data, keep a random prefix of it, or tear the last write;
//! - **faults** ([`SimFs::fail_after`], [`SimFs::inject`]): `ENOSPC` or `EIO` at the Nth call
//!   of a kind, once or persistently, optionally only on some paths;
//! - **Linux fsync semantics**: after a failed fsync the dirty data stays readable but is no
//!   longer on its way to disk; a later successful fsync does not bring it back;
//! - **locks**: a second `lock` on a held path fails with `Error::Locked`.
//!
//! A crash starts a new *epoch*: every handle, lock and `SimFs` value of the old epoch is
//! dead (its calls fail with `EIO`, like a process on a machine that lost power), so a `Db`
//! still running on it cannot touch the rebooted disk. Use the `SimFs` that `crash` returns,
//! or [`SimFs::reboot`] after an armed crash fired.
//!
//! Threading: `SimFs` is `Clone + Send + Sync`; clones of one epoch share the state.
//!
//! # Examples
//! ```
//! # fn main() -> strata::Result<()> {
//! use std::path::Path;
//! use strata::fs::{FileSystem, SimFs, sim::CrashMode};
//! let fs = SimFs::new();
//! fs.create_dir_all(Path::new("/db"))?;
//! let mut f = fs.create(Path::new("/db/a"))?;
//! f.append(b"synced")?;
//! f.sync()?;
//! f.append(b" and not")?;
//! f.flush()?;
//! fs.sync_dir(Path::new("/db"))?;
//! let fs = fs.crash(CrashMode::DropUnsynced);
//! assert_eq!(fs.read_all(Path::new("/db/a"))?, b"synced");
//! # Ok(()) }
//! ```

mod fault;
mod handles;
mod state;
#[cfg(test)]
mod tests;

pub use fault::{Call, Fault, FaultError, FsOp};
pub use state::CrashMode;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::fs::{FileLock, FileSystem, RandomAccessFile, WritableFile};
use fault::Verdict;
use handles::{SimLock, SimReadable, SimWritable};
use state::{SplitMix, State};

/// An in-memory filesystem simulating power loss and I/O errors (see the module docs).
#[derive(Clone)]
pub struct SimFs {
    shared: Arc<Mutex<State>>,
    epoch: u64,
}

impl std::fmt::Debug for SimFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("SimFs")
            .field("epoch", &self.epoch)
            .field("alive", &(st.epoch == self.epoch))
            .field("files", &st.names.len())
            .finish()
    }
}

impl Default for SimFs {
    fn default() -> Self {
        SimFs::new()
    }
}

pub(super) fn io_error(path: &Path, kind: std::io::ErrorKind, what: &str) -> Error {
    Error::io(path, std::io::Error::new(kind, what.to_string()))
}

fn dead(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::other("EIO: the simulated machine crashed (a stale SimFs handle)"),
    )
}

fn not_found(path: &Path) -> Error {
    io_error(path, std::io::ErrorKind::NotFound, "no such file")
}

impl SimFs {
    /// An empty filesystem (only `/` exists).
    pub fn new() -> SimFs {
        SimFs {
            shared: Arc::new(Mutex::new(State::default())),
            epoch: 0,
        }
    }

    /// Crashes the machine now: the state becomes what the disk holds per `mode`. Returns
    /// the rebooted filesystem; every older handle and clone (this one too) is dead. An
    /// armed crash is disarmed; armed faults stay (a failing disk stays failing).
    pub fn crash(&self, mode: CrashMode) -> SimFs {
        let mut st = self.shared.lock();
        st.crash(mode);
        SimFs {
            shared: Arc::clone(&self.shared),
            epoch: st.epoch,
        }
    }

    /// A power loss whose kind (drop unsynced data, keep a random prefix of it, tear the
    /// last writes, with or without zeros after the tear) and random choices follow from
    /// `seed`; see [`power_loss_mode`].
    pub fn power_loss(&self, seed: u64) -> SimFs {
        self.crash(power_loss_mode(seed))
    }

    /// A live view of the current state (after an armed crash fired, or to share the disk
    /// with a fresh process). Does not crash anything.
    pub fn reboot(&self) -> SimFs {
        SimFs {
            shared: Arc::clone(&self.shared),
            epoch: self.shared.lock().epoch,
        }
    }

    /// Whether this view was killed by a crash.
    pub fn is_dead(&self) -> bool {
        self.shared.lock().epoch != self.epoch
    }

    /// Crashes so far.
    pub fn crashes(&self) -> u64 {
        self.shared.lock().crashes
    }

    /// An independent deep copy of the current state (no faults armed), e.g. to run many
    /// experiments from one prepared database.
    pub fn fork(&self) -> SimFs {
        let mut st = self.shared.lock().clone();
        st.faults = Default::default();
        st.locks.clear();
        let epoch = st.epoch;
        SimFs {
            shared: Arc::new(Mutex::new(st)),
            epoch,
        }
    }

    /// Arms `fault`.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.add(fault);
    }

    /// Arms a fault: the call of kind `op` after `after` successful ones fails with `error`;
    /// with `persistent`, every later call of that kind fails too.
    pub fn fail_after(&self, after: u64, op: FsOp, error: FaultError, persistent: bool) {
        let mut f = Fault::new(op, after, error);
        f.persistent = persistent;
        self.inject(f);
    }

    /// Disarms every fault and the armed crash.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Arms a crash: after `mutations` more mutating calls (create, write, sync, sync_dir,
    /// rename, remove, truncate) succeed, the next one crashes the machine per `mode` and
    /// fails. Call [`SimFs::reboot`] afterwards for a live view.
    pub fn crash_after(&self, mutations: u64, mode: CrashMode) {
        self.shared.lock().faults.arm_crash(mutations, mode);
    }

    /// Calls of kind `op` so far (failed ones included).
    pub fn calls(&self, op: FsOp) -> u64 {
        self.shared.lock().faults.count(op)
    }

    /// Mutating calls so far.
    pub fn mutations(&self) -> u64 {
        self.shared.lock().faults.mutations()
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.shared.lock().faults.injected
    }

    /// Starts (or stops) recording every call (kind, path, whether it was made to fail);
    /// a call that crashes the machine is not recorded.
    pub fn set_trace(&self, on: bool) {
        self.shared.lock().faults.set_trace(on);
    }

    /// The calls recorded since the last take.
    pub fn take_trace(&self) -> Vec<Call> {
        self.shared.lock().faults.take_trace()
    }

    /// The visible files and their sizes, in path order (no fault, no call counted).
    pub fn files(&self) -> Vec<(PathBuf, u64)> {
        let st = self.shared.lock();
        st.names
            .iter()
            .map(|(p, id)| {
                let len = st.inodes.get(id).map_or(0, |i| i.data.len() as u64);
                (p.clone(), len)
            })
            .collect()
    }

    /// A file's visible contents (no fault, no call counted).
    pub fn read_file(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        let st = self.shared.lock();
        let id = st.names.get(path.as_ref())?;
        st.inodes.get(id).map(|i| i.data.clone())
    }

    /// Replaces (or creates) a file with `bytes`, durably, entry and parent directories
    /// included (no fault, no call counted): for tests that damage a database on purpose.
    /// Like a `sync_dir`, it also makes the directory's other pending entry changes durable.
    pub fn write_file(&self, path: impl AsRef<Path>, bytes: &[u8]) {
        let path = path.as_ref();
        let mut st = self.shared.lock();
        for dir in path.ancestors().skip(1).filter(|d| d.parent().is_some()) {
            st.dirs.insert(dir.to_path_buf());
        }
        let id = st.create(path);
        if let Some(inode) = st.inodes.get_mut(&id) {
            inode.data = bytes.to_vec();
            inode.disk = bytes.to_vec();
            inode.pending.clear();
        }
        if let Some(parent) = path.parent() {
            st.sync_dir(parent);
        }
    }

    /// Deletes a file durably (no fault, no call counted); whether it existed. Like a
    /// `sync_dir`, it also makes the directory's other pending entry changes durable.
    pub fn delete_file(&self, path: impl AsRef<Path>) -> bool {
        let path = path.as_ref();
        let mut st = self.shared.lock();
        let existed = st.remove(path);
        if let Some(parent) = path.parent() {
            st.sync_dir(parent);
        }
        existed
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// Checks the view is alive and consults the fault plan; on a crash verdict crashes.
    fn check(&self, st: &mut State, op: FsOp, path: &Path) -> Result<()> {
        if st.epoch != self.epoch {
            return Err(dead(path));
        }
        match st.faults.check(op, path) {
            Verdict::Proceed => Ok(()),
            Verdict::Fail(e) => Err(Error::io(path, e.to_io_error())),
            Verdict::Crash(mode) => {
                st.crash(mode);
                Err(dead(path))
            }
        }
    }

    fn enter(&self, op: FsOp, path: &Path) -> Result<MutexGuard<'_, State>> {
        let mut st = self.lock_state();
        self.check(&mut st, op, path)?;
        Ok(st)
    }
}

/// The crash mode `power_loss(seed)` uses: one of dropping unsynced data, keeping a random
/// prefix of it, or tearing the last writes, with or without zero fill (each a quarter).
pub fn power_loss_mode(seed: u64) -> CrashMode {
    let mut rng = SplitMix::new(seed);
    let seed = rng.next_u64();
    match rng.up_to(3) {
        0 => CrashMode::DropUnsynced,
        1 => CrashMode::KeepRandomPrefix { seed },
        choice => CrashMode::TearLastWrite {
            seed,
            zero_fill: choice == 3,
        },
    }
}

impl FileSystem for SimFs {
    fn create_dir_all(&self, path: &Path) -> Result<()> {
        let mut st = self.enter(FsOp::Metadata, path)?;
        for dir in path.ancestors() {
            if st.names.contains_key(dir) {
                return Err(io_error(
                    dir,
                    std::io::ErrorKind::AlreadyExists,
                    "a file is in the way",
                ));
            }
        }
        for dir in path.ancestors().filter(|d| d.parent().is_some()) {
            st.dirs.insert(dir.to_path_buf());
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let mut st = self.enter(FsOp::Create, path)?;
        if !path.parent().is_some_and(|p| st.is_dir(p)) {
            return Err(not_found(path));
        }
        if st.is_dir(path) {
            return Err(io_error(
                path,
                std::io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let inode = st.create(path);
        if let Some(i) = st.inodes.get_mut(&inode) {
            i.handles += 1;
        }
        Ok(Box::new(SimWritable {
            fs: self.clone(),
            inode,
            path: path.to_path_buf(),
            buf: Vec::new(),
            size: 0,
        }))
    }

    fn open_read(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        let mut st = self.enter(FsOp::Read, path)?;
        let inode = *st.names.get(path).ok_or_else(|| not_found(path))?;
        let Some(i) = st.inodes.get_mut(&inode) else {
            return Err(not_found(path));
        };
        i.handles += 1;
        let size = i.data.len() as u64;
        Ok(Arc::new(SimReadable {
            fs: self.clone(),
            inode,
            path: path.to_path_buf(),
            size,
        }))
    }

    fn read_all(&self, path: &Path) -> Result<Vec<u8>> {
        let st = self.enter(FsOp::Read, path)?;
        let id = st.names.get(path).ok_or_else(|| not_found(path))?;
        st.inodes
            .get(id)
            .map(|i| i.data.clone())
            .ok_or_else(|| not_found(path))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let mut st = self.enter(FsOp::Rename, from)?;
        if !to.parent().is_some_and(|p| st.is_dir(p)) || st.is_dir(to) {
            return Err(not_found(to));
        }
        if st.rename(from, to) {
            Ok(())
        } else {
            Err(not_found(from))
        }
    }

    fn remove(&self, path: &Path) -> Result<()> {
        let mut st = self.enter(FsOp::Remove, path)?;
        if st.remove(path) {
            Ok(())
        } else {
            Err(not_found(path))
        }
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        let mut st = self.enter(FsOp::SyncDir, path)?;
        if !st.is_dir(path) {
            return Err(not_found(path));
        }
        st.sync_dir(path);
        Ok(())
    }

    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        let st = self.enter(FsOp::Metadata, dir)?;
        if !st.is_dir(dir) {
            return Err(not_found(dir));
        }
        let in_dir = |p: &&PathBuf| p.parent() == Some(dir);
        let mut names: Vec<String> = st
            .names
            .keys()
            .chain(st.dirs.iter())
            .filter(in_dir)
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        let st = self.lock_state();
        st.epoch == self.epoch && (st.names.contains_key(path) || st.is_dir(path))
    }

    fn is_dir(&self, path: &Path) -> bool {
        let st = self.lock_state();
        st.epoch == self.epoch && st.is_dir(path)
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        let st = self.enter(FsOp::Metadata, path)?;
        let id = st.names.get(path).ok_or_else(|| not_found(path))?;
        st.inodes
            .get(id)
            .map(|i| i.data.len() as u64)
            .ok_or_else(|| not_found(path))
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let mut st = self.enter(FsOp::Truncate, path)?;
        let id = *st.names.get(path).ok_or_else(|| not_found(path))?;
        let len = usize::try_from(len)
            .map_err(|_| io_error(path, std::io::ErrorKind::InvalidInput, "length too large"))?;
        st.set_len(id, len);
        st.sync_file(id);
        Ok(())
    }

    fn lock(&self, path: &Path) -> Result<Box<dyn FileLock>> {
        let mut st = self.enter(FsOp::Lock, path)?;
        if !path.parent().is_some_and(|p| st.is_dir(p)) {
            return Err(not_found(path));
        }
        if st.locks.contains_key(path) {
            return Err(Error::Locked(path.parent().unwrap_or(path).to_path_buf()));
        }
        if !st.names.contains_key(path) {
            st.create(path);
        }
        st.next_token += 1;
        let token = st.next_token;
        st.locks.insert(path.to_path_buf(), token);
        Ok(Box::new(SimLock {
            fs: self.clone(),
            path: path.to_path_buf(),
            token,
        }))
    }
}
