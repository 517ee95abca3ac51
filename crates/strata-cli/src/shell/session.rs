//! A shell session: an open database, the epoch, and the execution of [`Command`]s.
//!
//! Single-threaded; owns its [`Db`] handle. Invariants: the epoch starts at 0 and rises by one
//! after each command that succeeds (SPEC §9.1), never after a failure; result lines go only to
//! the writer passed in (stdout), errors are returned to the caller, which prints them on stderr.
//!
//! Data commands (`get`, `put`, `del`, `fill`, `scan`) go through the [`Store`] trait: the
//! database, or the open [`Transaction`] between `begin` and `commit`/`rollback`. Maintenance
//! commands (`flush`, `dump`, …) always act on the database. End of input or `quit` with a
//! transaction open rolls it back, with a warning.

use std::io::Write;
use std::ops::Bound;

use anyhow::{Context, Result, bail};
use strata::{Bytes, Db, Transaction, WriteBatch};

use super::command::Command;
use super::render;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// `quit`/`close`: stop reading; the caller closes the session.
    Quit,
}

/// A boxed stream of scanned pairs.
pub type Pairs<'a> = Box<dyn Iterator<Item = strata::Result<(Bytes, Bytes)>> + 'a>;

/// Where data commands read and write: the database, or an open transaction.
pub trait Store {
    /// The newest visible value of `key`.
    fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>>;
    /// Writes one pair.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Deletes one key.
    fn delete(&mut self, key: &[u8]) -> Result<()>;
    /// The live pairs within `bounds` (`None`: all), in key order.
    fn scan(&mut self, bounds: Option<(&[u8], &[u8])>) -> Result<Pairs<'_>>;
    /// `fill`: writes `i` → `value{i}@{epoch}` for `i` in `begin..=end`.
    fn fill(&mut self, begin: u64, end: u64, epoch: u64) -> Result<()> {
        for i in begin..=end {
            self.put(
                i.to_string().as_bytes(),
                format!("value{i}@{epoch}").as_bytes(),
            )?;
        }
        Ok(())
    }
}

/// Pairs per batch when `fill` writes straight to the database.
const FILL_BATCH: u64 = 1024;

impl Store for Db {
    fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>> {
        Ok(Db::get(self, key)?)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(Db::put(self, key, value)?)
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        Ok(Db::delete(self, key)?)
    }

    fn scan(&mut self, bounds: Option<(&[u8], &[u8])>) -> Result<Pairs<'_>> {
        let iter = match bounds {
            None => self.iter()?,
            Some((begin, end)) => self.range((
                Bound::Included(begin.to_vec()),
                Bound::Included(end.to_vec()),
            ))?,
        };
        Ok(Box::new(iter))
    }

    /// Same result as one `put` per key, written in batches so large fills are fast.
    fn fill(&mut self, begin: u64, end: u64, epoch: u64) -> Result<()> {
        let mut batch = WriteBatch::new();
        for i in begin..=end {
            batch.put(i.to_string(), format!("value{i}@{epoch}"));
            if batch.len() as u64 >= FILL_BATCH {
                self.write(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            self.write(batch)?;
        }
        Ok(())
    }
}

impl Store for Transaction {
    fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>> {
        Ok(Transaction::get(self, key)?)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(Transaction::put(self, key, value)?)
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        Ok(Transaction::delete(self, key)?)
    }

    /// The transaction's own writes merged over its snapshot.
    fn scan(&mut self, bounds: Option<(&[u8], &[u8])>) -> Result<Pairs<'_>> {
        let iter = match bounds {
            None => Transaction::iter(self)?,
            Some((begin, end)) => Transaction::range(
                self,
                (
                    Bound::Included(begin.to_vec()),
                    Bound::Included(end.to_vec()),
                ),
            )?,
        };
        Ok(Box::new(iter))
    }
}

/// An open shell session.
pub struct Session {
    db: Db,
    transaction: Option<Transaction>,
    epoch: u64,
}

impl Session {
    /// A session on an open database, at epoch 0, with no transaction.
    pub fn new(db: Db) -> Session {
        Session {
            db,
            transaction: None,
            epoch: 0,
        }
    }

