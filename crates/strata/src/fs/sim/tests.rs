#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::*;

fn dir() -> &'static Path {
    Path::new("/db")
}

fn fresh() -> SimFs {
    let fs = SimFs::new();
    fs.create_dir_all(dir()).unwrap();
    fs
}

fn p(name: &str) -> PathBuf {
    dir().join(name)
}

/// A file holding `synced` (synced, entry synced) followed by `unsynced` (flushed only).
fn file_with(fs: &SimFs, name: &str, synced: &[u8], unsynced: &[&[u8]]) {
    let mut f = fs.create(&p(name)).unwrap();
    f.append(synced).unwrap();
    f.sync().unwrap();
    fs.sync_dir(dir()).unwrap();
    for w in unsynced {
        f.append(w).unwrap();
        f.flush().unwrap();
    }
}

#[test]
fn writes_read_back_and_lock_excludes() {
    let fs = fresh();
    let mut w = fs.create(&p("f")).unwrap();
    w.append(b"hello ").unwrap();
    w.append(b"world").unwrap();
    assert_eq!(
        fs.read_all(&p("f")).unwrap(),
        b"",
        "appends stay in user space"
    );
    w.flush().unwrap();
    assert_eq!(w.size(), 11);
    let r = fs.open_read(&p("f")).unwrap();
    let mut buf = [0u8; 5];
    r.read_exact_at(&mut buf, 6).unwrap();
    assert_eq!(&buf, b"world");
    assert!(r.read_exact_at(&mut buf, 8).is_err());
    assert_eq!(fs.list(dir()).unwrap(), vec!["f".to_string()]);
    let l = fs.lock(&p("LOCK")).unwrap();
    assert!(matches!(fs.lock(&p("LOCK")), Err(Error::Locked(_))));
    drop(l);
    assert!(fs.lock(&p("LOCK")).is_ok());
    assert!(fs.create(Path::new("/nodir/x")).is_err());
    assert!(fs.remove(&p("missing")).is_err());
}

#[test]
fn a_process_crash_keeps_what_reached_the_os_only() {
    let fs = fresh();
    let mut f = fs.create(&p("f")).unwrap();
    f.append(b"flushed").unwrap();
    f.flush().unwrap();
    f.append(b" buffered").unwrap();
    let fs = fs.crash(CrashMode::ProcessCrash);
    assert_eq!(fs.read_file(p("f")).unwrap(), b"flushed");
    assert!(f.sync().is_err(), "an old handle is dead");
}

#[test]
fn power_loss_drops_unsynced_data_and_entries() {
    let fs = fresh();
    file_with(&fs, "a", b"durable", &[b" lost"]);
    let mut b = fs.create(&p("b")).unwrap();
    b.append(b"synced but no sync_dir").unwrap();
    b.sync().unwrap();
    let fs = fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.read_file(p("a")).unwrap(), b"durable");
    assert_eq!(
        fs.read_file(p("b")),
        None,
        "an entry never synced is forgotten"
    );
}

#[test]
fn renames_and_removals_are_durable_only_after_sync_dir() {
    let fs = fresh();
    file_with(&fs, "old", b"x", &[]);
    file_with(&fs, "gone", b"y", &[]);
    fs.rename(&p("old"), &p("new")).unwrap();
    fs.remove(&p("gone")).unwrap();
    let after = fs.fork().crash(CrashMode::DropUnsynced);
    assert_eq!(after.read_file(p("old")).unwrap(), b"x");
    assert_eq!(after.read_file(p("gone")).unwrap(), b"y");
    assert_eq!(after.read_file(p("new")), None);
    fs.sync_dir(dir()).unwrap();
    let after = fs.crash(CrashMode::DropUnsynced);
    assert_eq!(after.read_file(p("new")).unwrap(), b"x");
    assert_eq!(after.read_file(p("old")), None);
    assert_eq!(after.read_file(p("gone")), None);
}

#[test]
fn a_random_prefix_is_always_a_prefix_and_every_length_happens() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..400 {
        let fs = fresh();
        file_with(&fs, "f", b"ab", &[b"cde", b"fg"]);
        let fs = fs.crash(CrashMode::KeepRandomPrefix { seed });
        let got = fs.read_file(p("f")).unwrap();
        assert!(b"abcdefg".starts_with(&got) && got.len() >= 2, "{got:?}");
        seen.insert(got.len());
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_torn_last_write_keeps_earlier_writes_and_cuts_the_last() {
    let mut zero_filled = 0;
    for seed in 0..200 {
        let fs = fresh();
        file_with(&fs, "f", b"ab", &[b"cde", b"fghij"]);
        let zero_fill = seed % 2 == 0;
        let fs = fs.crash(CrashMode::TearLastWrite { seed, zero_fill });
        let got = fs.read_file(p("f")).unwrap();
        assert!(got.starts_with(b"abcde"), "{got:?}");
        let tail = &got[5..];
        let kept = tail.iter().take_while(|&&b| b != 0).count();
        assert!(b"fghij".starts_with(&tail[..kept]) && kept < 5);
        assert!(tail[kept..].iter().all(|&b| b == 0));
        assert_eq!(tail.len() == 5, zero_fill);
        zero_filled += usize::from(zero_fill);
    }
    assert_eq!(zero_filled, 100);
}

#[test]
fn after_a_failed_fsync_the_dirty_data_never_reaches_the_disk() {
    let fs = fresh();
    let mut f = fs.create(&p("f")).unwrap();
    fs.sync_dir(dir()).unwrap();
    f.append(b"one").unwrap();
    f.sync().unwrap();
    fs.fail_after(0, FsOp::Sync, FaultError::Io, false);
    f.append(b"two").unwrap();
    assert!(f.sync().is_err());
    assert_eq!(
        fs.read_file(p("f")).unwrap(),
        b"onetwo",
        "still in the page cache"
    );
    f.append(b"three").unwrap();
    f.sync().unwrap();
    let fs = fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.read_file(p("f")).unwrap(), b"one\0\0\0three");
}

