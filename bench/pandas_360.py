#!/usr/bin/env python3
"""The pandas peer of `weiwan run` (the daily batch, first stage), for docs/benchmarks.md.

    pandas_360.py LAKE --as-of YYYY-MM-DD --out DIR [--tags FILE]

Does the work `weiwan run --as-of DATE` does, written the way a pandas user would write it
(whole-column operations, filters, groupby and joins; no per-row Python):

1. read: the lake's published versions, as `LAKE/manifest.json` lists them (oldest extract
   first). Entity tables (plans, customers, subscriptions, contracts) keep the row of the newest
   extract per key; history tables (usage_monthly, payments, events, points_ledger) are every
   version together. Only the columns the batch uses are read; a column an older version lacks
   (`usage_monthly.roaming_min`) reads as NULL there, as SQL over a widened schema would see it
   (weiwan itself currently refuses such a lake: the column is declared NOT NULL). Money is kept as
   integer fen, dates as days since 1970-01-01, timestamps as seconds, so sums are exact.
2. 360: the customer 360 table of crates/weiwan-analytics/sql/customer_360.sql, column for
   column, with its NULL semantics (a SUM over no rows is NULL, a trend is NULL when its base is
   not positive, ...) and its types (SUM of money is decimal(28,2), AVG of money decimal(22,6),
   truncated as DataFusion truncates it), one row per line activated before the date and not
   disconnected before it, sorted by subscription_id.
3. tags: the tag library (default crates/weiwan-analytics/tags/builtin.toml). There is no SQL
   interpreter here: every built-in tag is hand-translated into pandas, with the thresholds read
   from the file's [params], and SQL's three-valued logic (a comparison with NULL is NULL; CASE
   takes a NULL condition as false; NULL OR TRUE is TRUE). A tag the script does not know, or a
   known tag whose expression in the file is not the one translated here, is refused.
4. write: OUT/customer_360.parquet and OUT/tags.parquet (snappy, as weiwan writes them). Like
   weiwan's `tags/as_of=DATE.parquet`, tags.parquet is the tagged 360 table: every column of
   the 360 table, then one column per tag in the library's order.

Prints the row count and the seconds of each phase to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
import tomllib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BUILTIN_TAGS = HERE.parent / "crates" / "weiwan-analytics" / "tags" / "builtin.toml"
EPOCH = dt.date(1970, 1, 1)
DAY = 86_400

# ---------------------------------------------------------------------------------------------
# Reading the lake
# ---------------------------------------------------------------------------------------------

# The columns the batch reads, with how they are held in pandas: str (object), money (int64
# fen), date (int32 days since 1970-01-01), ts (int64 seconds), int (int64), bool.
READ: dict[str, dict[str, str]] = {
    "plans": {"plan_id": "str", "monthly_fee": "money", "payment_type": "str", "network": "str"},
    "customers": {
        "customer_id": "str", "branch_id": "str", "manager_id": "str", "vip_tier": "str",
        "group_id": "str", "is_key_person": "bool",
    },
    "subscriptions": {
        "subscription_id": "str", "customer_id": "str", "msisdn": "str", "plan_id": "str",
        "status": "str", "activated_on": "date", "contract_end": "date", "device_since": "date",
        "family_group_id": "str", "disconnected_on": "date",
    },
    "contracts": {
        "contract_id": "str", "subscription_id": "str", "starts_on": "date", "ends_on": "date",
        "status": "str",
    },
    "usage_monthly": {
        "subscription_id": "str", "month": "date", "arpu": "money", "mou": "int", "data_mb": "int",
        "sms": "int", "competitor_calls": "int", "recharge": "money", "balance": "money",
        "arrears": "money", "complaints": "int", "roaming_min": "int",
    },
    "payments": {"subscription_id": "str", "paid_at": "ts", "channel": "str"},
    "events": {"subscription_id": "str", "occurred_at": "ts", "event_type": "str"},
    "points_ledger": {
        "customer_id": "str", "occurred_on": "date", "kind": "str", "points": "int", "expires_on": "date",
    },
}
ENTITY_KEYS = {"plans": "plan_id", "customers": "customer_id", "subscriptions": "subscription_id",
               "contracts": "contract_id"}
ARROW_IN = {"str": pa.string(), "money": pa.decimal128(18, 2), "date": pa.date32(),
            "ts": pa.timestamp("s"), "int": pa.int64(), "bool": pa.bool_()}
NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype(), pa.bool_(): pd.BooleanDtype()}.get
HUNDRED = pa.scalar(100, pa.decimal128(3, 0))


def held(column: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    """A lake column as the batch holds it: money as fen, dates as days, timestamps as seconds."""
    column = column.cast(ARROW_IN[kind])
    if kind == "money":  # x.yz * 100 has no fraction left, so the cast to int64 is exact
        return pc.multiply(column, HUNDRED).cast(pa.int64())
    if kind == "date":
        return column.cast(pa.int32())
    if kind == "ts":
        return column.cast(pa.int64())
    return column


def read_table(lake: Path, files: list[str], name: str) -> pd.DataFrame:
    columns = READ[name]
    parts = []
    for version, relative in enumerate(files):
        path = lake / relative
        present = set(pq.read_schema(path).names)
        table = pq.read_table(path, columns=[c for c in columns if c in present])
        missing = lambda k: pa.chunked_array([pa.nulls(table.num_rows, ARROW_IN[k])])  # noqa: E731
        arrays = {c: held(table[c] if c in present else missing(k), k) for c, k in columns.items()}
        if name in ENTITY_KEYS and len(files) > 1:
            arrays["version"] = pa.chunked_array([pa.array(np.full(table.num_rows, version, np.int32))])
        parts.append(pa.table(arrays))
    if not parts:  # a table no extract delivered: empty, as weiwan registers it
        parts.append(pa.table({c: held(pa.chunked_array([], ARROW_IN[k]), k) for c, k in columns.items()}))
    table = pa.concat_tables(parts)
    # Nullable integer and boolean columns become pandas' masked dtypes; the rest numpy.
    frame = pd.DataFrame({
        c: table[c].to_pandas(types_mapper=NULLABLE) if table[c].null_count else table[c].to_pandas()
        for c in table.column_names
    })
    if "version" in frame:
        # Several versions of an entity table: the newest extract's row of each key wins.
        frame = frame.sort_values("version", kind="stable").drop_duplicates(ENTITY_KEYS[name], keep="last")
        frame = frame.drop(columns="version").reset_index(drop=True)
    return frame


def read_lake(lake: Path) -> dict[str, pd.DataFrame]:
    manifest = json.loads((lake / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != 1:
        raise SystemExit(f"{lake}/manifest.json has format {manifest.get('format')}, expected 1")
    files: dict[str, list[str]] = {name: [] for name in READ}
    for extract in manifest["extracts"]:  # oldest first
        for t in extract["tables"]:
            if t["table"] in files:
                files[t["table"]].append(t["path"])
    return {name: read_table(lake, paths, name) for name, paths in files.items()}


# ---------------------------------------------------------------------------------------------
# The customer 360 table (crates/weiwan-analytics/sql/customer_360.sql)
# ---------------------------------------------------------------------------------------------


class Dates:
    """The SQL's placeholders (batch.rs, customer_360_sql), as day numbers."""

    def __init__(self, as_of: dt.date):
        def back(d: dt.date, months: int) -> dt.date:
            index = d.year * 12 + d.month - 1 - months
            return dt.date(index // 12, index % 12 + 1, 1)

        m1 = back(as_of.replace(day=1), 1)
        days = lambda d: (d - EPOCH).days  # noqa: E731
        self.as_of_date = as_of
        self.as_of = days(as_of)
        self.m1, self.m3, self.m4, self.m6, self.m12 = (days(back(m1, k)) for k in (0, 2, 3, 5, 11))
        self.d90 = self.as_of - 90
        self.plus90 = self.as_of + 90


def is_true(x) -> np.ndarray:
    """SQL's "the condition holds": NULL counts as false (WHERE, CASE WHEN, COUNT(CASE ...))."""
    if isinstance(x, pd.Series):
        x = x.array
    if isinstance(x, pd.arrays.BooleanArray):
        return x.to_numpy(dtype=bool, na_value=False)
    return np.asarray(x, dtype=bool)


def nullable(values: np.ndarray, null: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(null, 0, values).astype(np.int64), null.copy())


def avg_decimal(total: np.ndarray, n: np.ndarray, extra_scale: int = 4) -> pd.arrays.IntegerArray:
    """DataFusion's AVG of a decimal(p, s): decimal(p+4, s+4), the sum scaled up and divided
    by the count, truncated toward zero; NULL over no rows."""
    scaled = total * 10**extra_scale
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.abs(scaled) // np.maximum(n, 1) * np.sign(scaled)
    return nullable(q, n == 0)


def to_float(a, scale: int = 0) -> np.ndarray:
    """CAST(x AS DOUBLE) of an integer or decimal (unscaled, `scale`) column; NULL as NaN."""
    if isinstance(a, pd.Series):
        a = a.array
    if isinstance(a, pd.arrays.IntegerArray):
        out = a.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = np.asarray(a, dtype=np.float64)
    return out / 10.0**scale if scale else out


def usage_features(u: pd.DataFrame, d: Dates) -> pd.DataFrame:
    """The `usage` CTE: per line, sums and counts over the months of each window."""
    month = u["month"].to_numpy()
    u = u[(month >= d.m12) & (month <= d.m1)]
    month = u["month"].to_numpy()
    # roaming_min is NULL where an older lake version lacks the column: NULL > 0 is not true.
    u = u.assign(roamed=is_true(u["roaming_min"] > 0),
                 zero_usage=(u["mou"] == 0) & (u["data_mb"] == 0) & (u["sms"] == 0))
    lines = u["subscription_id"]

    def window(mask, columns: list[str]) -> pd.DataFrame:
        """SUM of the columns over the line's rows in the window (NULL when it has none:
        `rows` is 0 after the join) and the number of those rows."""
        g = u.loc[mask, columns].groupby(lines[mask], sort=False)
        sums = g.sum(min_count=1) if columns else pd.DataFrame(index=g.size().index)
        return sums.assign(rows=g.size())

    every = u[["arpu"]].groupby(lines, sort=False).sum().assign(rows=lines.groupby(lines, sort=False).size())
    last = window(month == d.m1, ["arpu", "mou", "data_mb", "competitor_calls", "balance", "arrears"])
    r3 = window(month >= d.m3, ["arpu", "mou", "data_mb", "sms", "roaming_min", "competitor_calls", "recharge",
                                "complaints", "roamed", "zero_usage"])
    prev3 = window((month >= d.m4) & (month < d.m1), ["arpu"])
    before3 = window((month >= d.m6) & (month < d.m3), ["arpu", "mou", "data_mb"])
    r6 = window(month >= d.m6, ["arpu"])
    index = every.index

    def col(frame: pd.DataFrame, name: str) -> pd.arrays.IntegerArray:
        """A window's column over every line with usage: NULL where the line has no row in it."""
        return pd.array(frame[name].reindex(index), dtype="Int64")

    def rows(frame: pd.DataFrame) -> np.ndarray:
        return frame["rows"].reindex(index).fillna(0).to_numpy(np.int64)

    def avg_double(frame: pd.DataFrame, name: str) -> np.ndarray:
        """AVG(CAST(x AS DOUBLE)): the sum over the count, NULL (NaN) over no rows."""
        return col(frame, name).to_numpy(dtype=np.float64, na_value=np.nan) / rows(frame)

    def avg_money(frame: pd.DataFrame) -> pd.arrays.IntegerArray:
        return avg_decimal(col(frame, "arpu").to_numpy(dtype=np.int64, na_value=0), rows(frame))

    def coalesce0(frame: pd.DataFrame, name: str) -> np.ndarray:
        return col(frame, name).to_numpy(dtype=np.int64, na_value=0)

    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "arpu_last": col(last, "arpu"),  # fen
            "arpu_3m": avg_money(r3),  # millionths of a yuan: decimal(22, 6)
            "arpu_prev_3m": avg_money(prev3),
            "arpu_3m_before": avg_money(before3),
            "arpu_6m": avg_money(r6),
            "revenue_12m": pd.array(every["arpu"], dtype="Int64"),
            "mou_last": col(last, "mou"),
            "mou_3m": avg_double(r3, "mou"),
            "mou_3m_before": avg_double(before3, "mou"),
            "data_mb_last": col(last, "data_mb"),
            "data_mb_3m": avg_double(r3, "data_mb"),
            "data_mb_3m_before": avg_double(before3, "data_mb"),
            "sms_3m": col(r3, "sms"),
            "roaming_min_3m": col(r3, "roaming_min"),
            "roaming_months_3m": pd.array(coalesce0(r3, "roamed"), dtype="Int64"),
            "competitor_calls_last": col(last, "competitor_calls"),
            "competitor_calls_3m": col(r3, "competitor_calls"),
            "recharge_3m": col(r3, "recharge"),
            "balance_last": col(last, "balance"),
            "arrears_last": col(last, "arrears"),
            "complaints_3m": col(r3, "complaints"),
            "zero_usage_months_3m": pd.array(coalesce0(r3, "zero_usage"), dtype="Int64"),
            "usage_months": pd.array(rows(r6), dtype="Int64"),
            "usage_months_12m": pd.array(every["rows"], dtype="Int64"),
        }, index=index)
    # Integers are Int64 so that they stay integers through the LEFT JOIN: a line without
    # usage gets NULL (NA), not a float NaN.
    return out


