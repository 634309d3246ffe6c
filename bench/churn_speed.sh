#!/usr/bin/env bash
# Churn model speed: training on TRAIN_ROWS rows × 60 features, scoring SCORE_ROWS rows
# (probabilities only, and weiwan with its nightly path reasons), and exact TreeSHAP reasons on
# the first REASON_ROWS of them, weiwan against LightGBM (Python, default parameters) in the
# same run.
# Prints Markdown rows: step, wall seconds, peak RSS (MiB), output size; then both sides' AUC
# on the scored file (its labels are drawn from a known risk, see churn_data.py).
#
#   bench/churn_speed.sh                 # 1M training rows, 10M scored rows
#   bench/churn_speed.sh 100000 1000000  # a quick run
#   REASON_ROWS=100000 (default) rows get exact TreeSHAP reasons on both sides
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

TRAIN_ROWS=${1:-1000000}
SCORE_ROWS=${2:-10000000}
DIR=$WORK/churn
mkdir -p "$DIR"
TRAIN=$DIR/train-$TRAIN_ROWS.csv
SCORE=$DIR/score-$SCORE_ROWS.csv
# The inputs depend only on size and seed; they are made once and kept.
[[ -s $TRAIN ]] || "$PYTHON" "$HERE/churn_data.py" "$TRAIN_ROWS" "$TRAIN" 1
[[ -s $SCORE ]] || "$PYTHON" "$HERE/churn_data.py" "$SCORE_ROWS" "$SCORE" 2

print_header
echo "- LightGBM peer: $("$PYTHON" -c 'import lightgbm; print("LightGBM", lightgbm.__version__)')"
echo "- inputs: $TRAIN ($(size "$TRAIN")), $SCORE ($(size "$SCORE"))"
echo
echo "| step | seconds | peak RSS (MiB) | output |"
echo "| --- | ---: | ---: | ---: |"
export WEIWAN_LOG=warn
measure "weiwan churn train ($TRAIN_ROWS rows)" "$DIR/weiwan-train.log" "$DIR/weiwan-model.json" -- \
    "$BIN" churn train --csv "$TRAIN" --label churned --id id --model "$DIR/weiwan-model.json"
measure "LightGBM train ($TRAIN_ROWS rows)" "$DIR/lgbm-train.log" "$DIR/lgbm-model.txt" -- \
    "$PYTHON" "$HERE/lgbm_churn.py" train "$TRAIN" "$DIR/lgbm-model.txt"
measure "weiwan churn score ($SCORE_ROWS rows, probabilities only)" "$DIR/weiwan-score.log" "$DIR/weiwan-scores.csv" -- \
    "$BIN" churn score --model "$DIR/weiwan-model.json" --csv "$SCORE" --out "$DIR/weiwan-scores.csv" --top 0
measure "LightGBM score ($SCORE_ROWS rows, probabilities only)" "$DIR/lgbm-score.log" "$DIR/lgbm-scores.csv" -- \
    "$PYTHON" "$HERE/lgbm_churn.py" score "$DIR/lgbm-model.txt" "$SCORE" "$DIR/lgbm-scores.csv"
measure "weiwan churn score ($SCORE_ROWS rows, 3 path reasons each)" "$DIR/weiwan-path.log" "$DIR/weiwan-path.csv" -- \
    "$BIN" churn score --model "$DIR/weiwan-model.json" --csv "$SCORE" --out "$DIR/weiwan-path.csv" --reasons path
REASON_ROWS=${REASON_ROWS:-100000}
REASONS=$DIR/reasons-$REASON_ROWS.csv
[[ -s $REASONS ]] || head -n $((REASON_ROWS + 1)) "$SCORE" > "$REASONS"
measure "weiwan churn score ($REASON_ROWS rows, 3 TreeSHAP reasons each)" "$DIR/weiwan-shap.log" "$DIR/weiwan-shap.csv" -- \
    "$BIN" churn score --model "$DIR/weiwan-model.json" --csv "$REASONS" --out "$DIR/weiwan-shap.csv" --reasons shapley
measure "LightGBM score ($REASON_ROWS rows, 3 TreeSHAP reasons each)" "$DIR/lgbm-shap.log" "$DIR/lgbm-shap.csv" -- \
    "$PYTHON" "$HERE/lgbm_churn.py" score "$DIR/lgbm-model.txt" "$REASONS" "$DIR/lgbm-shap.csv" --reasons
echo
grep -h "trained\|validation" "$DIR/weiwan-train.log" | sed 's/^/- weiwan: /'
"$PYTHON" - "$SCORE" "$DIR/weiwan-scores.csv" "$DIR/lgbm-scores.csv" <<'PY'
import sys
import pandas as pd
from sklearn.metrics import roc_auc_score
labels = pd.read_csv(sys.argv[1], usecols=["id", "churned"])
for name, path in (("weiwan", sys.argv[2]), ("LightGBM", sys.argv[3])):
    scores = pd.read_csv(path, usecols=["id", "probability"])
    joined = labels.merge(scores, on="id")
    assert len(joined) == len(labels), f"{name} scored {len(joined)} of {len(labels)} rows"
    print(f"- {name}: AUC {roc_auc_score(joined.churned, joined.probability):.4f} on the {len(joined):,} scored rows")
PY
