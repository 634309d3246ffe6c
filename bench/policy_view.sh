#!/usr/bin/env bash
# The unified policy view under load: GET /api/v1/customers/{id}/policy-view at a fixed rate,
# on loopback, with about a million customers loaded.
#
#   bench/policy_view.sh [LINES] [RATE] [SECONDS]     (defaults 1320000 2000 30)
#
# A synthetic operator of LINES lines (1,320,000 lines are about 1,000,000 customers) is
# generated and imported; a churn model is trained on it and the daily batch of 2026-11-01
# scores and tags it; the built-in offer catalog is loaded. `weiwan serve` builds the policy
# index from the tagged 360 table at start; weiwan-loadgen then asks for one customer's view a
# request (each another customer, as a hotline agent, channel `hotline`) at RATE a second for
# SECONDS. The peer is the other backend: the same run on SQLite (embedded) and on PostgreSQL
# (127.0.0.1:5432, database `test`, a schema of its own). Prints Markdown rows.
#
# Needs release binaries: cargo build --release -p weiwan-cli -p weiwan-loadgen (or set
# WEIWAN_BIN and LOADGEN_BIN).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LINES=${1:-1320000}
RATE=${2:-2000}
SECONDS_=${3:-30}
BIN=${WEIWAN_BIN:-${CARGO_TARGET_DIR:-$HERE/../target}/release/weiwan}
LOADGEN=${LOADGEN_BIN:-$(dirname "$BIN")/weiwan-loadgen}
WORK=${BENCH_DIR:-$HOME/.cache/weiwan-bench}/policy
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PORT=${BENCH_PORT:-18081}
AS_OF=2026-11-01
export WEIWAN_PASSWORD=bench-password-1

for binary in "$BIN" "$LOADGEN"; do
    [[ -x $binary ]] || { echo "no binary at $binary: cargo build --release -p weiwan-cli -p weiwan-loadgen" >&2; exit 1; }
done
rm -rf "$WORK" && mkdir -p "$WORK"
echo "generating $LINES lines ..." >&2
"$BIN" generate --subscribers "$LINES" --months 12 --seed 7 --format csv --out "$WORK/extract" >/dev/null

# prepare NAME DB_URL LAKE [MODELS]: import, train the churn model (or copy the one trained
# for the other store: the same data gives the same model), run the daily batch, load the
# catalog and add the planner and the hotline agent the load signs in as.
prepare() {
    local name=$1 db=$2 lake=$3 models=${4:-}
    "$BIN" import "$WORK/extract" --db "$db" --data-dir "$lake" >"$WORK/import-$name.log"
    if [[ -n $models ]]; then
        mkdir -p "$lake/models" && cp -r "$models" "$lake/models/"
    else
        "$BIN" churn train-lake --as-of "$AS_OF" --db "$db" --data-dir "$lake" >"$WORK/train-$name.log"
    fi
    "$BIN" run --as-of "$AS_OF" --db "$db" --data-dir "$lake" >"$WORK/run-$name.log"
    "$BIN" user add --login planner --name 策划 --role planner --db "$db" --data-dir "$lake" >/dev/null
    "$BIN" user add --login agent --name 坐席 --role agent --db "$db" --data-dir "$lake" >/dev/null
    "$BIN" offer load --builtin --as planner --db "$db" --data-dir "$lake" >/dev/null
}

# run_backend NAME DB_URL LAKE: serve, wait for the index, load, stop; prints a row.
run_backend() {
    local name=$1 db=$2 lake=$3
    /usr/bin/time -f '%M' -o "$WORK/serve-$name.rss" \
        "$BIN" serve --bind "127.0.0.1:$PORT" --db "$db" --data-dir "$lake" >"$WORK/serve-$name.log" 2>&1 &
    local server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    local cookie token
    cookie=$(curl -fsi -H 'content-type: application/json' \
        -d "{\"login\":\"agent\",\"password\":\"$WEIWAN_PASSWORD\"}" "http://127.0.0.1:$PORT/api/v1/login" |
        tr -d '\r' | sed -n 's/^set-cookie: weiwan_session=\([^;]*\).*/\1/Ip')
    token=$cookie
    local started=$SECONDS
    until curl -fs -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/policy-index" >"$WORK/index-$name.json"; do
        (( SECONDS - started < 600 )) || { echo "no policy index after 600 s" >&2; cat "$WORK/serve-$name.log" >&2; exit 1; }
        sleep 1
    done
    local built=$((SECONDS - started))
    "$LOADGEN" --url "http://127.0.0.1:$PORT" --token "$token" --target policy-view --channel hotline \
        --subjects "$WORK/extract/customers.csv" --rate "$RATE" --seconds "$SECONDS_" >"$WORK/load-$name.json" || true
    pkill -TERM -P "$server" || true
    wait "$server" || true
    python3 - "$name" "$WORK/load-$name.json" "$WORK/serve-$name.rss" "$WORK/index-$name.json" "$built" <<'EOF'
import json, sys
name, load, rss, index, built = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read().split()[-1], json.load(open(sys.argv[4])), sys.argv[5]
print(f"| {name} | {index['customers']:,} | {built} | {load['target_rate']} | {load['achieved_rate']:.0f} | {load['ok']} | "
      f"{load['failed']} | {load['mean_body_bytes']} | {load['p50_ms']:.2f} | {load['p90_ms']:.2f} | {load['p99_ms']:.2f} | "
      f"{load['p999_ms']:.2f} | {load['max_ms']:.1f} | {int(rss) // 1024} |")
EOF
}

schema=bench_policy_view
psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
SQLITE="sqlite://$WORK/weiwan.db?mode=rwc"
PG="$PG_URL?options=-c%20search_path%3D$schema"
echo "preparing both stores: import, churn model, daily batch, catalog ..." >&2
prepare sqlite "$SQLITE" "$WORK/lake-sqlite"
prepare postgres "$PG" "$WORK/lake-postgres" "$WORK/lake-sqlite/models/churn"
customers=$(($(wc -l <"$WORK/extract/customers.csv") - 1))
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $LINES lines of $customers customers imported; $RATE views/s for $SECONDS_ s, each another customer, channel hotline"
echo
echo "| store | customers indexed | index ready after s | target views/s | achieved | ok | failed | mean body bytes | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run_backend sqlite "$SQLITE" "$WORK/lake-sqlite"
run_backend postgres "$PG" "$WORK/lake-postgres"