EVENT_COUNTS = {
    "complaints_90d": "complaint",
    "competitor_service_calls_90d": "competitor_service_call",
    "porting_inquiries_90d": "porting_inquiry",
    "disconnection_requests_90d": "disconnection_request",
    "call_forwarding_90d": "call_forwarding_set",
}


def event_features(e: pd.DataFrame, d: Dates) -> tuple[pd.DataFrame, pd.Series]:
    at = e["occurred_at"].to_numpy()
    before = at < d.as_of * DAY
    window = e[before & (at >= d.d90 * DAY)]
    kind = window["event_type"].to_numpy()
    counts = pd.DataFrame({name: kind == code for name, code in EVENT_COUNTS.items()}).groupby(
        window["subscription_id"].to_numpy(), sort=False).sum()
    arrears = e[before & (e["event_type"].to_numpy() == "arrears")]
    last_arrears_at = arrears.groupby("subscription_id", sort=False)["occurred_at"].max()
    return counts.astype("Int64"), last_arrears_at.rename("last_arrears_at").astype("Int64")


def points_features(p: pd.DataFrame, d: Dates) -> pd.DataFrame:
    p = p[p["occurred_on"] < d.as_of]
    points = p["points"].to_numpy()
    earn = p["kind"].to_numpy() == "earn"
    expires = p["expires_on"]
    expiring = earn & is_true((expires >= d.as_of) & (expires < d.plus90))
    return pd.DataFrame({
        "points_balance": np.where(earn, points, -points),
        "points_expiring_90d": np.where(expiring, points, 0),
    }).groupby(p["customer_id"].to_numpy(), sort=False).sum().astype("Int64")


