//! Fault plans for [`super::SimFs`]: which call fails, with which error, once or for good;
//! call counters; the armed crash point; an optional trace of calls.
//!
//! Threading: a [`Faults`] lives inside the `SimFs` state and is consulted, under its lock,
//! at the start of every filesystem call.
//!
//! Counting: a plan counts the calls that match it (operation kind and path filter), from
//! the start or, with a trigger, from the first call matching the trigger. The first `after`
//! matching calls succeed; call number `after` (0-based) fails, and, for a persistent plan,
//! every matching call after it too.

use std::path::{Path, PathBuf};

use super::state::CrashMode;

/// The kinds of filesystem call a fault or a counter can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FsOp {
    /// `create` (a new or truncated file for writing).
    Create,
    /// A `write(2)` of buffered bytes: `WritableFile::flush`, a full buffer, or the write-out
    /// that starts `WritableFile::sync`.
    Write,
    /// The `fdatasync` of `WritableFile::sync`.
    Sync,
    /// `sync_dir`.
    SyncDir,
    /// `rename`.
    Rename,
    /// `remove`.
    Remove,
    /// `open_read`, `read_exact_at`, `read_all`.
    Read,
    /// `truncate`.
    Truncate,
    /// `list`, `file_size`, `create_dir_all`.
    Metadata,
    /// `lock`.
    Lock,
}

impl FsOp {
    /// Every kind, in declaration order.
    pub const ALL: [FsOp; 10] = [
        FsOp::Create,
        FsOp::Write,
        FsOp::Sync,
        FsOp::SyncDir,
        FsOp::Rename,
        FsOp::Remove,
        FsOp::Read,
        FsOp::Truncate,
        FsOp::Metadata,
        FsOp::Lock,
    ];

    /// Whether this kind changes what is (or will be) on disk; crash points count these.
    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            FsOp::Create
                | FsOp::Write
                | FsOp::Sync
                | FsOp::SyncDir
                | FsOp::Rename
                | FsOp::Remove
                | FsOp::Truncate
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The error an injected fault returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// `ENOSPC` (28): no space left on device. A failed write still writes half its bytes.
    NoSpace,
    /// `EIO` (5): an I/O error. A failed write writes nothing.
    Io,
}

impl FaultError {
    /// The `io::Error` the engine sees.
    pub fn to_io_error(self) -> std::io::Error {
        match self {
            FaultError::NoSpace => std::io::Error::from_raw_os_error(28),
            FaultError::Io => std::io::Error::from_raw_os_error(5),
        }
    }
}

/// One planned failure.
///
/// # Examples
/// ```
/// use strata::fs::sim::{Fault, FaultError, FsOp};
/// // The third fsync of a WAL fails, and every one after it.
/// let f = Fault::new(FsOp::Sync, 2, FaultError::Io).persistent().on_paths_containing(".wal");
/// assert!(f.persistent);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The kind of call that fails (`None`: any kind).
    pub op: Option<FsOp>,
    /// Only calls on paths whose text contains this count (`None`: every path).
    pub path_contains: Option<String>,
    /// How many matching calls succeed before the failing one.
    pub after: u64,
    /// The error returned.
    pub error: FaultError,
    /// Whether every matching call after the first failure fails too.
    pub persistent: bool,
    /// Counting starts only after a call of this kind on a path containing this text
    /// (`None`: at once).
    pub trigger: Option<(FsOp, String)>,
}

impl Fault {
    /// A transient fault on the call of kind `op` that comes after `after` matching ones.
    pub fn new(op: FsOp, after: u64, error: FaultError) -> Fault {
        Fault {
            op: Some(op),
            path_contains: None,
            after,
            error,
            persistent: false,
            trigger: None,
        }
    }

    /// A transient fault on the call, of any kind, that comes after `after` calls.
    pub fn any(after: u64, error: FaultError) -> Fault {
        Fault {
            op: None,
            ..Fault::new(FsOp::Read, after, error)
        }
    }

    /// Makes the fault persistent (every later matching call fails too).
    pub fn persistent(mut self) -> Fault {
        self.persistent = true;
        self
    }

