"""A synthetic churn table for the training and scoring benchmarks: ROWS rows × 60 features
(50 numeric, some missing; 10 text with 3 to 40 levels), an id and a 0/1 label `churned` drawn
from a non-linear risk with interactions (about 28% positive). Written in chunks, so ten
million rows need little memory. The same seed gives the same file.

Usage: python churn_data.py ROWS OUT.csv SEED
"""

import sys

import numpy as np
import pandas as pd

CHUNK = 500_000


def chunk(rng, start, rows):
    frame = {"id": np.arange(start, start + rows)}
    numeric = rng.normal(size=(rows, 50))
    numeric[:, 10:20] = np.exp(numeric[:, 10:20])          # skewed, like minutes and yuan
    numeric[:, 20:25] = np.round(np.abs(numeric[:, 20:25]) * 3)  # counts
    for j in range(50):
        column = numeric[:, j]
        if j % 7 == 3:
            column[rng.random(rows) < 0.05] = np.nan
        frame[f"x{j:02d}"] = column
    levels = [3, 4, 5, 6, 8, 10, 12, 20, 30, 40]
    codes = []
    for j, n in enumerate(levels):
        code = rng.integers(0, n, size=rows)
        codes.append(code)
        frame[f"c{j}"] = np.char.add(f"k{j}_", code.astype(str))
    x = numeric
    x0 = np.nan_to_num(x[:, 0])
    risk = (
        -2.4
        + 0.8 * x0
        - 0.6 * x[:, 1]
        + 0.5 * x[:, 2] * x[:, 5]
        + 0.7 * (np.log(x[:, 10]) > 1.0)
        + 0.3 * x[:, 20]
        - 0.5 * np.tanh(x[:, 30])
        + 0.6 * (codes[0] == 1)
        + 0.4 * (codes[7] % 4 == 0)
        + 0.3 * np.sin(2 * x[:, 40])
    )
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(int)
    return pd.DataFrame(frame)


def main():
    rows, out, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(seed)
    written = 0
    with open(out, "w") as handle:
        while written < rows:
            n = min(CHUNK, rows - written)
            chunk(rng, written, n).to_csv(handle, index=False, header=written == 0, float_format="%.5g")
            written += n


if __name__ == "__main__":
    main()