def preferred_channel(pay: pd.DataFrame, d: Dates) -> pd.Series:
    at = pay["paid_at"].to_numpy()
    pay = pay[(at >= d.m6 * DAY) & (at < d.as_of * DAY)]
    counts = pay.groupby(["subscription_id", "channel"], sort=False)["paid_at"].agg(["size", "max"]).reset_index()
    # ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY payments DESC, latest DESC, channel) = 1
    best = counts.sort_values(["size", "max", "channel"], ascending=[False, False, True], kind="stable")
    best = best.drop_duplicates("subscription_id", keep="first")
    return best.set_index("subscription_id")["channel"].rename("preferred_payment_channel")


def active_contracts(c: pd.DataFrame, d: Dates) -> pd.Series:
    live = (c["starts_on"] < d.as_of) & (c["ends_on"] >= d.as_of) & c["status"].isin(["active", "renewed"])
    return c[live.to_numpy()].groupby("subscription_id", sort=False).size().rename("active_contracts").astype("Int64")


def months_since(days, as_of: int) -> pd.arrays.IntegerArray:
    """CAST((as_of_days - day) / 30.4375 AS BIGINT): float division, truncated toward zero."""
    x = to_float(days)
    null = np.isnan(x)
    months = np.trunc((as_of - np.where(null, as_of, x)) / 30.4375)
    return nullable(months.astype(np.int64), null)


