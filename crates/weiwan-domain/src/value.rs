//! One typed cell of an extract, and the parsing and printing rules of each column kind.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::error::FieldError;
use crate::money::Money;
use crate::msisdn::Msisdn;
use crate::schema::{Column, ColumnKind};

/// A parsed, validated cell. `Month` columns hold the first day of the month as a `Date`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Money(Money),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    Bool(bool),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_date(&self) -> Option<NaiveDate> {
        match self {
            Value::Date(date) => Some(*date),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }
}

/// Dates outside these years are typing errors, not customers.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2100;
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
const TIMESTAMP_FORMAT_LEN: usize = "2026-03-05 14:22:10".len();

impl Column {
    /// Parses one field as written in an extract. An empty field is `Null` for an optional
    /// column and an error for a required one.
    pub fn parse(&self, text: &str) -> Result<Value, FieldError> {
        if text.is_empty() {
            return if self.required { Err(FieldError::Missing) } else { Ok(Value::Null) };
        }
        self.kind.parse(text)
    }
}

impl ColumnKind {
    /// Parses a non-empty field. Nothing is trimmed, rounded or guessed: a value either is
    /// exactly in the column's format or is refused.
    pub fn parse(&self, text: &str) -> Result<Value, FieldError> {
        match *self {
            ColumnKind::Id => parse_id(text),
            ColumnKind::Text { max_chars } => parse_text(text, max_chars),
            ColumnKind::Msisdn => Msisdn::parse(text).map(|m| Value::Text(m.as_str().to_owned())),
            ColumnKind::Code(codes) => {
                if codes.contains(&text) {
                    Ok(Value::Text(text.to_owned()))
                } else {
                    Err(FieldError::NotAllowed { value: text.to_owned(), allowed: codes.join(", ") })
                }
            }
            ColumnKind::Date => parse_date(text).map(Value::Date),
            ColumnKind::Month => parse_month(text).map(Value::Date),
            ColumnKind::Timestamp => {
                let expected = "a timestamp YYYY-MM-DD HH:MM:SS";
                // chrono accepts unpadded fields such as 2026-3-5 1:02:03; extracts are padded.
                if text.len() != TIMESTAMP_FORMAT_LEN {
                    return Err(FieldError::invalid(text, expected));
                }
                let timestamp = NaiveDateTime::parse_from_str(text, TIMESTAMP_FORMAT)
                    .map_err(|_| FieldError::invalid(text, expected))?;
                check_year(text, timestamp.year())?;
                Ok(Value::Timestamp(timestamp))
            }
            ColumnKind::Money { non_negative } => {
                let money = Money::parse(text)?;
                if non_negative && money < Money::ZERO {
                    return Err(FieldError::OutOfRange { value: text.to_owned(), range: ">= 0".into() });
                }
                Ok(Value::Money(money))
            }
            ColumnKind::Int { min, max } => {
                let all_digits = text.strip_prefix('-').unwrap_or(text);
                if all_digits.is_empty() || !all_digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(FieldError::invalid(text, "a whole number"));
                }
                let number: i64 = text.parse().map_err(|_| FieldError::invalid(text, "a whole number"))?;
                if number < min || number > max {
                    return Err(FieldError::OutOfRange {
                        value: text.to_owned(),
                        range: format!("{min}..={max}"),
                    });
                }
                Ok(Value::Int(number))
            }
            ColumnKind::Bool => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(FieldError::NotAllowed { value: text.to_owned(), allowed: "true, false".into() }),
            },
        }
    }

    /// Writes a value the way [`ColumnKind::parse`] reads it back.
    pub fn format(&self, value: &Value) -> String {
        match (self, value) {
            (_, Value::Null) => String::new(),
            (ColumnKind::Month, Value::Date(date)) => date.format("%Y-%m").to_string(),
            (_, Value::Date(date)) => date.format("%Y-%m-%d").to_string(),
            (_, Value::Timestamp(ts)) => ts.format(TIMESTAMP_FORMAT).to_string(),
            (_, Value::Text(text)) => text.clone(),
            (_, Value::Int(number)) => number.to_string(),
            (_, Value::Money(money)) => money.to_string(),
            (_, Value::Bool(flag)) => flag.to_string(),
        }
    }
}

fn parse_id(text: &str) -> Result<Value, FieldError> {
    let valid = text.len() <= 40
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !valid {
        return Err(FieldError::invalid(
            text,
            "an identifier of at most 40 letters, digits, '_', '-' or '.'",
        ));
    }
    Ok(Value::Text(text.to_owned()))
}

