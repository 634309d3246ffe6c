#!/usr/bin/env bash
# The service under load: events → tasks latency at a fixed rate, on loopback.
#
#   bench/service_load.sh [LINES] [RATE] [SECONDS]     (defaults 100000 1000 30)
#
# A synthetic operator of LINES lines is imported into a store; `weiwan serve` runs on
# 127.0.0.1 and weiwan-loadgen posts one event a request (a call to a competitor's service
# line, each about another line, so each raises a task) at RATE a second for SECONDS. The
# server answers after the event and its task are committed, so request latency is the
# event → task latency. The peer is the other backend: the same run on SQLite (embedded) and
# on PostgreSQL (127.0.0.1:5432, database `test`, a schema of its own). Prints Markdown rows.
#
# Needs release binaries: cargo build --release -p weiwan-cli -p weiwan-loadgen (or set
# WEIWAN_BIN and LOADGEN_BIN).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LINES=${1:-100000}
RATE=${2:-1000}
SECONDS_=${3:-30}
BIN=${WEIWAN_BIN:-${CARGO_TARGET_DIR:-$HERE/../target}/release/weiwan}
LOADGEN=${LOADGEN_BIN:-$(dirname "$BIN")/weiwan-loadgen}
WORK=${BENCH_DIR:-$HOME/.cache/weiwan-bench}/service
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PORT=${BENCH_PORT:-18080}

for binary in "$BIN" "$LOADGEN"; do
    [[ -x $binary ]] || { echo "no binary at $binary: cargo build --release -p weiwan-cli -p weiwan-loadgen" >&2; exit 1; }
done
rm -rf "$WORK" && mkdir -p "$WORK"
echo "generating $LINES lines ..." >&2
"$BIN" generate --subscribers "$LINES" --months 3 --seed 7 --format csv --out "$WORK/extract" >/dev/null

# run_backend NAME DB_URL: import, add the API client, serve, load, stop; prints a row.
run_backend() {
    local name=$1 db=$2 lake=$WORK/lake-$1
    "$BIN" import "$WORK/extract" --db "$db" --data-dir "$lake" >"$WORK/import-$name.log"
    "$BIN" user add --login billing --name 计费系统 --role api_client --db "$db" --data-dir "$lake" >/dev/null
    local token
    token=$("$BIN" user token --login billing --label load --db "$db" --data-dir "$lake")
    /usr/bin/time -f '%M' -o "$WORK/serve-$name.rss" \
        "$BIN" serve --bind "127.0.0.1:$PORT" --db "$db" --data-dir "$lake" >"$WORK/serve-$name.log" 2>&1 &
    local server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    "$LOADGEN" --url "http://127.0.0.1:$PORT" --token "$token" --subscriptions "$WORK/extract/subscriptions.csv" \
        --rate "$RATE" --seconds "$SECONDS_" --run-id "$name" >"$WORK/load-$name.json"
    # Graceful shutdown: SIGTERM to the server (the child of /usr/bin/time).
    pkill -TERM -P "$server" || true
    wait "$server" || true
    python3 - "$name" "$WORK/load-$name.json" "$WORK/serve-$name.rss" <<'EOF'
import json, sys
name, load, rss = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read().split()[-1]
print(f"| {name} | {load['target_rate']} | {load['achieved_rate']:.0f} | {load['ok']} | {load['failed']} | "
      f"{load['tasks_raised']} | {load['p50_ms']:.2f} | {load['p90_ms']:.2f} | {load['p99_ms']:.2f} | "
      f"{load['max_ms']:.1f} | {int(rss) // 1024} |")
EOF
}

schema=bench_service_load
psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $LINES lines imported; $RATE events/s for $SECONDS_ s; one task per event"
echo
echo "| store | target events/s | achieved | ok | failed | tasks raised | p50 ms | p90 ms | p99 ms | max ms | server peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run_backend sqlite "sqlite://$WORK/weiwan.db?mode=rwc"
run_backend postgres "$PG_URL?options=-c%20search_path%3D$schema"
