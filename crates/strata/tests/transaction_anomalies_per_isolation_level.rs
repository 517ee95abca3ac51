//! Transactions: read-your-own-writes, and each classic anomaly (lost update, write skew,
//! phantoms) aborting or committing exactly as its isolation level specifies; plain writes
//! take part in validation; failed commits write nothing.

use std::ops::Bound;

use strata::{Bytes, ConflictKind, Db, Error, Isolation, Options, Result, Transaction};

fn open(isolation: Isolation) -> Result<(tempfile::TempDir, Db)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            isolation,
            memtable_size: 1 << 20,
            ..Options::default()
        },
    )?;
    Ok((dir, db))
}

fn conflict_kind<T: std::fmt::Debug>(r: Result<T>) -> ConflictKind {
    match r {
        Err(Error::Conflict { kind, .. }) => kind,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn keys(it: impl Iterator<Item = Result<(Bytes, Bytes)>>) -> Result<Vec<String>> {
    it.map(|r| r.map(|(k, _)| String::from_utf8_lossy(&k).into_owned()))
        .collect()
}

fn num(txn: &Transaction, key: &str) -> Result<i64> {
    Ok(txn
        .get(key)?
        .map(|v| String::from_utf8_lossy(&v).parse().expect("a number"))
        .unwrap_or(0))
}

#[test]
fn reads_see_own_writes_over_the_snapshot_in_every_direction() -> Result<()> {
    for isolation in [Isolation::Snapshot, Isolation::Serializable] {
        let (_dir, db) = open(isolation)?;
        for k in ["a", "c", "e", "g"] {
            db.put(k, format!("db-{k}"))?;
        }
        db.flush()?;
        db.put("i", "db-i")?;
        let mut txn = db.transaction();
        txn.put("b", "t-b")?;
        txn.put("c", "t-c")?;
        txn.delete("e")?;
        txn.delete("zz")?;
        txn.put("h", "")?;
        db.put("f", "later")?; // after the snapshot: invisible to the transaction
        assert_eq!(txn.get("c")?.as_deref(), Some(&b"t-c"[..]));
        assert_eq!(txn.get("e")?, None);
        assert_eq!(txn.get("f")?, None);
        assert_eq!(txn.get("h")?.as_deref(), Some(&b""[..]));
        let all = ["a", "b", "c", "g", "h", "i"];
        assert_eq!(keys(txn.iter()?)?, all);
        let mut rev = keys(txn.iter()?.rev())?;
        rev.reverse();
        assert_eq!(rev, all);
        assert_eq!(keys(txn.range("b".."h")?)?, ["b", "c", "g"]);
        let excl = (
            Bound::Excluded(b"b".to_vec()),
            Bound::Included(b"h".to_vec()),
        );
        assert_eq!(keys(txn.range(excl)?.rev())?, ["h", "g", "c"]);
        assert_eq!(keys(txn.prefix("c")?)?, ["c"]);
        // Mixed ends meet without repeating.
        let mut it = txn.iter()?;
        let mut seen = Vec::new();
        for i in 0.. {
            let item = if i % 2 == 0 {
                it.next()
            } else {
                it.next_back()
            };
            match item {
                Some(r) => seen.push(String::from_utf8_lossy(&r?.0).into_owned()),
                None => break,
            }
        }
        seen.sort();
        assert_eq!(seen, all);
        // An iterator keeps the workspace as of its creation.
        let it = txn.iter()?;
        txn.put("a0", "x")?;
        assert_eq!(keys(it)?, all);
        if isolation == Isolation::Serializable {
            // It read "f" (a miss) and scanned over it; "f" was written after its snapshot.
            assert!(matches!(txn.commit(), Err(Error::Conflict { .. })));
            continue;
        }
        txn.commit()?;
        assert_eq!(db.get("e")?, None);
        assert_eq!(db.get("c")?.as_deref(), Some(&b"t-c"[..]));
        assert_eq!(db.get("a0")?.as_deref(), Some(&b"x"[..]));
        assert_eq!(db.get("f")?.as_deref(), Some(&b"later"[..]));
    }
    Ok(())
}

#[test]
fn lost_updates_abort_at_both_levels() -> Result<()> {
    for isolation in [Isolation::Snapshot, Isolation::Serializable] {
        let (_dir, db) = open(isolation)?;
        db.put("x", "10")?;
        let mut t1 = db.transaction();
        let mut t2 = db.transaction();
        let (a, b) = (num(&t1, "x")?, num(&t2, "x")?);
        t1.put("x", (a + 1).to_string())?;
        t2.put("x", (b + 1).to_string())?;
        t1.commit()?;
        let kind = conflict_kind(t2.commit());
        let want = match isolation {
            Isolation::Snapshot => ConflictKind::WriteWrite,
            _ => ConflictKind::ReadWrite,
        };
        assert_eq!(kind, want);
        assert_eq!(db.get("x")?.as_deref(), Some(&b"11"[..]));
    }
    Ok(())
}

#[test]
fn a_plain_put_after_the_snapshot_conflicts_like_a_transaction() -> Result<()> {
    for isolation in [Isolation::Snapshot, Isolation::Serializable] {
        let (_dir, db) = open(isolation)?;
        let mut t = db.transaction();
        let _ = t.get("x")?; // a miss is a read too
        t.put("x", "from-txn")?;
        db.put("x", "plain")?;
        assert!(matches!(t.commit(), Err(Error::Conflict { .. })));
        assert_eq!(db.get("x")?.as_deref(), Some(&b"plain"[..]));
        // And a plain delete.
        let mut t = db.transaction();
        let _ = t.get("x")?;
        t.put("x", "again")?;
        db.delete("x")?;
        assert!(matches!(t.commit(), Err(Error::Conflict { .. })));
        assert_eq!(db.get("x")?, None);
    }
    Ok(())
}

/// Two doctors on call; each goes off call if the other is still on.
fn write_skew(db: &Db) -> Result<(Result<()>, Result<()>)> {
    db.put("alice", "on")?;
    db.put("bob", "on")?;
    let mut t1 = db.transaction();
    let mut t2 = db.transaction();
    if t1.get("bob")?.as_deref() == Some(b"on") {
        t1.put("alice", "off")?;
    }
    if t2.get("alice")?.as_deref() == Some(b"on") {
        t2.put("bob", "off")?;
    }
    Ok((t1.commit(), t2.commit()))
}

#[test]
fn write_skew_commits_under_snapshot_and_aborts_under_serializable() -> Result<()> {
    let (_dir, db) = open(Isolation::Snapshot)?;
    let (r1, r2) = write_skew(&db)?;
    assert!(
        r1.is_ok() && r2.is_ok(),
        "snapshot isolation allows write skew"
    );
    assert_eq!(db.get("alice")?, db.get("bob")?);

    let (_dir, db) = open(Isolation::Serializable)?;
    let (r1, r2) = write_skew(&db)?;
    assert!(r1.is_ok());
    assert_eq!(conflict_kind(r2), ConflictKind::ReadWrite);
    assert_eq!(db.get("bob")?.as_deref(), Some(&b"on"[..]));
    Ok(())
}

#[test]
fn blind_writes_never_conflict_under_serializable() -> Result<()> {
    let (_dir, db) = open(Isolation::Serializable)?;
    let mut t1 = db.transaction();
    let mut t2 = db.transaction();
    t1.put("k", "1")?;
    t2.put("k", "2")?;
    t1.commit()?;
    db.put("k", "plain")?;
    t2.commit()?;
    assert_eq!(
        db.get("k")?.as_deref(),
        Some(&b"2"[..]),
        "the later commit wins"
    );
    // Under snapshot isolation the second writer loses.
    let (_dir, db) = open(Isolation::Snapshot)?;
    let mut t1 = db.transaction();
    let mut t2 = db.transaction();
    t1.put("k", "1")?;
    t2.put("k", "2")?;
    t1.commit()?;
    assert_eq!(conflict_kind(t2.commit()), ConflictKind::WriteWrite);
    Ok(())
}

#[test]
fn phantoms_inserted_or_deleted_in_a_scanned_range_abort_serializable() -> Result<()> {
    let (_dir, db) = open(Isolation::Serializable)?;
    for k in ["emp:1", "emp:3", "emp:5"] {
        db.put(k, "x")?;
    }
    // Insert into a fully scanned range.
    let mut t = db.transaction();
    assert_eq!(t.prefix("emp:")?.count(), 3);
    t.put("count", "3")?;
    db.put("emp:2", "x")?;
    assert_eq!(conflict_kind(t.commit()), ConflictKind::Phantom);
    // Delete from a scanned range, scanned in reverse.
    let mut t = db.transaction();
    assert_eq!(t.prefix("emp:")?.rev().count(), 4);
    t.put("count", "4")?;
    db.delete("emp:5")?;
    assert_eq!(conflict_kind(t.commit()), ConflictKind::Phantom);
    // A write outside the scanned range does not abort.
    let mut t = db.transaction();
    assert_eq!(t.prefix("emp:")?.count(), 3);
    t.put("count", "3")?;
    db.put("emq", "x")?;
    db.put("emo", "x")?;
    t.commit()?;
    // Under snapshot isolation phantoms are not checked.
    let (_dir, db) = open(Isolation::Snapshot)?;
    let mut t = db.transaction();
    assert_eq!(t.prefix("emp:")?.count(), 0);
    t.put("count", "0")?;
    db.put("emp:9", "x")?;
    t.commit()?;
    Ok(())
}

#[test]
fn a_partial_scan_covers_only_up_to_the_last_key_returned() -> Result<()> {
    let (_dir, db) = open(Isolation::Serializable)?;
    for k in ["a", "c", "e", "g"] {
        db.put(k, "x")?;
    }
    // Forward: read "a" and "c", stop.
    let mut t = db.transaction();
    let mut it = t.range("a".."z")?;
    assert_eq!(it.next().transpose()?.map(|p| p.0), Some(Bytes::from("a")));
    assert_eq!(it.next().transpose()?.map(|p| p.0), Some(Bytes::from("c")));
    t.put("zout", "1")?;
    db.put("d", "beyond the last key returned")?;
    t.commit()?;
    // Inside the covered part: abort.
    let mut t = db.transaction();
    let mut it = t.range("a".."z")?;
    it.next();
    it.next();
    t.put("zout", "2")?;
    db.put("b", "inside")?;
    assert_eq!(conflict_kind(t.commit()), ConflictKind::Phantom);
    // Backward: read "g" only; a write below it is outside, a write above it is inside.
    let mut t = db.transaction();
    let mut it = t.range("a".."z")?;
    assert_eq!(
        it.next_back().transpose()?.map(|p| p.0),
        Some(Bytes::from("g"))
    );
    t.put("zout", "3")?;
    db.put("f", "outside")?;
    t.commit()?;
    let mut t = db.transaction();
    let mut it = t.range("a".."z")?;
    it.next_back();
    t.put("zout", "4")?;
    db.put("h", "inside")?;
    assert_eq!(conflict_kind(t.commit()), ConflictKind::Phantom);
    Ok(())
}

#[test]
fn read_only_transactions_always_commit() -> Result<()> {
    for isolation in [Isolation::Snapshot, Isolation::Serializable] {
        let (_dir, db) = open(isolation)?;
        db.put("k", "1")?;
        let t = db.transaction();
        assert_eq!(t.get("k")?.as_deref(), Some(&b"1"[..]));
        let _ = t.iter()?.count();
        db.put("k", "2")?;
        db.put("new", "x")?;
        let before = db.stats().last_sequence;
        assert_eq!(t.commit_with_seq()?, None);
        assert_eq!(db.stats().last_sequence, before, "no seq, no record");
    }
    Ok(())
}

#[test]
fn a_failed_commit_writes_nothing_and_uses_no_seq() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let seq_after;
    {
        let db = Db::open(dir.path(), Options::default())?;
        let mut t = db.transaction();
        t.put("a", "t")?;
        t.put("b", "t")?;
        db.put("b", "plain")?;
        let before = db.stats().last_sequence;
        assert!(matches!(t.commit(), Err(Error::Conflict { .. })));
        assert_eq!(db.stats().last_sequence, before);
        assert_eq!(db.get("a")?, None);
        // A successful one takes consecutive seqs and one commit point.
        let mut t = db.transaction();
        t.put("a", "1")?;
        t.put("c", "3")?;
        t.delete("b")?;
        let seq = t.commit_with_seq()?.expect("wrote something");
        assert_eq!(seq, before + 3);
        seq_after = seq;
        db.close()?;
    }
    let db = Db::open(dir.path(), Options::default())?;
    assert_eq!(db.stats().last_sequence, seq_after);
    assert_eq!(db.get("a")?, Some(Bytes::from("1")));
    assert_eq!(db.get("b")?, None);
    Ok(())
}

#[test]
fn rollback_and_drop_discard_and_closed_is_an_error() -> Result<()> {
    let (_dir, db) = open(Isolation::Serializable)?;
    let mut t = db.transaction();
    t.put("a", "1")?;
    t.rollback();
    let mut t = db.transaction();
    t.put("b", "1")?;
    drop(t);
    assert_eq!(db.iter()?.count(), 0);
    assert_eq!(db.stats().live_transactions, 0);
    let mut t = db.transaction();
    t.put("c", "1")?;
    db.close()?;
    assert!(matches!(t.get("c"), Err(Error::Closed)));
    assert!(matches!(t.put("d", "1"), Err(Error::Closed)));
    assert!(matches!(t.commit(), Err(Error::Closed)));
    Ok(())
}

#[test]
fn limits_are_checked_on_the_call() -> Result<()> {
    let (_dir, db) = open(Isolation::Snapshot)?;
    let mut t = db.transaction();
    let long = vec![b'k'; strata::MAX_KEY_LEN + 1];
    assert!(matches!(t.put(&long, "v"), Err(Error::InvalidArgument(_))));
    assert!(matches!(t.delete(&long), Err(Error::InvalidArgument(_))));
    t.put(vec![b'k'; strata::MAX_KEY_LEN], "")?;
    t.commit()?;
    Ok(())
}

#[test]
fn transactions_older_than_the_conflict_log_bound_fail_too_old() -> Result<()> {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        Options {
            max_conflict_log_bytes: 64 << 10,
            ..Options::default()
        },
    )?;
    let mut old = db.transaction();
    old.put("mine", "1")?;
    for i in 0..2000 {
        db.put(format!("other{i}"), "x")?;
    }
    let mut young = db.transaction();
    young.put("mine2", "1")?;
    assert_eq!(conflict_kind(old.commit()), ConflictKind::TooOld);
    young.commit()?;
    assert_eq!(db.stats().transaction_conflicts, 1);
    Ok(())
}
