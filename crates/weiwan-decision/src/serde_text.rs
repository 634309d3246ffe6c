//! chrono values written as text in the crate's TOML and JSON (chrono is built without its
//! serde feature): dates `YYYY-MM-DD`, times of day `HH:MM`, and the ledger's date-times
//! `YYYY-MM-DD HH:MM:SS`. Use with `#[serde(with = "crate::serde_text::date")]` and the like.

use std::fmt;
use std::marker::PhantomData;

use serde::de;

/// Reads a value from a string with `parse`; refuses anything else, saying what was expected.
struct TextVisitor<T> {
    /// What serde's own type errors say was expected.
    expecting: &'static str,
    /// What the error for a string that does not parse says it is not.
    what: &'static str,
    parse: fn(&str) -> Option<T>,
    value: PhantomData<T>,
}

impl<T> de::Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        (self.parse)(text).ok_or_else(|| E::custom(format!("{text:?} is not {}", self.what)))
    }
}

fn read<'de, D: de::Deserializer<'de>, T>(
    deserializer: D,
    expecting: &'static str,
    what: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, D::Error> {
    deserializer.deserialize_str(TextVisitor { expecting, what, parse, value: PhantomData })
}

/// A date: written as `YYYY-MM-DD`, read from that string (a TOML date arrives as one).
pub(crate) mod date {
    use chrono::NaiveDate;
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        super::read(deserializer, "a date, YYYY-MM-DD", "a date, YYYY-MM-DD", |text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
        })
    }
}

/// A time of day: written as `HH:MM`, read from that string.
pub(crate) mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.format("%H:%M"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        super::read(
            deserializer,
            "a time of day as a string, \"HH:MM\"",
            "a time of day, \"HH:MM\"",
            |text| NaiveTime::parse_from_str(text, "%H:%M").ok(),
        )
    }
}

/// A date and time: written as `YYYY-MM-DD HH:MM:SS` (the ledger's form), read from that or
/// with a `T` between date and time.
pub(crate) mod datetime {
    use chrono::NaiveDateTime;
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(at: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&at.format("%Y-%m-%d %H:%M:%S"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDateTime, D::Error> {
        const FORM: &str = "a date and time, \"YYYY-MM-DD HH:MM:SS\"";
        super::read(deserializer, FORM, FORM, |text| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
                .ok()
        })
    }
}
