#!/usr/bin/env python3
"""The pandas peer of `weiwan import`, for docs/benchmarks.md.

    pandas_import.py DIR --db SQLITE_PATH --data-dir LAKE

Does the work `weiwan import` does on a CSV extract, written the way a pandas user would write
it (whole-column, vectorised operations; the only per-row Python is handing rows to sqlite3):

1. finds the files (`<table>.csv`, one per table of docs/data-model.md) and fingerprints them
   with SHA-256, as the Rust importer does;
2. validates every file whole: header (unknown, duplicated and missing required columns), UTF-8,
   field counts, every value by its column's type (ids, text length and control characters,
   MSISDNs, codes, dates, months, timestamps, money with at most two decimals, integers with
   bounds, booleans), duplicate keys, unique columns, the row rules, and foreign keys (including
   customers.group_id -> a customer whose kind is group);
3. on any problem prints `file, line N, column C: reason` lines (the first 50, in file and line
   order; line = row index + 2 for the header) to stderr and exits 1, writing nothing;
4. otherwise writes every table as Parquet (money decimal128(18,2), dates and months date32,
   timestamps timestamp[s]) under LAKE/<table>/part-0.parquet with a manifest.json (the Rust
   importer likewise keeps the entity files in its lake next to the history), and upserts the
   six entity tables into a fresh SQLite database (the schema of
   crates/weiwan-storage/migrations/sqlite, money as integer fen) in one transaction.

It imports into a fresh database and data directory only (what the benchmark measures): an
existing database file or lake manifest is refused. It reads CSV extracts only.

Messages follow the Rust importer's wording. Where the two could differ is in pathological
input only: the Rust importer accepts non-zero-padded timestamp fields (chrono's leniency)
while this peer holds them to the documented `YYYY-MM-DD HH:MM:SS`; a CSV that cannot be
tokenised (bad UTF-8, wrong field count) is reported record by record here too, but the rest of
that file's values are then not checked, and a record with more fields than the header is
refused here where the Rust reader ignores the extra fields.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

MAX_PROBLEMS = 50  # the Rust importer lists at most this many problems
FIRST_YEAR, LAST_YEAR = 1900, 2100
I64_MAX = np.iinfo(np.int64).max


# ---------------------------------------------------------------------------------------------
# The data model (docs/data-model.md, generated from crates/weiwan-domain/src/schema.rs)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str  # id, text, msisdn, code, date, month, timestamp, money, int, bool
    max_chars: int = 0
    codes: tuple[str, ...] = ()
    non_negative: bool = False
    min: int = 0
    max: int = 0


ID = Kind("id")
NAME = Kind("text", max_chars=64)
MSISDN = Kind("msisdn")
DATE = Kind("date")
MONTH = Kind("month")
TIMESTAMP = Kind("timestamp")
MONEY = Kind("money", non_negative=True)
SIGNED_MONEY = Kind("money", non_negative=False)
COUNT = Kind("int", min=0, max=1_000_000_000)
BOOL = Kind("bool")


def code(*codes: str) -> Kind:
    return Kind("code", codes=codes)


@dataclass(frozen=True)
class Col:
    name: str
    kind: Kind
    required: bool


def col(name: str, kind: Kind) -> Col:
    return Col(name, kind, True)


def opt(name: str, kind: Kind) -> Col:
    return Col(name, kind, False)


@dataclass(frozen=True)
class FK:
    column: str
    table: str
    where: tuple[str, str] | None = None  # the referenced row must have column = code


@dataclass(frozen=True)
class Table:
    name: str
    entity: bool
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    unique: tuple[str, ...] = ()
    fks: tuple[FK, ...] = ()
    period: str | None = None  # history tables: the column that dates a row

    def column(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


TABLES: tuple[Table, ...] = (
    Table(
        "branches", True,
        (col("branch_id", ID), col("name", NAME), col("city", NAME)),
        key=("branch_id",),
    ),
    Table(
        "managers", True,
        (
            col("manager_id", ID), col("name", NAME), col("branch_id", ID),
            col("role", code("account", "retention", "outbound")), opt("phone", MSISDN),
        ),
        key=("manager_id",), fks=(FK("branch_id", "branches"),),
    ),
    Table(
        "plans", True,
        (
            col("plan_id", ID), col("name", NAME), col("monthly_fee", MONEY),
            col("payment_type", code("prepaid", "postpaid")), col("network", code("4g", "5g")),
            col("data_mb", COUNT), col("voice_minutes", COUNT),
        ),
        key=("plan_id",),
    ),
    Table(
        "customers", True,
        (
            col("customer_id", ID), col("kind", code("individual", "group")), col("name", NAME),
            opt("id_number", ID), opt("birthday", DATE), col("branch_id", ID), opt("manager_id", ID),
            col("vip_tier", code("diamond", "gold", "silver", "member", "mass")), opt("group_id", ID),
            col("is_key_person", BOOL), col("joined_on", DATE),
        ),
        key=("customer_id",),
        fks=(
            FK("branch_id", "branches"), FK("manager_id", "managers"),
            FK("group_id", "customers", where=("kind", "group")),
        ),
    ),
    Table(
        "subscriptions", True,
        (
            col("subscription_id", ID), col("customer_id", ID), col("msisdn", MSISDN), col("plan_id", ID),
            col("status", code("active", "suspended", "arrears_suspended", "number_keep", "pre_disconnect", "disconnected")),
            col("activated_on", DATE), opt("contract_end", DATE), opt("device_model", NAME),
            opt("device_since", DATE), opt("family_group_id", ID), opt("disconnected_on", DATE),
        ),
        key=("subscription_id",), unique=("msisdn",),
        fks=(FK("customer_id", "customers"), FK("plan_id", "plans")),
    ),
    Table(
        "contracts", True,
        (
            col("contract_id", ID), col("subscription_id", ID),
            col("kind", code("points", "device", "service_pack", "family_plan")),
            col("starts_on", DATE), col("ends_on", DATE), opt("monthly_commitment", MONEY), opt("subsidy", MONEY),
            col("status", code("active", "ended", "renewed", "broken")),
        ),
        key=("contract_id",), fks=(FK("subscription_id", "subscriptions"),),
    ),
    Table(
        "usage_monthly", False,
        (
            col("subscription_id", ID), col("month", MONTH), col("arpu", MONEY), col("mou", COUNT),
            col("data_mb", COUNT), col("sms", COUNT), col("competitor_calls", COUNT), col("recharge", MONEY),
            col("balance", SIGNED_MONEY), col("arrears", MONEY), col("complaints", COUNT),
            col("roaming_min", COUNT),
        ),
        key=("subscription_id", "month"), fks=(FK("subscription_id", "subscriptions"),), period="month",
    ),
    Table(
        "payments", False,
        (
            col("payment_id", ID), col("subscription_id", ID), col("paid_at", TIMESTAMP), col("amount", SIGNED_MONEY),
            col("channel", code("store", "web_hall", "app", "bank", "auto_debit", "agent")),
        ),
        key=("payment_id",), fks=(FK("subscription_id", "subscriptions"),), period="paid_at",
    ),
    Table(
        "events", False,
        (
            col("event_id", ID), col("subscription_id", ID), col("occurred_at", TIMESTAMP),
            col("event_type", code(
                "suspension", "arrears", "call_forwarding_set", "competitor_service_call", "porting_inquiry",
                "disconnection_request", "plan_change", "complaint", "reactivation", "disconnection",
            )),
            opt("detail", Kind("text", max_chars=200)),
        ),
        key=("event_id",), fks=(FK("subscription_id", "subscriptions"),), period="occurred_at",
    ),
    Table(
        "points_ledger", False,
        (
            col("entry_id", ID), col("customer_id", ID), col("occurred_on", DATE),
            col("kind", code("earn", "redeem", "expire")), col("points", Kind("int", min=1, max=10_000_000)),
            opt("expires_on", DATE),
        ),
        key=("entry_id",), fks=(FK("customer_id", "customers"),), period="occurred_on",
    ),
)
BY_NAME = {t.name: t for t in TABLES}


# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------


def debug_str(value: str) -> str:
    """The value as Rust's `{:?}` shows a string."""
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def truncate(value: str) -> str:
    return value if len(value) <= 60 else value[:60] + "…"


