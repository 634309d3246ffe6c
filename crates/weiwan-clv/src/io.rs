//! CSV readers for the model inputs and the transaction-log summary.
//!
//! Every reader reports problems as an [`Error`] naming the file, the line (1-based, header =
//! line 1) and the column; none panics on bad input. Column names are matched case-insensitively
//! after trimming, and cells are trimmed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::bgnbd::CustomerSummary;
use crate::error::{Error, Result};
use crate::sbg::SurvivalTable;

/// Default name of the period column of a survival table.
pub const DEFAULT_PERIOD_COLUMN: &str = "period";
/// Default name of the alive-count column of a survival table.
pub const DEFAULT_ALIVE_COLUMN: &str = "alive";

/// One dated transaction of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    /// Customer identifier.
    pub customer_id: String,
    /// Day of the transaction (serialised as `YYYY-MM-DD`).
    #[serde(serialize_with = "serialize_date")]
    pub date: NaiveDate,
}

fn serialize_date<S: serde::Serializer>(date: &NaiveDate, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(date)
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io { file: path.display().to_string(), source })
}

/// Read a survival table with columns `period,alive` (see [`parse_survival_csv`]).
///
/// # Errors
/// As [`parse_survival_csv`], plus [`Error::Io`] if the file cannot be opened.
pub fn read_survival_csv(path: impl AsRef<Path>) -> Result<SurvivalTable> {
    read_survival_csv_with(path, DEFAULT_PERIOD_COLUMN, DEFAULT_ALIVE_COLUMN)
}

/// Read a survival table whose period and alive columns have the given names.
///
/// # Errors
/// As [`parse_survival_csv`], plus [`Error::Io`] if the file cannot be opened.
pub fn read_survival_csv_with(
    path: impl AsRef<Path>,
    period_column: &str,
    alive_column: &str,
) -> Result<SurvivalTable> {
    let path = path.as_ref();
    parse_survival_csv(open(path)?, &path.display().to_string(), period_column, alive_column)
}

/// Parse a survival table from CSV with a header. Rows must give periods 0, 1, 2, … in order;
/// `alive` holds whole, non-negative counts that never increase; period 0 (the cohort size) must
/// be > 0. Other columns are ignored. `source` names the input in errors.
///
/// # Errors
/// [`Error::Empty`], [`Error::MissingColumn`], [`Error::Csv`], [`Error::InvalidValue`] (bad
/// number, negative or fractional count, period out of sequence, increasing count, empty cohort),
/// and [`Error::InvalidInput`] if there is only period 0.
pub fn parse_survival_csv<R: Read>(
    reader: R,
    source: &str,
    period_column: &str,
    alive_column: &str,
) -> Result<SurvivalTable> {
    let mut rdr = csv_reader(reader);
    let header = header_index(&mut rdr, source)?;
    let period_idx = column(&header, source, period_column)?;
    let alive_idx = column(&header, source, alive_column)?;
    let mut alive: Vec<u64> = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(source, e))?;
        let line = line_of(&record);
        let cell = Cell { source, line, record: &record };
        let period = cell.count(period_idx, period_column)?;
        let expected = alive.len() as u64;
        if period != expected {
            return Err(cell.invalid(
                period_idx,
                period_column,
                format!("periods must be 0, 1, 2, … in order; expected period {expected}"),
            ));
        }
        let count = cell.count(alive_idx, alive_column)?;
        if let Some(&prev) = alive.last()
            && count > prev
        {
            return Err(cell.invalid(
                alive_idx,
                alive_column,
                format!("alive count increases (period {} had {prev})", period - 1),
            ));
        }
        if period == 0 && count == 0 {
            return Err(cell.invalid(
                alive_idx,
                alive_column,
                "cohort size (period 0) must be > 0".to_owned(),
            ));
        }
        alive.push(count);
    }
    match alive.len() {
        0 => Err(Error::Empty { file: source.to_owned() }),
        1 => Err(Error::InvalidInput(format!("{source}: only period 0 is present; need at least period 1"))),
        _ => SurvivalTable::new(alive),
    }
}

