//! Tabular input: a CSV file (gzipped when its name ends in `.gz`) read into typed columns.
//!
//! Reading takes two passes over the file so that nothing is held as text: the first infers each
//! column's kind ([`infer`]), the second parses the wanted columns into numbers or dictionary
//! codes ([`read`]). A column is numeric when every non-missing value parses as a number; a
//! column that is numeric in almost every row but holds a few non-numbers is refused rather than
//! silently turned into categories, because that is nearly always a broken extract.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Share of numeric values above which a column with a few non-numbers is refused instead of
/// read as categories.
const GARBAGE_THRESHOLD: f64 = 0.95;

/// The kind of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Numbers; missing values are NaN.
    Numeric,
    /// Text values, kept as a dictionary of levels.
    Text,
}

/// The values of one column.
#[derive(Debug, Clone)]
pub enum Values {
    /// Numbers, NaN where the file had no value.
    Numeric(Vec<f64>),
    /// Dictionary-encoded text: `codes[i]` indexes `levels`, or is [`MISSING`].
    Text { levels: Vec<String>, codes: Vec<u32> },
}

/// The code of a missing text value.
pub const MISSING: u32 = u32::MAX;

/// One named column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

impl Column {
    /// The value of row `row` as it would be shown to a person.
    pub fn display(&self, row: usize) -> Option<String> {
        match &self.values {
            Values::Numeric(values) => {
                let value = values[row];
                (!value.is_nan()).then(|| format_number(value))
            }
            Values::Text { levels, codes } => {
                let code = codes[row];
                (code != MISSING).then(|| levels[code as usize].clone())
            }
        }
    }
}

/// A number without trailing noise: integers without decimals, others with up to two.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A table read from one file.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The file it came from, for messages.
    pub path: PathBuf,
    pub columns: Vec<Column>,
    pub rows: usize,
    /// The file line each row started on (1-based, the header is line 1).
    pub lines: Vec<u64>,
}

impl Frame {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// Keep only the rows whose index is in `rows`, in that order.
    pub fn take(&self, rows: &[usize]) -> Frame {
        let columns = self
            .columns
            .iter()
            .map(|column| Column {
                name: column.name.clone(),
                values: match &column.values {
                    Values::Numeric(values) => Values::Numeric(rows.iter().map(|&r| values[r]).collect()),
                    Values::Text { levels, codes } => Values::Text {
                        levels: levels.clone(),
                        codes: rows.iter().map(|&r| codes[r]).collect(),
                    },
                },
            })
            .collect();
        Frame {
            path: self.path.clone(),
            columns,
            rows: rows.len(),
            lines: rows.iter().map(|&r| self.lines[r]).collect(),
        }
    }
}

/// Whether a cell holds no value.
pub fn is_missing(value: &str) -> bool {
    matches!(value, "" | "NA" | "N/A" | "NaN" | "nan" | "null" | "NULL" | "?")
}

/// Parse a cell as a number; `None` when it is not one.
fn parse_number(value: &str) -> Option<f64> {
    value.parse::<f64>().ok().filter(|number| number.is_finite())
}

fn open(path: &Path) -> Result<csv::Reader<Box<dyn Read>>> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|ext| ext == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file)))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    };
    Ok(csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader))
}

fn csv_error(path: &Path, error: csv::Error) -> Error {
    let line = error.position().map(|position| position.line());
    Error::Csv { path: path.to_path_buf(), line, message: error.to_string() }
}

/// The header of a CSV file.
pub fn headers(path: &Path) -> Result<Vec<String>> {
    let mut reader = open(path)?;
    let headers = reader.headers().map_err(|error| csv_error(path, error))?;
    let names: Vec<String> = headers.iter().map(str::to_string).collect();
    if names.is_empty() || names.iter().all(String::is_empty) {
        return Err(Error::input(path, "the file has no header row"));
    }
    let mut seen = HashMap::new();
    for (index, name) in names.iter().enumerate() {
        if let Some(first) = seen.insert(name.as_str(), index) {
            return Err(Error::input(
                path,
                format!("column name {name:?} appears twice (columns {} and {})", first + 1, index + 1),
            ));
        }
    }
    Ok(names)
}