def invalid(expected: str):
    return lambda v: f"{debug_str(truncate(v))} is not {expected}"


def not_allowed(allowed: str):
    return lambda v: f"{debug_str(v)} is not one of {allowed}"


def out_of_range(range_: str):
    return lambda v: f"{v} is out of range ({range_})"


@dataclass(order=True)
class Problem:
    file_order: int
    phase: int  # 0: while reading rows; 1: references checked after the file (as in Rust)
    line: int  # 0 for the whole file
    seq: int  # order of the checks within a row
    text: str = field(compare=False)


class Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.count = 0

    def file(self, order: int, file: str, reason: str, column: str | None = None) -> None:
        where = f", column {column}" if column else ""
        self.items.append(Problem(order, 0, 0, -1, f"{file}{where}: {reason}"))
        self.count += 1

    def rows(self, order, file, bad, column, values, message, seq, phase=0) -> None:
        """Adds one problem per True in `bad` (only the first ones are formatted: at most
        MAX_PROBLEMS are ever shown, in line order). `values` gives the offending text."""
        n_bad = int(np.count_nonzero(bad))
        if n_bad == 0:
            return
        self.count += n_bad
        index = np.flatnonzero(bad)[:MAX_PROBLEMS]
        texts = values(index)
        for i, text in zip(index.tolist(), texts):
            line = i + 2
            self.items.append(Problem(order, phase, line, seq, f"{file}, line {line}, column {column}: {message(text)}"))

    def report(self) -> str:
        shown = sorted(self.items)[:MAX_PROBLEMS]
        more = " (showing the first ones)" if self.count > len(shown) else ""
        lines = [f"extract refused, nothing was imported; {len(shown)} problem(s){more}:"]
        lines += [f"  {p.text}" for p in shown]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Parsing columns, vectorised
