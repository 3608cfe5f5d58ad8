#!/usr/bin/env bash
# Profiles a release binary of this workspace with `perf record -g` and prints the hottest symbols.
# If `inferno-flamegraph` (cargo install inferno) is on PATH, also writes flamegraph.svg.
#
#   scripts/profile.sh [binary] [args...]
#   scripts/profile.sh synthetic_stages 60000 300      # the engine's synthetic tick (default)
#
# Release builds keep line-level debug info (`[profile.release] debug = 1`), so symbols have names.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-synthetic_stages}"
shift || true
[ $# -eq 0 ] && [ "$bin" = synthetic_stages ] && set -- 60000 300

command -v perf >/dev/null || { echo "profile.sh: perf is not installed (Debian: linux-perf)" >&2; exit 1; }
cargo build --release --bin "$bin"
out="target/profile-$bin.perf"
perf record -F 999 -g -o "$out" "target/release/$bin" "$@"
perf report -i "$out" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -25
if command -v inferno-collapse-perf >/dev/null && command -v inferno-flamegraph >/dev/null; then
    perf script -i "$out" | inferno-collapse-perf | inferno-flamegraph > flamegraph.svg
    echo "profile.sh: wrote flamegraph.svg"
fi
