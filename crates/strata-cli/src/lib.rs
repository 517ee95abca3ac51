//! The library half of `strata-cli`: only what the fuzz targets in `fuzz/` (and the smoke test
//! over them) need to reach. The binary (`src/main.rs`) uses the same shell command parser
//! through this crate, so the parser is compiled once and fuzzed as shipped.
//!
//! Threading: pure functions, no state.
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

#[doc(hidden)]
#[path = "shell/command.rs"]
pub mod command;

#[doc(hidden)]
pub mod fuzzing;
