"""Model quality on the public churn sets: weiwan against LightGBM on the same folds.

For every set in ../shared/data this runs `weiwan churn evaluate` (gradient-boosted trees and
the naive Bayes baseline) with --predictions-out, reads the fold of every row from that file,
and trains LightGBM (Python, default parameters) on exactly the same folds. Both sides' AUC and
top-decile lift are computed here with the same code (scikit-learn's roc_auc_score), per fold,
then averaged. Prints a Markdown table (and writes JSON next to it) for docs/model-quality.md.

Usage: python model_quality.py WEIWAN_BIN SHARED_DATA_DIR WORK_DIR
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import roc_auc_score

FOLDS = 5
SEED = 42

# name, file (under the shared data dir), label, id column, columns to exclude, published figure
SETS = [
    ("ibm-telco-churn", "ibm-telco-churn/Telco-Customer-Churn.csv", "Churn", "customerID", [],
     "AUC 0.843–0.861 (RF/GBM/XGBoost/CatBoost/LightGBM), lift ≈ 2.9–3.0 (arXiv 2507.08860)"),
    ("cell2cell", "cell2cell/cell2celltrain.csv.gz", "Churn", "CustomerID", [],
     "Neslin et al. 2006: judged by lift and Gini; tournament entries' top-decile lift ≈ 1.7–3.0"),
    ("bigml-telecom-churn", "bigml-telecom-churn/churn-in-telecom-3333.csv", "churn ", "phone number", [],
     "accuracy ≈ 97%, F1 > 0.84 (Vafeiadis et al. 2015); no AUC published"),
    ("iranian-churn", "iranian-churn/Customer_Churn.csv", "Churn", None, [],
     "none found (deduplicated: 2,850 unique rows of 3,150)"),
]

MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"]


def lift(y, p):
    order = np.argsort(-p, kind="stable")
    top = max(1, int(np.ceil(len(y) / 10)))
    return y[order[:top]].mean() / y.mean()


def label_values(series):
    lower = series.astype(str).str.strip().str.lower()
    for positive, negative in [("yes", "no"), ("true", "false"), ("1", "0"), ("1.0", "0.0")]:
        if set(lower.unique()) <= {positive, negative}:
            return (lower == positive).astype(int).to_numpy()
    raise ValueError(f"unknown label values {lower.unique()[:5]}")


def prepare(frame):
    """What a careful analyst hands LightGBM: text columns that are numbers become numbers,
    other text becomes pandas categories (LightGBM's native categorical handling)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            stripped = frame[column].astype(str).str.strip()
            present = ~stripped.isin(MISSING) & frame[column].notna()
            numeric = pd.to_numeric(stripped.where(present), errors="coerce")
            if present.sum() and numeric[present].notna().mean() >= 0.95:
                frame[column] = numeric
            else:
                frame[column] = frame[column].astype("category")
    return frame


def run_weiwan(binary, csv, label, id_column, exclude, algorithm, work, name):
    predictions = work / f"{name}-{algorithm}-oof.csv"
    command = [binary, "churn", "evaluate", "--csv", str(csv), "--label", label, "--folds", str(FOLDS),
               "--seed", str(SEED), "--format", "json", "--algorithm", algorithm,
               "--predictions-out", str(predictions)]
    if id_column:
        command += ["--id", id_column]
    if exclude:
        command += ["--exclude", ",".join(exclude)]
    started = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return json.loads(result.stdout), pd.read_csv(predictions), seconds


def per_fold(y, p, folds):
    aucs, lifts = [], []
    for fold in range(FOLDS):
        mask = folds == fold
        aucs.append(roc_auc_score(y[mask], p[mask]))
        lifts.append(lift(y[mask], p[mask]))
    return float(np.mean(aucs)), float(np.mean(lifts)), aucs


def main():
    binary, shared, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for name, file, label, id_column, exclude, published in SETS:
        source = shared / file
        raw = pd.read_csv(source, dtype=str, keep_default_na=False)
        if name == "iranian-churn":
            # 300 exact duplicate rows would sit in both training and test folds.
            raw = raw.drop_duplicates().reset_index(drop=True)
            source = work / "iranian-churn-dedup.csv"
            raw.to_csv(source, index=False)
        gbdt, oof, gbdt_seconds = run_weiwan(binary, source, label, id_column, exclude, "gbdt", work, name)
        bayes, bayes_oof, _ = run_weiwan(binary, source, label, id_column, exclude, "naive-bayes", work, name)

        y = label_values(raw[label])
        folds = oof.sort_values("row")["fold"].to_numpy()
        assert len(folds) == len(y), f"{name}: weiwan evaluated {len(folds)} rows, the file has {len(y)}"
        assert (oof.sort_values("row")["label"].to_numpy() == y).all(), f"{name}: labels disagree"
        weiwan_p = oof.sort_values("row")["probability"].to_numpy()
        bayes_p = bayes_oof.sort_values("row")["probability"].to_numpy()

        features = raw.drop(columns=[label] + ([id_column] if id_column else []) + exclude)
        features = prepare(features.replace({m: np.nan for m in MISSING}))
        lgbm_p = np.zeros(len(y))
        started = time.perf_counter()
        for fold in range(FOLDS):
            train, test = folds != fold, folds == fold
            model = lightgbm.LGBMClassifier(verbose=-1)
            model.fit(features[train], y[train])
            lgbm_p[test] = model.predict_proba(features[test])[:, 1]
        lgbm_seconds = time.perf_counter() - started

        w_auc, w_lift, w_folds = per_fold(y, weiwan_p, folds)
        l_auc, l_lift, l_folds = per_fold(y, lgbm_p, folds)
        b_auc, b_lift, _ = per_fold(y, bayes_p, folds)
        assert abs(w_auc - gbdt["auc"]) < 1e-6, f"{name}: weiwan's own AUC {gbdt['auc']} != {w_auc}"
        results.append({
            "set": name, "rows": len(y), "positive_rate": float(y.mean()),
            "weiwan_auc": w_auc, "lightgbm_auc": l_auc, "difference": w_auc - l_auc,
            "weiwan_lift": w_lift, "lightgbm_lift": l_lift,
            "naive_bayes_auc": b_auc, "naive_bayes_lift": b_lift,
            "weiwan_auc_by_fold": w_folds, "lightgbm_auc_by_fold": l_folds,
            "weiwan_log_loss": gbdt["log_loss"], "weiwan_brier": gbdt["brier"],
            "weiwan_seconds": gbdt_seconds, "lightgbm_seconds": lgbm_seconds,
            "published": published,
        })
        print(f"{name}: weiwan {w_auc:.4f} LightGBM {l_auc:.4f}", file=sys.stderr)

    (work / "model-quality.json").write_text(json.dumps(results, indent=2))
    print(f"LightGBM {lightgbm.__version__}, scikit-learn {sklearn.__version__}, pandas {pd.__version__}; "
          f"{FOLDS}-fold stratified, seed {SEED}, folds drawn by weiwan and shared.\n")
    print("| set | rows | churn rate | weiwan AUC | LightGBM AUC | Δ AUC | weiwan lift | LightGBM lift "
          "| naive Bayes AUC / lift | weiwan log loss / Brier | published |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        print(f"| {r['set']} | {r['rows']:,} | {r['positive_rate']:.1%} | **{r['weiwan_auc']:.4f}** "
              f"| {r['lightgbm_auc']:.4f} | {r['difference']:+.4f} | {r['weiwan_lift']:.2f} "
              f"| {r['lightgbm_lift']:.2f} | {r['naive_bayes_auc']:.4f} / {r['naive_bayes_lift']:.2f} "
              f"| {r['weiwan_log_loss']:.4f} / {r['weiwan_brier']:.4f} | {r['published']} |")
    worst = min(r["difference"] for r in results)
    print(f"\nWorst Δ AUC (weiwan − LightGBM): {worst:+.4f}; the bar is −0.005.")


if __name__ == "__main__":
    main()
