//! `strata bench --plot FILE.svg`: throughput over time, one panel per workload.
//!
//! Job: turn each workload's completion timeline (operations per 10 ms bucket, all measured
//! threads) into a step line of ops/s, regrouped so a panel has at most `MAX_STEPS` steps, and
//! draw it with plotters' SVG backend (no font or system libraries): a write stall shows as a
//! drop to zero. Runs once after the bench, on the main thread.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use super::workload::TIMELINE_BUCKET;

/// Steps drawn per panel at most (a long run's buckets are merged).
const MAX_STEPS: usize = 200;
/// Pixels: panel width and height.
const PANEL: (u32, u32) = (900, 240);

/// One workload's series.
pub struct Series {
    /// The workload's name (the panel's caption).
    pub name: String,
    /// Operations per `TIMELINE_BUCKET`.
    pub timeline: Vec<u64>,
    /// Wall time of the workload.
    pub elapsed: Duration,
}

/// The step line of `s`: `(time s, ops/s)` pairs, two per step, covering `0..elapsed`.
pub fn steps(s: &Series) -> Vec<(f64, f64)> {
    let bucket = TIMELINE_BUCKET.as_secs_f64();
    let end = s
        .elapsed
        .as_secs_f64()
        .max(bucket * s.timeline.len() as f64 - bucket);
    let group = s.timeline.len().div_ceil(MAX_STEPS).max(1);
    let mut out = Vec::new();
    for (j, chunk) in s.timeline.chunks(group).enumerate() {
        let from = (j * group) as f64 * bucket;
        let to = (from + chunk.len() as f64 * bucket)
            .min(end)
            .max(from + f64::EPSILON);
        let ops: u64 = chunk.iter().sum();
        let rate = ops as f64 / (to - from);
        out.push((from, rate));
        out.push((to, rate));
    }
    out
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("plot: {e}")
}

/// Draws every series into the SVG file at `path`.
///
/// # Errors
/// The file cannot be written, or plotters failed.
pub fn draw(path: &Path, series: &[Series]) -> Result<()> {
    let n = u32::try_from(series.len().max(1)).map_err(err)?;
    let root = SVGBackend::new(path, (PANEL.0, PANEL.1 * n)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let panels = root.split_evenly((series.len().max(1), 1));
    for (panel, s) in panels.iter().zip(series) {
        let line = steps(s);
        let x_max = line.last().map_or(1.0, |p| p.0).max(1e-3);
        let y_max = line.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0) * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{} (ops/s over time)", s.name), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time since the workload started (s)")
            .y_desc("ops/s")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(line, &BLUE))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_turn_buckets_into_rates() {
        let s = Series {
            name: "x".into(),
            timeline: vec![10, 0, 5],
            elapsed: Duration::from_millis(30),
        };
        let line = steps(&s);
        assert_eq!(line.len(), 6);
        // 10 ops in 10 ms = 1000 ops/s; a stalled bucket is 0.
        assert!((line[0].1 - 1000.0).abs() < 1e-6, "{line:?}");
        assert_eq!(line[2].1, 0.0);
        assert!((line[5].0 - 0.03).abs() < 1e-9);
    }

    #[test]
    fn long_runs_are_regrouped() {
        let s = Series {
            name: "x".into(),
            timeline: vec![1; 1000],
            elapsed: Duration::from_secs(10),
        };
        assert_eq!(steps(&s).len(), 2 * 200);
    }
}