# ---------------------------------------------------------------------------------------------


def mask(series_bool) -> np.ndarray:
    return series_bool.to_numpy(dtype=bool, na_value=False)


def to_int64(s: pd.Series) -> np.ndarray:
    return s.astype("int64[pyarrow]").to_numpy(dtype=np.int64)


DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def valid_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    dim = DAYS_IN_MONTH[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)
    return month_ok & (d >= 1) & (d <= dim)


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def unscaled_words(decimals) -> tuple[np.ndarray, np.ndarray]:
    """The low and high 64-bit words of each decimal128's unscaled integer."""
    if isinstance(decimals, pa.ChunkedArray):
        decimals = decimals.combine_chunks()
    words = np.frombuffer(decimals.buffers()[1], dtype=np.int64)[2 * decimals.offset: 2 * (decimals.offset + len(decimals))]
    return words[0::2], words[1::2]


def exact_fen(text: str) -> int | None:
    """Money::parse for an already well-shaped text: fen if it fits in i64, else None."""
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    fen = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if fen > I64_MAX:
        return None
    return -fen if negative else fen


@dataclass
class Parsed:
    ok: np.ndarray  # the field is valid (an empty optional field is valid)
    null: np.ndarray  # the field is empty
    values: np.ndarray | None = None  # typed values where ok and not null (int64 / days / seconds / fen / bool)