def build_360(data: dict[str, pd.DataFrame], d: Dates) -> pd.DataFrame:
    s = data["subscriptions"]
    disconnected = s["disconnected_on"]
    live = (s["activated_on"].to_numpy() < d.as_of) & (
        np.asarray(pd.isna(disconnected)) | is_true(disconnected >= d.as_of))
    t = s[live]
    t = t.merge(data["customers"], on="customer_id", how="inner", suffixes=("", "_customer"))
    t = t.merge(data["plans"], on="plan_id", how="inner")
    counts, last_arrears_at = event_features(data["events"], d)
    t = (t.join(usage_features(data["usage_monthly"], d), on="subscription_id")
          .join(counts, on="subscription_id")
          .join(last_arrears_at, on="subscription_id")
          .join(points_features(data["points_ledger"], d), on="customer_id")
          .join(active_contracts(data["contracts"], d), on="subscription_id")
          .join(preferred_channel(data["payments"], d), on="subscription_id"))
    t = t.sort_values("subscription_id", kind="stable").reset_index(drop=True)

    def int_column(name: str) -> pd.arrays.IntegerArray:
        """A nullable int64 column after the LEFT JOIN (missing rows are NULL)."""
        return t[name].array

    def coalesce0(name: str) -> np.ndarray:
        return int_column(name).to_numpy(dtype=np.int64, na_value=0)

    arpu_last = int_column("arpu_last")  # fen
    arpu_3m = int_column("arpu_3m")  # decimal(22, 6) unscaled
    arpu_prev_3m = int_column("arpu_prev_3m")
    arpu_3m_before = int_column("arpu_3m_before")
    arrears_last = int_column("arrears_last")
    f_arpu_last = to_float(arpu_last, 2)
    f_arpu_3m, f_prev, f_before = (to_float(a, 6) for a in (arpu_3m, arpu_prev_3m, arpu_3m_before))
    contract_end = t["contract_end"]
    contract_null = np.asarray(pd.isna(contract_end))
    arrears_at = int_column("last_arrears_at")

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f_before != 0, f_arpu_3m / f_before - 1, np.nan)  # NULLIF(.., 0); NULL stays NULL
        trend = np.minimum(np.maximum(np.where(np.isnan(ratio), 0.0, ratio), -0.5), 0.5)
        projected = np.where(np.isnan(f_arpu_3m), 0.0, f_arpu_3m * 12 * (1 + trend))
        arpu_trend_3m = np.where(f_prev > 0, f_arpu_last / f_prev - 1, np.nan)
        arpu_trend_6m = np.where(f_before > 0, f_arpu_3m / f_before - 1, np.nan)
        mou_3m, mou_before = t["mou_3m"].to_numpy(np.float64), t["mou_3m_before"].to_numpy(np.float64)
        data_3m, data_before = t["data_mb_3m"].to_numpy(np.float64), t["data_mb_3m_before"].to_numpy(np.float64)
        mou_trend_6m = np.where(mou_before > 0, mou_3m / mou_before - 1, np.nan)
        data_trend_6m = np.where(data_before > 0, data_3m / data_before - 1, np.nan)
    # CASE WHEN arrears_last > 0 AND last_arrears_at IS NOT NULL THEN as_of - the date of it ELSE 0
    with_arrears = is_true(arrears_last > 0) & ~np.asarray(arrears_at.isna())
    arrears_days = np.where(with_arrears, d.as_of - arrears_at.to_numpy(dtype=np.int64, na_value=0) // DAY, 0)

    return pd.DataFrame({
        "subscription_id": t["subscription_id"],
        "customer_id": t["customer_id"],
        "msisdn": t["msisdn"],
        "branch_id": t["branch_id"],
        "manager_id": t["manager_id"],
        "vip_tier": t["vip_tier"],
        "group_id": t["group_id"],
        "is_key_person": t["is_key_person"],
        "is_group_member": t["group_id"].notna(),
        "family_group_id": t["family_group_id"],
        "in_family_plan": t["family_group_id"].notna(),
        "plan_id": t["plan_id"],
        "plan_fee": t["monthly_fee"],
        "payment_type": t["payment_type"],
        "network": t["network"],
        "status": t["status"],
        "activated_on": t["activated_on"],
        "tenure_months": months_since(t["activated_on"], d.as_of),
        "contract_end": contract_end,
        "contract_days_left": nullable(np.where(contract_null, 0, to_float(contract_end)).astype(np.int64) - d.as_of,
                                       contract_null),
        "device_age_months": months_since(t["device_since"], d.as_of),
        "usage_months": coalesce0("usage_months"),
        "arpu_last": arpu_last,
        "arpu_3m": arpu_3m,
        "arpu_6m": int_column("arpu_6m"),
        "revenue_12m": coalesce0("revenue_12m"),
        "usage_months_12m": coalesce0("usage_months_12m"),
        "projected_revenue_12m": projected,
        "arpu_trend_3m": arpu_trend_3m,
        "arpu_trend_6m": arpu_trend_6m,
        "mou_last": int_column("mou_last"),
        "mou_3m": mou_3m,
        "mou_trend_6m": mou_trend_6m,
        "data_mb_last": int_column("data_mb_last"),
        "data_mb_3m": data_3m,
        "data_trend_6m": data_trend_6m,
        "sms_3m": int_column("sms_3m"),
        "roaming_min_3m": coalesce0("roaming_min_3m"),
        "roaming_months_3m": coalesce0("roaming_months_3m"),
        "recharge_3m": int_column("recharge_3m"),
        "balance_last": int_column("balance_last"),
        "arrears_last": arrears_last,
        "arrears_days": arrears_days.astype(np.int64),
        "complaints_3m": coalesce0("complaints_3m"),
        "complaints_90d": coalesce0("complaints_90d"),
        "competitor_calls_last": int_column("competitor_calls_last"),
        "competitor_calls_3m": int_column("competitor_calls_3m"),
        "competitor_service_calls_90d": coalesce0("competitor_service_calls_90d"),
        "porting_inquiries_90d": coalesce0("porting_inquiries_90d"),
        "disconnection_requests_90d": coalesce0("disconnection_requests_90d"),
        "call_forwarding_90d": coalesce0("call_forwarding_90d"),
        "zero_usage_months_3m": coalesce0("zero_usage_months_3m"),
        "points_balance": coalesce0("points_balance"),
        "points_expiring_90d": coalesce0("points_expiring_90d"),
        "active_contracts": coalesce0("active_contracts"),
        "preferred_payment_channel": t["preferred_payment_channel"],
    })


# The 360 table's columns in Parquet, as DataFusion types them. A decimal column is held in
# pandas as its unscaled integer (money as fen, AVG of money in millionths).
OUT_360: list[tuple[str, pa.DataType]] = [
    ("subscription_id", pa.string()), ("customer_id", pa.string()), ("msisdn", pa.string()),
    ("branch_id", pa.string()), ("manager_id", pa.string()), ("vip_tier", pa.string()),
    ("group_id", pa.string()), ("is_key_person", pa.bool_()), ("is_group_member", pa.bool_()),
    ("family_group_id", pa.string()), ("in_family_plan", pa.bool_()), ("plan_id", pa.string()),
    ("plan_fee", pa.decimal128(18, 2)), ("payment_type", pa.string()), ("network", pa.string()),
    ("status", pa.string()), ("activated_on", pa.date32()), ("tenure_months", pa.int64()),
    ("contract_end", pa.date32()), ("contract_days_left", pa.int64()), ("device_age_months", pa.int64()),
    ("usage_months", pa.int64()), ("arpu_last", pa.decimal128(28, 2)), ("arpu_3m", pa.decimal128(22, 6)),
    ("arpu_6m", pa.decimal128(22, 6)), ("revenue_12m", pa.decimal128(28, 2)), ("usage_months_12m", pa.int64()),
    ("projected_revenue_12m", pa.float64()), ("arpu_trend_3m", pa.float64()), ("arpu_trend_6m", pa.float64()),
    ("mou_last", pa.int64()), ("mou_3m", pa.float64()), ("mou_trend_6m", pa.float64()),
    ("data_mb_last", pa.int64()), ("data_mb_3m", pa.float64()), ("data_trend_6m", pa.float64()),
    ("sms_3m", pa.int64()), ("roaming_min_3m", pa.int64()), ("roaming_months_3m", pa.int64()),
    ("recharge_3m", pa.decimal128(28, 2)), ("balance_last", pa.decimal128(28, 2)),
    ("arrears_last", pa.decimal128(28, 2)), ("arrears_days", pa.int64()), ("complaints_3m", pa.int64()),
    ("complaints_90d", pa.int64()), ("competitor_calls_last", pa.int64()), ("competitor_calls_3m", pa.int64()),
    ("competitor_service_calls_90d", pa.int64()), ("porting_inquiries_90d", pa.int64()),
    ("disconnection_requests_90d", pa.int64()), ("call_forwarding_90d", pa.int64()),
    ("zero_usage_months_3m", pa.int64()), ("points_balance", pa.int64()), ("points_expiring_90d", pa.int64()),
    ("active_contracts", pa.int64()), ("preferred_payment_channel", pa.string()), ("as_of", pa.date32()),
]


def decimal_array(unscaled, type_: pa.Decimal128Type) -> pa.Array:
    """decimal128 straight from unscaled int64 values: 128-bit little-endian words."""
    a = pd.array(unscaled, dtype="Int64")
    values = a.to_numpy(dtype=np.int64, na_value=0)
    null = np.asarray(a.isna())
    words = np.empty(2 * len(values), np.int64)
    words[0::2] = values
    words[1::2] = values >> 63
    validity = pa.array(~null).buffers()[1] if null.any() else None
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(words)], null_count=int(null.sum()))