/// Find `wanted` among `headers`: an exact match, or else the one header equal to it once
/// surrounding spaces are trimmed (exports often carry `"churn "` with a trailing space).
pub fn resolve<'a>(headers: &'a [String], wanted: &str) -> Option<&'a str> {
    if let Some(found) = headers.iter().find(|header| header.as_str() == wanted) {
        return Some(found);
    }
    let mut trimmed = headers.iter().filter(|header| header.trim() == wanted.trim());
    match (trimmed.next(), trimmed.next()) {
        (Some(found), None) => Some(found),
        _ => None,
    }
}

#[derive(Default)]
struct Census {
    numeric: u64,
    missing: u64,
    other: u64,
    first_other: Option<(u64, String)>,
}

/// First pass: the kind of every column. Columns named in `text` are text whatever they hold.
pub fn infer(path: &Path, text: &[&str]) -> Result<Vec<(String, Kind)>> {
    let names = headers(path)?;
    let mut reader = open(path)?;
    let mut census: Vec<Census> = names.iter().map(|_| Census::default()).collect();
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    while reader.read_record(&mut record).map_err(|error| csv_error(path, error))? {
        rows += 1;
        let line = record.position().map_or(0, |position| position.line());
        for (cell, census) in record.iter().zip(census.iter_mut()) {
            let cell = cell.trim();
            if is_missing(cell) {
                census.missing += 1;
            } else if parse_number(cell).is_some() {
                census.numeric += 1;
            } else {
                census.other += 1;
                if census.first_other.is_none() {
                    census.first_other = Some((line, cell.to_string()));
                }
            }
        }
    }
    if rows == 0 {
        return Err(Error::input(path, "the file has a header but no rows"));
    }
    let mut kinds = Vec::with_capacity(names.len());
    for (name, census) in names.into_iter().zip(census) {
        let kind = if text.contains(&name.as_str()) || census.other > 0 && census.numeric == 0 {
            Kind::Text
        } else if census.other == 0 {
            Kind::Numeric
        } else {
            let share = census.numeric as f64 / (census.numeric + census.other) as f64;
            if share >= GARBAGE_THRESHOLD {
                let (line, value) = census.first_other.unwrap_or_default();
                return Err(Error::NotANumber {
                    path: path.to_path_buf(),
                    line,
                    column: name,
                    value,
                    detail: format!(
                        "{:.1}% of the column's values are numbers and {} are not; fix them or leave \
                         them empty for missing",
                        share * 100.0,
                        census.other
                    ),
                });
            }
            Kind::Text
        };
        kinds.push((name, kind));
    }
    Ok(kinds)
}

enum Builder {
    Numeric(Vec<f64>),
    Text { index: HashMap<String, u32>, levels: Vec<String>, codes: Vec<u32> },
}

/// Second pass: read `columns` (name and kind) from `path`. Columns missing from the file are
/// named together in one error; a non-number in a numeric column names its line and value.
pub fn read(path: &Path, columns: &[(String, Kind)]) -> Result<Frame> {
    let mut whole = None;
    for_each_chunk(path, columns, usize::MAX, |frame| {
        whole = Some(frame);
        Ok(())
    })?;
    whole.ok_or_else(|| Error::input(path, "the file has a header but no rows"))
}

