//! The handles [`super::SimFs`] hands out: a writable file with a user-space buffer, a
//! positioned reader, an advisory lock.
//!
//! Threading: each handle is owned by one user at a time (readers are shared behind an
//! `Arc`); every call takes the `SimFs` lock and first checks the handle's epoch, so a handle
//! that outlived a crash fails with `EIO` and never touches the rebooted state.

use std::path::{Path, PathBuf};

use super::{FsOp, SimFs, io_error};
use crate::error::{Error, Result};
use crate::fs::{FileLock, RandomAccessFile, WritableFile};

/// A `WritableFile` writes its buffer out once it holds this much (as `RealFs` does).
const WRITE_BUFFER: usize = 64 << 10;

pub(super) struct SimWritable {
    pub(super) fs: SimFs,
    pub(super) inode: u64,
    pub(super) path: PathBuf,
    pub(super) buf: Vec<u8>,
    pub(super) size: u64,
}

impl SimWritable {
    /// One `write(2)` of the buffer. `ENOSPC` writes half of it first (a short write).
    fn write_out(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut st = self.fs.lock_state();
        match self.fs.check(&mut st, FsOp::Write, &self.path) {
            Ok(()) => {
                st.append(self.inode, &self.buf);
                self.buf.clear();
                Ok(())
            }
            Err(e) => {
                let short =
                    matches!(&e, Error::Io { source, .. } if source.raw_os_error() == Some(28));
                if short && st.epoch == self.fs.epoch {
                    let half = self.buf.len() / 2;
                    st.append(self.inode, self.buf.get(..half).unwrap_or_default());
                    self.buf.drain(..half);
                }
                Err(e)
            }
        }
    }
}

impl WritableFile for SimWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.size += data.len() as u64;
        self.buf.extend_from_slice(data);
        if self.buf.len() > WRITE_BUFFER {
            self.write_out()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.write_out()
    }

    fn sync(&mut self) -> Result<()> {
        self.write_out()?;
        let mut st = self.fs.lock_state();
        match self.fs.check(&mut st, FsOp::Sync, &self.path) {
            Ok(()) => {
                st.sync_file(self.inode);
                Ok(())
            }
            Err(e) => {
                if st.epoch == self.fs.epoch {
                    st.fail_sync(self.inode);
                }
                Err(e)
            }
        }
    }

    fn size(&self) -> u64 {
        self.size
    }
}

impl Drop for SimWritable {
    fn drop(&mut self) {
        release_handle(&self.fs, self.inode);
    }
}

fn release_handle(fs: &SimFs, inode: u64) {
    let mut st = fs.lock_state();
    if st.epoch == fs.epoch {
        if let Some(i) = st.inodes.get_mut(&inode) {
            i.handles = i.handles.saturating_sub(1);
        }
        st.gc();
    }
}

pub(super) struct SimReadable {
    pub(super) fs: SimFs,
    pub(super) inode: u64,
    pub(super) path: PathBuf,
    pub(super) size: u64,
}

impl RandomAccessFile for SimReadable {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let st = self.fs.enter(FsOp::Read, &self.path)?;
        let data = st.inodes.get(&self.inode).map(|i| &i.data);
        let src = usize::try_from(offset)
            .ok()
            .and_then(|start| data.and_then(|d| d.get(start..start.checked_add(buf.len())?)));
        match src {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(io_error(
                &self.path,
                std::io::ErrorKind::UnexpectedEof,
                "failed to fill whole buffer",
            )),
        }
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SimReadable {
    fn drop(&mut self) {
        release_handle(&self.fs, self.inode);
    }
}

pub(super) struct SimLock {
    pub(super) fs: SimFs,
    pub(super) path: PathBuf,
    pub(super) token: u64,
}

impl FileLock for SimLock {}

impl Drop for SimLock {
    fn drop(&mut self) {
        let mut st = self.fs.lock_state();
        if st.epoch == self.fs.epoch && st.locks.get(&self.path) == Some(&self.token) {
            st.locks.remove(&self.path);
        }
    }
}
