//! `--svg FILE`: a two-panel chart of a simulation, written as plain SVG text (no drawing
//! library): files per level (or per tier position, newest first) by iteration, and the
//! write amplification W/F by iteration. Deterministic output for the same run.
//! Single-threaded; owned by one simulation run.

use std::fmt::Write as _;

use super::mock::Mock;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 830.0;
const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// What each iteration ended with.
#[derive(Debug, Default)]
pub(crate) struct Chart {
    /// Runs are tiers (named by position) rather than levels.
    tiered: bool,
    /// Per iteration: files in L0, then in each level or tier (front first).
    counts: Vec<Vec<usize>>,
    /// Per iteration: the level or tier names matching `counts`.
    names: Vec<Vec<String>>,
    /// Per iteration: write amplification so far.
    write_amp: Vec<f64>,
}

impl Chart {
    /// An empty chart; `tiered` names the runs by tier position.
    pub(crate) fn new(tiered: bool) -> Chart {
        Chart {
            tiered,
            ..Chart::default()
        }
    }

    /// Records the tree at the end of an iteration.
    pub(crate) fn record(&mut self, mock: &Mock) {
        let v = &mock.version;
        let mut counts = vec![v.l0.len()];
        let mut names = vec!["L0".to_string()];
        for (k, run) in v.levels.iter().enumerate() {
            counts.push(run.files.len());
            names.push(if self.tiered {
                format!("tier {}", k + 1)
            } else {
                format!("L{}", run.id)
            });
        }
        self.counts.push(counts);
        self.names.push(names);
        self.write_amp
            .push(mock.writes as f64 / mock.flushes.max(1) as f64);
    }

    /// The SVG document.
    pub(crate) fn render(&self, title: &str) -> String {
        let mut s = String::new();
        let height = 640.0;
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{LEFT}" y="20" font-size="14">{}</text>"#,
            escape(title)
        );
        let series = self.counts.iter().map(Vec::len).max().unwrap_or(0);
        let names: Vec<String> = (0..series)
            .map(|k| {
                self.names
                    .iter()
                    .rev()
                    .find_map(|n| n.get(k).cloned())
                    .unwrap_or_default()
            })
            .collect();
        let lines: Vec<Vec<f64>> = (0..series)
            .map(|k| {
                self.counts
                    .iter()
                    .map(|c| c.get(k).copied().unwrap_or(0) as f64)
                    .collect()
            })
            .collect();
        self.panel(&mut s, "files per level", 40.0, 330.0, &lines, &names);
        self.panel(
            &mut s,
            "write amplification (W/F)",
            380.0,
            600.0,
            std::slice::from_ref(&self.write_amp),
            &["W/F".to_string()],
        );
        s.push_str("</svg>\n");
        s
    }

    fn panel(
        &self,
        s: &mut String,
        label: &str,
        top: f64,
        bottom: f64,
        lines: &[Vec<f64>],
        names: &[String],
    ) {
        let n = self.write_amp.len();
        let y_max = lines.iter().flatten().fold(1.0f64, |m, v| m.max(*v)).ceil();
        let x = |i: usize| LEFT + (RIGHT - LEFT) * i as f64 / (n.max(2) - 1) as f64;
        let y = |v: f64| bottom - (bottom - top) * v / y_max;
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{top}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            RIGHT - LEFT,
            bottom - top
        );
        let _ = writeln!(
            s,
            r#"<text x="{LEFT}" y="{}">{}</text>"#,
            top - 6.0,
            escape(label)
        );
        for tick in 0..=4 {
            let v = y_max * f64::from(tick) / 4.0;
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
                LEFT - 6.0,
                y(v) + 4.0,
                trim(v)
            );
        }
        let step = (n / 10).max(1);
        for i in (0..n).step_by(step) {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#555">{i}</text>"##,
                x(i),
                bottom + 14.0
            );
        }
        for (k, (values, name)) in lines.iter().zip(names).enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let points: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
                points.join(" ")
            );
            let ly = top + 14.0 * (k as f64 + 1.0);
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{ly:.1}" fill="{color}">{}</text>"#,
                RIGHT + 10.0,
                escape(name)
            );
        }
    }
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
