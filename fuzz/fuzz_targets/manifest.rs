//! Fuzz target: MANIFEST replay, version edits decoded and applied.
//! The oracle and its modes are documented at `strata::fuzzing::manifest`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata::fuzzing::manifest(data));
