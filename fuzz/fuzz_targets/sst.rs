//! Fuzz target: SST open, full iteration and point gets.
//! The oracle and its modes are documented at `strata::fuzzing::table`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata::fuzzing::table(data));
