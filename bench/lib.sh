# Shared by the benchmark scripts (sourced, not run): the binary, the work directory, the
# pandas venv, and `measure`, which times one step under /usr/bin/time and prints a Markdown row.
# Expects HERE (the bench directory) to be set by the sourcing script.

BIN=${WEIWAN_BIN:-${CARGO_TARGET_DIR:-$HERE/../target}/release/weiwan}
WORK=${BENCH_DIR:-$HOME/.cache/weiwan-bench}
VENV=$HOME/.cache/weiwan-bench-venv

if [[ ! -x $BIN ]]; then
    echo "no weiwan binary at $BIN: build it first (cargo build --release --workspace) or set WEIWAN_BIN" >&2
    exit 1
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "/usr/bin/time is missing (apt-get install time)" >&2
    exit 1
fi

# The pandas peers' environment, reinstalled when bench/requirements.txt changes.
if [[ ! -x $VENV/bin/python ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.txt"; then
    echo "setting up the pandas venv in $VENV ..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
    cp "$HERE/requirements.txt" "$VENV/requirements.txt"
fi
PYTHON=$VENV/bin/python

mkdir -p "$WORK/logs"
TIMES=$WORK/logs/time.txt

size() { du -sh "$1" | awk '{print $1}'; }
bytes() { du -sb "$1" | awk '{print $1}'; }

# measure LABEL LOG OUTPUT -- COMMAND...: runs COMMAND under /usr/bin/time and prints one
# Markdown row: step, wall seconds, peak RSS, size of OUTPUT (what the step wrote).
measure() {
    local label=$1 log=$2 output=$3
    [[ $4 == -- ]] || { echo "measure: expected -- before the command" >&2; exit 2; }
    shift 4
    local status=0
    /usr/bin/time -f '%e %M' -o "$TIMES" "$@" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        echo "step '$label' failed with status $status; the end of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    local seconds kib
    read -r seconds kib < <(tail -n 1 "$TIMES")
    printf '| %s | %s | %s | %s |\n' "$label" "$seconds" "$(awk -v k="$kib" 'BEGIN {printf "%.0f", k / 1024}')" \
        "$(size "$output")"
}


# The report's header: date, machine, load, binary.
print_header() {
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB memory ($(uname -m), $(uname -sr)); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- weiwan: $("$BIN" --version 2>/dev/null || echo unknown) at $BIN"
    echo "- pandas peer: $("$PYTHON" -c 'import sys, pandas, pyarrow; print(f"Python {sys.version.split()[0]}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}")')"
}
