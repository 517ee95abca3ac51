//! Golden tests: the simulator's output for the default parameters of each strategy, checked
//! line by line against traces reasoned out from the course's simulator and policies (simple
//! and tiered are deterministic; leveled uses `StdRng::seed_from_u64(42)` as the course).

#![allow(clippy::unwrap_used)]

use clap::Parser;

use super::mock::{Mock, mock_file};
use super::*;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    strategy: Strategy,
}

fn args(line: &str) -> SimulateArgs {
    let words = std::iter::once("simulate").chain(line.split_whitespace());
    SimulateArgs {
        strategy: Cli::parse_from(words).strategy,
    }
}

fn output(line: &str) -> (String, Result<()>) {
    let mut buf = Vec::new();
    let result = simulate(&args(line), &mut buf);
    (String::from_utf8_lossy(&buf).into_owned(), result)
}

fn assert_golden(line: &str, expected: &str) {
    let (got, result) = output(line);
    if let Err(e) = result {
        panic!("`{line}` failed: {e:#}");
    }
    for (n, (g, e)) in got.lines().zip(expected.lines()).enumerate() {
        assert_eq!(g, e, "`{line}`: line {} differs", n + 1);
    }
    assert_eq!(
        got.lines().count(),
        expected.lines().count(),
        "`{line}`: line count"
    );
    assert_eq!(got, expected);
}

#[test]
fn simple_default_matches_the_course() {
    assert_golden("simple --iterations 8", include_str!("golden/simple.txt"));
}

#[test]
fn simple_real_ids_match_the_course() {
    assert_golden(
        "simple --dump-real-id --iterations 4",
        include_str!("golden/simple-real-id.txt"),
    );
}

#[test]
fn tiered_default_matches_the_course() {
    assert_golden("tiered --iterations 10", include_str!("golden/tiered.txt"));
}

#[test]
fn tiered_size_only_covers_every_rule() {
    let golden = include_str!("golden/tiered-3-size-only.txt");
    assert_golden(
        "tiered --num-tiers 3 --size-only --dump-real-id --iterations 12",
        golden,
    );
    for reason in [
        "space amplification ratio: 200",
        "size ratio: 150 > 101",
        "reducing sorted runs",
    ] {
        assert!(golden.contains(reason), "{reason}");
    }
}

#[test]
fn leveled_default_matches_the_course_with_seed_42() {
    let golden = include_str!("golden/leveled.txt");
    assert_golden("leveled --iterations 12", golden);
    assert!(golden.starts_with("Seed: 42\n"));
    assert!(
        golden.contains("compaction triggered by priority: 3 out of [(1.3333333333333333, 3)]")
    );
}

#[test]
fn defaults_follow_the_spec() {
    let Strategy::Leveled(l) = args("leveled").strategy else {
        panic!("leveled")
    };
    assert_eq!(
        (
            l.level0_file_num_compaction_trigger,
            l.level_size_multiplier,
            l.max_levels
        ),
        (2, 2, 4)
    );
    assert_eq!(
        (
            l.base_level_size_mb,
            l.sst_size_mb,
            l.seed,
            l.common.iterations
        ),
        (128, 32, 42, 50)
    );
    let Strategy::Tiered(t) = args("tiered").strategy else {
        panic!("tiered")
    };
    assert_eq!(
        (
            t.num_tiers,
            t.max_size_amplification_percent,
            t.size_ratio,
            t.min_merge_width
        ),
        (8, 200, 1, 2)
    );
    assert_eq!(t.max_merge_width, None);
    let Strategy::Simple(s) = args("simple").strategy else {
        panic!("simple")
    };
    assert_eq!(
        (
            s.level0_file_num_compaction_trigger,
            s.max_levels,
            s.size_ratio_percent
        ),
        (2, 3, 200)
    );
    assert!(!s.common.dump_real_id && !s.common.size_only && !s.common.trivial_move);
}

