//! Recovery: reopen keeps every write, sequence numbers never go backwards, truncated WALs
//! reopen to a clean prefix of whole batches, the lock refuses a second open.

use std::path::Path;

use strata::{Db, Error, Options, WriteBatch};

fn opts() -> Options {
    Options {
        memtable_size: 1 << 20,
        ..Default::default()
    }
}

fn wal_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

#[test]
fn reopen_recovers_unflushed_writes_from_the_wal() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Db::open(dir.path(), opts())?;
        for i in 0..1000u32 {
            db.put(format!("key{i:04}"), format!("value{i}"))?;
        }
        db.delete("key0007")?;
        db.close()?;
    }
    let db = Db::open(dir.path(), opts())?;
    assert_eq!(db.get("key0001")?.as_deref(), Some(&b"value1"[..]));
    assert_eq!(db.get("key0007")?, None);
    assert_eq!(db.iter()?.count(), 999);
    Ok(())
}

#[test]
fn a_second_open_of_the_same_directory_fails_at_once() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts())?;
    assert!(matches!(
        Db::open(dir.path(), opts()),
        Err(Error::Locked(_))
    ));
    db.close()?;
    let again = Db::open(dir.path(), opts())?;
    again.close()?;
    Ok(())
}

#[test]
fn calls_after_close_return_closed_on_every_clone() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts())?;
    let clone = db.clone();
    let snap = db.snapshot();
    db.close()?;
    db.close()?; // idempotent
    assert!(matches!(clone.put("a", "b"), Err(Error::Closed)));
    assert!(matches!(clone.get("a"), Err(Error::Closed)));
    assert!(matches!(snap.get("a"), Err(Error::Closed)));
    assert!(matches!(clone.flush(), Err(Error::Closed)));
    Ok(())
}

#[test]
fn sequence_numbers_never_go_backwards_after_deleting_and_compacting_everything()
-> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let first_seq;
    {
        let db = Db::open(dir.path(), opts())?;
        for i in 0..100 {
            db.put(format!("k{i}"), "v")?;
        }
        for i in 0..100 {
            db.delete(format!("k{i}"))?;
        }
        db.flush()?;
        db.compact()?;
        first_seq = db.stats().last_sequence;
        assert_eq!(first_seq, 200);
        db.close()?;
    }
    let db = Db::open(dir.path(), opts())?;
    assert!(db.stats().last_sequence >= first_seq);
    db.put("new", "v")?;
    assert!(db.stats().last_sequence > first_seq);
    Ok(())
}

#[test]
fn wal_truncated_at_every_offset_reopens_to_whole_batches() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    {
        let db = Db::open(&src, opts())?;
        for b in 0..20u32 {
            let mut batch = WriteBatch::new();
            for i in 0..(b % 4 + 1) {
                batch.put(
                    format!("b{b:02}-{i}"),
                    vec![b as u8; (b as usize * 37) % 300],
                );
            }
            db.write(batch)?;
        }
        db.close()?;
    }
    let wals = wal_files(&src);
    assert_eq!(wals.len(), 1, "one live WAL");
    let wal = std::fs::read(&wals[0]).expect("read wal");
    let mut previous = 0usize;
    for cut in (0..=wal.len()).step_by(7).chain([wal.len()]) {
        let case = dir.path().join(format!("cut{cut}"));
        std::fs::create_dir_all(&case).expect("mkdir");
        for entry in std::fs::read_dir(&src).expect("read_dir") {
            let p = entry.expect("entry").path();
            if p.file_name().is_some_and(|n| n == "LOCK") {
                continue;
            }
            std::fs::copy(&p, case.join(p.file_name().expect("name"))).expect("copy");
        }
        let name = wals[0].file_name().expect("name");
        std::fs::write(case.join(name), &wal[..cut]).expect("truncate");
        let db = Db::open(&case, opts())?;
        let keys: Vec<_> = db
            .iter()?
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_, _>>()?;
        // Whole batches only: batch b has b % 4 + 1 records, and batches form a prefix.
        let mut expected = Vec::new();
        let mut b = 0u32;
        while expected.len() < keys.len() {
            for i in 0..(b % 4 + 1) {
                expected.push(format!("b{b:02}-{i}"));
            }
            b += 1;
        }
        let keys: Vec<String> = keys
            .iter()
            .map(|k| String::from_utf8(k.to_vec()).expect("utf8"))
            .collect();
        assert_eq!(keys, expected, "cut at {cut}");
        assert!(keys.len() >= previous, "a longer WAL never recovers less");
        previous = keys.len();
        db.close()?;
    }
    assert_eq!(
        previous,
        (0..20u32).map(|b| b as usize % 4 + 1).sum::<usize>()
    );
    Ok(())
}

#[test]
fn limits_reject_oversized_keys_and_values_and_write_nothing() -> strata::Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts())?;
    let big_key = vec![b'k'; strata::MAX_KEY_LEN + 1];
    assert!(matches!(
        db.put(&big_key, "v"),
        Err(Error::InvalidArgument(_))
    ));
    let max_key = vec![b'k'; strata::MAX_KEY_LEN];
    db.put(&max_key, "v")?;
    let mut batch = WriteBatch::new();
    batch.put("good", "v");
    batch.put("bad", vec![0u8; strata::MAX_VALUE_LEN + 1]);
    assert!(matches!(db.write(batch), Err(Error::InvalidArgument(_))));
    assert_eq!(db.get("good")?, None);
    let before = db.stats().last_sequence;
    db.write(WriteBatch::new())?;
    assert_eq!(
        db.stats().last_sequence,
        before,
        "an empty batch uses no seq"
    );
    db.put("", "")?;
    assert_eq!(db.get("")?.as_deref(), Some(&b""[..]));
    db.close()?;
    let db = Db::open(dir.path(), opts())?;
    assert_eq!(db.get("good")?, None);
    assert_eq!(db.get(&max_key)?.as_deref(), Some(&b"v"[..]));
    assert_eq!(db.get("")?.as_deref(), Some(&b""[..]));
    Ok(())
}

#[test]
fn bad_paths_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("afile");
    std::fs::write(&file, b"x").expect("write");
    assert!(matches!(
        Db::open(&file, opts()),
        Err(Error::InvalidArgument(_))
    ));
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("notes.txt"), b"hello").expect("write");
    assert!(matches!(
        Db::open(&foreign, opts()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(
        foreign.join("notes.txt").exists(),
        "foreign files are never touched"
    );
    let no_current = dir.path().join("nocurrent");
    std::fs::create_dir_all(&no_current).expect("mkdir");
    std::fs::write(no_current.join("000005.sst"), b"x").expect("write");
    assert!(matches!(
        Db::open(&no_current, opts()),
        Err(Error::Corruption { .. })
    ));
}