    /// Runs one command, writing its result lines to `out`; the epoch rises on success.
    ///
    /// # Errors
    /// The engine's error (with the command as context) or an output error; the epoch stays.
    pub fn execute(&mut self, command: &Command, out: &mut dyn Write) -> Result<Flow> {
        let flow = self.run(command, out)?;
        self.epoch += 1;
        Ok(flow)
    }

    /// Where data commands go: the open transaction, else the database.
    fn store(&mut self) -> &mut dyn Store {
        match &mut self.transaction {
            Some(transaction) => transaction,
            None => &mut self.db,
        }
    }

    fn run(&mut self, command: &Command, out: &mut dyn Write) -> Result<Flow> {
        let epoch = self.epoch;
        match command {
            Command::Fill { begin, end } => {
                self.store().fill(*begin, *end, epoch).context("fill")?;
                writeln!(out, "{}", render::filled(*begin, *end, epoch))?;
            }
            Command::Put { key, value } => {
                self.store()
                    .put(key.as_bytes(), value)
                    .with_context(|| format!("put {key}"))?;
                writeln!(out, "{}", render::written(key))?;
            }
            Command::Del { key } => {
                self.store()
                    .delete(key.as_bytes())
                    .with_context(|| format!("del {key}"))?;
                writeln!(out, "{}", render::deleted(key))?;
            }
            Command::Get { key } => {
                let value = self
                    .store()
                    .get(key.as_bytes())
                    .with_context(|| format!("get {key}"))?;
                writeln!(out, "{}", render::got(key, value.as_ref()))?;
            }
            Command::Scan { bounds } => self.scan(bounds.as_ref(), out)?,
            Command::Dump => {
                for line in render::dump(&self.db.tree_shape()) {
                    writeln!(out, "{line}")?;
                }
            }
            Command::Flush => {
                self.db.flush().context("flush")?;
                writeln!(out, "{}", render::FLUSHED)?;
            }
            Command::FullCompaction => {
                self.db.compact().context("full_compaction")?;
                writeln!(out, "{}", render::COMPACTED)?;
            }
            Command::Sync => {
                self.db.sync().context("sync")?;
                writeln!(out, "{}", render::SYNCED)?;
            }
            Command::Stats => writeln!(out, "{}", self.db.stats())?,
            Command::Help => {
                for line in render::help() {
                    writeln!(out, "{line}")?;
                }
            }
            Command::Begin => {
                if self.transaction.is_some() {
                    bail!("a transaction is already open (commit or rollback first)");
                }
                self.transaction = Some(self.db.transaction());
                writeln!(out, "{}", render::BEGUN)?;
            }
            Command::Commit => {
                let Some(transaction) = self.transaction.take() else {
                    bail!("no open transaction (begin first)")
                };
                transaction.commit().context("commit")?;
                writeln!(out, "{}", render::COMMITTED)?;
            }
            Command::Rollback => {
                let Some(transaction) = self.transaction.take() else {
                    bail!("no open transaction (begin first)")
                };
                transaction.rollback();
                writeln!(out, "{}", render::ROLLED_BACK)?;
            }
            Command::Quit => return Ok(Flow::Quit),
        }
        Ok(Flow::Continue)
    }

    /// Streams the scanned pairs (no buffering of the whole result), then the footer.
    fn scan(&mut self, bounds: Option<&(String, String)>, out: &mut dyn Write) -> Result<()> {
        let bounds = bounds.map(|(begin, end)| (begin.as_bytes(), end.as_bytes()));
        let mut count = 0u64;
        // `B > E` is an empty range; answer it without asking the engine.
        if bounds.is_none_or(|(begin, end)| begin <= end) {
            for pair in self.store().scan(bounds).context("scan")? {
                let (key, value) = pair.context("scan")?;
                writeln!(out, "{}", render::scan_row(&key, &value))?;
                count += 1;
            }
        }
        for line in render::scan_footer(count) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// Rolls back an open transaction (with a warning on stderr) and closes the database
    /// (idempotent in the engine).
    ///
    /// # Errors
    /// The engine's close error.
    pub fn close(&mut self) -> Result<()> {
        if let Some(transaction) = self.transaction.take() {
            transaction.rollback();
            eprintln!("warning: the open transaction was rolled back");
        }
        self.db.close().context("close")
    }
}
