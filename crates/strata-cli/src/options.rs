//! Command-line flags shared by subcommands, and the engine [`Options`] they build.
//!
//! The shell uses the course CLI's engine settings (SPEC §9.1: block 4096, memtable and target
//! SST 2 MiB, 3 frozen memtables, the course's strategy parameters); `bench` and the one-shot
//! commands start from the engine's own defaults.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use strata::{
    CompactionOptions, Compression, Isolation, LeveledOptions, Options, SimpleOptions,
    TieredOptions,
};

/// `--compaction`: which strategy runs in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompactionArg {
    /// Simple leveled compaction.
    Simple,
    /// Leveled compaction with dynamic level targets.
    Leveled,
    /// Tiered (universal) compaction.
    Tiered,
    /// No background compaction (`full_compaction` still works).
    None,
}

impl CompactionArg {
    /// The strategy with the course CLI's parameters (SPEC §9.1).
    pub fn course_options(self) -> CompactionOptions {
        match self {
            CompactionArg::Simple => CompactionOptions::Simple(SimpleOptions {
                size_ratio_percent: 200,
                level0_file_num_compaction_trigger: 2,
                max_levels: 4,
            }),
            CompactionArg::Leveled => CompactionOptions::Leveled(LeveledOptions {
                level0_file_num_compaction_trigger: 2,
                max_levels: 4,
                base_level_size_mb: 128,
                level_size_multiplier: 2,
            }),
            CompactionArg::Tiered => CompactionOptions::Tiered(TieredOptions {
                num_tiers: 3,
                max_size_amplification_percent: 200,
                size_ratio: 1,
                min_merge_width: 2,
                max_merge_width: None,
            }),
            CompactionArg::None => CompactionOptions::None,
        }
    }

    /// The strategy with the engine's default parameters.
    pub fn engine_options(self) -> CompactionOptions {
        match self {
            CompactionArg::Simple => CompactionOptions::Simple(SimpleOptions::default()),
            CompactionArg::Leveled => CompactionOptions::Leveled(LeveledOptions::default()),
            CompactionArg::Tiered => CompactionOptions::Tiered(TieredOptions::default()),
            CompactionArg::None => CompactionOptions::None,
        }
    }
}

/// `--compression`: block compression of new SSTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    /// Raw blocks.
    None,
    /// LZ4 (the engine's default).
    Lz4,
    /// Zstd.
    Zstd,
}

impl From<CompressionArg> for Compression {
    fn from(arg: CompressionArg) -> Compression {
        match arg {
            CompressionArg::None => Compression::None,
            CompressionArg::Lz4 => Compression::Lz4,
            CompressionArg::Zstd => Compression::Zstd,
        }
    }
}

/// Flags of `strata shell`.
#[derive(Debug, Clone, Args)]
pub struct ShellArgs {
    /// Database directory (created if missing).
    #[arg(long, default_value = "lsm.db")]
    pub path: PathBuf,
    /// Background compaction strategy (with the course CLI's parameters).
    #[arg(long, value_enum, default_value_t = CompactionArg::Leveled)]
    pub compaction: CompactionArg,
    /// Keep the write-ahead log on (the default; accepted for compatibility with the course).
    #[arg(long, conflicts_with = "no_wal")]
    pub enable_wal: bool,
    /// Turn the write-ahead log off: unflushed writes are lost in a crash.
    #[arg(long)]
    pub no_wal: bool,
    /// Serializable transactions instead of snapshot isolation.
    #[arg(long)]
    pub serializable: bool,
}

/// Bytes in a MiB.
pub const MIB: usize = 1 << 20;

impl ShellArgs {
    /// The engine options the shell opens with.
    pub fn options(&self) -> Options {
        Options {
            block_size: 4096,
            memtable_size: 2 * MIB,
            target_sst_size: 2 * MIB,
            max_frozen_memtables: 3,
            compaction: self.compaction.course_options(),
            enable_wal: !self.no_wal,
            isolation: if self.serializable {
                Isolation::Serializable
            } else {
                Isolation::Snapshot
            },
            ..Options::default()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        shell: ShellArgs,
    }

    fn shell(args: &[&str]) -> ShellArgs {
        Wrapper::try_parse_from(std::iter::once("shell").chain(args.iter().copied()))
            .unwrap()
            .shell
    }

    #[test]
    fn shell_defaults_follow_the_course_cli() {
        let args = shell(&[]);
        assert_eq!(args.path, PathBuf::from("lsm.db"));
        let options = args.options();
        assert_eq!(options.block_size, 4096);
        assert_eq!(options.memtable_size, 2 << 20);
        assert_eq!(options.target_sst_size, 2 << 20);
        assert_eq!(options.max_frozen_memtables, 3);
        assert!(options.enable_wal);
        assert_eq!(options.isolation, Isolation::Snapshot);
        assert_eq!(
            options.compaction,
            CompactionOptions::Leveled(LeveledOptions {
                level0_file_num_compaction_trigger: 2,
                max_levels: 4,
                base_level_size_mb: 128,
                level_size_multiplier: 2,
            })
        );
        options.validate().unwrap();
    }

    #[test]
    fn shell_flags() {
        let options = shell(&["--compaction", "tiered", "--no-wal", "--serializable"]).options();
        assert!(!options.enable_wal);
        assert_eq!(options.isolation, Isolation::Serializable);
        assert_eq!(
            options.compaction,
            CompactionOptions::Tiered(TieredOptions {
                num_tiers: 3,
                max_size_amplification_percent: 200,
                size_ratio: 1,
                min_merge_width: 2,
                max_merge_width: None,
            })
        );
        let simple = shell(&["--compaction", "simple", "--enable-wal"]).options();
        assert!(simple.enable_wal);
        assert_eq!(
            simple.compaction,
            CompactionOptions::Simple(SimpleOptions {
                size_ratio_percent: 200,
                level0_file_num_compaction_trigger: 2,
                max_levels: 4
            })
        );
        assert_eq!(
            shell(&["--compaction", "none"]).options().compaction,
            CompactionOptions::None
        );
        assert!(Wrapper::try_parse_from(["shell", "--enable-wal", "--no-wal"]).is_err());
        assert!(Wrapper::try_parse_from(["shell", "--compaction", "fancy"]).is_err());
    }

    #[test]
    fn every_strategy_validates() {
        for arg in [
            CompactionArg::Simple,
            CompactionArg::Leveled,
            CompactionArg::Tiered,
        ] {
            let course = Options {
                compaction: arg.course_options(),
                ..Options::default()
            };
            course.validate().unwrap();
            let engine = Options {
                compaction: arg.engine_options(),
                ..Options::default()
            };
            engine.validate().unwrap();
        }
    }
}