/// Read a customer summary CSV with columns `id,frequency,recency,T` (the lifetimes package's
/// format; see [`parse_customer_summary_csv`]).
///
/// # Errors
/// As [`parse_customer_summary_csv`], plus [`Error::Io`] if the file cannot be opened.
pub fn read_customer_summary_csv(path: impl AsRef<Path>) -> Result<Vec<CustomerSummary>> {
    let path = path.as_ref();
    parse_customer_summary_csv(open(path)?, &path.display().to_string())
}

/// Parse a customer summary: columns `id` (any text), `frequency` (whole number ≥ 0), `recency`
/// and `T` (numbers ≥ 0, recency ≤ T, recency = 0 when frequency = 0). Column names are matched
/// case-insensitively, so lifetimes' `ID` works. `source` names the input in errors.
///
/// # Errors
/// [`Error::Empty`], [`Error::MissingColumn`], [`Error::Csv`] or [`Error::InvalidValue`].
pub fn parse_customer_summary_csv<R: Read>(reader: R, source: &str) -> Result<Vec<CustomerSummary>> {
    let mut rdr = csv_reader(reader);
    let header = header_index(&mut rdr, source)?;
    let id_idx = column(&header, source, "id")?;
    let f_idx = column(&header, source, "frequency")?;
    let r_idx = column(&header, source, "recency")?;
    let t_idx = column(&header, source, "T")?;
    let mut out = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(source, e))?;
        let line = line_of(&record);
        let cell = Cell { source, line, record: &record };
        let id = cell.text(id_idx).to_owned();
        if id.is_empty() {
            return Err(cell.invalid(id_idx, "id", "customer id is empty".to_owned()));
        }
        let frequency = cell.count(f_idx, "frequency")?;
        let recency = cell.non_negative(r_idx, "recency")?;
        let t = cell.non_negative(t_idx, "T")?;
        if recency > t {
            return Err(cell.invalid(r_idx, "recency", format!("recency is greater than T ({t})")));
        }
        if frequency == 0 && recency != 0.0 {
            return Err(cell.invalid(r_idx, "recency", "recency must be 0 when frequency is 0".to_owned()));
        }
        if frequency > 0 && t == 0.0 {
            return Err(cell.invalid(t_idx, "T", "T must be > 0 when frequency > 0".to_owned()));
        }
        out.push(CustomerSummary { id, frequency, recency, t });
    }
    if out.is_empty() {
        return Err(Error::Empty { file: source.to_owned() });
    }
    Ok(out)
}

/// Read a whitespace-separated transaction log in the CDNOW layout (`id id2 yyyymmdd #CDs $`):
/// field 1 is the customer id, field 3 the date as `yyyymmdd`; other fields are ignored. Blank
/// lines are skipped.
///
/// # Errors
/// As [`parse_cdnow_transactions`], plus [`Error::Io`] if the file cannot be opened.
pub fn read_cdnow_transactions(path: impl AsRef<Path>) -> Result<Vec<Transaction>> {
    let path = path.as_ref();
    parse_cdnow_transactions(BufReader::new(open(path)?), &path.display().to_string())
}

/// Parse a CDNOW-layout transaction log (see [`read_cdnow_transactions`]).
///
/// # Errors
/// [`Error::Io`] on a read error, [`Error::InvalidValue`] for a short line or a bad date,
/// [`Error::Empty`] if there are no transactions.
pub fn parse_cdnow_transactions<R: BufRead>(reader: R, source: &str) -> Result<Vec<Transaction>> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| Error::Io { file: format!("{source}:{line_no}"), source: e })?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if fields.len() < 3 {
            return Err(Error::InvalidValue {
                file: source.to_owned(),
                line: line_no,
                column: format!("field {}", fields.len() + 1),
                value: line.clone(),
                reason: "expected at least 3 whitespace-separated fields (id, id2, yyyymmdd)".to_owned(),
            });
        }
        let date = NaiveDate::parse_from_str(fields[2], "%Y%m%d").map_err(|e| Error::InvalidValue {
            file: source.to_owned(),
            line: line_no,
            column: "field 3 (date)".to_owned(),
            value: fields[2].to_owned(),
            reason: format!("not a yyyymmdd date: {e}"),
        })?;
        out.push(Transaction { customer_id: fields[0].to_owned(), date });
    }
    if out.is_empty() {
        return Err(Error::Empty { file: source.to_owned() });
    }
    Ok(out)
}

