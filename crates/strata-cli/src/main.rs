//! The `strata` command-line tool.
fn main() {}
