"""The LightGBM peer of `weiwan churn train` and `weiwan churn score`.

  python lgbm_churn.py train TRAIN.csv MODEL.txt
  python lgbm_churn.py score MODEL.txt INPUT.csv OUT.csv [--reasons]

train: pandas reads the CSV (text columns as categories), LGBMClassifier with default
parameters fits every row. score: reads the file in chunks of 200,000 rows (as weiwan does),
writes id and probability and, with --reasons, the three features with the largest TreeSHAP
contribution (LightGBM's pred_contrib), like weiwan's reasons. Prints the AUC when the file
has the label.
"""

import sys

import lightgbm
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

LABEL, ID = "churned", "id"
CHUNK = 200_000


def features(frame, categories=None):
    x = frame.drop(columns=[c for c in (LABEL, ID) if c in frame.columns])
    for column in x.columns:
        if x[column].dtype == object:
            levels = categories[column] if categories else None
            x[column] = pd.Categorical(x[column], categories=levels)
    return x


def train(path, model_path):
    frame = pd.read_csv(path)
    x = features(frame)
    model = lightgbm.LGBMClassifier(verbose=-1)
    model.fit(x, frame[LABEL])
    model.booster_.save_model(model_path)


def score(model_path, path, out, with_reasons):
    booster = lightgbm.Booster(model_file=model_path)
    names = booster.feature_name()
    # pandas_categorical lists the levels of each categorical column, in column order.
    cat_columns = [n for n in names if n.startswith("c")]
    categories = dict(zip(cat_columns, booster.pandas_categorical or []))
    labels, probabilities = [], []
    with open(out, "w") as handle:
        handle.write("id,probability,reasons\n")
        for frame in pd.read_csv(path, chunksize=CHUNK):
            x = features(frame, categories)
            p = booster.predict(x)
            reasons = ""
            if with_reasons:
                contributions = booster.predict(x, pred_contrib=True)[:, :-1]
                top = np.argsort(-contributions, axis=1)[:, :3]
                reasons = [";".join(names[j] for j in row) for row in top]
            pd.DataFrame({"id": frame[ID], "probability": p, "reasons": reasons}).to_csv(
                handle, index=False, header=False, float_format="%.6f")
            if LABEL in frame.columns:
                labels.append(frame[LABEL].to_numpy())
                probabilities.append(p)
    if labels:
        print(f"AUC {roc_auc_score(np.concatenate(labels), np.concatenate(probabilities)):.4f}")


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3])
    else:
        score(sys.argv[2], sys.argv[3], sys.argv[4], "--reasons" in sys.argv[5:])
