#!/bin/sh
# Runs one fuzz target as the figures in README.md were measured, then folds what it found into
# the kept corpus, minimized by edge coverage (`cargo fuzz cmin` is libFuzzer's -merge=1; with
# counters off the kept corpus is a quarter of the size):
#   fuzz/run.sh TARGET [RUNS] [SECONDS]      (defaults: 10000000 runs, at most 3600 s)
# Build first with `cargo +nightly fuzz build -O -a -s none` (set SKIP_BUILD=1 to run what is built).
# New inputs go to a scratch folder (target/found/TARGET), crashes to artifacts/TARGET/.
set -eu
cd "$(dirname "$0")"
target=$1
runs=${2:-10000000}
seconds=${3:-3600}
case $target in
    changes_feed) dict=-dict=dicts/json.dict ;;
    ics_import | ics_export) dict=-dict=dicts/ics.dict ;;
    config_file | sla_policy | tokens_file) dict=-dict=dicts/toml.dict ;;
    *) dict= ;;
esac
[ -n "${SKIP_BUILD:-}" ] || cargo +nightly fuzz build -O -a -s none "$target"
bin=target/x86_64-unknown-linux-gnu/release/$target
found=target/found/$target
mkdir -p "$found" "artifacts/$target"
nice -n 10 "$bin" -runs="$runs" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 $dict \
    -print_final_stats=1 -artifact_prefix="artifacts/$target/" "$found" "corpus/$target"
old=target/cmin/$target
rm -rf "$old" && mkdir -p "$old" && mv "corpus/$target"/* "$old"/ && cp "$found"/* "$old"/ 2>/dev/null || true
nice -n 10 "$bin" -merge=1 -use_counters=0 -max_len=8192 -timeout=10 "corpus/$target" "$old"
# A crash fixed since stays as regress-*, whether or not it adds coverage.
cp "$old"/regress-* "corpus/$target/" 2>/dev/null || true