def arrow_360(frame: pd.DataFrame, d: Dates) -> pa.Table:
    arrays = []
    for name, type_ in OUT_360:
        if name == "as_of":
            arrays.append(pa.array(np.full(len(frame), d.as_of, np.int32)).cast(pa.date32()))
        elif pa.types.is_decimal(type_):
            arrays.append(decimal_array(frame[name], type_))
        elif pa.types.is_date32(type_):
            arrays.append(pa.array(frame[name], pa.int32(), from_pandas=True).cast(pa.date32()))
        else:
            arrays.append(pa.array(frame[name], type_, from_pandas=True))  # a float NaN is NULL
    return pa.Table.from_arrays(arrays, schema=pa.schema([pa.field(n, t) for n, t in OUT_360]))


# ---------------------------------------------------------------------------------------------
# The tag library, hand-translated
# ---------------------------------------------------------------------------------------------


def sql_cmp(column, op: str, value, scale: int | None = None) -> pd.arrays.BooleanArray:
    """`column <op> value` with SQL's NULL: NULL (NaN for floats, NA for integers) gives NULL.
    A decimal column (held unscaled at `scale`) is compared exactly with the number."""
    if isinstance(column, pd.Series):
        column = column.array
    if isinstance(column, pd.arrays.IntegerArray):
        null = np.asarray(column.isna())
        values = column.to_numpy(dtype=np.int64, na_value=0)
    else:
        values = np.asarray(column)
        null = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
    if scale is not None:
        exact = Fraction(str(value)) * 10**scale  # the literal's decimal value, in the column's units
        if op == "=":
            value = int(exact) if exact.denominator == 1 else None
            if value is None:
                return pd.arrays.BooleanArray(np.zeros(len(values), bool), null)
        else:
            value = {">=": math.ceil(exact), ">": math.floor(exact), "<=": math.floor(exact),
                     "<": math.ceil(exact)}[op]
    with np.errstate(invalid="ignore"):
        result = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less,
                  "=": np.equal}[op](values, value)
    return pd.arrays.BooleanArray(np.asarray(result, dtype=bool) & ~null, null)


