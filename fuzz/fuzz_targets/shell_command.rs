//! Fuzz target: the shell's command parser.
//! The oracle and its modes are documented at `strata_cli::fuzzing::shell_command`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_cli::fuzzing::shell_command(data));
