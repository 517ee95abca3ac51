//! Smoke runs of `strata-stress kill`: five real SIGKILLs of a child writing with
//! `sync_writes`, and five of one writing without (`--no-sync`: acknowledged once the OS holds
//! the WAL's bytes, through its mapping), each followed by a reopen that must hold every
//! acknowledged write, no torn batch and nothing never written. The long runs (200 cycles)
//! are in docs/TESTING.md.

use std::process::Command;

#[test]
fn killed_writers_lose_no_acknowledged_write() -> Result<(), Box<dyn std::error::Error>> {
    smoke(&[])
}

#[test]
fn killed_writers_without_sync_lose_no_acknowledged_write() -> Result<(), Box<dyn std::error::Error>>
{
    smoke(&["--no-sync"])
}

fn smoke(extra: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = Command::new(env!("CARGO_BIN_EXE_strata-stress"))
        .args([
            "kill",
            "--cycles",
            "5",
            "--seed",
            "2",
            "--max-delay-ms",
            "300",
        ])
        .args(extra)
        .arg("--dir")
        .arg(dir.path().join("db"))
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT kill:"))
        .ok_or("no RESULT line")?;
    println!("{result}");
    assert!(result.contains("5 cycles"), "{result}");
    assert!(
        result.contains("lost writes 0, torn batches 0, unexpected values 0"),
        "{result}"
    );
    Ok(())
}