def parse_column(c: Col, s: pd.Series | None, n: int, report) -> Parsed:
    """Validates one column; `report(bad_mask, message_fn)` records problems. Checks mirror
    ColumnKind::parse in crates/weiwan-domain/src/value.rs."""
    if s is None:  # an optional column the file leaves out
        return Parsed(ok=np.ones(n, bool), null=np.ones(n, bool))
    null = mask(s == "")
    ok = ~null if c.required else np.ones(n, bool)  # empty: refused if required, else no value
    if c.required:
        report(null, lambda v: "value is required but empty")
    todo = ~null  # non-empty fields still to check
    k = c.kind
    values = None

    if k.name == "id":
        good = mask(s.str.fullmatch(r"[A-Za-z0-9_.\-]{1,40}"))
        report(todo & ~good, invalid("an identifier of at most 40 letters, digits, '_', '-' or '.'"))
        ok &= good | null
    elif k.name == "text":
        control = mask(s.str.contains(r"[\x00-\x1f\x7f-\x9f]", regex=True))  # char::is_control
        report(todo & control, invalid("text without control characters"))
        too_long = mask(s.str.len() > k.max_chars) & ~control
        report(todo & too_long, out_of_range(f"at most {k.max_chars} characters"))
        ok &= (~control & ~too_long) | null
    elif k.name == "msisdn":
        good = mask(s.str.fullmatch(r"1[3-9][0-9]{9}"))
        report(todo & ~good, invalid("an 11-digit mobile number starting 13-19"))
        ok &= good | null
    elif k.name == "code":
        good = mask(s.isin(k.codes))
        report(todo & ~good, not_allowed(", ".join(k.codes)))
        ok &= good | null
    elif k.name == "bool":
        good = mask(s.isin(("true", "false")))
        report(todo & ~good, not_allowed("true, false"))
        ok &= good | null
        values = mask(s == "true")
    elif k.name in ("date", "month", "timestamp"):
        pattern, expected = {
            "date": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "a date YYYY-MM-DD"),
            "month": (r"[0-9]{4}-[0-9]{2}", "a month YYYY-MM"),
            "timestamp": (r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", "a timestamp YYYY-MM-DD HH:MM:SS"),
        }[k.name]
        shaped = todo & mask(s.str.fullmatch(pattern))
        # Fixed-width fields: slice them out of the well-shaped rows and check them as numbers.
        sub = s[shaped]
        y = to_int64(sub.str.slice(0, 4))
        m = to_int64(sub.str.slice(5, 7))
        d = to_int64(sub.str.slice(8, 10)) if k.name != "month" else np.ones(len(sub), np.int64)
        real = valid_civil(y, m, d)
        seconds = None
        if k.name == "timestamp":
            hh, mm, ss = (to_int64(sub.str.slice(a, a + 2)) for a in (11, 14, 17))
            real &= (hh <= 23) & (mm <= 59) & (ss <= 59)
            seconds = hh * 3600 + mm * 60 + ss
        in_years = (y >= FIRST_YEAR) & (y <= LAST_YEAR)
        good = np.zeros(n, bool)
        good[shaped] = real & in_years
        parseable = np.zeros(n, bool)
        parseable[shaped] = real
        report(todo & ~parseable, invalid(expected))
        report(parseable & ~good, out_of_range(f"years {FIRST_YEAR}..={LAST_YEAR}"))
        ok &= good | null
        days = days_from_civil(y, m, d)
        values = np.zeros(n, np.int64)
        values[shaped] = days * 86400 + seconds if seconds is not None else days
    elif k.name == "money":
        # Money::parse: optional '-', digits, optionally '.' and one or two digits, held exactly
        # as i64 fen. Arrow parses the well-shaped text as decimal128(38, 2), whose unscaled
        # integer is the amount in fen; it must fit in i64 (rare overlong texts, leading zeros
        # and all, go through the same rule in Python).
        shaped = todo & mask(s.str.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?"))
        short = shaped & (s.str.len().to_numpy() <= 30)
        values = np.zeros(n, np.int64)
        good = np.zeros(n, bool)
        if short.any():
            decimals = pc.cast(pa.array(s[short].array), pa.decimal128(38, 2))
            low, high = unscaled_words(decimals)
            good[short] = (high == (low >> 63)) & (low != np.iinfo(np.int64).min)
            values[short] = low
        for i in np.flatnonzero(shaped & ~short):
            fen = exact_fen(s.iat[i])
            good[i], values[i] = fen is not None, fen or 0
        report(todo & ~good, invalid("an amount in yuan with at most 2 decimals"))
        if k.non_negative:
            below = good & (values < 0)
            report(below, out_of_range(">= 0"))
            good &= ~below
        ok &= good | null
    elif k.name == "int":
        # A whole number (optional '-', digits) that fits in i64, within the column's bounds.
        shaped = todo & mask(s.str.fullmatch(r"-?[0-9]+"))
        short = shaped & (s.str.len().to_numpy() <= 18)
        values = np.zeros(n, np.int64)
        good = short.copy()
        values[short] = to_int64(s[short])
        for i in np.flatnonzero(shaped & ~short):
            number = int(s.iat[i])
            if -(2**63) <= number < 2**63:
                good[i] = True
                values[i] = number
        report(todo & ~good, invalid("a whole number"))
        outside = good & ((values < k.min) | (values > k.max))
        report(outside, out_of_range(f"{k.min}..={k.max}"))
        ok &= (good & ~outside) | null
    else:
        raise AssertionError(k)
    return Parsed(ok=ok, null=null, values=values)


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


@dataclass
class ExtractFile:
    table: Table
    path: Path


def discover(directory: Path, problems: Problems) -> list[ExtractFile]:
    found: dict[str, list[Path]] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        stem, _, extension = path.name.rpartition(".")
        if extension == "parquet" and stem in BY_NAME:
            print(f"pandas_import.py reads CSV extracts only; {path.name} is Parquet", file=sys.stderr)
            sys.exit(2)
        if extension != "csv" or stem not in BY_NAME:
            problems.file(-1, path.name, "not a file of the data model; expected <table>.csv or <table>.parquet "
                          f"with table one of {', '.join(BY_NAME)}")
            continue
        found.setdefault(stem, []).append(path)
    files = [ExtractFile(t, found[t.name][0]) for t in TABLES if t.name in found]
    if not files and not problems.items:
        problems.file(-1, str(directory), "the directory holds no extract file")
    return files


def fingerprint(files: list[ExtractFile]) -> str:
    """The extract id, computed as crates/weiwan-analytics/src/lib.rs does."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.path.name.encode() + b"\0")
        with open(f.path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.digest()[:12].hex()


def read_header(path: Path) -> list[str] | None:
    """The column names of the first line (a byte-order mark is tolerated); None if not UTF-8."""
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        text = first.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return None
    return next(csv.reader([text]), [])


def check_header(table: Table, names: list[str], order: int, file: str, problems: Problems) -> bool:
    before = problems.count
    known = [c.name for c in table.columns]
    for i, name in enumerate(names):
        if name not in known:
            problems.file(order, file, f"unknown column; {table.name} has {', '.join(known)}", name)
        elif name in names[:i]:
            problems.file(order, file, "column appears twice", name)
    for c in table.columns:
        if c.required and c.name not in names:
            problems.file(order, file, "required column is missing", c.name)
    return problems.count == before


def diagnose(path: Path, names: list[str], order: int, file: str, problems: Problems, error: Exception) -> None:
    """The fast reader refused the file: find the records it choked on, with their lines."""
    before = problems.count
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for record in reader:
            if problems.count - before >= MAX_PROBLEMS:
                break
            line = reader.line_num
            if len(record) != len(names):
                problems.items.append(Problem(order, 0, line, -1, f"{file}, line {line}: {len(record)} fields where the header has {len(names)}"))
                problems.count += 1
                continue
            for name, value in zip(names, record):
                if any("\udc80" <= ch <= "\udcff" for ch in value):
                    problems.items.append(Problem(order, 0, line, -1, f"{file}, line {line}, column {name}: not UTF-8 text (convert GBK exports to UTF-8)"))
                    problems.count += 1
                    break
    if problems.count == before:
        problems.file(order, file, f"malformed csv: {error}")


def read_csv(path: Path, names: list[str]) -> pd.DataFrame:
    """Every column as the exact text of the file, in pandas' Arrow-backed string dtype.

    pd.read_csv cannot do this exactly: its pyarrow engine infers types first and casts after
    (99999999999999999999 comes back as "1e+20", 7.0 as "7", true as "True") even with dtype
    given, and its C engine pads a record with too few fields with empty strings, which hides
    the broken record. So the Arrow CSV reader that the pyarrow engine wraps is called
    directly, told that every column is text, and its table is handed to pandas."""
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    table = pacsv.read_csv(path, convert_options=options)
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


# ---------------------------------------------------------------------------------------------
# Validating a table
# ---------------------------------------------------------------------------------------------

Lookup = tuple[str, tuple[str, str] | None]


@dataclass
class Checked:
    table: Table
    frame: pd.DataFrame
    parsed: dict[str, Parsed]
    n_rows: int


def check_table(
    table: Table, frame: pd.DataFrame, order: int, file: str, problems: Problems,
    known: dict[Lookup, pd.Series], unverifiable: set[str],
) -> Checked | None:
    """Validates one file's rows; mirrors stage_file in crates/weiwan-analytics/src/validate.rs,
    one check at a time over whole columns instead of one row at a time over every check."""
    before = problems.count
    n = len(frame)
    parsed: dict[str, Parsed] = {}

    def values_of(name):
        series = frame[name]
        return lambda index: series.iloc[index].tolist()

    # 1. Every field by its column's rules.
    for i, c in enumerate(table.columns):
        s = frame[c.name] if c.name in frame.columns else None

        def report(bad, message, c=c, s=s, i=i):
            problems.rows(order, file, bad, c.name, lambda index: s.iloc[index].tolist(), message, seq=i)

        parsed[c.name] = parse_column(c, s, n, report)
    row_ok = np.logical_and.reduce([p.ok for p in parsed.values()])

    # 2. Keys: a row whose key parsed is registered even when another field is bad; a later
    #    row with the same key is a duplicate.
    key_ok = np.logical_and.reduce([parsed[k].ok & ~parsed[k].null for k in table.key])
    key_rows = np.flatnonzero(key_ok)
    duplicate = np.zeros(n, bool)
    duplicate[key_rows[frame[list(table.key)].iloc[key_rows].duplicated(keep="first").to_numpy()]] = True

    def describe_key(index):
        keys = frame[list(table.key)].iloc[index]
        return [", ".join(f"{k}={v}" for k, v in zip(table.key, row)) for row in keys.itertuples(index=False, name=None)]

    problems.rows(order, file, duplicate, table.key[0], describe_key,
                  lambda key: f"duplicate key: {key} appears more than once", seq=100)
    registered = key_ok & ~duplicate
    new_keys: dict[Lookup, pd.Series] = {}
    for other in TABLES:
        for fk in other.fks:
            if fk.table == table.name and fk.where is not None:
                column, wanted = fk.where
                new_keys[(table.name, fk.where)] = frame[table.key[0]][registered & mask(frame[column] == wanted)]
    if table.entity:
        new_keys[(table.name, None)] = frame[table.key[0]][registered]

    # 3. Row rules, on rows whose fields are all valid; the first rule broken is reported.
    proceed = registered & row_ok
    for column, bad, message in row_rules(table, frame, parsed):
        bad = proceed & bad
        problems.rows(order, file, bad, column, message, lambda text: text, seq=200)
        proceed &= ~bad

    # 4. Unique columns.
    for u in table.unique:
        rows = np.flatnonzero(proceed)
        repeated = np.zeros(n, bool)
        repeated[rows[frame[u].iloc[rows].duplicated(keep="first").to_numpy()]] = True
        problems.rows(order, file, repeated, u, values_of(u), lambda v: f"{v} is not unique", seq=300)

    # 5. Foreign keys to earlier tables (in this extract; the store and lake are fresh).
    deferred = []
    for j, fk in enumerate(table.fks):
        referring = proceed & ~parsed[fk.column].null
        if fk.table == table.name:
            deferred.append((j, fk, referring))
            continue
        if fk.table in unverifiable:
            continue
        found = contained(frame[fk.column], known.get((fk.table, fk.where)))
        problems.rows(order, file, referring & ~found, fk.column, values_of(fk.column),
                      unknown_reference(fk), seq=400 + j)

    for lookup, keys in new_keys.items():
        known[lookup] = pd.concat([known[lookup], keys], ignore_index=True) if lookup in known else keys
    # 6. References into the same table, once the whole file is known.
    for j, fk, referring in deferred:
        found = contained(frame[fk.column], known.get((fk.table, fk.where)))
        problems.rows(order, file, referring & ~found, fk.column, values_of(fk.column),
                      unknown_reference(fk), seq=400 + j, phase=1)

    if problems.count > before:
        return None
    return Checked(table, frame, parsed, n)


def contained(values: pd.Series, keys: pd.Series | None) -> np.ndarray:
    """values.isin(keys), as Arrow's hash lookup: pandas' own isin for Arrow strings first
    turns every key into a Python object, seconds per foreign key at a million keys."""
    if keys is None:
        return np.zeros(len(values), bool)
    found = pc.is_in(pa.array(values.array), value_set=pa.array(keys.array))
    return found.to_numpy(zero_copy_only=False)


def unknown_reference(fk: FK):
    if fk.where is None:
        return lambda target: f"refers to {target}, which is not in {fk.table} (neither in this extract nor already imported)"
    column, wanted = fk.where
    return lambda target: f"refers to {target}, which is not a row of {fk.table} with {column} = {wanted}"


def row_rules(table: Table, frame: pd.DataFrame, parsed: dict[str, Parsed]):
    """The row rules of docs/data-model.md, in the order schema.rs runs them. Each yields
    (column to blame, rows that break it, message for row index)."""
    def text(name):
        return frame[name] if name in frame.columns else pd.Series([""] * len(frame), dtype="string[pyarrow]")

    def null(name):
        return parsed[name].null

    def days(name):  # typed values of a date column (zeros where empty or absent)
        values = parsed[name].values
        return values if values is not None else np.zeros(len(frame), np.int64)

    def const(message):
        return lambda index: [message] * len(index)

    if table.name == "customers":
        # "a group customer has no group_id and is not a key person": schema.rs checks the first
        # half here; a group marked key person has no group_id, so the next rule refuses it.
        yield "group_id", mask(text("kind") == "group") & ~null("group_id"), const("a group customer cannot belong to a group")
        yield "is_key_person", parsed["is_key_person"].values & null("group_id"), const("a key person needs a group_id")
    elif table.name == "subscriptions":
        disconnected = mask(text("status") == "disconnected")
        left = null("disconnected_on")
        yield "disconnected_on", disconnected & left, const("required when status is disconnected")
        yield "disconnected_on", ~disconnected & ~left, const("must be empty unless status is disconnected")
        early = ~left & (days("disconnected_on") < days("activated_on"))
        yield "disconnected_on", early, lambda index: [
            f"{a} is before activated_on {b}"
            for a, b in zip(text("disconnected_on").iloc[index].tolist(), text("activated_on").iloc[index].tolist())
        ]
    elif table.name == "contracts":
        early = days("ends_on") < days("starts_on")
        yield "ends_on", early, lambda index: [
            f"{a} is before starts_on {b}"
            for a, b in zip(text("ends_on").iloc[index].tolist(), text("starts_on").iloc[index].tolist())
        ]
    elif table.name == "points_ledger":
        yield "expires_on", ~mask(text("kind") == "earn") & ~null("expires_on"), const("only earn entries expire")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def arrow_column(c: Col, frame: pd.DataFrame, p: Parsed) -> pa.Array:
    n = len(frame)
    null = p.null if p.null.any() else None
    k = c.kind.name
    if k in ("id", "text", "msisdn", "code"):
        if c.name not in frame.columns:
            return pa.nulls(n, pa.string())
        texts = frame[c.name] if null is None else frame[c.name].mask(null)
        return pa.array(texts.array).cast(pa.string())
    if k in ("date", "month"):
        return pa.array(p.values.astype(np.int32) if p.values is not None else np.zeros(n, np.int32), type=pa.date32(), mask=null)
    if k == "timestamp":
        return pa.array(p.values if p.values is not None else np.zeros(n, np.int64), type=pa.timestamp("s"), mask=null)
    if k == "int":
        return pa.array(p.values if p.values is not None else np.zeros(n, np.int64), type=pa.int64(), mask=null)
    if k == "bool":
        return pa.array(p.values if p.values is not None else np.zeros(n, bool), type=pa.bool_(), mask=null)
    if k == "money":
        # decimal128(18, 2) straight from the fen: the unscaled 128-bit integers, little-endian.
        fen = p.values if p.values is not None else np.zeros(n, np.int64)
        words = np.empty(2 * n, np.int64)
        words[0::2] = fen
        words[1::2] = fen >> 63
        validity = None if null is None else pa.array(~null).buffers()[1]
        return pa.Array.from_buffers(pa.decimal128(18, 2), n, [validity, pa.py_buffer(words)],
                                     null_count=0 if null is None else int(null.sum()))
    raise AssertionError(k)


def arrow_table(checked: Checked) -> pa.Table:
    t = checked.table
    arrays, fields = [], []
    for c in t.columns:
        a = arrow_column(c, checked.frame, checked.parsed[c.name])
        arrays.append(a)
        fields.append(pa.field(c.name, a.type, nullable=not c.required))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def sql_values(c: Col, frame: pd.DataFrame, p: Parsed) -> list:
    """One column as Python values for sqlite3, as the Rust store binds them: text as text,
    money as fen, dates as YYYY-MM-DD text, booleans as 0/1, empty as NULL."""
    n = len(frame)
    k = c.kind.name
    if c.name not in frame.columns:
        return [None] * n
    if k in ("money", "int"):
        out = p.values.astype(object)
    elif k == "bool":
        out = p.values.astype(np.int64).astype(object)
    else:  # text-like, and dates that are already YYYY-MM-DD
        out = frame[c.name].to_numpy(dtype=object)
    if p.null.any():
        out[p.null] = None
    return out.tolist()


def upsert_sql(t: Table) -> str:
    names = [c.name for c in t.columns]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in t.key)
    return (f"INSERT INTO {t.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
            f"ON CONFLICT ({', '.join(t.key)}) DO UPDATE SET {updates}")


def store_schema() -> str:
    migrations = Path(__file__).resolve().parent.parent / "crates" / "weiwan-storage" / "migrations" / "sqlite"
    files = sorted(migrations.glob("*.sql"))
    if not files:
        sys.exit(f"no SQLite migrations in {migrations}")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def sqlite_path(db: str) -> Path:
    if db.startswith("sqlite://"):
        db = db[len("sqlite://"):]
    elif db.startswith("sqlite:"):
        db = db[len("sqlite:"):]
    return Path(db.split("?", 1)[0])


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--db", required=True, help="SQLite file (path or sqlite:// URL); must not exist yet")
    parser.add_argument("--data-dir", required=True, type=Path, help="Parquet lake; must not hold a manifest yet")
    args = parser.parse_args()
    db_path = sqlite_path(args.db)
    lake: Path = args.data_dir
    if db_path.exists():
        print(f"pandas_import.py imports into a fresh database; {db_path} exists", file=sys.stderr)
        return 2
    if (lake / "manifest.json").exists():
        print(f"pandas_import.py imports into a fresh data directory; {lake} holds a lake", file=sys.stderr)
        return 2
    if not args.dir.is_dir():
        print(f"{args.dir} is not a directory", file=sys.stderr)
        return 2

    problems = Problems()
    files = discover(args.dir, problems)
    if problems.count:
        print(problems.report(), file=sys.stderr)
        return 1
    extract_id = fingerprint(files)

    # The outermost directory this run creates, removed again if the extract is refused.
    created = None
    for directory in [lake, *lake.parents]:
        if directory.exists():
            break
        created = directory
    staging = lake / f".staging-{extract_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    def discard():
        shutil.rmtree(staging, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)

    known: dict[Lookup, pd.Series] = {}
    unverifiable: set[str] = set()
    entities: list[Checked] = []
    staged: list[tuple[Table, Path, int, tuple[str, str] | None]] = []
    try:
        for order, f in enumerate(files):
            table, file = f.table, f.path.name
            names = read_header(f.path)
            if names is None:
                problems.file(order, file, "the header is not UTF-8 text")
                unverifiable.add(table.name)
                continue
            if not check_header(table, names, order, file, problems):
                unverifiable.add(table.name)
                continue
            try:
                frame = read_csv(f.path, names)
            except (ValueError, UnicodeDecodeError, pa.ArrowInvalid) as error:  # ParserError is a ValueError
                diagnose(f.path, names, order, file, problems, error)
                unverifiable.add(table.name)
                continue
            checked = check_table(table, frame, order, file, problems, known, unverifiable)
            if checked is None or problems.count:
                continue  # keep validating, to list every problem; nothing more is staged
            path = staging / f"{table.name}.parquet"
            arrow = arrow_table(checked)
            pq.write_table(arrow, path, compression="snappy", row_group_size=1 << 20)
            period = None
            if table.period and checked.n_rows:
                period = (frame[table.period].min(), frame[table.period].max())
            staged.append((table, path, checked.n_rows, period))
            if table.entity:
                entities.append(checked)
            del arrow, frame, checked
        if problems.count:
            discard()
            print(problems.report(), file=sys.stderr)
            return 1

        # Entities into the store, in one transaction with the record of the import.
        imported_at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = {t.name: n for t, _, n, _ in staged}
        db_path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(db_path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.executescript(store_schema())
            connection.execute("BEGIN")
            for checked in entities:
                t = checked.table
                columns = [sql_values(c, checked.frame, checked.parsed[c.name]) for c in t.columns]
                connection.executemany(upsert_sql(t), zip(*columns))
            connection.execute(
                "INSERT INTO imports (extract_id, imported_at, source, rows_json) VALUES (?, ?, ?, ?)",
                (extract_id, imported_at, str(args.dir), json.dumps(rows, sort_keys=True)),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
            raise
        connection.close()

        # Publish the lake: move the staged files into place, then write the manifest.
        tables = []
        for t, path, n, period in staged:
            relative = f"{t.name}/part-0.parquet"
            (lake / t.name).mkdir(parents=True, exist_ok=True)
            os.replace(path, lake / relative)
            tables.append({"table": t.name, "path": relative, "rows": n, "period": list(period) if period else None})
        manifest = {"format": 1, "extracts": [{"extract_id": extract_id, "imported_at": imported_at, "tables": tables}]}
        temporary = lake / "manifest.json.tmp"
        temporary.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(temporary, lake / "manifest.json")
        shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        discard()
        raise

    print(f"imported extract {extract_id} from {args.dir}")
    for t, _, n, _ in staged:
        print(f"  {t.name:<15} {n:>12} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
