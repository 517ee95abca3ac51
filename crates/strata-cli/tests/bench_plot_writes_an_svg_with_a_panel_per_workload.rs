//! `strata bench --plot FILE.svg` with a tiny `--num` writes a well-formed SVG holding one
//! captioned panel per workload, labelled axes and a drawn line per panel.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;

use common::{stderr, strata};

#[test]
fn bench_plot_writes_an_svg_with_a_panel_per_workload() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let svg = dir.path().join("throughput.svg");
    let out = strata()
        .args([
            "bench",
            "--num",
            "2000",
            "--benchmarks",
            "fillseq,readrandom,overwrite",
        ])
        .arg("--path")
        .arg(dir.path().join("db"))
        .arg("--plot")
        .arg(&svg)
        .output()?;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&svg)?;
    assert!(
        text.starts_with("<svg "),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(text.trim_end().ends_with("</svg>"));
    // Every element opened is closed: count tags of the kinds plotters writes.
    for workload in ["fillseq", "readrandom", "overwrite"] {
        assert_eq!(
            text.matches(&format!("{workload} (ops/s over time)"))
                .count(),
            1,
            "{workload}"
        );
    }
    assert_eq!(text.matches("ops/s\n</text>").count(), 3, "y axis labels");
    assert_eq!(
        text.matches("time since the workload started (s)").count(),
        3
    );
    // Axes and ticks are black; the throughput line is the only blue one.
    let lines = text.matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#0000FF\"");
    assert_eq!(lines.count(), 3, "one line per panel");
    assert_eq!(
        text.matches("<text").count(),
        text.matches("</text>").count()
    );
    Ok(())
}
