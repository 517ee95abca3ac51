//! Fuzz target: WAL replay, the log reader and batch decoding over arbitrary bytes.
//! The oracle and its modes are documented at `strata::fuzzing::wal`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata::fuzzing::wal(data));
