//! Fuzz target: block decoding and iteration (raw payloads, stored blocks, built blocks).
//! The oracle and its modes are documented at `strata::fuzzing::block`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata::fuzzing::block(data));
