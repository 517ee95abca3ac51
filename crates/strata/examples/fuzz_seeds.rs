//! Writes the seed corpus of the fuzz targets (`fuzz/seeds/<target>/`) from files a real
//! database writes: a small SST, its blocks, a WAL and a MANIFEST, plus a shell script.
//!
//! Run from the repository root: `cargo run -p strata --example fuzz_seeds` (it rewrites the
//! seeds; they are committed and read by the fuzz smoke test). Each seed starts with the mode
//! byte its oracle reads (see `strata::fuzzing`). `fuzz/seeds/sst/real-table-v1` is not written
//! here: it is the `real-table` seed of table format version 1 (legacy bloom filter), kept so
//! the legacy read path stays in the corpus. Likewise `fuzz/seeds/wal/real-wal-v1` is the
//! `real-wal` seed whose batches are WAL record payloads version 1 (legacy, still read).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use strata::{CompactionOptions, Compression, Db, Options};

fn seed(target: &str, name: &str, mode: u8, body: &[u8]) {
    let dir = PathBuf::from("fuzz/seeds").join(target);
    fs::create_dir_all(&dir).unwrap();
    let mut bytes = vec![mode];
    bytes.extend_from_slice(body);
    fs::write(dir.join(name), bytes).unwrap();
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}

fn main() -> strata::Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        compaction: CompactionOptions::None,
        compression: Compression::None,
        block_size: 128,
        block_restart_interval: 4,
        sync_writes: true,
        ..Options::default()
    };
    let db = Db::open(tmp.path(), opts)?;
    for i in 0..24u32 {
        db.put(format!("key{i:03}"), format!("value-{i}"))?;
    }
    db.delete("key007")?;
    db.flush()?;
    db.put("key100", "after the flush")?;
    db.delete("key003")?;
    // Copy the live WAL while it still holds the last writes (close would flush and drop it).
    let wal = files_ending(tmp.path(), ".wal")
        .into_iter()
        .map(|p| fs::read(p).unwrap());
    let wal = wal.max_by_key(Vec::len).unwrap_or_default();
    db.close()?;

    let sst_path = files_ending(tmp.path(), ".sst").pop().unwrap();
    let sst = fs::read(&sst_path).unwrap();
    let summary = strata::tools::open_table(&sst_path)?;
    let manifest_path = files_ending(tmp.path(), "")
        .into_iter()
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("MANIFEST-")
        })
        .unwrap();
    let manifest = fs::read(manifest_path).unwrap();

    // Blocks: stored form (payload + tag) and raw payloads, data (internal keys) and
    // properties (bytewise). The first data block starts at 0; its size is not in the summary,
    // so take the index's view: one entry per block, the first ending where the second starts.
    let stored = |(offset, size): (u64, u64)| &sst[offset as usize..(offset + size + 1) as usize];
    let index = stored(summary.index);
    let props = stored(summary.properties);
    seed("block", "index-stored", 0x01, index);
    seed("block", "index-raw", 0x00, &index[..index.len() - 1]);
    seed("block", "properties-stored", 0x11, props);
    seed("block", "properties-raw", 0x10, &props[..props.len() - 1]);
    seed(
        "block",
        "built",
        0x02,
        b"\x00\x03\x01key-a\x05\x00\x01value\x05key-b\x07\x00\x00v",
    );

    seed("sst", "real-table", 0x00, &sst);
    seed(
        "sst",
        "built-table",
        0x01,
        b"\x80\x00\x04\x01\x00\x05apple\x01\x00\x00\x03red\x04berry\x02\x00\x01\x02go",
    );
    seed(
        "sst",
        "edited-table",
        0x02,
        b"\x02\x10\x00\x41\x20\x00\x42\x80\x00\x04\x01\x00\x05apple\x01\x00\x00\x03red",
    );

    seed("wal", "real-wal", 0x00, &wal);
    seed(
        "wal",
        "written-wal",
        0x01,
        b"\x00\x30\x00\x05\x02\x03abc\x01\x02\x03xyz\x00\x01k",
    );
    seed(
        "wal",
        "small-blocks",
        0x01,
        b"\x90\x25\x00\x00\x03\x05hello\x01\x0aworld-wide\x04key2\x00",
    );

    seed("manifest", "real-manifest", 0x00, &manifest);
    // The first record's payload: after the 12-byte log file header and the 11-byte fragment
    // header (docs/FORMAT.md, Part II §1).
    let first = usize::from(u16::from_le_bytes([manifest[16], manifest[17]]));
    seed("manifest", "first-edit", 0x01, &manifest[23..23 + first]);
    seed("manifest", "edit-sequence", 0x22, b"\x07\x01\x00\x00\x00\x00\x00\x00\x00\x02\x01\x01\x05\x02\x03a\x03z\x01\x00\x02\x00\x00\x10");

    let script = "put a 1\nput b \"two\\x00\\n\"\nget a\ndel b\nscan a z\nfill 1 20\nflush\ndump\n# comment\nbegin\ncommit\nquit\n";
    seed("shell_command", "script", 0x00, script.as_bytes());
    seed(
        "shell_command",
        "generated",
        0x01,
        b"\x01\x00\x03abc\x04\x01\x02\x03\x04\x05\x00\x00\x04\x03key\x0e\x00",
    );
    Ok(())
}