def case(frame: pd.DataFrame, whens: list[tuple[object, str]], otherwise: str) -> pd.Series:
    """CASE WHEN ... THEN ... ELSE ... END: the first condition that is TRUE; NULL is not."""
    return pd.Series(np.select([is_true(c) for c, _ in whens], [v for _, v in whens], otherwise),
                     index=frame.index, dtype=object)


def value_tier(f, p):
    vip = is_true(f["payment_type"] == "postpaid") & is_true(sql_cmp(f["tenure_months"], ">=", p["vip_min_tenure_months"]))
    arpu = lambda name: sql_cmp(f["arpu_3m"], ">=", p[name], scale=6)  # noqa: E731
    return case(f, [(vip & is_true(arpu("diamond_arpu")), "diamond"), (vip & is_true(arpu("gold_arpu")), "gold"),
                    (vip & is_true(arpu("silver_arpu")), "silver"), (arpu("member_arpu"), "member")], "mass")


def value_level(f, p):
    return case(f, [(sql_cmp(f["arpu_3m"], ">=", p["high_value_arpu"], scale=6), "high"),
                    (sql_cmp(f["arpu_3m"], ">=", p["mid_value_arpu"], scale=6), "mid")], "low")


def lifecycle_stage(f, p):
    decline = sql_cmp(f["arpu_trend_6m"], "<", -0.2) | sql_cmp(f["zero_usage_months_3m"], ">=", 2)
    return case(f, [(sql_cmp(f["tenure_months"], "<", 6), "onboarding"), (decline, "decline"),
                    (sql_cmp(f["tenure_months"], "<", 24), "growth")], "maturity")


