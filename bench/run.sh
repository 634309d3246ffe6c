#!/usr/bin/env bash
# Benchmarks `weiwan generate` and `weiwan import` against a pandas peer, in one run on one
# machine, and prints the results as a Markdown table for docs/benchmarks.md.
#
#   bench/run.sh [SUBSCRIBERS] [MONTHS]        (defaults: 1000000 12)
#
# Builds nothing: expects the release binary at $WEIWAN_BIN (default
# $CARGO_TARGET_DIR/release/weiwan, or target/release/weiwan in the repository). Works under $BENCH_DIR (default ~/.cache/weiwan-bench);
# the pandas peer runs in a venv at ~/.cache/weiwan-bench-venv, made from bench/requirements.txt
# when missing or when the requirements changed. Every step is timed with /usr/bin/time
# (wall seconds, peak resident memory) and starts from a clean output.
set -euo pipefail

SUBSCRIBERS=${1:-1000000}
MONTHS=${2:-12}
SEED=1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
CSV=$WORK/extract-csv
PARQUET=$WORK/extract-parquet

# Rows of a table as an import printed them ("  usage_monthly   12000000 rows").
rows_in() { awk -v t="$2" '$1 == t && $3 == "rows" {print $2}' "$1"; }

echo "## weiwan benchmark: ${SUBSCRIBERS} lines × ${MONTHS} months"
echo
print_header
echo "- work directory: $WORK (warm page cache: each step reads what the previous one wrote)"
echo
echo "| step | wall (s) | peak RSS (MiB) | output on disk |"
echo "| --- | ---: | ---: | ---: |"

rm -rf "$CSV"
measure "(a) \`weiwan generate --format csv\`" "$WORK/logs/a-generate-csv.log" "$CSV" -- \
    "$BIN" generate --subscribers "$SUBSCRIBERS" --months "$MONTHS" --seed "$SEED" --out "$CSV" --format csv

rm -rf "$PARQUET"
measure "(b) \`weiwan generate --format parquet\`" "$WORK/logs/b-generate-parquet.log" "$PARQUET" -- \
    "$BIN" generate --subscribers "$SUBSCRIBERS" --months "$MONTHS" --seed "$SEED" --out "$PARQUET" --format parquet

TARGET=$WORK/import-csv
rm -rf "$TARGET" && mkdir -p "$TARGET"
measure "(c) \`weiwan import\` of the CSV extract" "$WORK/logs/c-import-csv.log" "$TARGET" -- \
    "$BIN" import "$CSV" --db "$TARGET/weiwan.db" --data-dir "$TARGET/lake"

TARGET=$WORK/import-parquet
rm -rf "$TARGET" && mkdir -p "$TARGET"
measure "(d) \`weiwan import\` of the Parquet extract" "$WORK/logs/d-import-parquet.log" "$TARGET" -- \
    "$BIN" import "$PARQUET" --db "$TARGET/weiwan.db" --data-dir "$TARGET/lake"

TARGET=$WORK/import-pandas
rm -rf "$TARGET" && mkdir -p "$TARGET"
measure "(e) pandas peer (\`bench/pandas_import.py\`) on the CSV extract" "$WORK/logs/e-pandas-import.log" "$TARGET" -- \
    "$PYTHON" "$HERE/pandas_import.py" "$CSV" --db "$TARGET/weiwan.db" --data-dir "$TARGET/lake"

echo
echo "- extract size: CSV $(size "$CSV") ($(bytes "$CSV") bytes), Parquet $(size "$PARQUET") ($(bytes "$PARQUET") bytes)"
usage=$(rows_in "$WORK/logs/a-generate-csv.log" usage_monthly)
echo "- usage_monthly rows: ${usage:-?} (as generated; imported by (c) $(rows_in "$WORK/logs/c-import-csv.log" usage_monthly), (d) $(rows_in "$WORK/logs/d-import-parquet.log" usage_monthly), (e) $(rows_in "$WORK/logs/e-pandas-import.log" usage_monthly))"
echo "- what was generated:"
echo
echo '```text'
grep -E '^generated | rows$' "$WORK/logs/a-generate-csv.log" || true
echo '```'
# Every step must have seen the same rows; a difference is a bug worth a look before publishing.
for log in b-generate-parquet c-import-csv d-import-parquet e-pandas-import; do
    if ! diff -q <(grep ' rows$' "$WORK/logs/a-generate-csv.log") <(grep ' rows$' "$WORK/logs/$log.log") >/dev/null; then
        echo
        echo "**warning**: $log reports other row counts than a-generate-csv (see $WORK/logs)"
    fi
done
echo
echo "Logs of every step: $WORK/logs"
