#!/usr/bin/env bash
# Model quality on every public churn set in ../shared/data: weiwan's cross-validated AUC and
# top-decile lift beside LightGBM (default parameters) on the same folds, in the same run.
# Prints the Markdown table that docs/model-quality.md records.
#
#   bench/model_quality.sh              # uses target/release/weiwan, or set WEIWAN_BIN
#   SHARED_DATA=/path/to/data bench/model_quality.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

SHARED=${SHARED_DATA:-$HERE/../../shared/data}
if [[ ! -d $SHARED/ibm-telco-churn ]]; then
    echo "no public data at $SHARED: set SHARED_DATA to the shared data directory" >&2
    exit 1
fi
print_header
echo "- LightGBM peer: $("$PYTHON" -c 'import lightgbm; print("LightGBM", lightgbm.__version__)')"
echo
WEIWAN_LOG=warn "$PYTHON" "$HERE/model_quality.py" "$BIN" "$SHARED" "$WORK/model-quality"