/// Read a CSV transaction log with a header, taking the customer id and the date from the named
/// columns. Dates are `YYYY-MM-DD` or `YYYYMMDD`.
///
/// # Errors
/// [`Error::Io`], [`Error::Empty`], [`Error::MissingColumn`], [`Error::Csv`] or
/// [`Error::InvalidValue`].
pub fn read_transactions_csv(
    path: impl AsRef<Path>,
    id_column: &str,
    date_column: &str,
) -> Result<Vec<Transaction>> {
    let path = path.as_ref();
    parse_transactions_csv(open(path)?, &path.display().to_string(), id_column, date_column)
}

/// Parse a CSV transaction log (see [`read_transactions_csv`]). `source` names the input in
/// errors.
///
/// # Errors
/// As [`read_transactions_csv`] without the IO error.
pub fn parse_transactions_csv<R: Read>(
    reader: R,
    source: &str,
    id_column: &str,
    date_column: &str,
) -> Result<Vec<Transaction>> {
    let mut rdr = csv_reader(reader);
    let header = header_index(&mut rdr, source)?;
    let id_idx = column(&header, source, id_column)?;
    let date_idx = column(&header, source, date_column)?;
    let mut out = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(source, e))?;
        let cell = Cell { source, line: line_of(&record), record: &record };
        let id = cell.text(id_idx);
        if id.is_empty() {
            return Err(cell.invalid(id_idx, id_column, "customer id is empty".to_owned()));
        }
        let raw = cell.text(date_idx);
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(raw, "%Y%m%d"))
            .map_err(|_| {
                cell.invalid(date_idx, date_column, "not a YYYY-MM-DD or YYYYMMDD date".to_owned())
            })?;
        out.push(Transaction { customer_id: id.to_owned(), date });
    }
    if out.is_empty() {
        return Err(Error::Empty { file: source.to_owned() });
    }
    Ok(out)
}

/// Turn a transaction log into per-customer (x, t_x, T) summaries, as the lifetimes package's
/// `summary_data_from_transaction_data` does with daily granularity:
///
/// - transactions after `calibration_end` are dropped (the end day itself is included);
/// - several transactions of a customer on the same day count once;
/// - the first transaction is time 0 and is not counted: x = distinct days − 1;
/// - t_x = (last day − first day) / `period_days`, T = (`calibration_end` − first day) /
///   `period_days` (e.g. `period_days = 7.0` for weeks).
///
/// Customers are returned in order of first appearance in `transactions`; customers whose first
/// transaction is after `calibration_end` are left out.
///
/// # Errors
/// [`Error::InvalidParameter`] if `period_days` is not finite and > 0.
pub fn summarize_transactions(
    transactions: &[Transaction],
    calibration_end: NaiveDate,
    period_days: f64,
) -> Result<Vec<CustomerSummary>> {
    if !(period_days.is_finite() && period_days > 0.0) {
        return Err(Error::InvalidParameter {
            name: "period_days",
            value: period_days,
            reason: "must be finite and > 0",
        });
    }
    let mut order: Vec<&str> = Vec::new();
    let mut days: HashMap<&str, Vec<NaiveDate>> = HashMap::new();
    for tx in transactions.iter().filter(|tx| tx.date <= calibration_end) {
        let entry = days.entry(tx.customer_id.as_str()).or_insert_with(|| {
            order.push(tx.customer_id.as_str());
            Vec::new()
        });
        entry.push(tx.date);
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let Some(dates) = days.get_mut(id) else { continue };
        dates.sort_unstable();
        dates.dedup();
        let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else { continue };
        let span = |to: NaiveDate| (to - first).num_days() as f64 / period_days;
        out.push(CustomerSummary {
            id: id.to_owned(),
            frequency: dates.len() as u64 - 1,
            recency: span(last),
            t: span(calibration_end),
        });
    }
    Ok(out)
}

// ---- helpers -------------------------------------------------------------------------------

fn csv_reader<R: Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(reader)
}