/// Read `columns` from `path` in frames of at most `chunk_rows` rows, handing each to `each`
/// in file order, so that a file larger than memory can be scored.
pub fn for_each_chunk(
    path: &Path,
    columns: &[(String, Kind)],
    chunk_rows: usize,
    mut each: impl FnMut(Frame) -> Result<()>,
) -> Result<()> {
    let names = headers(path)?;
    let missing: Vec<String> =
        columns.iter().filter(|(name, _)| !names.contains(name)).map(|(name, _)| name.clone()).collect();
    if !missing.is_empty() {
        return Err(Error::MissingColumns { path: path.to_path_buf(), columns: missing });
    }
    let positions: Vec<usize> = columns
        .iter()
        .map(|(name, _)| names.iter().position(|header| header == name).unwrap_or_default())
        .collect();
    let fresh = || -> Vec<Builder> {
        columns
            .iter()
            .map(|(_, kind)| match kind {
                Kind::Numeric => Builder::Numeric(Vec::new()),
                Kind::Text => Builder::Text { index: HashMap::new(), levels: Vec::new(), codes: Vec::new() },
            })
            .collect()
    };
    let finish = |builders: Vec<Builder>, lines: Vec<u64>| Frame {
        path: path.to_path_buf(),
        columns: columns
            .iter()
            .zip(builders)
            .map(|((name, _), builder)| Column {
                name: name.clone(),
                values: match builder {
                    Builder::Numeric(values) => Values::Numeric(values),
                    Builder::Text { levels, codes, .. } => Values::Text { levels, codes },
                },
            })
            .collect(),
        rows: lines.len(),
        lines,
    };
    let mut builders = fresh();
    let mut reader = open(path)?;
    let mut record = csv::StringRecord::new();
    let mut lines = Vec::new();
    let mut any = false;
    while reader.read_record(&mut record).map_err(|error| csv_error(path, error))? {
        let line = record.position().map_or(0, |position| position.line());
        lines.push(line);
        for ((builder, &position), (name, _)) in builders.iter_mut().zip(&positions).zip(columns) {
            let cell = record.get(position).unwrap_or_default().trim();
            match builder {
                Builder::Numeric(values) => {
                    if is_missing(cell) {
                        values.push(f64::NAN);
                    } else if let Some(number) = parse_number(cell) {
                        values.push(number);
                    } else {
                        return Err(Error::NotANumber {
                            path: path.to_path_buf(),
                            line,
                            column: name.clone(),
                            value: cell.to_string(),
                            detail: "the column is numeric".to_string(),
                        });
                    }
                }
                Builder::Text { index, levels, codes } => {
                    if is_missing(cell) {
                        codes.push(MISSING);
                    } else if let Some(&code) = index.get(cell) {
                        codes.push(code);
                    } else {
                        let code = levels.len() as u32;
                        index.insert(cell.to_string(), code);
                        levels.push(cell.to_string());
                        codes.push(code);
                    }
                }
            }
        }
        if lines.len() >= chunk_rows {
            any = true;
            each(finish(std::mem::replace(&mut builders, fresh()), std::mem::take(&mut lines)))?;
        }
    }
    if !lines.is_empty() {
        any = true;
        each(finish(builders, lines))?;
    }
    if !any {
        return Err(Error::input(path, "the file has a header but no rows"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn kinds_are_inferred_and_blanks_are_missing() {
        let (_dir, path) = write("id,plan,charges\na,M,1.5\nb,Y, \nc,M,3\n");
        let kinds = infer(&path, &["id"]).unwrap();
        assert_eq!(kinds[1], ("plan".to_string(), Kind::Text));
        assert_eq!(kinds[2], ("charges".to_string(), Kind::Numeric));
        let frame = read(&path, &kinds).unwrap();
        let Values::Numeric(charges) = &frame.columns[2].values else { panic!("numeric") };
        assert!(charges[1].is_nan());
        assert_eq!(frame.columns[1].display(1).as_deref(), Some("Y"));
        assert_eq!(frame.lines, vec![2, 3, 4]);
    }

    #[test]
    fn a_stray_word_in_a_numeric_column_is_refused_with_its_line() {
        let mut text = String::from("x\n");
        for i in 0..40 {
            text.push_str(&format!("{i}\n"));
        }
        text.push_str("abc\n");
        let (_dir, path) = write(&text);
        let error = infer(&path, &[]).unwrap_err().to_string();
        assert!(error.contains("line 42") && error.contains("\"x\"") && error.contains("abc"), "{error}");
    }

    #[test]
    fn missing_columns_are_named_together() {
        let (_dir, path) = write("a,b\n1,2\n");
        let wanted =
            [("a".to_string(), Kind::Numeric), ("c".into(), Kind::Numeric), ("d".into(), Kind::Text)];
        let error = read(&path, &wanted).unwrap_err().to_string();
        assert!(error.contains("\"c\"") && error.contains("\"d\""), "{error}");
    }

    #[test]
    fn trailing_spaces_in_a_header_still_resolve() {
        let headers = vec!["churn ".to_string(), "x".to_string()];
        assert_eq!(resolve(&headers, "churn"), Some("churn "));
        assert_eq!(resolve(&headers, "y"), None);
    }
}
