#!/usr/bin/env bash
# Fuzz/run.sh SECONDS [libFuzzer options...]
#
# Builds the fuzzer and runs it for SECONDS (default 60) in one process,
# starting from the committed seeds and the corpus of earlier runs
# (Fuzz/corpus, not committed). Findings land in Fuzz/artifacts/; turn each
# into a regression test (Tests/WALCrashTests/FuzzRegressionTests.swift)
# before fixing it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${1:-60}"
shift || true
"$ROOT/Fuzz/build.sh"
mkdir -p "$ROOT/Fuzz/corpus" "$ROOT/Fuzz/artifacts"
cd "$ROOT/Fuzz"
exec nice -n 10 "$ROOT/Fuzz/.build/wal-fuzz" \
    -max_total_time="$DURATION" -max_len=8192 -timeout=20 -rss_limit_mb=4096 \
    -artifact_prefix="$ROOT/Fuzz/artifacts/" -print_final_stats=1 "$@" \
    "$ROOT/Fuzz/corpus" "$ROOT/Fuzz/seeds"