fn csv_error(source: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    Error::Csv { file: source.to_owned(), line, source: e }
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

/// Lower-cased header names, or [`Error::Empty`] if the input has no header.
fn header_index<R: Read>(rdr: &mut csv::Reader<R>, source: &str) -> Result<Vec<String>> {
    let header = rdr.headers().map_err(|e| csv_error(source, e))?;
    if header.iter().all(str::is_empty) {
        return Err(Error::Empty { file: source.to_owned() });
    }
    Ok(header.iter().map(str::to_lowercase).collect())
}

fn column(header: &[String], source: &str, name: &str) -> Result<usize> {
    let wanted = name.trim().to_lowercase();
    header.iter().position(|h| *h == wanted).ok_or_else(|| Error::MissingColumn {
        file: source.to_owned(),
        column: name.to_owned(),
        found: header.join(","),
    })
}

/// A record being parsed, for building errors that name file, line and column.
struct Cell<'a> {
    source: &'a str,
    line: u64,
    record: &'a csv::StringRecord,
}

impl Cell<'_> {
    fn text(&self, idx: usize) -> &str {
        self.record.get(idx).unwrap_or("")
    }

    fn invalid(&self, idx: usize, column: &str, reason: String) -> Error {
        Error::InvalidValue {
            file: self.source.to_owned(),
            line: self.line,
            column: column.to_owned(),
            value: self.text(idx).to_owned(),
            reason,
        }
    }

    fn number(&self, idx: usize, column: &str) -> Result<f64> {
        let raw = self.text(idx);
        if raw.is_empty() {
            return Err(self.invalid(idx, column, "value is missing".to_owned()));
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.invalid(idx, column, "not a number".to_owned())),
        }
    }

    fn non_negative(&self, idx: usize, column: &str) -> Result<f64> {
        let v = self.number(idx, column)?;
        if v < 0.0 {
            return Err(self.invalid(idx, column, "must be >= 0".to_owned()));
        }
        Ok(v)
    }

    /// A whole number ≥ 0; `2` and `2.0` are both accepted.
    fn count(&self, idx: usize, column: &str) -> Result<u64> {
        let v = self.non_negative(idx, column)?;
        if v.fract() != 0.0 || v > 9.0e15 {
            return Err(self.invalid(idx, column, "must be a whole number".to_owned()));
        }
        Ok(v as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn survival(text: &str) -> Result<SurvivalTable> {
        parse_survival_csv(text.as_bytes(), "s.csv", "period", "alive")
    }

    fn summary(text: &str) -> Result<Vec<CustomerSummary>> {
        parse_customer_summary_csv(text.as_bytes(), "c.csv")
    }

    fn invalid_at(r: Result<impl std::fmt::Debug>, want_line: u64, want_col: &str) -> String {
        match r {
            Err(e @ Error::InvalidValue { .. }) => {
                let Error::InvalidValue { line, ref column, .. } = e else { unreachable!() };
                assert_eq!(line, want_line, "{e}");
                assert_eq!(column, want_col, "{e}");
                e.to_string()
            }
            other => panic!("expected InvalidValue, got {other:?}"),
        }
    }

    #[test]
    fn survival_ok() {
        let t = survival("period,alive,note\n0,100,x\n1,80,y\n2,80,z\n").unwrap();
        assert_eq!(t.alive(), &[100, 80, 80]);
        let t = parse_survival_csv(" Year , N \n0,10\n1,5\n".as_bytes(), "s", "year", "n").unwrap();
        assert_eq!(t.alive(), &[10, 5]);
    }

    #[test]
    fn survival_errors() {
        assert!(matches!(survival(""), Err(Error::Empty { .. })));
        assert!(matches!(survival("period,alive\n"), Err(Error::Empty { .. })));
        match survival("period,count\n0,1\n") {
            Err(e @ Error::MissingColumn { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("s.csv") && msg.contains("`alive`"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        let msg = invalid_at(survival("period,alive\n0,100\n1,abc\n"), 3, "alive");
        assert!(msg.starts_with("s.csv:3: column `alive`: not a number"), "{msg}");
        invalid_at(survival("period,alive\n0,100\n1,-3\n"), 3, "alive");
        invalid_at(survival("period,alive\n0,100\n1,3.5\n"), 3, "alive");
        invalid_at(survival("period,alive\n0,100\n1,\n"), 3, "alive");
        let msg = invalid_at(survival("period,alive\n0,100\n1,80\n2,90\n"), 4, "alive");
        assert!(msg.contains("increases"), "{msg}");
        invalid_at(survival("period,alive\n0,100\n2,80\n"), 3, "period");
        invalid_at(survival("period,alive\n1,100\n2,80\n"), 2, "period");
        invalid_at(survival("period,alive\n0,0\n1,0\n"), 2, "alive");
        assert!(matches!(survival("period,alive\n0,100\n"), Err(Error::InvalidInput(_))));
        assert!(matches!(survival("period,alive\n0,100\n1,80,7\n"), Err(Error::Csv { line: 3, .. })));
    }

    #[test]
    fn summary_ok_and_errors() {
        let s = summary("ID,frequency,recency,T\n1,2,30.43,38.86\n2,0,0.0,38.86\n3,1.0,1,2\n").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0], CustomerSummary { id: "1".into(), frequency: 2, recency: 30.43, t: 38.86 });
        assert_eq!(s[2].frequency, 1);
        assert!(matches!(summary(""), Err(Error::Empty { .. })));
        assert!(matches!(summary("id,frequency,recency,T\n"), Err(Error::Empty { .. })));
        assert!(matches!(summary("id,frequency,recency\n1,2,3\n"), Err(Error::MissingColumn { .. })));
        invalid_at(summary("id,frequency,recency,T\n1,2,3,4\n2,x,1,2\n"), 3, "frequency");
        invalid_at(summary("id,frequency,recency,T\n1,-2,3,4\n"), 2, "frequency");
        invalid_at(summary("id,frequency,recency,T\n1,2,-3,4\n"), 2, "recency");
        invalid_at(summary("id,frequency,recency,T\n1,2,5,4\n"), 2, "recency");
        invalid_at(summary("id,frequency,recency,T\n1,0,1,4\n"), 2, "recency");
        invalid_at(summary("id,frequency,recency,T\n1,1,0,0\n"), 2, "T");
        invalid_at(summary("id,frequency,recency,T\n,1,0,3\n"), 2, "id");
        invalid_at(summary("id,frequency,recency,T\n1,1,0,inf\n"), 2, "T");
    }

    #[test]
    fn transactions_and_summary() {
        let log = " 00004 0001 19970101  2   29.33\n\n 00004 0001 19970118  2   29.73\n \
                   00004 0001 19970118  1   1.00\n 00007 0002 19970102  1   1.00\n \
                   00004 0001 19971212  2   26.48\n 00009 0003 19971001  1   1.00\n";
        let tx = parse_cdnow_transactions(log.as_bytes(), "log").unwrap();
        assert_eq!(tx.len(), 6);
        let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
        let s = summarize_transactions(&tx, end, 7.0).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].id, "00004");
        assert_eq!(s[0].frequency, 1); // Jan 18 twice counts once; Dec 12 is after the end.
        assert!((s[0].recency - 17.0 / 7.0).abs() < 1e-12);
        assert!((s[0].t - 272.0 / 7.0).abs() < 1e-12);
        assert_eq!((s[1].frequency, s[1].recency), (0, 0.0));
        assert!(summarize_transactions(&tx, end, 0.0).is_err());

        let e = parse_cdnow_transactions("1 2 19970231 1 1\n".as_bytes(), "log").unwrap_err();
        assert!(e.to_string().starts_with("log:1: column `field 3 (date)`"), "{e}");
        assert!(parse_cdnow_transactions("1 2\n".as_bytes(), "log").is_err());
        assert!(matches!(parse_cdnow_transactions("\n".as_bytes(), "log"), Err(Error::Empty { .. })));

        let csv = "customer,day\na,1997-01-01\nb,19970105\n";
        let tx = parse_transactions_csv(csv.as_bytes(), "t.csv", "customer", "day").unwrap();
        assert_eq!(tx[1].date, NaiveDate::from_ymd_opt(1997, 1, 5).unwrap());
        invalid_at(parse_transactions_csv("c,d\na,1997/01/01\n".as_bytes(), "t", "c", "d"), 2, "d");
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = read_survival_csv("/nonexistent/x.csv").unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/x.csv"));
    }
}