fn parse_text(text: &str, max_chars: usize) -> Result<Value, FieldError> {
    if text.chars().any(char::is_control) {
        return Err(FieldError::invalid(text, "text without control characters"));
    }
    let n_chars = text.chars().count();
    if n_chars > max_chars {
        return Err(FieldError::OutOfRange {
            value: text.to_owned(),
            range: format!("at most {max_chars} characters"),
        });
    }
    Ok(Value::Text(text.to_owned()))
}

fn parse_date(text: &str) -> Result<NaiveDate, FieldError> {
    // chrono accepts non-padded fields such as 2026-3-5; extracts must be zero-padded.
    if text.len() != 10 {
        return Err(FieldError::invalid(text, "a date YYYY-MM-DD"));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| FieldError::invalid(text, "a date YYYY-MM-DD"))?;
    check_year(text, date.year())?;
    Ok(date)
}

fn parse_month(text: &str) -> Result<NaiveDate, FieldError> {
    let expected = "a month YYYY-MM";
    if text.len() != 7 {
        return Err(FieldError::invalid(text, expected));
    }
    let date = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| FieldError::invalid(text, expected))?;
    check_year(text, date.year())?;
    Ok(date)
}

fn check_year(text: &str, year: i32) -> Result<(), FieldError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(FieldError::OutOfRange {
            value: text.to_owned(),
            range: format!("years {FIRST_YEAR}..={LAST_YEAR}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: ColumnKind, text: &str, expected: Result<Value, &str>) {
        let actual = kind.parse(text).map_err(|e| e.to_string());
        assert_eq!(actual, expected.map_err(str::to_owned), "{kind:?} {text:?}");
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn parses_each_kind_exactly() {
        check(ColumnKind::Date, "2026-03-05", Ok(Value::Date(date(2026, 3, 5))));
        check(ColumnKind::Date, "2026-3-5", Err("\"2026-3-5\" is not a date YYYY-MM-DD"));
        check(ColumnKind::Date, "2026-02-30", Err("\"2026-02-30\" is not a date YYYY-MM-DD"));
        check(ColumnKind::Date, "1850-01-01", Err("1850-01-01 is out of range (years 1900..=2100)"));
        check(
            ColumnKind::Timestamp,
            "2026-3-5 1:02:03",
            Err("\"2026-3-5 1:02:03\" is not a timestamp YYYY-MM-DD HH:MM:SS"),
        );
        check(ColumnKind::Month, "2026-03", Ok(Value::Date(date(2026, 3, 1))));
        check(ColumnKind::Month, "2026-13", Err("\"2026-13\" is not a month YYYY-MM"));
        check(ColumnKind::Int { min: 0, max: 10 }, "7", Ok(Value::Int(7)));
        check(ColumnKind::Int { min: 0, max: 10 }, "-1", Err("-1 is out of range (0..=10)"));
        check(ColumnKind::Int { min: 0, max: 10 }, "7.0", Err("\"7.0\" is not a whole number"));
        check(ColumnKind::Int { min: 0, max: 10 }, "+7", Err("\"+7\" is not a whole number"));
        check(ColumnKind::Money { non_negative: true }, "-1.00", Err("-1.00 is out of range (>= 0)"));
        check(ColumnKind::Bool, "true", Ok(Value::Bool(true)));
        check(ColumnKind::Bool, "Y", Err("\"Y\" is not one of true, false"));
        check(ColumnKind::Text { max_chars: 4 }, "杭州西湖", Ok(Value::Text("杭州西湖".into())));
        check(
            ColumnKind::Text { max_chars: 3 },
            "杭州西湖",
            Err("杭州西湖 is out of range (at most 3 characters)"),
        );
        check(
            ColumnKind::Id,
            "C 1",
            Err("\"C 1\" is not an identifier of at most 40 letters, digits, '_', '-' or '.'"),
        );
        check(
            ColumnKind::Timestamp,
            "2026-03-05 14:22:10",
            Ok(Value::Timestamp(date(2026, 3, 5).and_hms_opt(14, 22, 10).expect("valid time"))),
        );
    }

    #[test]
    fn format_is_the_inverse_of_parse() {
        let cases = [
            (ColumnKind::Month, "2026-03"),
            (ColumnKind::Date, "2026-03-05"),
            (ColumnKind::Timestamp, "2026-03-05 14:22:10"),
            (ColumnKind::Money { non_negative: false }, "-3.20"),
            (ColumnKind::Bool, "false"),
        ];
        for (kind, text) in cases {
            let value = kind.parse(text).expect("valid");
            assert_eq!(kind.format(&value), text);
        }
    }
}