    /// Restricts the fault to paths containing `text` (e.g. `".wal"`, `"MANIFEST"`).
    pub fn on_paths_containing(mut self, text: impl Into<String>) -> Fault {
        self.path_contains = Some(text.into());
        self
    }

    /// Counts only calls made after a call of kind `op` on a path containing `text`, e.g.
    /// `Fault::new(FsOp::SyncDir, 0, FaultError::Io).after_a(FsOp::Rename, "CURRENT.tmp")`
    /// fails the first directory sync after `CURRENT.tmp` is renamed.
    pub fn after_a(mut self, op: FsOp, text: impl Into<String>) -> Fault {
        self.trigger = Some((op, text.into()));
        self
    }

    fn matches(&self, op: FsOp, path: &Path) -> bool {
        self.op.is_none_or(|o| o == op)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|t| path.to_string_lossy().contains(t))
    }
}

/// One recorded filesystem call (see [`super::SimFs::set_trace`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Its kind.
    pub op: FsOp,
    /// The path it was on.
    pub path: PathBuf,
    /// Whether a fault plan made it fail.
    pub injected: bool,
}

/// What a call does after consulting the plan.
#[derive(Debug)]
pub(super) enum Verdict {
    Proceed,
    Fail(FaultError),
    Crash(CrashMode),
}

/// Plans, counters, the crash point and the trace.
#[derive(Debug, Clone, Default)]
pub(super) struct Faults {
    /// Each plan, the matching calls it has counted, and whether its trigger was seen.
    plans: Vec<(Fault, u64, bool)>,
    counts: [u64; FsOp::ALL.len()],
    pub injected: u64,
    mutations: u64,
    crash_after: Option<(u64, CrashMode)>,
    trace: Option<Vec<Call>>,
}

impl Faults {
    pub(super) fn add(&mut self, fault: Fault) {
        let armed = fault.trigger.is_none();
        self.plans.push((fault, 0, armed));
    }

    pub(super) fn clear(&mut self) {
        self.plans.clear();
        self.crash_after = None;
    }

    pub(super) fn disarm_crash(&mut self) {
        self.crash_after = None;
    }

    pub(super) fn arm_crash(&mut self, mutations: u64, mode: CrashMode) {
        self.crash_after = Some((self.mutations + mutations, mode));
    }

    pub(super) fn count(&self, op: FsOp) -> u64 {
        self.counts.get(op.index()).copied().unwrap_or(0)
    }

    pub(super) fn mutations(&self) -> u64 {
        self.mutations
    }

    pub(super) fn set_trace(&mut self, on: bool) {
        self.trace = on.then(Vec::new);
    }

    pub(super) fn take_trace(&mut self) -> Vec<Call> {
        self.trace.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Counts the call and decides its fate.
    pub(super) fn check(&mut self, op: FsOp, path: &Path) -> Verdict {
        if let Some(c) = self.counts.get_mut(op.index()) {
            *c += 1;
        }
        if op.is_mutation() {
            if let Some((at, mode)) = self.crash_after
                && self.mutations >= at
            {
                self.crash_after = None;
                return Verdict::Crash(mode);
            }
            self.mutations += 1;
        }
        let mut verdict = Verdict::Proceed;
        for (plan, seen, armed) in &mut self.plans {
            if !*armed {
                *armed = plan.trigger.as_ref().is_some_and(|(t, text)| {
                    *t == op && path.to_string_lossy().contains(text.as_str())
                });
                continue;
            }
            if !plan.matches(op, path) {
                continue;
            }
            let fire = *seen == plan.after || (plan.persistent && *seen > plan.after);
            *seen += 1;
            if fire && matches!(verdict, Verdict::Proceed) {
                verdict = Verdict::Fail(plan.error);
            }
        }
        let injected = matches!(verdict, Verdict::Fail(_));
        self.injected += u64::from(injected);
        if let Some(t) = self.trace.as_mut() {
            t.push(Call {
                op,
                path: path.to_path_buf(),
                injected,
            });
        }
        verdict
    }
}
