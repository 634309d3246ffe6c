#!/usr/bin/env bash
# Benchmarks the daily batch (`weiwan run`: the customer 360 table, every built-in tag and the
# fixed scenarios) and a target-group count, beside the pandas peer of the 360 table and tags
# (bench/pandas_360.py) in the same run, and prints Markdown for docs/benchmarks.md.
#
#   bench/batch.sh [SUBSCRIBERS] [MONTHS]      (defaults: 1000000 12)
#
# Generates a Parquet extract (seed 1, history ending 2026-10) and imports it into a fresh
# SQLite store and data directory (both timed too), then runs the batch as of 2026-11-01.
# The pandas peer runs when SUBSCRIBERS <= PANDAS_MAX (default 1000000); COMPARE=1 also checks
# that its output equals weiwan's (bench/compare_360.py). KEEP=1 keeps the work directory
# (it is large at 10M: about 12 GB).
set -euo pipefail

SUBSCRIBERS=${1:-1000000}
MONTHS=${2:-12}
AS_OF=2026-11-01
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$WORK/batch-$SUBSCRIBERS
if [[ ${KEEP:-0} != 1 ]]; then
    trap 'rm -rf "$RUN"' EXIT
fi
rm -rf "$RUN" && mkdir -p "$RUN"
DB="sqlite://$RUN/weiwan.db?mode=rwc"
LAKE=$RUN/lake

echo "## weiwan daily batch: ${SUBSCRIBERS} lines × ${MONTHS} months, as of $AS_OF"
echo
print_header
echo "- work directory: $RUN; free disk at start: $(df -h --output=avail "$WORK" | tail -n 1 | tr -d ' ')"
echo
echo "| step | wall (s) | peak RSS (MiB) | output on disk |"
echo "| --- | ---: | ---: | ---: |"

measure "\`weiwan generate --format parquet\`" "$WORK/logs/batch-generate.log" "$RUN/extract" -- \
    "$BIN" generate --subscribers "$SUBSCRIBERS" --months "$MONTHS" --seed 1 --out "$RUN/extract" --format parquet
measure "\`weiwan import\` (Parquet, SQLite store)" "$WORK/logs/batch-import.log" "$LAKE" -- \
    "$BIN" import "$RUN/extract" --db "$DB" --data-dir "$LAKE"
rm -rf "$RUN/extract"
measure "\`weiwan run --as-of $AS_OF\` (360 + tags + 7 scenarios, no churn model)" "$WORK/logs/batch-run.log" "$LAKE/tags" -- \
    "$BIN" run --as-of "$AS_OF" --db "$DB" --data-dir "$LAKE"
if ((SUBSCRIBERS <= ${PANDAS_MAX:-1000000})); then
    measure "pandas peer (\`bench/pandas_360.py\`): 360 + tags" "$WORK/logs/batch-pandas.log" "$RUN/pandas" -- \
        "$PYTHON" "$HERE/pandas_360.py" "$LAKE" --as-of "$AS_OF" --out "$RUN/pandas"
fi
CONDITIONS=(--where value_tier=diamond,gold,silver --where contract_days_left=0..90)
for attempt in first second; do
    measure "target-group count (\`weiwan segment preview\`, 2 conditions, $attempt run)" \
        "$WORK/logs/batch-count-$attempt.log" "$LAKE/tags" -- \
        "$BIN" segment preview --as-of "$AS_OF" "${CONDITIONS[@]}" --sample 0 --db "$DB" --data-dir "$LAKE"
done
measure "target-group count, ad-hoc SQL" "$WORK/logs/batch-count-sql.log" "$LAKE/tags" -- \
    "$BIN" segment preview --as-of "$AS_OF" --sample 0 --db "$DB" --data-dir "$LAKE" \
    --sql "SELECT subscription_id FROM customer_360 WHERE arpu_trend_3m < -0.3 AND complaints_90d > 0"

echo
echo "- batch stages (from the log):"
echo
echo '```text'
grep -E 'stage finished|^customer 360|^tags|^target group' "$WORK/logs/batch-run.log" || true
echo '```'
echo
echo "- the count's answer:"
echo
echo '```text'
head -n 3 "$WORK/logs/batch-count-second.log" | grep -v '^\s*$' || true
echo '```'
if [[ ${COMPARE:-0} == 1 && -d $RUN/pandas ]]; then
    echo
    if "$PYTHON" "$HERE/compare_360.py" "$LAKE/customer_360/as_of=$AS_OF.parquet" "$LAKE/tags/as_of=$AS_OF.parquet" \
        "$RUN/pandas" >"$WORK/logs/batch-compare.log" 2>&1; then
        echo "- pandas output equals weiwan's: $(tail -n 1 "$WORK/logs/batch-compare.log")"
    else
        echo "- **pandas output differs from weiwan's**: see $WORK/logs/batch-compare.log"
    fi
fi
echo
echo "Logs of every step: $WORK/logs/batch-*"
