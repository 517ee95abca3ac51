//! [`Transaction`]: a snapshot plus a private workspace.
//!
//! This is the read side and the workspace; commit-time validation (snapshot isolation and
//! serializable) lands with the transactions issue. Until then `commit` of a non-empty
//! workspace returns `InvalidArgument` rather than committing unvalidated writes.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::batch::{MAX_KEY_LEN, MAX_VALUE_LEN};
use crate::db::state::DbInner;
use crate::error::{Error, Result};
use crate::mvcc::Snapshot;

/// A transaction: reads see its own writes over a snapshot taken at its start.
pub struct Transaction {
    snapshot: Snapshot,
    workspace: BTreeMap<Bytes, Option<Bytes>>,
}

impl Transaction {
    pub(crate) fn new(inner: Arc<DbInner>) -> Transaction {
        Transaction {
            snapshot: Snapshot::new(inner),
            workspace: BTreeMap::new(),
        }
    }

    /// The value of `key`: the transaction's own write, else the snapshot's.
    ///
    /// # Errors
    /// `Closed`; `Corruption`; `Io`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        match self.workspace.get(key.as_ref()) {
            Some(v) => {
                self.snapshot.inner().check_open()?;
                Ok(v.clone())
            }
            None => self.snapshot.get(key),
        }
    }

    /// Buffers a put.
    ///
    /// # Errors
    /// `InvalidArgument` if the key or value is too long.
    pub fn put(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        let (key, value) = (key.as_ref(), value.as_ref());
        check_len(key, Some(value))?;
        self.workspace.insert(
            Bytes::copy_from_slice(key),
            Some(Bytes::copy_from_slice(value)),
        );
        Ok(())
    }

    /// Buffers a delete.
    ///
    /// # Errors
    /// `InvalidArgument` if the key is too long.
    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> Result<()> {
        let key = key.as_ref();
        check_len(key, None)?;
        self.workspace.insert(Bytes::copy_from_slice(key), None);
        Ok(())
    }

    /// Commits the workspace. A read-only transaction always commits.
    ///
    /// # Errors
    /// `InvalidArgument` for a non-empty workspace until commit validation lands.
    pub fn commit(self) -> Result<()> {
        self.snapshot.inner().check_open()?;
        if self.workspace.is_empty() {
            return Ok(());
        }
        Err(Error::InvalidArgument(
            "transaction commit with writes is not implemented yet".to_string(),
        ))
    }

    /// Discards the workspace.
    pub fn rollback(self) {}
}

fn check_len(key: &[u8], value: Option<&[u8]>) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidArgument(format!(
            "key of {} bytes exceeds MAX_KEY_LEN ({MAX_KEY_LEN})",
            key.len()
        )));
    }
    if let Some(v) = value.filter(|v| v.len() > MAX_VALUE_LEN) {
        return Err(Error::InvalidArgument(format!(
            "value of {} bytes exceeds MAX_VALUE_LEN ({MAX_VALUE_LEN})",
            v.len()
        )));
    }
    Ok(())
}
