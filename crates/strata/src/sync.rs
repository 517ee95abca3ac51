//! The synchronization primitives of the hand-rolled concurrent code, swappable for model
//! checkers.
//!
//! The commit queue (`db/write.rs`), the read points (`mvcc/watermark.rs`), the shared
//! database state (`db/state.rs`) and the memtable (`memtable/`) import `Mutex`, `Condvar`,
//! `RwLock` and atomics from here instead of from `parking_lot` and `std`:
//! - normally they are exactly `parking_lot`'s locks and `std`'s atomics (zero cost: plain
//!   re-exports);
//! - under `RUSTFLAGS="--cfg shuttle"` they are [shuttle](https://docs.rs/shuttle)'s, wrapped to
//!   `parking_lot`'s API (`lock()` returns the guard, `Condvar::wait(&mut guard)`), so every
//!   lock, wait, notify and atomic access is a point where shuttle's scheduler may switch
//!   threads, and a state where every thread waits is reported as a deadlock;
//! - under `RUSTFLAGS="--cfg loom"` the atomics are [loom](https://docs.rs/loom)'s (the locks
//!   stay `parking_lot`'s): loom explores the values a weakly ordered load may return, which
//!   is what the memtable skiplist's `Release`/`Acquire` publication needs checked.
//!
//! `Arc` stays `std`'s in every mode (shuttle re-exports it too): reference counts are read
//! only under the `versions` lock, whose acquisitions are the scheduling points that matter.
//!
//! The model checks themselves live in `crate::model_checks` (`model_checks/`); docs/TESTING.md
//! gives the commands.

#[cfg(not(shuttle))]
pub(crate) use parking_lot::{Condvar, Mutex, RwLock};

#[cfg(shuttle)]
pub(crate) use shim::{Condvar, Mutex, RwLock};

/// Atomics: `std`'s, shuttle's or loom's.
pub(crate) mod atomic {
    #[cfg(loom)]
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    #[cfg(all(shuttle, not(loom)))]
    pub(crate) use shuttle::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    #[cfg(not(any(shuttle, loom)))]
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

/// `yield_now`: `std`'s, or shuttle's (a scheduling point) under shuttle.
pub(crate) mod thread {
    #[cfg(shuttle)]
    pub(crate) use shuttle::thread::yield_now;
    #[cfg(not(shuttle))]
    pub(crate) use std::thread::yield_now;
}

/// shuttle's primitives with `parking_lot`'s signatures (no poisoning: a panic under shuttle
/// fails the whole check anyway).
#[cfg(shuttle)]
mod shim {
    use std::ops::{Deref, DerefMut};
    use std::time::Duration;

    /// A mutex whose `lock` returns the guard.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(shuttle::sync::Mutex<T>);

    /// The guard; the `Option` is only empty inside [`Condvar::wait`].
    pub(crate) struct MutexGuard<'a, T>(Option<shuttle::sync::MutexGuard<'a, T>>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Mutex<T> {
            Mutex(shuttle::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard(Some(self.0.lock().unwrap_or_else(|e| e.into_inner())))
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            match &self.0 {
                Some(g) => g,
                None => unreachable!("a guard is only taken inside Condvar::wait"),
            }
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            match &mut self.0 {
                Some(g) => g,
                None => unreachable!("a guard is only taken inside Condvar::wait"),
            }
        }
    }

    /// `parking_lot::WaitTimeoutResult`'s one method.
    pub(crate) struct WaitTimeoutResult(bool);

    impl WaitTimeoutResult {
        #[allow(dead_code)]
        pub(crate) fn timed_out(&self) -> bool {
            self.0
        }
    }

    /// A condition variable waiting on a [`MutexGuard`] by `&mut`.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(shuttle::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Condvar {
            Condvar(shuttle::sync::Condvar::new())
        }

        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            if let Some(g) = guard.0.take() {
                guard.0 = Some(self.0.wait(g).unwrap_or_else(|e| e.into_inner()));
            }
        }

        /// shuttle never times a wait out: a waiter that nobody notifies is a deadlock.
        pub(crate) fn wait_for<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            timeout: Duration,
        ) -> WaitTimeoutResult {
            let mut timed_out = false;
            if let Some(g) = guard.0.take() {
                let (g, r) = self
                    .0
                    .wait_timeout(g, timeout)
                    .unwrap_or_else(|e| e.into_inner());
                timed_out = r.timed_out();
                guard.0 = Some(g);
            }
            WaitTimeoutResult(timed_out)
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }

    /// A reader-writer lock whose `read`/`write` return the guards.
    #[derive(Debug, Default)]
    pub(crate) struct RwLock<T>(shuttle::sync::RwLock<T>);

    impl<T> RwLock<T> {
        pub(crate) fn new(value: T) -> RwLock<T> {
            RwLock(shuttle::sync::RwLock::new(value))
        }

        pub(crate) fn read(&self) -> shuttle::sync::RwLockReadGuard<'_, T> {
            self.0.read().unwrap_or_else(|e| e.into_inner())
        }

        pub(crate) fn write(&self) -> shuttle::sync::RwLockWriteGuard<'_, T> {
            self.0.write().unwrap_or_else(|e| e.into_inner())
        }
    }
}
