//! Bad input gives clear errors and loses nothing: an empty, truncated or garbled `CURRENT`,
//! a `CURRENT` naming a missing MANIFEST, a MANIFEST naming a missing or cut table, junk WALs
//! and foreign files in the directory. A refused open names the bad file with `Corruption`
//! (or `InvalidArgument` for a directory that is not a database) and changes no file; once the
//! damage is undone the database opens with every write. Files the engine did not create are
//! never deleted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata::fs::SimFs;
use strata::{CompactionOptions, Db, Error, Options, Result};

fn dir() -> &'static Path {
    Path::new("/db")
}

fn opts() -> Options {
    Options {
        compaction: CompactionOptions::None,
        block_size: 512,
        target_sst_size: 2 << 10,
        ..Default::default()
    }
}

fn open(fs: &SimFs) -> Result<Db> {
    Db::open_with_fs(dir(), opts(), Arc::new(fs.clone()))
}

type Files = BTreeMap<PathBuf, Vec<u8>>;

/// Every file but LOCK, with its contents.
fn files(fs: &SimFs) -> Files {
    fs.files()
        .into_iter()
        .filter(|(p, _)| !p.ends_with("LOCK"))
        .map(|(p, _)| {
            let bytes = fs.read_file(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

/// A database with tables in L1 and L0 and batches only in the WAL; returns its content.
fn build() -> Result<(SimFs, BTreeMap<String, String>)> {
    let fs = SimFs::new();
    let db = open(&fs)?;
    let mut model = BTreeMap::new();
    let mut put = |db: &Db, k: String, v: String| -> Result<()> {
        db.put(&k, &v)?;
        model.insert(k, v);
        Ok(())
    };
    for i in 0..300 {
        put(&db, format!("key{i:04}"), format!("first-{i}"))?;
    }
    db.flush()?;
    db.compact()?;
    for i in (0..300).step_by(4) {
        put(&db, format!("key{i:04}"), format!("second-{i}"))?;
    }
    db.flush()?;
    for i in (0..300).step_by(9) {
        put(&db, format!("key{i:04}"), format!("wal-{i}"))?;
    }
    db.close()?;
    Ok((fs, model))
}

/// The database holds exactly `model`.
fn check_all(fs: &SimFs, model: &BTreeMap<String, String>) -> Result<()> {
    let db = open(fs)?;
    let got: BTreeMap<String, String> = db
        .iter()?
        .map(|kv| {
            kv.map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
        })
        .collect::<Result<_>>()?;
    assert_eq!(&got, model);
    db.close()
}

/// `damage` makes the open fail with an error naming a file `culprit` accepts (`Corruption`,
/// or `Io` "not found" for a file that is named but missing); the failed open changes nothing;
/// `repair` undoes the damage and everything is back.
fn refused_then_repaired(
    what: &str,
    damage: impl Fn(&SimFs),
    culprit: impl Fn(&Path) -> bool,
    repair: impl Fn(&SimFs),
) -> Result<()> {
    let (fs, model) = build()?;
    damage(&fs);
    let before = files(&fs);
    match open(&fs) {
        Err(Error::Corruption { file, .. }) => {
            assert!(culprit(&file), "{what}: the error names {}", file.display());
        }
        Err(Error::Io { path, source }) if source.kind() == std::io::ErrorKind::NotFound => {
            assert!(culprit(&path), "{what}: the error names {}", path.display());
        }
        Err(e) => panic!("{what}: expected Corruption, got {e}"),
        Ok(_) => panic!("{what}: opened"),
    }
    assert!(
        files(&fs) == before,
        "{what}: the failed open changed files"
    );
    repair(&fs);
    check_all(&fs, &model)
}

#[test]
fn an_empty_or_cut_current_is_corruption_and_loses_nothing() -> Result<()> {
    let (fs, _) = build()?;
    let current = dir().join("CURRENT");
    let good = fs.read_file(&current).expect("CURRENT");
    for len in 0..good.len() {
        let cut = good[..len].to_vec();
        refused_then_repaired(
            &format!("CURRENT cut to {len} bytes"),
            |fs| fs.write_file(&current, &cut),
            |p| p.ends_with("CURRENT"),
            |fs| fs.write_file(&current, &good),
        )?;
    }
    Ok(())
}

#[test]
fn a_garbled_current_is_corruption_and_loses_nothing() -> Result<()> {
    let (fs, _) = build()?;
    let current = dir().join("CURRENT");
    let good = fs.read_file(&current).expect("CURRENT");
    let garbage: Vec<Vec<u8>> = vec![
        b"MANIFEST-000002\n".to_vec(),                  // no checksum line
        b"MANIFEST-000002\ncrc32c=00000000\n".to_vec(), // wrong checksum
        vec![0xFF; good.len()],
        vec![0; good.len()],
        [good.clone(), b"trailing".to_vec()].concat(),
        vec![b'x'; 4096], // oversized
    ];
    for g in garbage {
        refused_then_repaired(
            &format!("CURRENT = {:?}", String::from_utf8_lossy(&g)),
            |fs| fs.write_file(&current, &g),
            |p| p.ends_with("CURRENT"),
            |fs| fs.write_file(&current, &good),
        )?;
    }
    Ok(())
}

#[test]
fn a_current_naming_a_missing_manifest_is_refused_naming_it() -> Result<()> {
    // CURRENT of a database whose MANIFEST has another number.
    let other = SimFs::new();
    let db = Db::open_with_fs(
        dir(),
        Options {
            max_manifest_size: 1,
            ..opts()
        },
        Arc::new(other.clone()),
    )?;
    db.put("x", "y")?;
    db.flush()?; // rotates the MANIFEST
    db.close()?;
    let foreign_current = other.read_file(dir().join("CURRENT")).expect("CURRENT");
    let (fs, _) = build()?;
    let good = fs.read_file(dir().join("CURRENT")).expect("CURRENT");
    assert_ne!(good, foreign_current);
    refused_then_repaired(
        "CURRENT names a missing MANIFEST",
        |fs| fs.write_file(dir().join("CURRENT"), &foreign_current),
        |p| p.to_string_lossy().contains("MANIFEST-") || p.ends_with("CURRENT"),
        |fs| fs.write_file(dir().join("CURRENT"), &good),
    )
}

#[test]
fn a_manifest_naming_a_missing_or_cut_table_is_corruption_and_loses_nothing() -> Result<()> {
    let (fs, _) = build()?;
    let tables: Vec<(PathBuf, Vec<u8>)> = files(&fs)
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "sst"))
        .collect();
    assert!(tables.len() >= 2);
    for (table, bytes) in &tables {
        let name = table.clone();
        refused_then_repaired(
            &format!("{} missing", table.display()),
            |fs| {
                fs.delete_file(table);
            },
            |p| p == name,
            |fs| fs.write_file(table, bytes),
        )?;
        refused_then_repaired(
            &format!("{} cut short", table.display()),
            |fs| fs.write_file(table, &bytes[..bytes.len() / 2]),
            |p| p == name,
            |fs| fs.write_file(table, bytes),
        )?;
    }
    Ok(())
}

#[test]
fn a_junk_wal_is_corruption_or_a_torn_tail_and_loses_nothing() -> Result<()> {
    let junk = dir().join("999999.wal");
    // A complete fragment (length 10 fits in the file) with a wrong checksum: Corruption.
    let mut bad = b"JUNK".to_vec();
    bad.extend_from_slice(&10u16.to_le_bytes());
    bad.push(1);
    bad.extend_from_slice(b"0123456789");
    refused_then_repaired(
        "a junk WAL with a complete bad fragment",
        |fs| fs.write_file(&junk, &bad),
        |p| p == junk,
        |fs| {
            fs.delete_file(&junk);
        },
    )?;
    // Junk whose "length" runs past the end of the file reads as a torn tail: dropped.
    let (fs, model) = build()?;
    fs.write_file(
        &junk,
        b"this is not a write-ahead log, just some junk bytes",
    );
    check_all(&fs, &model)
}

#[test]
fn foreign_files_are_left_alone_and_strata_named_junk_is_cleaned() -> Result<()> {
    let (fs, model) = build()?;
    let foreign = [
        dir().join("notes.txt"),
        dir().join("000123.sst.bak"),
        dir().join("MANIFEST"),
    ];
    for f in &foreign {
        fs.write_file(f, b"not ours");
    }
    fs.write_file(dir().join("CURRENT.tmp"), b"half a CURRENT");
    fs.write_file(dir().join("999998.sst"), b"junk named like a table");
    fs.write_file(dir().join("MANIFEST-999997"), b"junk named like a MANIFEST");
    check_all(&fs, &model)?;
    for f in &foreign {
        assert_eq!(
            fs.read_file(f).as_deref(),
            Some(&b"not ours"[..]),
            "{}",
            f.display()
        );
    }
    let names: Vec<String> = fs
        .files()
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    for orphan in ["CURRENT.tmp", "999998.sst", "MANIFEST-999997"] {
        assert!(
            !names.iter().any(|n| n.ends_with(orphan)),
            "{orphan} is still there"
        );
    }
    check_all(&fs, &model)
}

#[test]
fn a_directory_that_is_not_a_database_is_refused_untouched() -> Result<()> {
    let fs = SimFs::new();
    fs.write_file(dir().join("photo.jpg"), b"\xff\xd8\xff");
    let before = files(&fs);
    assert!(matches!(open(&fs), Err(Error::InvalidArgument(_))));
    assert!(files(&fs) == before);
    // Strata files without CURRENT: Corruption, untouched.
    let (fs, _) = build()?;
    fs.delete_file(dir().join("CURRENT"));
    let before = files(&fs);
    assert!(matches!(open(&fs), Err(Error::Corruption { .. })));
    assert!(files(&fs) == before);
    // A path that is a file.
    let fs = SimFs::new();
    fs.write_file("/file", b"x");
    assert!(matches!(
        Db::open_with_fs("/file", opts(), Arc::new(fs.clone())),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(fs.read_file("/file").as_deref(), Some(&b"x"[..]));
    Ok(())
}
