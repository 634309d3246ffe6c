#!/usr/bin/env bash
# Generates a 10-million-line operator (12 months, Parquet) under /usr/bin/time and reports wall
# time, peak resident memory and the size of what was written, to show that `weiwan generate`
# streams: its peak memory stays far below the size of the data.
#
#   bench/generate_10m.sh                  (KEEP=1 keeps the output; by default it is removed)
#
# Builds nothing: expects the release binary at $WEIWAN_BIN (default
# $CARGO_TARGET_DIR/release/weiwan, or target/release/weiwan in the repository). Writes under $BENCH_DIR (default ~/.cache/weiwan-bench).
# SUBSCRIBERS and MONTHS may be set in the environment to try the script at a smaller size.
set -euo pipefail

SUBSCRIBERS=${SUBSCRIBERS:-10000000}
MONTHS=${MONTHS:-12}
SEED=1
HERE=${HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
BIN=${WEIWAN_BIN:-${CARGO_TARGET_DIR:-$HERE/../target}/release/weiwan}
WORK=${BENCH_DIR:-$HOME/.cache/weiwan-bench}
OUT=$WORK/extract-${SUBSCRIBERS}-parquet

if [[ ! -x $BIN ]]; then
    echo "no weiwan binary at $BIN: build it first (cargo build --release -p weiwan-cli) or set WEIWAN_BIN" >&2
    exit 1
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "/usr/bin/time is missing (apt-get install time)" >&2
    exit 1
fi

mkdir -p "$WORK/logs"
LOG=$WORK/logs/generate-${SUBSCRIBERS}.log
TIMES=$WORK/logs/generate-${SUBSCRIBERS}.time
# The output is large: it goes when the script ends, however it ends, unless KEEP=1.
if [[ ${KEEP:-0} != 1 ]]; then
    trap 'rm -rf "$OUT"' EXIT
fi
rm -rf "$OUT"

echo "## weiwan generate: ${SUBSCRIBERS} lines × ${MONTHS} months, Parquet"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB memory ($(uname -m), $(uname -sr)); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- weiwan: $("$BIN" --version 2>/dev/null || echo unknown) at $BIN"
echo "- free disk under $WORK at start: $(df -h --output=avail "$WORK" | tail -n 1 | tr -d ' ')"
echo
echo "| step | wall (s) | peak RSS (MiB) | output on disk |"
echo "| --- | ---: | ---: | ---: |"

status=0
/usr/bin/time -f '%e %M' -o "$TIMES" \
    "$BIN" generate --subscribers "$SUBSCRIBERS" --months "$MONTHS" --seed "$SEED" --out "$OUT" --format parquet \
    >"$LOG" 2>&1 || status=$?
if ((status != 0)); then
    echo "weiwan generate failed with status $status; the end of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
fi
read -r seconds kib < <(tail -n 1 "$TIMES")
out_bytes=$(du -sb "$OUT" | awk '{print $1}')
printf '| `weiwan generate --subscribers %s --months %s --format parquet` | %s | %s | %s |\n' \
    "$SUBSCRIBERS" "$MONTHS" "$seconds" "$(awk -v k="$kib" 'BEGIN {printf "%.0f", k / 1024}')" "$(du -sh "$OUT" | awk '{print $1}')"
echo
echo "- output: $out_bytes bytes in $(find "$OUT" -type f | wc -l) files; peak RSS: $((kib * 1024)) bytes; output / peak RSS = $(awk -v o="$out_bytes" -v r="$((kib * 1024))" 'BEGIN {printf "%.2f", o / r}')"
echo "- files:"
echo
echo '```text'
(cd "$OUT" && du -h -- *) | sort -k2
echo '```'
if [[ ${KEEP:-0} == 1 ]]; then
    echo
    echo "Kept in $OUT (KEEP=1)."
fi
