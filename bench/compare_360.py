#!/usr/bin/env python3
"""Compares weiwan's batch output with the pandas peer's (bench/pandas_360.py).

    compare_360.py WEIWAN_360 WEIWAN_TAGS PANDAS_DIR

WEIWAN_360 and WEIWAN_TAGS are `LAKE/customer_360/as_of=DATE.parquet` and
`LAKE/tags/as_of=DATE.parquet`; PANDAS_DIR holds the peer's customer_360.parquet and
tags.parquet. Each pair must have the same columns in the same order and the same rows in the
same order (by subscription_id), with equal values: floats to 1e-9 relative, decimals by value
(whatever their precision and scale), strings whatever their Arrow string type, NULL equal to
NULL only. Prints what was compared; on any difference lists the first ones of every column and
exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SHOW = 5  # differences listed per column
RELATIVE = 1e-9


def kind(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or t == pa.string_view():
        return "string"
    if pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    return str(t)


def unequal(a: pa.ChunkedArray, b: pa.ChunkedArray) -> np.ndarray:
    """Where two columns of one kind differ (NULL equals NULL only)."""
    a_null = np.asarray(a.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    b_null = np.asarray(b.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    k = kind(a.type)
    if k == "float":
        x = a.to_numpy(zero_copy_only=False).astype(np.float64)
        y = b.to_numpy(zero_copy_only=False).astype(np.float64)
        with np.errstate(invalid="ignore"):
            close = (x == y) | (np.abs(x - y) <= RELATIVE * np.maximum(np.abs(x), np.abs(y)))
    else:
        if k == "string":
            a, b = a.cast(pa.string()), b.cast(pa.string())
        elif k == "decimal":
            scale = max(a.type.scale, b.type.scale)
            a, b = a.cast(pa.decimal128(38, scale)), b.cast(pa.decimal128(38, scale))
        elif k == "integer":
            a, b = a.cast(pa.int64()), b.cast(pa.int64())
        close = np.asarray(pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False), dtype=bool)
    both_null = a_null & b_null
    return ~(both_null | (~a_null & ~b_null & close))


def compare(label: str, weiwan_path: Path, pandas_path: Path) -> int:
    w = pq.read_table(weiwan_path)
    p = pq.read_table(pandas_path)
    problems = 0
    if w.column_names != p.column_names:
        only_w = [c for c in w.column_names if c not in p.column_names]
        only_p = [c for c in p.column_names if c not in w.column_names]
        print(f"{label}: the columns differ: only in weiwan {only_w}, only in pandas {only_p}"
              + ("" if only_w or only_p else f"; order weiwan {w.column_names} pandas {p.column_names}"))
        problems += 1
    if w.num_rows != p.num_rows:
        print(f"{label}: weiwan has {w.num_rows} rows, pandas {p.num_rows}")
        w_ids = set(w["subscription_id"].to_pylist())
        p_ids = set(p["subscription_id"].to_pylist())
        print(f"  only in weiwan: {sorted(w_ids - p_ids)[:SHOW]}, only in pandas: {sorted(p_ids - w_ids)[:SHOW]}")
        return problems + 1
    ids = w["subscription_id"].to_pylist() if "subscription_id" in w.column_names else list(range(w.num_rows))
    compared = 0
    for name in [c for c in w.column_names if c in p.column_names]:
        a, b = w[name], p[name]
        if kind(a.type) != kind(b.type):
            print(f"{label}.{name}: weiwan's type {a.type}, pandas' {b.type}")
            problems += 1
            continue
        if a.type != b.type and kind(a.type) not in ("string",):
            print(f"{label}.{name}: note: weiwan's type {a.type}, pandas' {b.type} (compared by value)")
        bad = np.flatnonzero(unequal(a, b))
        compared += 1
        if len(bad):
            problems += 1
            print(f"{label}.{name}: {len(bad)} of {w.num_rows} rows differ, the first:")
            for i in bad[:SHOW]:
                print(f"  row {i} ({ids[i]}): weiwan {a[int(i)].as_py()!r}, pandas {b[int(i)].as_py()!r}")
    verdict = "equal" if not problems else f"{problems} difference(s)"
    print(f"{label}: {w.num_rows} rows, {compared} of {w.num_columns} columns compared: {verdict}")
    return problems


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    weiwan_360, weiwan_tags, pandas_dir = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    problems = compare("customer_360", weiwan_360, pandas_dir / "customer_360.parquet")
    problems += compare("tags", weiwan_tags, pandas_dir / "tags.parquet")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
