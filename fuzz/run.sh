#!/bin/sh
# Runs one fuzz target for SECONDS (default 300) on one core, then prints its final stats.
# Usage (from the repository root or fuzz/): fuzz/run.sh TARGET [SECONDS]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); works on a stable toolchain through
# RUSTC_BOOTSTRAP=1 and without a sanitizer (-s none). New inputs go to fuzz/corpus/TARGET
# (not committed); the committed seeds in fuzz/seeds/TARGET are read too; a crash is saved
# in fuzz/artifacts/TARGET/.
set -eu
target=$1
seconds=${2:-300}
cd "$(dirname "$0")"
mkdir -p "corpus/$target"
# With CARGO_TARGET_DIR set, build under $CARGO_TARGET_DIR/fuzz (else fuzz/target).
RUSTC_BOOTSTRAP=1 cargo fuzz run -s none ${CARGO_TARGET_DIR:+--target-dir "$CARGO_TARGET_DIR/fuzz"} "$target" "corpus/$target" "seeds/$target" -- \
  -max_total_time="$seconds" -jobs=1 -workers=1 -print_final_stats=1
cp fuzz-0.log "fuzz-$target.log"
grep -E '^stat::|^==|panicked|Done' "fuzz-$target.log" || true
echo "corpus/$target: $(ls "corpus/$target" | wc -l) files"