#[test]
fn every_power_loss_mode_forgets_data_whose_fsync_failed() {
    let modes = [
        CrashMode::DropUnsynced,
        CrashMode::KeepRandomPrefix { seed: 3 },
        CrashMode::TearLastWrite {
            seed: 3,
            zero_fill: false,
        },
        CrashMode::TearLastWrite {
            seed: 3,
            zero_fill: true,
        },
    ];
    for mode in modes {
        let fs = fresh();
        file_with(&fs, "f", b"one", &[]);
        let mut f = fs.create(&p("f")).unwrap();
        fs.fail_after(0, FsOp::Sync, FaultError::Io, false);
        f.append(b"two").unwrap();
        assert!(f.sync().is_err());
        let fs = fs.crash(mode);
        assert_eq!(fs.read_file(p("f")).unwrap(), b"one", "{mode:?}");
    }
}

#[test]
fn faults_fire_at_the_nth_call_once_or_for_good() {
    let fs = fresh();
    fs.fail_after(1, FsOp::Create, FaultError::NoSpace, false);
    assert!(fs.create(&p("a")).is_ok());
    let err = fs.create(&p("b")).err().unwrap();
    assert!(matches!(&err, Error::Io { source, .. } if source.raw_os_error() == Some(28)));
    assert!(fs.create(&p("c")).is_ok());
    fs.inject(
        Fault::new(FsOp::Remove, 0, FaultError::Io)
            .persistent()
            .on_paths_containing("x"),
    );
    assert!(fs.remove(&p("a")).is_ok());
    let err = fs.remove(&p("xb")).err().unwrap();
    assert!(matches!(&err, Error::Io { source, .. } if source.raw_os_error() == Some(5)));
    assert!(fs.remove(&p("xc")).is_err());
    assert_eq!(fs.injected(), 3);
    assert_eq!(fs.calls(FsOp::Create), 3);
    fs.clear_faults();
    assert!(fs.remove(&p("c")).is_ok());
}

#[test]
fn a_triggered_fault_counts_from_its_trigger() {
    let fs = fresh();
    fs.inject(Fault::new(FsOp::SyncDir, 1, FaultError::Io).after_a(FsOp::Rename, "tmp"));
    fs.sync_dir(dir()).unwrap();
    file_with(&fs, "a.tmp", b"x", &[]); // one sync_dir, before the trigger
    fs.rename(&p("a.tmp"), &p("a")).unwrap();
    fs.sync_dir(dir()).unwrap();
    assert!(
        fs.sync_dir(dir()).is_err(),
        "the second sync_dir after the rename"
    );
    fs.sync_dir(dir()).unwrap();
}

#[test]
fn enospc_on_write_is_a_short_write() {
    let fs = fresh();
    let mut f = fs.create(&p("f")).unwrap();
    fs.fail_after(0, FsOp::Write, FaultError::NoSpace, false);
    f.append(b"abcdef").unwrap();
    assert!(f.flush().is_err());
    assert_eq!(fs.read_file(p("f")).unwrap(), b"abc");
    f.flush().unwrap();
    assert_eq!(fs.read_file(p("f")).unwrap(), b"abcdef");
}

#[test]
fn an_armed_crash_fires_at_the_nth_mutation_and_kills_old_views() {
    let fs = fresh();
    let lock = fs.lock(&p("LOCK")).unwrap();
    fs.sync_dir(dir()).unwrap();
    fs.crash_after(2, CrashMode::DropUnsynced);
    let mut f = fs.create(&p("f")).unwrap();
    f.append(b"x").unwrap();
    f.flush().unwrap();
    assert!(f.sync().is_err(), "the third mutation crashes");
    assert!(fs.is_dead());
    assert!(fs.create(&p("g")).is_err());
    let fs2 = fs.reboot();
    assert_eq!(fs2.read_file(p("f")), None);
    let again = fs2.lock(&p("LOCK")).unwrap();
    drop(lock); // the dead holder's drop must not release the new lock
    assert!(matches!(fs2.lock(&p("LOCK")), Err(Error::Locked(_))));
    drop(again);
    assert_eq!(fs2.crashes(), 1);
}

#[test]
fn a_fork_is_independent() {
    let fs = fresh();
    file_with(&fs, "f", b"1", &[]);
    let copy = fs.fork();
    copy.write_file(p("f"), b"2");
    assert_eq!(fs.read_file(p("f")).unwrap(), b"1");
    assert_eq!(copy.read_file(p("f")).unwrap(), b"2");
    let copy = copy.crash(CrashMode::DropUnsynced);
    assert_eq!(
        copy.read_file(p("f")).unwrap(),
        b"2",
        "write_file is durable"
    );
}

#[test]
fn unlinked_files_stay_readable_through_open_handles() {
    let fs = fresh();
    file_with(&fs, "f", b"data", &[]);
    let r = fs.open_read(&p("f")).unwrap();
    fs.remove(&p("f")).unwrap();
    fs.sync_dir(dir()).unwrap();
    let mut buf = [0u8; 4];
    r.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"data");
    assert!(!fs.exists(&p("f")));
}