def contract_stage(f, p):
    left = f["contract_days_left"]
    return case(f, [(left.isna(), "none"), (sql_cmp(left, "<", 0), "lapsed"), (sql_cmp(left, "<=", 30), "expiring_30"),
                    (sql_cmp(left, "<=", 60), "expiring_60"), (sql_cmp(left, "<=", 90), "expiring_90")], "running")


def channel_preference(f, p):
    return f["preferred_payment_channel"].fillna("none")


def data_heavy(f, p):
    return pd.Series(sql_cmp(f["data_mb_3m"], ">=", p["data_heavy_mb"]).fillna(False), index=f.index)


def roaming(f, p):
    return pd.Series(sql_cmp(f["roaming_months_3m"], ">=", p["roaming_months"])
                     | sql_cmp(f["roaming_min_3m"], ">=", p["roaming_minutes"]), index=f.index)


def clv(f, p, names):
    historical = sql_cmp(f["revenue_12m"], ">=", p["clv_historical_high"], scale=2)
    potential = sql_cmp(f["projected_revenue_12m"], ">=", p["clv_potential_high"])
    return case(f, [(historical & potential, names[0]), (historical, names[1]), (potential, names[2])], names[3])


def dormant(f, p):
    number_keep = pd.arrays.BooleanArray((f["status"] == "number_keep").to_numpy(), np.zeros(len(f), bool))
    return pd.Series(sql_cmp(f["zero_usage_months_3m"], ">=", 2) | number_keep, index=f.index)


def group_key_person(f, p):
    return pd.Series(pd.array(f["is_key_person"], dtype="boolean").fillna(False), index=f.index)


# name -> (the expression translated, exactly as in builtin.toml up to whitespace; the pandas)
TAGS = {
    "value_tier": ("""CASE
  WHEN payment_type = 'postpaid' AND tenure_months >= {vip_min_tenure_months} AND arpu_3m >= {diamond_arpu} THEN 'diamond'
  WHEN payment_type = 'postpaid' AND tenure_months >= {vip_min_tenure_months} AND arpu_3m >= {gold_arpu} THEN 'gold'
  WHEN payment_type = 'postpaid' AND tenure_months >= {vip_min_tenure_months} AND arpu_3m >= {silver_arpu} THEN 'silver'
  WHEN arpu_3m >= {member_arpu} THEN 'member'
  ELSE 'mass'
END""", value_tier),
    "value_level": ("CASE WHEN arpu_3m >= {high_value_arpu} THEN 'high' WHEN arpu_3m >= {mid_value_arpu} THEN 'mid' "
                    "ELSE 'low' END", value_level),
    "lifecycle_stage": ("""CASE
  WHEN tenure_months < 6 THEN 'onboarding'
  WHEN arpu_trend_6m < -0.2 OR zero_usage_months_3m >= 2 THEN 'decline'
  WHEN tenure_months < 24 THEN 'growth'
  ELSE 'maturity'
END""", lifecycle_stage),
    "contract_stage": ("""CASE
  WHEN contract_days_left IS NULL THEN 'none'
  WHEN contract_days_left < 0 THEN 'lapsed'
  WHEN contract_days_left <= 30 THEN 'expiring_30'
  WHEN contract_days_left <= 60 THEN 'expiring_60'
  WHEN contract_days_left <= 90 THEN 'expiring_90'
  ELSE 'running'
END""", contract_stage),
    "channel_preference": ("COALESCE(preferred_payment_channel, 'none')", channel_preference),
    "data_heavy": ("COALESCE(data_mb_3m >= {data_heavy_mb}, false)", data_heavy),
    "roaming": ("roaming_months_3m >= {roaming_months} OR roaming_min_3m >= {roaming_minutes}", roaming),
    "clv_quadrant": ("""CASE
  WHEN revenue_12m >= {clv_historical_high} AND projected_revenue_12m >= {clv_potential_high} THEN 'high_high'
  WHEN revenue_12m >= {clv_historical_high} THEN 'high_low'
  WHEN projected_revenue_12m >= {clv_potential_high} THEN 'low_high'
  ELSE 'low_low'
END""", lambda f, p: clv(f, p, ("high_high", "high_low", "low_high", "low_low"))),
    "clv_strategy": ("""CASE
  WHEN revenue_12m >= {clv_historical_high} AND projected_revenue_12m >= {clv_potential_high} THEN 'keep'
  WHEN revenue_12m >= {clv_historical_high} THEN 'grow'
  WHEN projected_revenue_12m >= {clv_potential_high} THEN 'develop'
  ELSE 'reduce_cost'
END""", lambda f, p: clv(f, p, ("keep", "grow", "develop", "reduce_cost"))),
    "dormant": ("zero_usage_months_3m >= 2 OR status = 'number_keep'", dormant),
    "group_key_person": ("COALESCE(is_key_person, false)", group_key_person),
}


