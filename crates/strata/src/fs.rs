//! The filesystem the engine runs on.
//!
//! Every file operation of the engine goes through [`FileSystem`], so tests can substitute a
//! simulated filesystem (dropping unsynced data at a "power loss", injecting `ENOSPC`/`EIO`)
//! and another backend can stand in later. [`RealFs`] is the operating system's; [`SimFs`]
//! (module [`sim`]) is an in-memory one for tests that loses power and fails on purpose.
//!
//! Contract: [`WritableFile::append`] may buffer in user space; [`WritableFile::flush`] hands
//! everything appended so far to the OS (it then survives a process crash);
//! [`WritableFile::sync`] makes it durable. Creating, renaming or removing a file is durable
//! only after [`FileSystem::sync_dir`] on its directory.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

#[cfg(target_os = "linux")]
mod mapped;
pub mod sim;
pub use sim::SimFs;

/// A file being written sequentially.
pub trait WritableFile: Send {
    /// Appends bytes (possibly buffered in user space until `flush`).
    fn append(&mut self, data: &[u8]) -> Result<()>;
    /// Hands all appended bytes to the operating system.
    fn flush(&mut self) -> Result<()>;
    /// Flushes, then makes the file's data durable (`fdatasync`).
    fn sync(&mut self) -> Result<()>;
    /// Bytes appended so far.
    fn size(&self) -> u64;
}

/// A file read with positioned reads, shareable across threads.
pub trait RandomAccessFile: Send + Sync {
    /// Fills `buf` from `offset`; a short file is an error (`UnexpectedEof`).
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()>;
    /// The file's size when it was opened.
    fn size(&self) -> u64;
    /// The file's path (for error messages).
    fn path(&self) -> &Path;
}

/// A held advisory lock; released on drop.
pub trait FileLock: Send + Sync {}

/// File and directory operations.
pub trait FileSystem: Send + Sync + 'static {
    /// Creates a directory and its parents.
    fn create_dir_all(&self, path: &Path) -> Result<()>;
    /// Creates (or truncates) a file for writing.
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>>;
    /// Creates (or truncates) a file for a log that takes many small appends (the WAL). The
    /// same contract as [`FileSystem::create`], except that until the writer is dropped the
    /// file may be longer than what was appended, by zeros (preallocated space), and stays so
    /// after a crash; log readers read zeros as unwritten space. [`RealFs`] on Linux writes
    /// it through a shared mapping (no system call per append or flush); the default is
    /// [`FileSystem::create`].
    fn create_log(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.create(path)
    }
    /// Opens a file for positioned reads.
    fn open_read(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>>;
    /// Reads a whole (small) file.
    fn read_all(&self, path: &Path) -> Result<Vec<u8>>;
    /// Renames a file (atomically replacing `to`).
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> Result<()>;
    /// Makes creations, renames and removals in a directory durable.
    fn sync_dir(&self, path: &Path) -> Result<()>;
    /// The names of the entries of a directory.
    fn list(&self, dir: &Path) -> Result<Vec<String>>;
    /// Whether a path exists.
    fn exists(&self, path: &Path) -> bool;
    /// Whether a path is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// A file's current size.
    fn file_size(&self, path: &Path) -> Result<u64>;
    /// Cuts a file to `len` bytes and syncs it.
    fn truncate(&self, path: &Path, len: u64) -> Result<()>;
    /// Takes an exclusive advisory lock on `path` (created if missing) without waiting.
    ///
    /// # Errors
    /// `Error::Locked` if another process or handle holds it.
    fn lock(&self, path: &Path) -> Result<Box<dyn FileLock>>;
}

/// The operating system's filesystem.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

const WRITE_BUFFER: usize = 64 << 10;

struct RealWritable {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    size: u64,
}

impl RealWritable {
    fn write_out(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file
                .write_all(&self.buf)
                .map_err(|e| Error::io(&self.path, e))?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl WritableFile for RealWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.size += data.len() as u64;
        if self.buf.len() + data.len() > WRITE_BUFFER {
            self.write_out()?;
            if data.len() > WRITE_BUFFER {
                return self
                    .file
                    .write_all(data)
                    .map_err(|e| Error::io(&self.path, e));
            }
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.write_out()
    }

    fn sync(&mut self) -> Result<()> {
        self.write_out()?;
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    fn size(&self) -> u64 {
        self.size
    }
}

struct RealReadable {
    file: File,
    path: PathBuf,
    size: u64,
}

impl RandomAccessFile for RealReadable {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| Error::io(&self.path, e))
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

struct RealLock {
    _file: File,
}
impl FileLock for RealLock {}

impl FileSystem for RealFs {
    fn create_dir_all(&self, path: &Path) -> Result<()> {
        std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))
    }

    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Box::new(RealWritable {
            file,
            path: path.to_path_buf(),
            buf: Vec::with_capacity(WRITE_BUFFER),
            size: 0,
        }))
    }

    #[cfg(target_os = "linux")]
    fn create_log(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        match mapped::MappedLog::create(path)? {
            Some(log) => Ok(Box::new(log)),
            // No preallocation on this filesystem: plain appends.
            None => self.create(path),
        }
    }

    fn open_read(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(Arc::new(RealReadable {
            file,
            path: path.to_path_buf(),
            size,
        }))
    }

    fn read_all(&self, path: &Path) -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|e| Error::io(path, e))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        std::fs::rename(from, to).map_err(|e| Error::io(from, e))
    }

    fn remove(&self, path: &Path) -> Result<()> {
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        File::open(path)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(path, e))
    }

    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| Error::io(path, e))
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.set_len(len).map_err(|e| Error::io(path, e))?;
        file.sync_all().map_err(|e| Error::io(path, e))
    }

    fn lock(&self, path: &Path) -> Result<Box<dyn FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Box::new(RealLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(Error::Locked(path.parent().unwrap_or(path).to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path, e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn write_read_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFs;
        let p = dir.path().join("f");
        let mut w = fs.create(&p).unwrap();
        w.append(b"hello ").unwrap();
        w.append(b"world").unwrap();
        w.sync().unwrap();
        assert_eq!(w.size(), 11);
        let r = fs.open_read(&p).unwrap();
        let mut buf = [0u8; 5];
        r.read_exact_at(&mut buf, 6).unwrap();
        assert_eq!(&buf, b"world");
        assert!(r.read_exact_at(&mut buf, 8).is_err());
        let l = fs.lock(&dir.path().join("LOCK")).unwrap();
        assert!(matches!(
            fs.lock(&dir.path().join("LOCK")),
            Err(Error::Locked(_))
        ));
        drop(l);
        assert!(fs.lock(&dir.path().join("LOCK")).is_ok());
    }
}