#[test]
fn seeds_change_the_leveled_workload() {
    let (a, _) = output("leveled --iterations 5 --seed 7");
    let (b, _) = output("leveled --iterations 5 --seed 8");
    assert!(a.starts_with("Seed: 7\n") && b.starts_with("Seed: 8\n"));
    assert_ne!(
        a.lines().skip(1).collect::<Vec<_>>(),
        b.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn every_strategy_runs_long_without_failing() {
    for line in [
        "simple --iterations 300",
        "simple --level0-file-num-compaction-trigger 4 --max-levels 5 --size-ratio-percent 50 --iterations 300",
        "tiered --iterations 300",
        "tiered --num-tiers 3 --max-merge-width 2 --iterations 300",
        "leveled --iterations 300",
        "leveled --max-levels 6 --level-size-multiplier 10 --base-level-size-mb 64 --iterations 300",
    ] {
        let (_, result) = output(line);
        assert!(result.is_ok(), "`{line}`: {result:?}");
    }
}

#[test]
fn too_many_tasks_fail_without_panicking() {
    let mut s = setup(&args("simple --iterations 3"));
    s.bound = 1;
    let mut buf = Vec::new();
    let err = drive(s, &mut buf).unwrap_err();
    assert_eq!(err.to_string(), "compaction does not converge?");
    // The lines up to the failure were printed, ending with the dump after the task.
    let text = String::from_utf8_lossy(&buf);
    assert!(text.trim_end().ends_with("L3 (0): []"), "{text}");
}

#[test]
fn invalid_options_are_refused() {
    for line in [
        "simple --max-levels 0",
        "tiered --num-tiers 1",
        "leveled --level-size-multiplier 0",
    ] {
        let (text, result) = output(line);
        assert!(result.is_err(), "{line}");
        assert!(text.is_empty());
    }
}

#[test]
fn an_overlapping_level_is_reported_in_hex() {
    let mut mock = Mock::new(1, 1);
    if let Some(run) = mock.version.levels.first_mut() {
        run.files = vec![mock_file(3, 1, 0x10, 0x2f), mock_file(4, 1, 0x2f, 0x40)];
    }
    let err = mock.check_keys().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid file arrangement in L1: id=3, range=10..=2f; id=4, range=2f..=40"
    );
}

#[test]
fn trivial_moves_relink_instead_of_rewriting() {
    let (plain, r1) = output("leveled --iterations 60");
    let (moved, r2) = output("leveled --iterations 60 --trivial-move");
    assert!(r1.is_ok() && r2.is_ok(), "{r1:?} {r2:?}");
    let last_wa = |t: &str| {
        t.lines()
            .rev()
            .find(|l| l.starts_with("Write Amplification"))
            .map(str::to_owned)
    };
    assert_ne!(last_wa(&plain), last_wa(&moved));
    let moves: Vec<&str> = moved
        .lines()
        .filter(|l| l.ends_with("(trivial move)"))
        .collect();
    assert!(!moves.is_empty());
    for line in moves {
        // `Upper L{u} [files] Lower L{l} [] -> [the same files] (trivial move)`.
        let (upper, rest) = line.split_once(" Lower ").unwrap_or_default();
        let upper_files = upper.splitn(3, ' ').nth(2).unwrap_or_default();
        assert!(rest.contains(" [] -> "), "{line}");
        assert!(
            rest.contains(&format!("-> {upper_files} (trivial move)")),
            "{line}"
        );
    }
    let (simple, r3) =
        output("simple --trivial-move --level0-file-num-compaction-trigger 1 --iterations 40");
    assert!(r3.is_ok());
    assert!(simple.contains("(trivial move)"));
}

#[test]
fn svg_chart_is_written() {
    let dir = std::env::temp_dir().join(format!("strata-sim-svg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let path = dir.join("tiered.svg");
    let line = format!(
        "tiered --num-tiers 3 --iterations 30 --svg {}",
        path.display()
    );
    let (_, result) = output(&line);
    assert!(result.is_ok(), "{result:?}");
    let svg = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // Series: L0, the 2 tier positions an iteration can end with (< num_tiers), and W/F.
    assert_eq!(svg.matches("<polyline").count(), 1 + 2 + 1, "{svg}");
    let _ = std::fs::remove_dir_all(&dir);
}
