//! How the CLI prints the engine's [`Stats`].

use strata::Stats;

/// The `stats` text. TODO: switch to `Display` once the engine's `Stats` implements it.
pub fn render(stats: &Stats) -> String {
    format!("{stats:#?}")
}
