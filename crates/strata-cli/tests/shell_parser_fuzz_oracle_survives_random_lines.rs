//! The shell parser's fuzz oracle (`strata_cli::fuzzing::shell_command`, also the `shell_command`
//! cargo-fuzz target) over the committed seeds (`fuzz/seeds/shell_command/`) and a few thousand
//! seeded random inputs: keeps the entry point compiling and panic-free under `cargo test`.
//! The oracle panics if a line makes the parser panic, or if a generated command, typed as a
//! line, does not parse back to itself.

use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn shell_parser_oracle_survives_seeds_and_random_inputs() -> std::io::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/shell_command");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        inputs.push(std::fs::read(entry?.path())?);
    }
    assert!(!inputs.is_empty(), "no committed seeds");
    let mut rng = StdRng::seed_from_u64(9);
    let alphabet = b"putgeldscanfil \t\"\\x0n#12\n";
    for i in 0..4000 {
        let len = rng.random_range(0..200);
        let mut input: Vec<u8> = (0..len)
            .map(|_| match i % 3 {
                0 => rng.random(),
                _ => alphabet[rng.random_range(0..alphabet.len())],
            })
            .collect();
        if let Some(first) = input.first_mut() {
            *first = (i % 2) as u8; // alternate the oracle's two modes
        }
        inputs.push(input);
    }
    for input in &inputs {
        strata_cli::fuzzing::shell_command(input);
    }
    Ok(())
}