def squeeze(text: str) -> str:
    return " ".join(text.split())


def load_library(path: Path):
    """The tags of a library file, in its order, with the parameters they use; refuses what
    this script cannot evaluate as weiwan would."""
    try:
        library = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SystemExit(f"cannot read the tag library {path}: {error}")
    params = library.get("params", {})
    problems, tags = [], []
    for tag in library.get("tag", []):
        name, expr = tag.get("name"), tag.get("expr", "")
        if name not in TAGS:
            problems.append(f"tag {name}: not one of the tags this script implements ({', '.join(TAGS)})")
            continue
        if squeeze(expr) != squeeze(TAGS[name][0]):
            problems.append(f"tag {name}: the expression differs from the one this script implements "
                            f"(only [params] may change): {squeeze(expr)!r}")
            continue
        used = {}
        for part in expr.split("{")[1:]:
            param = part.split("}")[0]
            value = params.get(param)
            if value is None:
                problems.append(f"tag {name}: unknown parameter {{{param}}}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append(f"tag {name}: parameter {param} = {value!r} is not a number")
            else:
                used[param] = value
        tags.append((name, TAGS[name][1], used))
    if not tags and not problems:
        problems.append("the library has no [[tag]]")
    if problems:
        raise SystemExit(f"tag library {path} refused:\n  " + "\n  ".join(problems))
    return tags


def evaluate_tags(frame: pd.DataFrame, tags) -> pd.DataFrame:
    """One column per tag, in the library's order."""
    return pd.DataFrame({name: evaluate(frame, params) for name, evaluate, params in tags}, index=frame.index)


def arrow_tagged(table_360: pa.Table, tags: pd.DataFrame) -> pa.Table:
    """The tagged 360 table: the 360 columns, then the tags (text or boolean)."""
    for name in tags.columns:
        column = tags[name]
        type_ = pa.bool_() if isinstance(column.dtype, pd.BooleanDtype) or column.dtype == bool else pa.string()
        table_360 = table_360.append_column(name, pa.array(column, type_, from_pandas=True))
    return table_360


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lake", type=Path, help="weiwan data directory (holds manifest.json)")
    parser.add_argument("--as-of", required=True, help="the batch date, YYYY-MM-DD")
    parser.add_argument("--out", required=True, type=Path, help="directory for customer_360.parquet and tags.parquet")
    parser.add_argument("--tags", type=Path, default=BUILTIN_TAGS, help=f"tag library (default {BUILTIN_TAGS})")
    args = parser.parse_args()
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        print(f"--as-of {args.as_of!r} is not a date YYYY-MM-DD", file=sys.stderr)
        return 2
    if not (args.lake / "manifest.json").is_file():
        print(f"{args.lake} holds no manifest.json: not a weiwan data directory with an import", file=sys.stderr)
        return 2
    tags = load_library(args.tags)  # refuse a library before doing any work
    d = Dates(as_of)

    def phase(name: str, start: float) -> float:
        now = time.perf_counter()
        print(f"{name:<6} {now - start:8.2f} s", file=sys.stderr)
        return now

    start = t0 = time.perf_counter()
    data = read_lake(args.lake)
    t0 = phase("read", t0)
    frame = build_360(data, d)
    del data
    t0 = phase("360", t0)
    values = evaluate_tags(frame, tags)
    t0 = phase("tags", t0)
    args.out.mkdir(parents=True, exist_ok=True)
    table_360 = arrow_360(frame, d)
    pq.write_table(table_360, args.out / "customer_360.parquet", compression="snappy", row_group_size=1 << 20)
    pq.write_table(arrow_tagged(table_360, values), args.out / "tags.parquet", compression="snappy",
                   row_group_size=1 << 20)
    phase("write", t0)
    print(f"rows   {len(frame)}", file=sys.stderr)
    print(f"total  {time.perf_counter() - start:8.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
